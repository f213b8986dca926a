"""Exports in a browser: the links follow the live search, and the downloaded files keep a
formula-looking name as text."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import stored
from tests.factories import make_lead

pytestmark = pytest.mark.browser
EVIL = '=HYPERLINK("http://x","y")'


def test_export_the_searched_leads_as_csv_and_xlsx(app, page, screen, rep):
    stored(app, make_lead, actor=rep, owner=rep, first_name="Eve", last_name=EVIL, company="Acme")
    stored(app, make_lead, actor=rep, owner=rep, first_name="Bob", last_name="Plain", company="Globex")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto("/leads")
    page.get_by_label("Search leads").fill("acme")
    expect(page).to_have_url(re.compile(r"/leads\?q=acme$"))
    expect(page.get_by_role("link", name="Export CSV")).to_have_attribute("href", re.compile(r"q=acme"))

    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert re.fullmatch(r"leads-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    body = open(download.path(), "rb").read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))
    assert [row[2] for row in rows[1:]] == ["'" + EVIL]  # the search applies: Plain is not there

    with page.expect_download() as info:
        page.get_by_role("link", name="Export XLSX").click()
    sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
    assert sheet["C2"].value == "'" + EVIL and sheet["C2"].data_type == "s"
    assert sheet.max_row == 2
