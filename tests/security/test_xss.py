"""Stored XSS: every payload of the corpus, stored in every text field of every kind of record
(and in the names of the users and campaigns they show), must come back as text on every page,
fragment and export that shows it, never as markup, script, event handler, htmx instruction,
javascript: link or evaluated template.

The values are written straight into the database, past the forms' validators: what an import,
a conversion, a migration or a later form change could store, the pages must still show safely.
The forms and the public Web-to-Lead form are attacked through HTTP in test_xss_forms.py.
"""

import csv
import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.extensions import db
from crm.models import (
    Activity,
    Campaign,
    CampaignMember,
    OpportunityContactRole,
    User,
)
from crm.models.user import utcnow
from tests.factories import make_account, make_contact, make_lead, make_opportunity
from tests.security.html_checks import live_markup, text_of
from tests.security.payloads import MARKER, TEMPLATE_EVALUATED, XSS

# Columns computed from the others (search text, normalised keys, E.164 phones, the website's
# domain) or held to a fixed list by a CHECK constraint.
DERIVED = {"search_text", "name_key", "phone_e164", "mobile_e164", "domain", "kind", "priority", "status"}
# Validated codes (an ISO 4217 currency), and the numbers the counters give documents.
DERIVED |= {"currency", "number"}


def text_columns(model):
    return [c for c in model.__table__.columns if isinstance(c.type, sa.String) and c.name not in DERIVED]


def fill(record, payload: str, suffix: str = "") -> None:
    """Every text column of `record` set to the payload (cut to the column's length; unique
    columns get a suffix so that two records can hold it)."""
    for column in text_columns(type(record)):
        value = payload + suffix if column.unique or column.name == "name" else payload
        if column.type.length:
            value = value[: column.type.length]
        setattr(record, column.name, value)


def build_world(app, admin_id: int, payload: str) -> dict:
    """One record of each kind, all owned by the admin, every text field holding `payload`."""
    with app.app_context():
        admin = db.session.get(User, admin_id)
        campaign = Campaign(name="Campaign", type="Webinar", status="Planned")
        db.session.add(campaign)
        db.session.flush()
        lead = make_lead(actor=admin)
        account = make_account(actor=admin)
        contact = make_contact(account=account, actor=admin)
        opportunity = make_opportunity(account=account, actor=admin)
        today = utcnow().date()
        for n, (field, record) in enumerate((("lead_id", lead), ("account_id", account), ("contact_id", contact),
                                              ("opportunity_id", opportunity))):
            for kind in ("note", "task"):
                activity = Activity(kind=kind, subject="s", body="b", created_by_id=admin.id, **{field: record.id})
                if kind == "task":
                    activity.assignee_id, activity.due_date, activity.priority = admin.id, today, "High"
                fill(activity, payload, f" {n}")
                db.session.add(activity)
        db.session.add(CampaignMember(campaign_id=campaign.id, lead_id=lead.id))
        db.session.add(CampaignMember(campaign_id=campaign.id, contact_id=contact.id))
        db.session.add(OpportunityContactRole(opportunity_id=opportunity.id, contact_id=contact.id,
                                              role=payload[:40], is_primary=True))
        fill(campaign, payload)
        fill(lead, payload)
        lead.campaign_id = campaign.id
        lead.refresh_search_text()
        fill(account, payload, " account")
        account.refresh_derived()
        fill(contact, payload)
        contact.refresh_derived()
        fill(opportunity, payload, " deal")
        opportunity.campaign_id = campaign.id
        opportunity.close_date = today + timedelta(days=10)
        opportunity.refresh_derived(account.name)
        admin.name = payload[:120]
        db.session.flush()
        sales = build_sales(admin, opportunity, payload)
        db.session.commit()
        return {"lead": lead.id, "account": account.id, "contact": contact.id, "opportunity": opportunity.id,
                "campaign": campaign.id, "stage": opportunity.stage_id, **sales}


