"""Reading messy files: encodings, delimiters, blank rows, quoted newlines, extra columns, XLSX."""

from datetime import date, datetime

import pytest

from crm.imports import parsing
from tests.imports.conftest import xlsx_bytes


def rows(content: bytes, name: str = "f.csv"):
    info = parsing.detect(content, name)
    return info, [(line, cells) for _n, line, cells in parsing.data_rows(content, info)]


@pytest.mark.parametrize("encoding, bom, detected", [
    ("utf-8", b"", "utf-8"),
    ("utf-8", b"\xef\xbb\xbf", "utf-8-sig"),
    ("cp1252", b"", "cp1252"),
    ("utf-16", b"", "utf-16"),
])
def test_encodings_are_detected(encoding, bom, detected):
    content = bom + "Nom;Société;Prénom\nLefèvre;Crédit Agricole;Zoë – “œuvre”\n".encode(encoding)
    info, data = rows(content)
    assert info.encoding == detected
    assert info.headers == ["Nom", "Société", "Prénom"]
    assert data == [(2, ["Lefèvre", "Crédit Agricole", "Zoë – “œuvre”"])]


def test_latin1_bytes_cp1252_leaves_undefined_are_still_read():
    content = "Nom,Société\nA\x81b,Caf\xe9\n".encode("latin-1")
    info, data = rows(content)
    assert info.encoding == "latin-1"
    assert data[0][1] == ["A\x81b", "Café"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter(delimiter):
    header = delimiter.join(["First name", "Last name", "Company"])
    content = f'{header}\nAda{delimiter}Lovelace{delimiter}"Analytical, Engines"\n'.encode()
    info, data = rows(content)
    assert info.delimiter == delimiter
    assert data == [(2, ["Ada", "Lovelace", "Analytical, Engines"])]


def test_blank_rows_quoted_newlines_extra_and_missing_cells():
    content = (b'Last name;Company;Description\r\n'
               b';;\r\n'
               b'\r\n'
               b'Hopper;"Navy; Labs";"line one\r\nline two ""quoted"""\r\n'
               b'  Lovelace  ;Engines;note;extra;cells\r\n'
               b'Curie\r\n')
    info, data = rows(content)
    assert info.delimiter == ";"
    assert data == [
        (4, ["Hopper", "Navy; Labs", 'line one\r\nline two "quoted"']),
        (5, ["Lovelace", "Engines", "note", "extra", "cells"]),
        (6, ["Curie"]),
    ]


def test_a_quoted_newline_in_the_header_does_not_fool_the_delimiter():
    content = b'"Last\nname",Company,Email\nHopper,Navy,g@navy.mil\n'
    info, data = rows(content)
    assert info.delimiter == ","
    assert info.headers == ["Last\nname", "Company", "Email"]


def test_nul_bytes_are_dropped():
    _info, data = rows(b"Last name,Company\nHop\x00per,Navy\n")
    assert data == [(2, ["Hopper", "Navy"])]


def test_a_resumed_job_skips_the_rows_before_its_checkpoint():
    content = b"Last name,Company\nA,X\n\nB,Y\nC,Z\n"
    info = parsing.detect(content)
    assert [(n, cells[0]) for n, _line, cells in parsing.data_rows(content, info, start=1)] == [(2, "B"), (3, "C")]
    assert parsing.count_data_rows(content, info) == 3


@pytest.mark.parametrize("content", [b"", b"   \n\n", b";;;\n"])
def test_an_empty_file_is_refused(content):
    with pytest.raises(parsing.FileError):
        parsing.detect(content)


def test_xlsx_values_numbers_dates_and_formulas():
    content = xlsx_bytes([
        ["Last name", "Company", "Phone", "Employees", "Created", "Total"],
        [None, None, None, None, None, None],
        ["Hopper", "Navy", 33612345678, 120.0, datetime(2024, 5, 1), "=SUM(1,2)"],
        ["  Lovelace ", "Engines", "+44 20 7946 0000", 3.5, date(2023, 1, 2), None],
    ])
    info, data = rows(content, "leads.xlsx")
    assert info.file_format == "xlsx" and info.encoding is None
    assert info.headers == ["Last name", "Company", "Phone", "Employees", "Created", "Total"]
    # A formula without a cached value (written by a library, never opened in Excel) reads as its
    # value, here none: it is never evaluated, and never stored as a formula.
    assert data == [
        (3, ["Hopper", "Navy", "33612345678", "120", "2024-05-01", ""]),
        (4, ["Lovelace", "Engines", "+44 20 7946 0000", "3.5", "2023-01-02", ""]),
    ]


def test_a_broken_xlsx_is_refused():
    with pytest.raises(parsing.FileError):
        parsing.detect(b"PK\x03\x04 not really a zip", "leads.xlsx")


def test_trailing_empty_header_cells_are_no_columns_and_a_workbook_states_its_row_count():
    content = xlsx_bytes([["Last name", "Company", None, None], ["Hopper", "Navy", None, "stray"], [], ["Curie", "X"]])
    info, data = rows(content, "leads.xlsx")
    assert info.headers == ["Last name", "Company"]
    assert data == [(2, ["Hopper", "Navy", "", "stray"]), (4, ["Curie", "X", "", ""])]
    assert parsing.count_data_rows(content, info) == 3  # the sheet's count: its blank row included
    csv_info, _ = rows(b"Last name,Company,,\nHopper,Navy,,\n")
    assert csv_info.headers == ["Last name", "Company"]
