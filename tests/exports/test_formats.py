"""neutralise(), the CSV stream and the XLSX file, without a database."""

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm.exports import formats
from crm.exports.formats import csv_cell, csv_chunks, export_rows, neutralise, xlsx_file

DANGEROUS = ['=HYPERLINK("http://x","y")', "+33 6 12", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1", "=1+1"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_neutralise_prefixes_what_a_spreadsheet_would_run(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["", "Hélène", "a=b", " =1+1", "'quoted", "1+1", "Ünïcödé @home"])
def test_neutralise_leaves_plain_text_alone(value):
    assert neutralise(value) == value


def test_csv_cells_keep_numbers_and_dates_and_neutralise_text():
    assert csv_cell(None) == "" and csv_cell(Decimal("-12.50")) == "-12.50" and csv_cell(-3) == "-3"
    assert csv_cell(date(2027, 3, 1)) == "2027-03-01"
    assert csv_cell(datetime(2027, 3, 1, 9, 30, 5, 123)) == "2027-03-01 09:30:05"
    assert csv_cell("=1+1") == "'=1+1"


def read_csv(chunks) -> tuple[bytes, list[list[str]]]:
    body = b"".join(chunks)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def test_csv_starts_with_a_bom_and_reads_back():
    row = ['=HYPERLINK("http://x","y")', "Crédit, \"Agricole\"\nParis"]
    body, rows = read_csv(csv_chunks(["Nom", "Société"], [row]))
    assert body.startswith(b"\xef\xbb\xbf")
    assert rows == [["Nom", "Société"], ['\'=HYPERLINK("http://x","y")', "Crédit, \"Agricole\"\nParis"]]


def test_csv_comes_in_chunks_of_rows(monkeypatch):
    monkeypatch.setattr(formats, "CSV_CHUNK_ROWS", 10)
    consumed = []

    def rows():
        for n in range(35):
            consumed.append(n)
            yield [f"row {n}"]

    stream = csv_chunks(["N"], rows())
    first = next(stream)
    assert len(consumed) == 10 and first.count(b"\r\n") == 11  # the header and 10 rows, no more read
    rest = list(stream)
    assert len(rest) == 3 and len(consumed) == 35


def test_xlsx_cells_are_text_not_formulas():
    file = xlsx_file(["Name", "Amount", "Close"], [
        ['=HYPERLINK("http://x","y")', Decimal("12.5"), date(2027, 3, 1)],
        ["Hélène\x01 Lefèvre", None, None],
        ["@SUM(A1:A2)", -4, datetime(2027, 3, 1, 9, 30)],
    ], title="Leads: [all]")
    sheet = load_workbook(file).active
    assert sheet.title == "Leads   all"
    rows = list(sheet.iter_rows(values_only=False))
    name = rows[1][0]
    assert name.data_type == "s" and name.value == '\'=HYPERLINK("http://x","y")'
    assert rows[1][1].value == 12.5 and rows[1][1].data_type == "n"
    assert rows[1][2].value.date() == date(2027, 3, 1)
    assert rows[2][0].value == "Hélène Lefèvre"  # a control character XML cannot hold is dropped
    assert rows[3][0].value == "'@SUM(A1:A2)" and rows[3][1].value == -4
    assert not any(c.data_type == "f" for row in rows for c in row)


def test_export_rows_answers_a_download(app):
    with app.test_request_context():
        response = export_rows("pipeline report", ["Stage", "Amount"], iter([["Prospecting", Decimal("5")]]), "csv")
        assert response.is_streamed and response.mimetype == "text/csv"
        assert response.headers["Content-Disposition"].startswith('attachment; filename=pipeline-report-')
        assert response.headers["Cache-Control"] == "no-store"
        assert b"".join(response.response).decode("utf-8-sig") == "Stage,Amount\r\nProspecting,5\r\n"
        xlsx = export_rows("pipeline", ["Stage"], [["=1"]], "xlsx")
        body = b"".join(xlsx.response)
        assert xlsx.content_length == len(body) and body.startswith(b"PK")
        assert load_workbook(io.BytesIO(body)).active["A2"].value == "'=1"
        with pytest.raises(Exception) as error:
            export_rows("x", ["A"], [], "pdf")
        assert getattr(error.value, "code", None) == 404
