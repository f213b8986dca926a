"""crm/sales/invoice_lines.py and the invoice flow services: tax rates, dates, statuses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models.sales import Invoice
from crm.sales import documents, invoice_lines
from tests.factories import make_user
from tests.orders.helpers import make_invoice, make_order


@pytest.mark.parametrize(("typed", "rate"), [
    ("20", Decimal("20.00")), ("5.5", Decimal("5.50")), ("5,5", Decimal("5.50")), ("0", Decimal("0.00")),
    ("100", Decimal("100.00")), (" 19,25 % ", Decimal("19.25")), (Decimal("7"), Decimal("7.00")),
])
def test_tax_rates_as_typed(typed, rate):
    assert invoice_lines.parse_tax_rate(typed) == rate


@pytest.mark.parametrize("typed", ["", "abc", "-1", "100.01", "5.555", "1e3", "NaN", "Infinity", "1,000.5", None])
def test_bad_tax_rates_are_refused(typed):
    with pytest.raises(invoice_lines.InvalidTaxRate):
        invoice_lines.parse_tax_rate(typed)


def test_tax_rate_recomputes_the_line_and_the_totals_exactly(app_ctx):
    invoice = make_invoice()
    first, second = invoice.lines
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (Decimal("5150.00"), 0, Decimal("5150.00"))
    invoice_lines.set_line_tax_rate(first, "20")
    assert first.tax_amount == Decimal("648.00")
    assert (invoice.tax_total, invoice.total) == (Decimal("648.00"), Decimal("5798.00"))
    invoice_lines.set_line_tax_rate(second, "5,5")
    db.session.commit()
    db.session.expire_all()
    invoice = db.session.get(Invoice, invoice.id)
    assert [line.tax_rate for line in invoice.lines] == [Decimal("20.00"), Decimal("5.50")]
    assert [line.tax_amount for line in invoice.lines] == [Decimal("648.00"), Decimal("105.05")]
    assert invoice.net_total == Decimal("5150.00")
    assert invoice.tax_total == Decimal("753.05")
    assert invoice.total == Decimal("5903.05")


def test_a_bad_rate_changes_nothing(app_ctx):
    invoice = make_invoice()
    line = invoice.lines[0]
    with pytest.raises(invoice_lines.InvalidTaxRate):
        invoice_lines.set_line_tax_rate(line, "120")
    assert line.tax_rate == 0 and invoice.tax_total == 0


def test_only_a_draft_invoice_changes(app_ctx):
    invoice = make_invoice()
    documents.send_invoice(invoice)
    with pytest.raises(invoice_lines.InvoiceNotDraft):
        invoice_lines.set_line_tax_rate(invoice.lines[0], "20")
    with pytest.raises(invoice_lines.InvoiceNotDraft):
        invoice_lines.set_invoice_dates(invoice, date(2026, 1, 1), date(2026, 2, 1))
    assert invoice.lines[0].tax_rate == 0


def test_dates(app_ctx):
    invoice = make_invoice()
    invoice_lines.set_invoice_dates(invoice, date(2026, 3, 1), date(2026, 3, 1))
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 3, 1), date(2026, 3, 1))
    with pytest.raises(invoice_lines.DueBeforeIssue):
        invoice_lines.set_invoice_dates(invoice, date(2026, 3, 2), date(2026, 3, 1))
    with pytest.raises(invoice_lines.MissingDate):
        invoice_lines.set_invoice_dates(invoice, None, date(2026, 3, 1))
    assert invoice.issue_date == date(2026, 3, 1)


def test_fulfil_makes_one_invoice_with_the_order_lines_and_totals(app_ctx):
    actor = make_user()
    order = make_order(actor=actor, rates=("20", "5.5"))
    assert order.status == "Open"
    assert (order.net_total, order.tax_total, order.total) == (
        Decimal("5150.00"), Decimal("753.05"), Decimal("5903.05"))
    invoice = documents.fulfil_order(order, actor=actor, today=date(2026, 11, 24))
    db.session.commit()
    assert order.status == "Fulfilled"
    assert invoice.number == "INV-00001" and invoice.status == "Draft"
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 11, 24), date(2026, 12, 24))
    assert [(line.name, line.quantity, line.unit_price, line.tax_rate, line.tax_amount) for line in invoice.lines] == [
        (line.name, line.quantity, line.unit_price, line.tax_rate, line.tax_amount) for line in order.lines]
    assert (invoice.net_total, invoice.tax_total, invoice.total) == (order.net_total, order.tax_total, order.total)
    with pytest.raises(documents.OrderNotOpen):
        documents.fulfil_order(order, actor=actor)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invoice)) == 1


def test_cancel(app_ctx):
    order = make_order()
    documents.cancel_order(order)
    assert order.status == "Cancelled"
    with pytest.raises(documents.OrderNotOpen):
        documents.fulfil_order(order, actor=make_user())


def test_status_flow_and_overdue(app_ctx):
    invoice = make_invoice()
    with pytest.raises(documents.InvoiceStatusError):
        documents.mark_invoice_paid(invoice)  # Draft → Paid
    documents.send_invoice(invoice)
    today = invoice.due_date + timedelta(days=1)
    assert invoice.display_status(invoice.due_date) == "Sent"
    assert invoice.display_status(today) == "Overdue"
    documents.mark_invoice_paid(invoice)
    assert invoice.status == "Paid" and invoice.display_status(today) == "Paid"
    with pytest.raises(documents.InvoiceStatusError):
        documents.send_invoice(invoice)  # Paid → Sent
