"""Writing a table as CSV (streamed) or XLSX (built in a temporary file), safe to open in a
spreadsheet.

Formula injection: a cell that starts with = + - @ (or a tab or carriage return, which some
spreadsheets skip before reading a formula) is run as a formula by Excel, LibreOffice and Google
Sheets, so `=HYPERLINK("http://x","y")` typed into a lead's name would become a live link.
Every text cell of both formats goes through `neutralise()`, which puts a ' in front: the
spreadsheet shows the text as typed. Numbers and dates are written as such and never neutralised.

CSV streams: a generator writes a few hundred rows at a time while the rows are fetched in
chunks (yield_per), so memory stays flat whatever the size. XLSX is a zip file that can only be
written whole: openpyxl's write-only mode keeps the rows on disk, the zip is assembled in a
SpooledTemporaryFile (in memory up to 8 MB, on disk past that), then sent in 64 KB chunks.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from tempfile import SpooledTemporaryFile

from flask import Response, abort, stream_with_context

FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_ROWS = 500
XLSX_SPOOL_BYTES = 8 * 1024 * 1024
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, the header row included
SEND_CHUNK_BYTES = 64 * 1024
BOM = "\ufeff"
# Control characters XML 1.0 cannot carry (openpyxl refuses them); tab, LF and CR are allowed.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(value: str) -> str:
    """The text, with a ' in front when a spreadsheet would run it as a formula."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_cell(value) -> str:
    """A value as CSV text: numbers and dates as such, text neutralised, None empty."""
    if type(value) is str:  # most cells: checked first
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_chunks(headers: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """The CSV file in UTF-8 pieces: the byte order mark (so that spreadsheets read accents
    right), the header row, then CSV_CHUNK_ROWS rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([csv_cell(h) for h in headers])
    for n, row in enumerate(rows, 1):
        writer.writerow([csv_cell(v) for v in row])
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_cell(value):
    """A value for openpyxl: text neutralised (openpyxl itself would store "=..." as a formula)
    and stripped of the control characters XML cannot hold; numbers and dates as they are."""
    if type(value) is str:
        return neutralise(XML_ILLEGAL.sub("", value))
    if value is None or isinstance(value, bool | int | float | Decimal | date):
        return value
    return neutralise(XML_ILLEGAL.sub("", str(value)))


def sheet_title(name: str) -> str:
    """A worksheet name Excel accepts: 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", " ", name).strip()[:31] or "Sheet"


def xlsx_file(headers: Sequence[str], rows: Iterable[Sequence], title: str = "Export") -> SpooledTemporaryFile:
    """The workbook in a temporary file, rewound. Rows past Excel's limit are left out."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))
    sheet.append([xlsx_cell(h) for h in headers])
    for n, row in enumerate(rows, 2):
        if n > XLSX_MAX_ROWS:
            break
        sheet.append([xlsx_cell(v) for v in row])
    file = SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # closed by file_chunks once sent
    workbook.save(file)
    file.seek(0)
    return file


def file_chunks(file) -> Iterator[bytes]:
    """Read `file` out in SEND_CHUNK_BYTES pieces, then close it."""
    try:
        while chunk := file.read(SEND_CHUNK_BYTES):
            yield chunk
    finally:
        file.close()


def file_name(name: str, fmt: str, today: date | None = None) -> str:
    """leads-2026-11-24.csv: the name reduced to letters, digits, - and _."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-") or "export"
    return f"{stem}-{(today or date.today()).isoformat()}.{fmt}"


def export_rows(name: str, headers: Sequence[str], rows: Iterable[Sequence], fmt: str) -> Response:
    """A download of the table `headers` + `rows` as `fmt` ("csv" or "xlsx"; anything else 404s).

    `rows` may be a generator (for instance over `db.session.execute(select.execution_options(
    yield_per=1000))`): a CSV reads it while it is being sent, inside the request's context.
    Values: str, int, Decimal, float, date, datetime or None; text is neutralised here.
    """
    if fmt not in FORMATS:
        abort(404)
    headers = [str(h) for h in headers]
    if fmt == "csv":
        body = stream_with_context(csv_chunks(headers, rows))
        response = Response(body, content_type=MEDIA_TYPES["csv"])
    else:
        file = xlsx_file(headers, rows, title=name)
        size = file.seek(0, io.SEEK_END)
        file.seek(0)
        response = Response(file_chunks(file), content_type=MEDIA_TYPES["xlsx"])
        response.content_length = size
    response.headers.set("Content-Disposition", "attachment", filename=file_name(name, fmt))
    # Customer data: never kept by a shared cache; proxies must not buffer the stream.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response
