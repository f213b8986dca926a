"""The documents of a sale, each made from the one before: opportunity line items → quote →
order (when the customer accepts the quote) → invoice (when the order is fulfilled).

Services flush and never commit: the route commits once, so accepting a quote (close the
opportunity won, accept this quote, supersede the others, make the order) is all or nothing.
"""

from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from crm.extensions import db
from crm.models import Account, Opportunity, Stage, User
from crm.models.sales import (
    Invoice,
    InvoiceLine,
    OpportunityLineItem,
    OrderLine,
    PriceBook,
    Product,
    Quote,
    QuoteLine,
    SalesOrder,
)
from crm.models.user import utcnow
from crm.sales import money
from crm.sales.numbering import next_number

QUOTE_VALID_DAYS = 30  # a new quote's valid-until date, from today
INVOICE_DUE_DAYS = 30  # an invoice's due date, from its issue date ("net 30")
ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")
OPEN_QUOTE_STATUSES = ("Draft", "Presented")
# Every status of a quote, order or invoice, in the reader's language (the Jinja filter
# `document_status`); stored in English.
STATUS_LABELS = {
    "Draft": _l("Draft"), "Presented": _l("Presented"), "Accepted": _l("Accepted"), "Denied": _l("Denied"),
    "Superseded": _l("Superseded"), "Open": _l("Open"), "Fulfilled": _l("Fulfilled"),
    "Cancelled": _l("Cancelled"), "Paid": _l("Paid"), "Overdue": _l("Overdue"),
    # In context: a sent campaign email is "Envoyé", a sent invoice (une facture) "Envoyée".
    "Sent": _lp("invoice status", "Sent"),
}


def status_label(status: str | None) -> str:
    """A document status in the reader's language (a Jinja filter: `{{ quote.status | document_status }}`)."""
    return str(STATUS_LABELS.get(status, status or ""))


class DocumentError(Exception):
    """A rule of the sales documents was broken; `message` is for the user."""

    message = _l("This change is not allowed.")

    def __str__(self) -> str:
        return str(self.message)


class OpportunityLost(DocumentError):
    message = _l("The opportunity is closed lost: its quotes can no longer be accepted.")


class OpportunityClosed(DocumentError):
    message = _l("The opportunity is closed: reopen it on its path to quote it again.")


class QuoteNotPresented(DocumentError):
    message = _l("Present the quote to the customer before marking it accepted or denied.")


class QuoteClosed(DocumentError):
    message = _l("This quote is closed: accepted, denied or superseded.")


class QuoteNotDraft(DocumentError):
    message = _l("Only a draft quote can be changed. Revise the quote to change it.")


class QuoteHasNoLines(DocumentError):
    message = _l("Add at least one product before presenting the quote.")


class NoWonStage(DocumentError):
    message = _l("The opportunity's pipeline has no won stage to close it in.")


class OrderNotOpen(DocumentError):
    message = _l("Only an open order can be fulfilled or cancelled.")


class InvoiceStatusError(DocumentError):
    message = _l("An invoice goes from Draft to Sent to Paid.")


class AmountTooLarge(DocumentError):
    message = _l("The amount is too large.")


# Reading

def standard_price_book() -> PriceBook | None:
    return db.session.scalar(sa.select(PriceBook).where(PriceBook.is_standard))


def price_book_of(opportunity: Opportunity) -> PriceBook | None:
    """The opportunity's price book, else the standard one."""
    if opportunity.price_book_id:
        return db.session.get(PriceBook, opportunity.price_book_id)
    return standard_price_book()


def line_items(opportunity: Opportunity) -> list[OpportunityLineItem]:
    return list(db.session.scalars(
        sa.select(OpportunityLineItem).where(OpportunityLineItem.opportunity_id == opportunity.id)
        .order_by(OpportunityLineItem.position, OpportunityLineItem.id)))


def quotes_of(opportunity: Opportunity) -> list[Quote]:
    """The opportunity's quotes, newest number first, each number's revisions newest first."""
    return list(db.session.scalars(
        sa.select(Quote).where(Quote.opportunity_id == opportunity.id)
        .order_by(Quote.number.desc(), Quote.revision.desc())))


def won_stage(opportunity: Opportunity) -> Stage:
    """The first won stage of the opportunity's pipeline. :raises NoWonStage:"""
    stage = db.session.scalar(
        sa.select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id, Stage.is_closed, Stage.is_won)
        .order_by(Stage.position, Stage.id).limit(1))
    if stage is None:
        raise NoWonStage()
    return stage


# Copying

def copy_addresses(document, account: Account) -> None:
    """Billing from the account's billing address; shipping from its shipping address, or the
    billing one when the account has none."""
    has_shipping = any(getattr(account, f"shipping_{part}") for part in ADDRESS_PARTS)
    for part in ADDRESS_PARTS:
        billing = getattr(account, f"billing_{part}")
        setattr(document, f"billing_{part}", billing)
        setattr(document, f"shipping_{part}", getattr(account, f"shipping_{part}") if has_shipping else billing)


