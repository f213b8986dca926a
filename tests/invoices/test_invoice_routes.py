"""The invoices pages: list (display status, Overdue filter), record page and fragment, tax rates
and dates edited in place (htmx and plain forms), send and paid, 409s, sharing, print and PDF."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from crm.extensions import db
from crm.models import User
from crm.models.sales import Invoice
from crm.sales import documents
from tests.conftest import csrf_token, login
from tests.factories import make_user
from tests.orders.helpers import make_invoice
from tests.sharing.world import set_mode

HX = {"HX-Request": "true"}


def invoice_of(app, user_id: int, status: str = "Draft", due: date | None = None, **fields) -> tuple[int, list[int]]:
    with app.app_context():
        invoice = make_invoice(actor=db.session.get(User, user_id), **fields)
        if due is not None:
            invoice.issue_date, invoice.due_date = due - timedelta(days=30), due
        if status in ("Sent", "Paid"):
            documents.send_invoice(invoice)
        if status == "Paid":
            documents.mark_invoice_paid(invoice)
        db.session.commit()
        return invoice.id, [line.id for line in invoice.lines]


def load(app, invoice_id: int) -> Invoice:
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        db.session.expunge(invoice)
        return invoice


def post(client, path, headers=None, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers or {})


def test_the_invoice_page_and_its_fragment(app, rep_client, rep):
    invoice_id, _lines = invoice_of(app, rep.id, name="Get Cloudy - 50 Custom Sneakers")
    html = rep_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert "<html" in html and "INV-00001" in html and "Draft" in html and "Get Cloudy - 50 Custom Sneakers" in html
    assert "€3,240.00" in html and "€1,910.00" in html and "€5,150.00" in html
    assert "ORD-00001" in html and "Change dates" in html and f'action="/invoices/{invoice_id}/send"' in html
    assert f'action="/invoices/{invoice_id}/paid"' not in html
    fragment = rep_client.get(f"/invoices/{invoice_id}", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and f'id="invoice-{invoice_id}"' in fragment and "INV-00001" in fragment


def test_tax_rate_in_place_with_htmx(app, rep_client, rep):
    invoice_id, (first, second) = invoice_of(app, rep.id)
    form = rep_client.get(f"/invoices/{invoice_id}/lines/{first}/edit", headers=HX)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in html
    assert f'id="invoice-line-{first}"' in html and f'name="line{first}-tax_rate"' in html
    saved = post(rep_client, f"/invoices/{invoice_id}/lines/{first}", headers=HX, **{f"line{first}-tax_rate": "20"})
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "<html" not in html
    assert f'<tr id="invoice-line-{first}"' in html and "€648.00" in html
    assert 'hx-swap-oob="true"' in html and "€5,798.00" in html  # the totals, out of band
    post(rep_client, f"/invoices/{invoice_id}/lines/{second}", headers=HX, **{f"line{second}-tax_rate": "5,5"})
    invoice = load(app, invoice_id)
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (
        Decimal("5150.00"), Decimal("753.05"), Decimal("5903.05"))
    cancel = rep_client.get(f"/invoices/{invoice_id}/lines/{second}", headers=HX).get_data(as_text=True)
    assert "€105.05" in cancel and "<form" not in cancel


def test_tax_rate_without_javascript(app, rep_client, rep):
    invoice_id, (first, _second) = invoice_of(app, rep.id)
    page = rep_client.get(f"/invoices/{invoice_id}/lines/{first}/edit").get_data(as_text=True)
    assert "<html" in page and f'name="line{first}-tax_rate"' in page and 'value="0"' in page
    saved = post(rep_client, f"/invoices/{invoice_id}/lines/{first}", **{f"line{first}-tax_rate": "20"})
    assert saved.status_code == 303
    assert load(app, invoice_id).tax_total == Decimal("648.00")


@pytest.mark.parametrize("typed", ["abc", "101", "-5", "5.555", ""])
def test_a_bad_tax_rate_comes_back_beside_the_field(app, rep_client, rep, typed):
    invoice_id, (first, _second) = invoice_of(app, rep.id)
    for headers in (HX, {}):
        refused = post(rep_client, f"/invoices/{invoice_id}/lines/{first}", headers=headers,
                       **{f"line{first}-tax_rate": typed})
        html = refused.get_data(as_text=True)
        assert refused.status_code == 422
        assert 'class="field-error"' in html and ("between 0 and 100" in html or "Enter a tax rate." in html)
    assert load(app, invoice_id).tax_total == 0


def test_dates_in_place(app, rep_client, rep):
    invoice_id, _lines = invoice_of(app, rep.id)
    form = rep_client.get(f"/invoices/{invoice_id}/dates/edit", headers=HX).get_data(as_text=True)
    assert 'name="issue_date"' in form and 'name="due_date"' in form and "<html" not in form
    saved = post(rep_client, f"/invoices/{invoice_id}/dates", headers=HX, issue_date="2026-03-01",
                 due_date="2026-03-31")
    assert saved.status_code == 200 and "2026-03-31" in saved.get_data(as_text=True)
    invoice = load(app, invoice_id)
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 1), date(2026, 3, 31))
    refused = post(rep_client, f"/invoices/{invoice_id}/dates", headers=HX, issue_date="2026-04-02",
                   due_date="2026-04-01")
    assert refused.status_code == 422
    assert "The due date cannot be before the issue date." in refused.get_data(as_text=True)
    bad = post(rep_client, f"/invoices/{invoice_id}/dates", issue_date="2026-13-45", due_date="")
    assert bad.status_code == 422 and 'class="field-error"' in bad.get_data(as_text=True)
    invoice = load(app, invoice_id)
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 1), date(2026, 3, 31))
    plain = post(rep_client, f"/invoices/{invoice_id}/dates", issue_date="2026-05-01", due_date="2026-05-01")
    assert plain.status_code == 303 and load(app, invoice_id).due_date == date(2026, 5, 1)


def test_send_then_paid_and_refusals(app, rep_client, rep):
    invoice_id, (first, _second) = invoice_of(app, rep.id)
    assert post(rep_client, f"/invoices/{invoice_id}/paid").status_code == 409  # Draft → Paid
    assert load(app, invoice_id).status == "Draft"
    assert post(rep_client, f"/invoices/{invoice_id}/send").status_code == 303
    assert load(app, invoice_id).status == "Sent"
    page = rep_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert "Change dates" not in page and "/edit" not in page and f'action="/invoices/{invoice_id}/paid"' in page
    # Not a draft any more: nothing on it changes.
    rate = {f"line{first}-tax_rate": "20"}
    assert post(rep_client, f"/invoices/{invoice_id}/lines/{first}", **rate).status_code == 409
    assert post(rep_client, f"/invoices/{invoice_id}/dates", headers=HX, issue_date="2026-01-01",
                due_date="2026-01-02").status_code == 409
    assert rep_client.get(f"/invoices/{invoice_id}/lines/{first}/edit", headers=HX).status_code == 409
    paid = post(rep_client, f"/invoices/{invoice_id}/paid", headers=HX)
    assert paid.status_code == 204 and paid.headers["HX-Redirect"] == f"/invoices/{invoice_id}"
    assert load(app, invoice_id).status == "Paid"
    again = post(rep_client, f"/invoices/{invoice_id}/send", headers=HX)  # Paid → Sent
    assert again.status_code == 409 and "An invoice goes from Draft to Sent to Paid." in again.get_data(as_text=True)
    assert load(app, invoice_id).status == "Paid"


def test_overdue_is_shown_and_filtered(app, rep_client, rep):
    yesterday = date.today() - timedelta(days=1)
    overdue_id, _ = invoice_of(app, rep.id, status="Sent", due=yesterday, name="Late sneakers")
    sent_id, _ = invoice_of(app, rep.id, status="Sent", due=date.today(), name="Fresh runners")
    draft_id, _ = invoice_of(app, rep.id, due=yesterday, name="Draft boots")
    page = rep_client.get(f"/invoices/{overdue_id}").get_data(as_text=True)
    assert "status-overdue" in page and "Overdue" in page
    assert "status-sent" in rep_client.get(f"/invoices/{sent_id}").get_data(as_text=True)
    assert "status-draft" in rep_client.get(f"/invoices/{draft_id}").get_data(as_text=True)
    listing = rep_client.get("/invoices").get_data(as_text=True)
    assert all(name in listing for name in ("Late sneakers", "Fresh runners", "Draft boots"))
    overdue = rep_client.get("/invoices?status=Overdue", headers=HX)
    html = overdue.get_data(as_text=True)
    assert "<html" not in html and 'id="invoice-list"' in html
    assert "Late sneakers" in html and "Fresh runners" not in html and "Draft boots" not in html
    assert overdue.headers["HX-Push-Url"] == "/invoices?status=Overdue"
    sent = rep_client.get("/invoices?status=Sent").get_data(as_text=True)
    assert "Fresh runners" in sent and "Late sneakers" not in sent
    draft = rep_client.get("/invoices?status=Draft").get_data(as_text=True)
    assert "Draft boots" in draft and "Late sneakers" not in draft


def test_the_invoice_pdf_and_print(app, rep_client, rep):
    invoice_id, _lines = invoice_of(app, rep.id, rates=("20", "5.5"))
    response = rep_client.get(f"/invoices/{invoice_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="INV-00001.pdf"' in response.headers["Content-Disposition"]
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "INV-00001" in text and "5,903.05" in text
    french = rep_client.get(f"/invoices/{invoice_id}.pdf?lang=fr")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(french.data)).pages)
    assert "INV-00001" in text and "5903,05" in text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    printed = rep_client.get(f"/invoices/{invoice_id}/print").get_data(as_text=True)
    assert "INV-00001" in printed and "5,903.05" in printed


def test_the_order_pdf(app, rep_client, rep):
    invoice_id, _lines = invoice_of(app, rep.id, rates=("20", "5.5"))
    order_id = load(app, invoice_id).order_id
    response = rep_client.get(f"/orders/{order_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "ORD-00001" in text and "5,903.05" in text
    assert "ORD-00001" in rep_client.get(f"/orders/{order_id}/print?lang=fr").get_data(as_text=True)


@pytest.fixture
def private(app, rep):
    with app.app_context():
        make_user(email="chief@example.com", role="admin")  # set_mode's actor
        other = make_user(email="other@example.com", role="rep")
        invoice = make_invoice(actor=other, name="Hiddenbootsia")
        mine = make_invoice(actor=db.session.get(User, rep.id), name="Mine sneakers")
        set_mode("private")
        return {"invoice": invoice.id, "line": invoice.lines[0].id, "mine": mine.id}


def test_a_rep_in_private_mode_gets_404_on_another_reps_invoice(app, rep_client, private):
    invoice_id, line_id = private["invoice"], private["line"]
    for headers in ({}, HX):
        for path in ("", "/print", ".pdf", "/dates", "/dates/edit", f"/lines/{line_id}", f"/lines/{line_id}/edit"):
            assert rep_client.get(f"/invoices/{invoice_id}{path}", headers=headers).status_code == 404, path
        dates = {"issue_date": "2026-01-01", "due_date": "2026-02-01"}
        for path, data in (("/send", {}), ("/paid", {}), ("/dates", dates),
                           (f"/lines/{line_id}", {f"line{line_id}-tax_rate": "20"})):
            assert post(rep_client, f"/invoices/{invoice_id}{path}", headers=headers, **data).status_code == 404, path
    listing = rep_client.get("/invoices").get_data(as_text=True)
    assert "Mine sneakers" in listing and "Hiddenbootsia" not in listing
    invoice = load(app, invoice_id)
    assert invoice.status == "Draft" and invoice.tax_total == 0 and invoice.issue_date == date.today()


def test_a_line_of_another_invoice_is_404(app, rep_client, rep):
    invoice_id, _lines = invoice_of(app, rep.id)
    _other_id, (other_line, _x) = invoice_of(app, rep.id)
    assert rep_client.get(f"/invoices/{invoice_id}/lines/{other_line}/edit").status_code == 404
    assert post(rep_client, f"/invoices/{invoice_id}/lines/{other_line}", **{f"line{other_line}-tax_rate": "20"}
                ).status_code == 404


def test_signed_out_is_sent_to_sign_in(client):
    assert client.get("/invoices").status_code in (302, 303)
    assert client.get("/orders").status_code in (302, 303)


def test_a_manager_sees_the_hidden_invoice(app, client, private):
    with app.app_context():
        make_user(email="boss@example.com", role="manager")
    login(client, "boss@example.com", "correct horse battery")
    assert client.get(f"/invoices/{private['invoice']}").status_code == 200


def test_a_sent_invoice_reads_envoyee_in_french(app, rep_client, rep):
    """Une facture est envoyée (feminine), where a campaign's sent email stays "Envoyé"."""
    invoice_id, _lines = invoice_of(app, rep.id, status="Sent")
    with app.app_context():
        db.session.get(User, rep.id).locale = "fr"
        db.session.commit()
    page = rep_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert ">Envoyée<" in page and ">Envoyé<" not in page
    listed = rep_client.get("/invoices?status=Sent").get_data(as_text=True)
    assert "Envoyée" in listed and ">Envoyé<" not in listed