def build_sales(admin, opportunity, payload: str) -> dict:
    """A product in a price book, a line item, and the quote, order and invoice made from them,
    every text field (the lines' copied names and codes too) holding `payload`."""
    from decimal import Decimal

    from crm.models.sales import OpportunityLineItem, PriceBook, PriceBookEntry, Product
    from crm.sales import documents

    product = Product(code="P", name="P")
    fill(product, payload, " product")
    book = PriceBook(name="B", currency="EUR")
    fill(book, payload, " book")
    db.session.add_all([product, book])
    db.session.flush()
    db.session.add(PriceBookEntry(price_book_id=book.id, product_id=product.id, unit_price=Decimal("10")))
    item = OpportunityLineItem(opportunity_id=opportunity.id, product_id=product.id, name="n", quantity=Decimal(2),
                               unit_price=Decimal("10"), net_amount=Decimal("20.00"))
    fill(item, payload)
    db.session.add(item)
    opportunity.amount = Decimal("20.00")
    db.session.flush()
    quote = documents.create_quote(opportunity, actor=admin)
    fill(quote, payload, " quote")
    quote.notes = payload
    # A draft quote of another deal of the account: its line forms show.
    second = make_opportunity(account=opportunity.account, actor=admin, name="Second deal")
    db.session.add(OpportunityLineItem(opportunity_id=second.id, product_id=product.id, name=payload[:255],
                                       quantity=Decimal(1), unit_price=Decimal("10"), net_amount=Decimal("10.00")))
    db.session.flush()
    other = documents.create_quote(second, actor=admin)
    fill(other, payload, " draft")
    documents.present_quote(quote)
    order = documents.accept_quote(quote, actor=admin)
    invoice = documents.fulfil_order(order, actor=admin)
    return {"product": product.id, "book": book.id, "quote": quote.id, "draft_quote": other.id,
            "draft_line": other.lines[0].id, "order": order.id, "invoice": invoice.id,
            "invoice_line": invoice.lines[0].id}


def pages(ids: dict) -> list[tuple[str, bool]]:
    """(path, as an htmx fragment) for every page where a stored field shows."""
    lead, account, contact, opp, campaign = (ids[k] for k in ("lead", "account", "contact", "opportunity",
                                                                "campaign"))
    full = [
        "/", "/?scope=team",
        "/leads", "/leads?view=all", "/leads?view=recent", f"/leads?q={MARKER}", f"/leads/{lead}",
        f"/leads/{lead}/edit", f"/leads/{lead}/convert",
        "/leads/board", "/leads/duplicates", "/leads/duplicates?kind=contacts",
        "/accounts", "/accounts?view=all", f"/accounts?q={MARKER}", f"/accounts/{account}",
        f"/accounts/{account}/edit", f"/accounts/lookup?q={MARKER}",
        "/contacts", "/contacts?view=all", f"/contacts?q={MARKER}", f"/contacts/{contact}",
        f"/contacts/{contact}/edit", f"/contacts/new?account_q={MARKER}",
        "/opportunities", "/opportunities?view=all", f"/opportunities?q={MARKER}", f"/opportunities/{opp}",
        f"/opportunities/{opp}/edit", "/opportunities/board", f"/opportunities/{opp}/move",
        f"/opportunities/{opp}/contact-roles/lookup?contact_q={MARKER}", f"/opportunities/new?q={MARKER}",
        f"/opportunities/{opp}/fields/next_step", f"/opportunities/{opp}/fields/next_step/edit",
        "/campaigns", f"/campaigns/{campaign}", f"/campaigns/{campaign}/lookup?member_q={MARKER}",
        f"/activities/lead/{lead}", f"/activities/account/{account}", f"/activities/contact/{contact}",
        f"/activities/opportunity/{opp}",
        "/reports", "/reports/pipeline", "/reports/forecast", "/reports/leads", "/reports/win-rate",
        "/reports/speed-to-lead", "/reports/activities",
        "/admin/users", "/admin/campaigns", "/profile",
        "/admin/products", f"/admin/products?q={MARKER}", f"/admin/products/{ids['product']}/edit",
        "/admin/price-books", f"/admin/price-books/{ids['book']}",
        "/quotes", f"/quotes/{ids['quote']}", f"/quotes/{ids['draft_quote']}", f"/quotes/{ids['quote']}/print",
        f"/quotes/{ids['draft_quote']}/lines/{ids['draft_line']}/edit",
        "/orders", f"/orders/{ids['order']}", f"/orders/{ids['order']}/print",
        "/invoices", f"/invoices/{ids['invoice']}", f"/invoices/{ids['invoice']}/print",
        f"/invoices/{ids['invoice']}/lines/{ids['invoice_line']}/edit",
    ]
    fragments = [p for p in full if p.split("?")[0] in (
        "/leads", "/accounts", "/contacts", "/opportunities", "/campaigns", "/reports/pipeline", "/reports/leads",
        "/opportunities/board", "/leads/board", "/quotes", "/orders", "/invoices", "/admin/products")
        or p.startswith("/activities/") or "/lines/" in p]
    fragments += [f"/leads/{lead}/convert/related?account_id={account}",
                  f"/leads/{lead}/convert/related?contact_id={contact}"]
    return [(p, False) for p in full] + [(p, True) for p in fragments]


