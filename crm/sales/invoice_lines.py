"""What may change on a draft invoice: its issue and due dates, and each line's tax rate.

Services flush and never commit (the route commits). A sent or paid invoice is what the customer
received: nothing on it changes any more.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models.sales import Invoice, InvoiceLine
from crm.models.user import utcnow
from crm.sales import money
from crm.sales.documents import AmountTooLarge, DocumentError, set_totals

MAX_RATE = Decimal(100)
RATE_STEP = Decimal("0.01")


class InvoiceNotDraft(DocumentError):
    message = _l("Only a draft invoice can be changed.")


class InvalidTaxRate(DocumentError):
    message = _l("Enter a tax rate between 0 and 100, with at most two decimals (for example 20 or 5.5).")


class DueBeforeIssue(DocumentError):
    message = _l("The due date cannot be before the issue date.")


class MissingDate(DocumentError):
    message = _l("Enter a date.")


def parse_tax_rate(text) -> Decimal:
    """A tax rate as typed: "20", "5.5", "5,5" (French), "20 %". :raises InvalidTaxRate:"""
    if isinstance(text, Decimal | int):
        rate = Decimal(text)
    else:
        raw = str(text or "").strip().removesuffix("%").strip().replace("\u00a0", "").replace(" ", "")
        if "," in raw and "." not in raw:
            raw = raw.replace(",", ".")  # a percentage has no thousands: the comma is the decimal sign
        if not raw or len(raw) > 12:
            raise InvalidTaxRate()
        try:
            rate = Decimal(raw)
        except (InvalidOperation, ValueError):
            raise InvalidTaxRate() from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE or rate != rate.quantize(RATE_STEP):
        raise InvalidTaxRate()
    return rate.quantize(RATE_STEP)


def _check_draft(invoice: Invoice) -> None:
    if invoice.status != "Draft":
        raise InvoiceNotDraft()


def set_line_tax_rate(line: InvoiceLine, rate) -> None:
    """Change one line's tax rate: its tax amount (rounded once) and the invoice's totals follow.
    :raises InvoiceNotDraft, InvalidTaxRate, AmountTooLarge:"""
    invoice = line.invoice
    _check_draft(invoice)
    rate = parse_tax_rate(rate)
    try:
        tax = money.line_tax(line.net_amount, rate)
    except money.MoneyError:
        raise AmountTooLarge() from None
    line.tax_rate, line.tax_amount = rate, tax
    set_totals(invoice)
    invoice.updated_at = utcnow()
    db.session.flush()


def set_invoice_dates(invoice: Invoice, issue_date: date | None, due_date: date | None) -> None:
    """Change the issue and due dates; the due date is on or after the issue date.
    :raises InvoiceNotDraft, MissingDate, DueBeforeIssue:"""
    _check_draft(invoice)
    if issue_date is None or due_date is None:
        raise MissingDate()
    if due_date < issue_date:
        raise DueBeforeIssue()
    invoice.issue_date, invoice.due_date, invoice.updated_at = issue_date, due_date, utcnow()
    db.session.flush()
