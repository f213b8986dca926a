"""Reading an uploaded file: CSV (any delimiter; UTF-8 with or without BOM, UTF-16, else Windows-1252)
or XLSX, into a header row and data rows of stripped strings. Blank rows are left out.

Reading is deterministic: the same bytes give the same rows in the same order, which is what lets a
resumed import skip the rows its checkpoint says are done.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

# A description may hold 32,000 characters; longer cells are read (then rejected), not a crash.
csv.field_size_limit(max(csv.field_size_limit(), 1 << 20))

DELIMITERS = ",;\t|"
SNIFF_BYTES = 64 * 1024
XLSX_MAGIC = b"PK\x03\x04"


class FileError(Exception):
    """The file cannot be read as CSV or XLSX; the message is for the user."""


@dataclass
class FileInfo:
    """What was detected about a file: its format, text encoding and delimiter (CSV), its headers."""

    file_format: str
    encoding: str | None = None
    delimiter: str | None = None
    headers: list[str] = field(default_factory=list)


def decode(content: bytes) -> tuple[str, str]:
    """The text and the encoding it was read with: UTF-8 (BOM or not), UTF-16 with a BOM, else
    Windows-1252 (what Excel on Windows writes; a superset of Latin-1's printable characters)."""
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16", errors="replace"), "utf-16"
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # The five bytes cp1252 leaves undefined: Latin-1 reads every byte.
        return content.decode("latin-1"), "latin-1"


def _first_line(sample: str) -> str:
    """The header line, quoted newlines included (a quote count that is odd means it goes on)."""
    end, quotes = 0, 0
    while True:
        newline = sample.find("\n", end)
        if newline < 0:
            return sample
        quotes += sample.count('"', end, newline)
        end = newline + 1
        if quotes % 2 == 0:
            return sample[:newline]


def sniff_delimiter(text: str) -> str:
    """The delimiter: csv.Sniffer's guess when the header line holds it, else the candidate the header
    line holds most of (outside quotes), else a comma."""
    sample = text[:SNIFF_BYTES]
    if len(text) > SNIFF_BYTES and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    header = _first_line(sample.lstrip("\r\n"))
    unquoted = "".join(part for n, part in enumerate(header.split('"')) if n % 2 == 0)
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = None
    if guess and guess in unquoted:
        return guess
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def cell_text(value) -> str:
    """A spreadsheet cell as text: whole numbers without ".0" (phone numbers, postal codes stored as
    numbers), dates as ISO dates; formulas were already replaced by their values (data_only)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _clean(cells) -> list[str]:
    return [c.strip() if isinstance(c, str) else cell_text(c).strip() for c in cells]


def _csv_rows(content: bytes, encoding: str | None, delimiter: str | None) -> Iterator[list[str]]:
    text, detected = decode(content) if encoding is None else (_decode_as(content, encoding), encoding)
    text = text.replace("\x00", "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text), strict=False)
    try:
        for cells in reader:
            yield _clean(cells)
    except csv.Error as exc:
        raise FileError(str(exc)) from exc


def _decode_as(content: bytes, encoding: str) -> str:
    if encoding == "utf-8-sig" and content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
        encoding = "utf-8"
    return content.decode(encoding, errors="replace")


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileError(str(exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        for cells in sheet.iter_rows(values_only=True):
            yield _clean(cells)
    finally:
        workbook.close()


def is_xlsx(content: bytes, file_name: str = "") -> bool:
    return content.startswith(XLSX_MAGIC) or file_name.lower().endswith((".xlsx", ".xlsm"))


def all_rows(content: bytes, file_format: str, encoding: str | None = None,
             delimiter: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of every non-blank row, the header included: cells as stripped strings, line
    the row's number as a spreadsheet shows it (blank rows counted, the first row is 1)."""
    rows = _xlsx_rows(content) if file_format == "xlsx" else _csv_rows(content, encoding, delimiter)
    for line, cells in enumerate(rows, 1):
        if any(cells):
            yield line, cells


def detect(content: bytes, file_name: str = "") -> FileInfo:
    """Format, encoding, delimiter and header row of an uploaded file. :raises FileError:"""
    if not content.strip():
        raise FileError("empty")
    if is_xlsx(content, file_name):
        info = FileInfo("xlsx")
    else:
        text, encoding = decode(content)
        info = FileInfo("csv", encoding=encoding, delimiter=sniff_delimiter(text.replace("\x00", "")))
    for _line, cells in all_rows(content, info.file_format, info.encoding, info.delimiter):
        # Trailing empty header cells are no columns (a sheet formatted far to the right has thousands).
        while cells and not cells[-1]:
            cells.pop()
        info.headers = cells
        return info
    raise FileError("empty")


def data_rows(content: bytes, info: FileInfo, start: int = 0) -> Iterator[tuple[int, int, list[str]]]:
    """(n, line, cells) of the data rows after the header; the first `start` are skipped.

    n counts the non-blank data rows from 1 (a job's checkpoint); line is the row's number in the
    file, as a report quotes it."""
    rows = all_rows(content, info.file_format, info.encoding, info.delimiter)
    next(rows, None)
    for n, (line, cells) in enumerate(rows, 1):
        if n > start:
            yield n, line, cells


def count_data_rows(content: bytes, info: FileInfo) -> int:
    """The number of data rows; for a workbook, the sheet's own count when it states one (reading a
    large sheet twice takes long enough to look like a dead job), blank rows included."""
    if info.file_format == "xlsx":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            stated = workbook.worksheets[0].max_row
        finally:
            workbook.close()
        if stated:
            return max(0, stated - 1)
    return sum(1 for _ in data_rows(content, info))