@pytest.mark.parametrize("payload", XSS)
def test_stored_payload_never_renders_live(app, admin, admin_client, payload):
    ids = build_world(app, admin.id, payload)
    shown_somewhere = False
    for path, fragment in pages(ids):
        headers = {"HX-Request": "true"} if fragment else {}
        response = admin_client.get(path, headers=headers)
        if response.status_code == 404 and path.startswith("/reports/"):
            continue  # a report this version does not have
        assert response.status_code == 200, (path, fragment, response.status_code, response.headers.get("Location"))
        html = response.get_data(as_text=True)
        assert live_markup(html) == [], (path, fragment)
        if evaluated := TEMPLATE_EVALUATED.get(payload):
            assert evaluated not in html, (path, fragment)
        shown_somewhere |= MARKER in text_of(html)
    assert shown_somewhere


@pytest.mark.parametrize("payload", [p for p in XSS if "zqattr" in p or "script" in p][:4])
def test_record_pages_show_the_payload_as_text(app, admin, admin_client, payload):
    """The check above is not vacuous: the record pages show the stored text, escaped."""
    ids = build_world(app, admin.id, payload)
    for path in (f"/leads/{ids['lead']}", f"/accounts/{ids['account']}", f"/contacts/{ids['contact']}",
                 f"/opportunities/{ids['opportunity']}", f"/campaigns/{ids['campaign']}", "/leads",
                 "/opportunities/board", f"/quotes/{ids['quote']}", f"/orders/{ids['order']}",
                 f"/invoices/{ids['invoice']}", "/admin/products"):
        html = admin_client.get(path).get_data(as_text=True)
        assert payload.replace("\u2028", "") in text_of(html).replace("\u2028", ""), path


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("payload", FORMULAS + [XSS[0]])
@pytest.mark.parametrize("list_name", ["leads", "accounts", "contacts", "opportunities"])
def test_exports_neutralise_formulas(app, admin, admin_client, payload, list_name):
    build_world(app, admin.id, payload)
    response = admin_client.get(f"/{list_name}/export.csv?view=all")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, "the export has the record"
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    if payload[0] in "=+-@\t\r":
        assert any(c.startswith("'") for c in cells)

    response = admin_client.get(f"/{list_name}/export.xlsx?view=all")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    values = [v for row in sheet.iter_rows(min_row=2, values_only=True) for v in row if isinstance(v, str)]
    assert values
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@", "\t", "\r")], values


@pytest.mark.parametrize("payload", ["=HYPERLINK(\"http://evil.example\",\"x\")", "@SUM(A1)"])
def test_report_exports_neutralise_formulas(app, admin, admin_client, payload):
    build_world(app, admin.id, payload)
    for name in ("pipeline", "forecast", "leads", "win-rate"):
        for fmt in ("csv", "xlsx"):
            response = admin_client.get(f"/reports/{name}/export.{fmt}")
            if response.status_code == 404:
                continue
            assert response.status_code == 200, (name, fmt)
            if fmt == "csv":
                cells = [c for row in csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
                         for c in row]
            else:
                sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
                cells = [v for row in sheet.iter_rows(values_only=True) for v in row if isinstance(v, str)]
            assert not [c for c in cells if c[:1] in ("=", "@")], (name, fmt, cells)


@pytest.mark.parametrize("payload", [XSS[0], XSS[2], XSS[11], XSS[19]])
def test_flash_messages_show_names_as_text(app, admin, admin_client, payload):
    """Messages that name a record (deleted, restored, converted) escape the name."""
    from tests.conftest import csrf_token

    ids = build_world(app, admin.id, payload)
    token = csrf_token(admin_client, "/leads")
    for path in (f"/leads/{ids['lead']}/delete", f"/leads/{ids['lead']}/restore",
                 f"/opportunities/{ids['opportunity']}/delete"):
        for headers in ({}, {"HX-Request": "true"}):
            response = admin_client.post(path, data={"csrf_token": token}, headers=headers, follow_redirects=True)
            assert response.status_code < 500, path
            assert live_markup(response.get_data(as_text=True)) == [], path
    html = admin_client.get("/leads?view=all").get_data(as_text=True)
    assert live_markup(html) == []