def copy_document_addresses(target, source) -> None:
    for kind in ("billing", "shipping"):
        for part in ADDRESS_PARTS:
            setattr(target, f"{kind}_{part}", getattr(source, f"{kind}_{part}"))


def _copy_line(source, line_class, tax_rate=None):
    line = line_class(
        position=source.position, product_id=source.product_id, product_code=source.product_code,
        name=source.name, description=source.description, quantity=source.quantity, unit_price=source.unit_price,
        discount_percent=source.discount_percent, net_amount=source.net_amount)
    rate = getattr(source, "tax_rate", None) if tax_rate is None else tax_rate
    if line_class is not OpportunityLineItem:
        line.tax_rate = rate or 0
        line.tax_amount = money.line_tax(line.net_amount, line.tax_rate)
    return line


def set_totals(document) -> None:
    """The document's stored totals from its lines. :raises AmountTooLarge:"""
    try:
        sums = money.totals(document.lines)
    except money.MoneyError:
        raise AmountTooLarge() from None
    document.net_total, document.tax_total, document.total = sums.net, sums.tax, sums.total


# Quotes

def create_quote(opportunity: Opportunity, *, actor: User, name: str | None = None,
                 valid_until: date | None = None, today: date | None = None) -> Quote:
    """A draft quote of the opportunity: its line items (each with its product's tax rate), the
    account's addresses and the price book's currency. :raises OpportunityClosed:"""
    if opportunity.stage.is_closed:
        raise OpportunityClosed()
    book = price_book_of(opportunity)
    today = today or date.today()
    quote = Quote(number=next_number("quote"), revision=0, name=(name or opportunity.name)[:120],
                  status="Draft", valid_until=valid_until or today + timedelta(days=QUOTE_VALID_DAYS),
                  currency=book.currency if book else "EUR", price_book_id=book.id if book else None,
                  opportunity_id=opportunity.id, account_id=opportunity.account_id, created_by_id=actor.id)
    copy_addresses(quote, db.session.get(Account, opportunity.account_id))
    items = line_items(opportunity)
    product_ids = [item.product_id for item in items if item.product_id]
    rates = dict(db.session.execute(sa.select(Product.id, Product.tax_rate).where(
        Product.id.in_(product_ids))).all()) if product_ids else {}
    quote.lines = [_copy_line(item, QuoteLine, tax_rate=rates.get(item.product_id, 0)) for item in items]
    set_totals(quote)
    db.session.add(quote)
    db.session.flush()
    return quote


def revise_quote(quote: Quote, *, actor: User, today: date | None = None) -> Quote:
    """A new draft revision of the quote (same number, next revision, same lines); the quote it
    replaces is superseded. :raises QuoteClosed, OpportunityClosed:"""
    if quote.status not in OPEN_QUOTE_STATUSES and quote.status != "Denied":
        raise QuoteClosed()
    opportunity = db.session.get(Opportunity, quote.opportunity_id)
    if opportunity.stage.is_closed:
        raise OpportunityClosed()
    today = today or date.today()
    latest = db.session.scalar(sa.select(sa.func.max(Quote.revision)).where(Quote.number == quote.number))
    revision = Quote(number=quote.number, revision=latest + 1, name=quote.name, status="Draft",
                     valid_until=max(quote.valid_until or today, today + timedelta(days=QUOTE_VALID_DAYS)),
                     currency=quote.currency, price_book_id=quote.price_book_id, notes=quote.notes,
                     opportunity_id=quote.opportunity_id, account_id=quote.account_id, created_by_id=actor.id)
    copy_document_addresses(revision, quote)
    revision.lines = [_copy_line(line, QuoteLine) for line in quote.lines]
    set_totals(revision)
    if quote.status in OPEN_QUOTE_STATUSES:
        quote.status, quote.closed_at = "Superseded", utcnow()
    quote.updated_at = utcnow()
    db.session.add(revision)
    db.session.flush()
    return revision


def present_quote(quote: Quote) -> None:
    """Draft → Presented: shown to the customer, no longer edited. :raises QuoteNotDraft, QuoteHasNoLines:"""
    if quote.status != "Draft":
        raise QuoteNotDraft()
    if not quote.lines:
        raise QuoteHasNoLines()
    quote.status, quote.presented_at, quote.updated_at = "Presented", utcnow(), utcnow()
    db.session.flush()


def deny_quote(quote: Quote) -> None:
    """Presented → Denied: the customer said no; the opportunity stays open. :raises QuoteNotPresented:"""
    if quote.status != "Presented":
        raise QuoteNotPresented() if quote.status == "Draft" else QuoteClosed()
    quote.status, quote.closed_at, quote.updated_at = "Denied", utcnow(), utcnow()
    db.session.flush()


