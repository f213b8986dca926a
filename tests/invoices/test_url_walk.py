"""Private sharing for every orders and invoices rule, walked from the URL map (so that a route
added later is covered): with another rep's order, invoice and invoice line, each GET and POST,
page or htmx, answers 404 to a rep and changes nothing; a manager gets the GETs."""

import sqlalchemy as sa

from crm.extensions import db
from crm.models.sales import Invoice, InvoiceLine, SalesOrder
from crm.sales import documents
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import make_user
from tests.orders.helpers import make_invoice, make_order
from tests.sharing.world import set_mode

HX = {"HX-Request": "true"}


def world(app) -> dict:
    with app.app_context():
        make_user(email="chief@example.com", role="admin")
        make_user(email="boss@example.com", role="manager")
        make_user(email="me@example.com", role="rep")
        other = make_user(email="other@example.com", role="rep")
        invoice = make_invoice(actor=other)
        open_order = make_order(actor=other)
        documents.send_invoice(invoice)
        db.session.commit()
        set_mode("private")
        return {"order_id": open_order.id, "invoice_id": invoice.id, "line_id": invoice.lines[0].id}


def snapshot():
    return (sorted(db.session.execute(sa.select(SalesOrder.id, SalesOrder.status, SalesOrder.updated_at)).all()),
            sorted(db.session.execute(sa.select(Invoice.id, Invoice.status, Invoice.issue_date, Invoice.due_date,
                                                Invoice.total)).all()),
            sorted(db.session.execute(sa.select(InvoiceLine.id, InvoiceLine.tax_rate)).all()))


def urls(app, ids: dict) -> list[tuple[str, str, set]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith(("orders.", "invoices.")) or not rule.arguments:
            continue
        assert rule.arguments <= set(ids), f"unknown argument in {rule.rule}"
        found.append((rule.endpoint, rule.build({k: ids[k] for k in rule.arguments}, append_unknown=False)[1],
                      rule.methods - {"HEAD", "OPTIONS"}))
    return found


def test_every_order_and_invoice_url_is_404_for_a_rep_in_private_mode(app):
    ids = world(app)
    walked = urls(app, ids)
    assert {"orders.show", "orders.fulfil", "orders.cancel", "orders.pdf", "invoices.show", "invoices.save_line",
            "invoices.save_dates", "invoices.send", "invoices.paid", "invoices.pdf"} <= {e for e, _u, _m in walked}
    with app.app_context():
        before = snapshot()
    rep = app.test_client()
    assert login(rep, "me@example.com", PASSWORD).status_code == 303
    token = csrf_token(rep, "/")
    checked = 0
    for endpoint, url, methods in walked:
        for headers in ({}, HX):
            if "GET" in methods:
                assert rep.get(url, headers=headers).status_code == 404, f"GET {url} ({endpoint})"
                checked += 1
            if "POST" in methods:
                status = rep.post(url, headers=headers, data={
                    "csrf_token": token, "issue_date": "2026-01-01", "due_date": "2026-02-01",
                    f"line{ids['line_id']}-tax_rate": "20"}).status_code
                assert status == 404, f"POST {url} ({endpoint}) answered {status}"
                checked += 1
    assert checked >= 32
    with app.app_context():
        assert snapshot() == before
    manager = app.test_client()
    assert login(manager, "boss@example.com", PASSWORD).status_code == 303
    for endpoint, url, methods in walked:
        if "GET" in methods and not endpoint.endswith(("edit_line", "edit_dates")):
            status = manager.get(url, headers=HX).status_code
            assert status == 200, f"GET {url} ({endpoint}) answered {status} to a manager"
