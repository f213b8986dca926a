"""Changing a draft quote: adding a product of its price book, its lines (quantity, unit price,
discount, tax rate), removing a line, and its details (valid-until date, billing and shipping addresses, notes).

Every change recomputes the line's net and tax (crm/sales/money.py) and the quote's stored
totals (documents.set_totals). Services flush and never commit; a quote that is no longer a
draft refuses every change (documents.QuoteNotDraft).
"""

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models.sales import PriceBookEntry, Product, Quote, QuoteLine
from crm.models.user import utcnow
from crm.opportunities.services import InvalidAmount, parse_amount
from crm.sales import documents, money
from crm.sales.documents import ADDRESS_PARTS, DocumentError, QuoteNotDraft

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ADDRESS_LENGTHS = {"street": 255, "city": 40, "state": 80, "postal_code": 20, "country": 80}
NOTES_MAX = 4000


class InvalidLineValue(DocumentError):
    """A value typed into a line is not allowed; `field` names it."""

    def __init__(self, field: str, message):
        super().__init__(message)
        self.field, self.message = field, message


class ValidUntilInPast(DocumentError):
    message = _l("The valid-until date cannot be in the past.")


class ValueTooLong(DocumentError):
    def __init__(self, field: str, limit: int):
        super().__init__(field)
        self.field = field
        self.message = _l("At most %(num)s characters.", num=limit)


def _require_draft(quote: Quote) -> None:
    if quote.status != "Draft":
        raise QuoteNotDraft()


def _number(field: str, raw, *, low: Decimal, high: Decimal, low_inclusive: bool = True) -> Decimal:
    """A number typed in the reader's notation, with two decimals at most, within its bounds."""
    messages = {
        "quantity": _l("Enter a quantity above 0 with at most two decimals."),
        "unit_price": _l("Enter a price of 0 or more with at most two decimals."),
        "discount_percent": _l("Enter a discount between 0 and 100 with at most two decimals."),
        "tax_rate": _l("Enter a tax rate between 0 and 100 with at most two decimals."),
    }
    if raw is None or str(raw).strip() == "":
        raise InvalidLineValue(field, messages[field])
    try:
        value = parse_amount(raw)
    except InvalidAmount:
        raise InvalidLineValue(field, messages[field]) from None
    if (not value.is_finite() or value > high or (value < low if low_inclusive else value <= low)
            or value != value.quantize(CENT)):
        raise InvalidLineValue(field, messages[field])
    return value.quantize(CENT)


def parse_line_values(quantity, unit_price, discount_percent, tax_rate) -> dict:
    """The four editable values of a line, checked. :raises InvalidLineValue: the first bad one."""
    return {
        "quantity": _number("quantity", quantity, low=Decimal(0), high=money.MAX_QUANTITY, low_inclusive=False),
        "unit_price": _number("unit_price", unit_price, low=Decimal(0), high=money.MAX_MONEY),
        "discount_percent": _number("discount_percent", discount_percent, low=Decimal(0), high=HUNDRED),
        "tax_rate": _number("tax_rate", tax_rate, low=Decimal(0), high=HUNDRED),
    }


def add_quote_line(quote: Quote, *, product_id, quantity, unit_price=None, discount_percent=None) -> QuoteLine:
    """A product of the quote's price book added to a draft quote, last, at the book's price
    unless another is typed, with no discount unless one is typed, and its product's tax rate.
    Only the quote changes: the opportunity's products stay as they are (as in Salesforce, the
    quote is a proposal; accepting it copies its lines onto the opportunity).

    :raises QuoteNotDraft, InvalidLineValue (field "product_id" for a product not in the book),
        AmountTooLarge:
    """
    _require_draft(quote)
    row = db.session.execute(
        sa.select(PriceBookEntry, Product).join(Product, Product.id == PriceBookEntry.product_id)
        .where(PriceBookEntry.price_book_id == quote.price_book_id, PriceBookEntry.product_id == product_id,
               PriceBookEntry.active.is_(True), Product.active.is_(True))).first() if quote.price_book_id else None
    if row is None:
        raise InvalidLineValue("product_id", _l("Choose a product of the quote's price book."))
    entry, product = row
    blank = lambda value: value is None or str(value).strip() == ""  # noqa: E731
    values = parse_line_values(quantity, entry.unit_price if blank(unit_price) else unit_price,
                               0 if blank(discount_percent) else discount_percent, product.tax_rate)
    try:
        net = money.line_net(values["quantity"], values["unit_price"], values["discount_percent"])
        tax = money.line_tax(net, values["tax_rate"])
    except money.MoneyError:
        raise documents.AmountTooLarge() from None
    line = QuoteLine(position=max((other.position for other in quote.lines), default=0) + 1,
                     product_id=product.id, product_code=product.code, name=product.name,
                     net_amount=net, tax_amount=tax, **values)
    quote.lines.append(line)
    documents.set_totals(quote)
    quote.updated_at = utcnow()
    db.session.flush()
    return line


def update_quote_line(quote: Quote, line: QuoteLine, *, quantity, unit_price, discount_percent, tax_rate) -> QuoteLine:
    """Change a draft quote's line and recompute its amounts and the quote's totals.

    Values may be Decimals or text as typed ("1 234,50" in French).
    :raises QuoteNotDraft, InvalidLineValue, AmountTooLarge:
    """
    _require_draft(quote)
    if line.quote_id != quote.id:
        raise ValueError("the line belongs to another quote")
    values = parse_line_values(quantity, unit_price, discount_percent, tax_rate)
    try:
        net = money.line_net(values["quantity"], values["unit_price"], values["discount_percent"])
        tax = money.line_tax(net, values["tax_rate"])
    except money.MoneyError:
        raise documents.AmountTooLarge() from None
    for name, value in values.items():
        setattr(line, name, value)
    line.net_amount, line.tax_amount = net, tax
    documents.set_totals(quote)
    quote.updated_at = utcnow()
    db.session.flush()
    return line


def remove_quote_line(quote: Quote, line: QuoteLine) -> None:
    """Take a line off a draft quote; the totals follow. :raises QuoteNotDraft:"""
    _require_draft(quote)
    if line.quote_id != quote.id:
        raise ValueError("the line belongs to another quote")
    quote.lines.remove(line)
    db.session.delete(line)
    documents.set_totals(quote)
    quote.updated_at = utcnow()
    db.session.flush()


def update_quote_details(quote: Quote, *, valid_until: date | None, addresses: dict | None = None,
                         notes: str | None = None, today: date | None = None) -> None:
    """The valid-until date, the addresses (keys like billing_city) and the notes of a draft quote.

    :raises QuoteNotDraft, ValidUntilInPast, ValueTooLong:
    """
    _require_draft(quote)
    today = today or date.today()
    if valid_until is not None and valid_until < today:
        raise ValidUntilInPast()
    cleaned = {}
    for kind in ("billing", "shipping"):
        for part in ADDRESS_PARTS:
            name = f"{kind}_{part}"
            value = ((addresses or {}).get(name) or "").strip() or None
            if value and len(value) > ADDRESS_LENGTHS[part]:
                raise ValueTooLong(name, ADDRESS_LENGTHS[part])
            cleaned[name] = value
    notes = (notes or "").strip() or None
    if notes and len(notes) > NOTES_MAX:
        raise ValueTooLong("notes", NOTES_MAX)
    quote.valid_until = valid_until
    for name, value in cleaned.items():
        setattr(quote, name, value)
    quote.notes = notes
    quote.updated_at = utcnow()
    db.session.flush()