def accept_quote(quote: Quote, *, actor: User) -> SalesOrder:
    """The customer accepted: close the opportunity won through the path's own service, take the
    quote's lines as the opportunity's (its amount becomes the quote's net total), supersede the
    opportunity's other open quotes and make the order. All in the caller's transaction.

    :raises OpportunityLost, QuoteNotPresented, QuoteClosed, NoWonStage:
    """
    from crm.opportunities import services as opportunity_services  # the path's service

    opportunity = db.session.get(Opportunity, quote.opportunity_id)
    # Claim the opportunity first (change_stage's write lock) by reading its stage afterwards:
    # a concurrent accept of another quote of the same deal waits here, then finds it won.
    db.session.execute(sa.update(Opportunity).where(Opportunity.id == opportunity.id)
                       .values(updated_at=utcnow(), updated_by_id=actor.id)
                       .execution_options(synchronize_session=False))
    db.session.refresh(opportunity)
    db.session.refresh(quote)
    if opportunity.stage.is_lost:
        raise OpportunityLost()
    if quote.status != "Presented":
        raise QuoteNotPresented() if quote.status == "Draft" else QuoteClosed()
    if opportunity.stage.is_closed:  # won already: by another quote, or by hand on the path
        raise QuoteClosed()
    opportunity_services.change_stage(opportunity, won_stage(opportunity), actor=actor)
    now = utcnow()
    quote.status, quote.closed_at, quote.updated_at = "Accepted", now, now
    for other in db.session.scalars(sa.select(Quote).where(
            Quote.opportunity_id == opportunity.id, Quote.id != quote.id, Quote.status.in_(OPEN_QUOTE_STATUSES))):
        other.status, other.closed_at, other.updated_at = "Superseded", now, now
    # The won deal is worth what the customer accepted.
    db.session.execute(sa.delete(OpportunityLineItem).where(OpportunityLineItem.opportunity_id == opportunity.id))
    for line in quote.lines:
        item = _copy_line(line, OpportunityLineItem)
        item.opportunity_id = opportunity.id
        db.session.add(item)
    opportunity.amount = quote.net_total
    opportunity.price_book_id = quote.price_book_id or opportunity.price_book_id
    order = create_order(quote, actor=actor)
    db.session.flush()
    return order


# Orders

def create_order(quote: Quote, *, actor: User) -> SalesOrder:
    """An open order with the accepted quote's lines, addresses, currency and totals."""
    order = SalesOrder(number=next_number("order"), name=quote.name, status="Open", quote_id=quote.id,
                       currency=quote.currency, opportunity_id=quote.opportunity_id, account_id=quote.account_id,
                       notes=quote.notes, created_by_id=actor.id)
    copy_document_addresses(order, quote)
    order.lines = [_copy_line(line, OrderLine) for line in quote.lines]
    set_totals(order)
    db.session.add(order)
    db.session.flush()
    return order


def fulfil_order(order: SalesOrder, *, actor: User, today: date | None = None) -> Invoice:
    """Open → Fulfilled, and the order's draft invoice. :raises OrderNotOpen:"""
    if order.status != "Open":
        raise OrderNotOpen()
    now = utcnow()
    order.status, order.fulfilled_at, order.updated_at = "Fulfilled", now, now
    invoice = create_invoice(order, actor=actor, today=today)
    db.session.flush()
    return invoice


def cancel_order(order: SalesOrder) -> None:
    """Open → Cancelled (the opportunity stays won: reopen it on its path if the deal is off)."""
    if order.status != "Open":
        raise OrderNotOpen()
    order.status, order.updated_at = "Cancelled", utcnow()
    db.session.flush()


# Invoices

def create_invoice(order: SalesOrder, *, actor: User, today: date | None = None) -> Invoice:
    """A draft invoice of the order: issued today, due in INVOICE_DUE_DAYS, the order's lines."""
    today = today or date.today()
    invoice = Invoice(number=next_number("invoice"), name=order.name, status="Draft", order_id=order.id,
                      issue_date=today, due_date=today + timedelta(days=INVOICE_DUE_DAYS), currency=order.currency,
                      opportunity_id=order.opportunity_id, account_id=order.account_id, notes=order.notes,
                      created_by_id=actor.id)
    copy_document_addresses(invoice, order)
    invoice.lines = [_copy_line(line, InvoiceLine) for line in order.lines]
    set_totals(invoice)
    db.session.add(invoice)
    db.session.flush()
    return invoice


def send_invoice(invoice: Invoice) -> None:
    """Draft → Sent. :raises InvoiceStatusError:"""
    if invoice.status != "Draft":
        raise InvoiceStatusError()
    invoice.status, invoice.sent_at, invoice.updated_at = "Sent", utcnow(), utcnow()
    db.session.flush()


def mark_invoice_paid(invoice: Invoice) -> None:
    """Sent (or overdue) → Paid. :raises InvoiceStatusError:"""
    if invoice.status != "Sent":
        raise InvoiceStatusError()
    invoice.status, invoice.paid_at, invoice.updated_at = "Paid", utcnow(), utcnow()
    db.session.flush()
