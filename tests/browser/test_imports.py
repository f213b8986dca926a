"""Lead import in a browser, on a desk and a 360 px phone: upload a messy CSV, change a column's
field and see the preview's errors follow, import, watch the progress end in the report, download
the rejected rows, undo. A real worker (the loop `flask import-worker` runs) takes the job."""

import threading

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.imports import jobs
from crm.models import Lead
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

MESSY = ("Prénom;Nom;Société;E-mail;Colonne inutile\r\n"
         "Hélène;Lefèvre;Société Générale;helene@example.fr;x\r\n"
         ";;;;\r\n"
         "Ada;;Engines;ada@example;=HYPERLINK(\"http://evil\")\r\n"
         "Grace;Hopper;Navy;grace@navy;\"multi\r\nline\"\r\n").encode("cp1252")


@pytest.fixture
def worker(app, live_server):
    """The import worker's loop in a thread, against the live server's database; it starts when
    the test sets the event it gets (so that the page is seen waiting for it first)."""
    go, stop = threading.Event(), threading.Event()

    def work():
        go.wait()
        if not stop.is_set():
            jobs.run_worker(app, stop, poll=0.2)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    yield go
    stop.set()
    go.set()
    thread.join(timeout=10)


def no_horizontal_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_import_a_messy_file_then_undo_it(page, screen, app, rep, worker):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto("/leads")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import leads")
    no_horizontal_scroll(page, screen)
    page.get_by_label("File (CSV or XLSX, up to 50 MB)").set_input_files(
        files=[{"name": "partners.csv", "mimeType": "text/csv", "buffer": MESSY}])
    page.get_by_role("button", name="Upload and map the columns").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Import partners.csv")
    expect(page.get_by_label("Lead field for the column Nom")).to_have_value("last_name")
    expect(page.get_by_label("Lead field for the column Société")).to_have_value("company")
    preview = page.locator("#import-preview")
    expect(preview).to_contain_text("Email: Enter a valid email address.")
    expect(preview).to_contain_text("2 of these rows would be rejected.")
    no_horizontal_scroll(page, screen)

    # The preview follows the mapping in place (no page load).
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Lead field for the column E-mail").select_option("")
    expect(preview).not_to_contain_text("Enter a valid email address.")
    expect(preview).to_contain_text("1 of these rows would be rejected.")
    page.get_by_label("Lead field for the column E-mail").select_option("email")
    expect(preview).to_contain_text("Email: Enter a valid email address.")
    assert page.evaluate("window.__sameDocument === true")

    page.get_by_label("Owner of the new leads").select_option(label=rep.name)
    page.get_by_role("button", name="Import", exact=True).click()
    status = page.locator("#import-status")
    # Queued: the page polls (htmx, every second) and shows a progress bar until a worker is done.
    expect(status).to_have_attribute("data-state", "queued")
    expect(status.get_by_role("progressbar", name="Progress")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    worker.set()
    expect(status).to_have_attribute("data-state", "done", timeout=20_000)
    assert page.evaluate("window.__sameDocument === true")
    expect(status.get_by_role("progressbar")).to_have_count(0)
    expect(status.get_by_role("heading", level=2)).to_have_text("Done")
    expect(status.locator('dd[data-figure="imported"]')).to_have_text("1")
    expect(status.locator('dd[data-figure="rejected"]')).to_have_text("2")
    expect(status).to_contain_text("Row 4: Last name: Enter the last name. Email: Enter a valid email address.")
    no_horizontal_scroll(page, screen)
    with app.app_context():
        assert db.session.scalars(sa.select(Lead.last_name)).all() == ["Lefèvre"]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the rejected rows (CSV)").click()
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    assert text.splitlines()[0] == "Prénom,Nom,Société,E-mail,Colonne inutile,Row,Reason"
    assert "'=HYPERLINK" in text

    page.get_by_role("button", name="Undo the import").click()
    expect(page.get_by_text("Import undone")).to_be_visible()
    expect(status).to_have_attribute("data-state", "undone")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
