"""An opportunity's line items (its products) and the amount they add up to.

While an opportunity has lines its amount is their sum: every add, change and removal sets it
again (recalculate_amount), and a typed amount is ignored (crm/opportunities/services.py
update_opportunity). When the last line goes the amount stays at 0 and can be typed again.
Lines of a closed (won or lost) opportunity are not changed here: accepting a quote replaces
them (crm/sales/documents.py accept_quote).

Every change first claims the opportunity's row with a write (PostgreSQL locks it until the
transaction ends): two people changing lines of the same deal at once both count the other's
line in the amount. Services flush and never commit: the route commits once.
"""

from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import Opportunity, User
from crm.models.sales import OpportunityLineItem, PriceBook, PriceBookEntry, Product
from crm.models.user import utcnow
from crm.sales import money
from crm.sales.documents import AmountTooLarge, DocumentError, line_items, price_book_of

CENT = Decimal("0.01")
LIMIT = Decimal("1e20")  # past any column: refused before quantize() runs out of digits


class LinesLocked(DocumentError):
    message = _l("The opportunity is closed: reopen it on its path to change its products.")


class LinesExist(DocumentError):
    message = _l("Remove the products before changing the price book.")


class PriceBookInactive(DocumentError):
    message = _l("Choose an active price book.")


class NoPriceBook(DocumentError):
    message = _l("There is no price book yet: an administrator must create one.")


class ProductNotInBook(DocumentError):
    message = _l("Choose a product of the opportunity's price book.")


class InvalidQuantity(DocumentError):
    message = _l("The quantity must be a number greater than 0, with at most two decimals.")


class InvalidUnitPrice(DocumentError):
    message = _l("The unit price must be a number of 0 or more, with at most two decimals.")


class InvalidDiscount(DocumentError):
    message = _l("The discount must be a number between 0 and 100, with at most two decimals.")


class AmountComputed(DocumentError):
    message = _l("Computed from the products")


# Reading

def has_line_items(opportunity: Opportunity) -> bool:
    if opportunity.id is None:
        return False
    return bool(db.session.scalar(sa.select(sa.exists().where(
        OpportunityLineItem.opportunity_id == opportunity.id))))


def book_entries(price_book_id: int | None) -> list[tuple[PriceBookEntry, Product]]:
    """(entry, product) of the active products with an active entry in the book, by product name
    (the catalog's own list: crm/catalog/services.py)."""
    from crm.catalog.services import entries_for

    return entries_for(price_book_id) if price_book_id is not None else []


def active_price_books() -> list[PriceBook]:
    return list(db.session.scalars(sa.select(PriceBook).where(PriceBook.active)
                                   .order_by(PriceBook.is_standard.desc(), PriceBook.name)))


# Parsing: what was typed, in the reader's notation ("2,5" in French)

def _number(value, error: type[DocumentError]) -> Decimal:
    from crm.opportunities.services import InvalidAmount, parse_amount

    if isinstance(value, float):
        raise TypeError("quantities and prices are never floats")
    try:
        number = parse_amount(value)
    except InvalidAmount:
        raise error() from None
    if not number.is_finite() or abs(number) > LIMIT or number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        raise error()  # NaN, infinity, or more than two decimals
    return number.quantize(CENT)


def parse_quantity(value) -> Decimal:
    """:raises InvalidQuantity:"""
    if value is None or str(value).strip() == "":
        raise InvalidQuantity()
    quantity = _number(value, InvalidQuantity)
    if quantity <= 0 or quantity > money.MAX_QUANTITY:
        raise InvalidQuantity()
    return quantity


def parse_unit_price(value) -> Decimal:
    """:raises InvalidUnitPrice:"""
    if value is None or str(value).strip() == "":
        raise InvalidUnitPrice()
    price = _number(value, InvalidUnitPrice)
    if price < 0 or price > money.MAX_MONEY:
        raise InvalidUnitPrice()
    return price


def parse_discount(value) -> Decimal:
    """Blank is no discount. :raises InvalidDiscount:"""
    if value is None or str(value).strip() == "":
        return Decimal("0.00")
    discount = _number(value, InvalidDiscount)
    if discount < 0 or discount > 100:
        raise InvalidDiscount()
    return discount


# Writing

def _claim(opportunity: Opportunity, actor: User | None) -> None:
    """Write the opportunity's row first (a lock until commit), then read it again; refuse a
    closed one. :raises LinesLocked:"""
    db.session.flush()
    db.session.execute(sa.update(Opportunity).where(Opportunity.id == opportunity.id)
                       .values(updated_at=utcnow(), updated_by_id=actor.id if actor else opportunity.updated_by_id)
                       .execution_options(synchronize_session=False))
    db.session.refresh(opportunity)
    if opportunity.stage.is_closed:
        raise LinesLocked()


def _net(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    try:
        return money.line_net(quantity, unit_price, discount)
    except money.MoneyError:
        raise AmountTooLarge() from None


def recalculate_amount(opportunity: Opportunity) -> Decimal:
    """The opportunity's amount from its lines' net amounts (0 with none). :raises AmountTooLarge:"""
    db.session.flush()
    try:
        amount = money.totals(line_items(opportunity)).net
    except money.MoneyError:
        raise AmountTooLarge() from None
    opportunity.amount = amount
    db.session.flush()
    return amount


def add_line_item(opportunity: Opportunity, *, product_id: int, quantity, unit_price=None, discount_percent=0,
                  actor: User | None) -> OpportunityLineItem:
    """A line for a product of the opportunity's price book (the standard one when it has none:
    the opportunity then takes it), at the book's price unless another is given.

    :raises LinesLocked, NoPriceBook, ProductNotInBook, InvalidQuantity, InvalidUnitPrice,
        InvalidDiscount, AmountTooLarge:
    """
    _claim(opportunity, actor)
    book = price_book_of(opportunity)
    if book is None:
        raise NoPriceBook()
    row = db.session.execute(
        sa.select(PriceBookEntry, Product).join(Product, Product.id == PriceBookEntry.product_id)
        .where(PriceBookEntry.price_book_id == book.id, PriceBookEntry.product_id == product_id,
               PriceBookEntry.active, Product.active)).first()
    if row is None:
        raise ProductNotInBook()
    entry, product = row
    quantity = parse_quantity(quantity)
    price = entry.unit_price if unit_price is None or str(unit_price).strip() == "" else parse_unit_price(unit_price)
    discount = parse_discount(discount_percent)
    last = db.session.scalar(sa.select(sa.func.max(OpportunityLineItem.position))
                             .where(OpportunityLineItem.opportunity_id == opportunity.id))
    item = OpportunityLineItem(
        opportunity_id=opportunity.id, position=(last or 0) + 1, product_id=product.id, product_code=product.code,
        name=product.name, quantity=quantity, unit_price=price, discount_percent=discount,
        net_amount=_net(quantity, price, discount), list_price=entry.unit_price)
    db.session.add(item)
    if opportunity.price_book_id is None:
        opportunity.price_book_id = book.id
    recalculate_amount(opportunity)
    return item


def update_line_item(item: OpportunityLineItem, *, quantity, unit_price, discount_percent,
                     actor: User | None) -> OpportunityLineItem:
    """Change a line's quantity, unit price and discount.

    :raises LinesLocked, InvalidQuantity, InvalidUnitPrice, InvalidDiscount, AmountTooLarge:"""
    opportunity = db.session.get(Opportunity, item.opportunity_id)
    _claim(opportunity, actor)
    quantity, price = parse_quantity(quantity), parse_unit_price(unit_price)
    discount = parse_discount(discount_percent)
    item.quantity, item.unit_price, item.discount_percent = quantity, price, discount
    item.net_amount = _net(quantity, price, discount)
    recalculate_amount(opportunity)
    return item


def remove_line_item(item: OpportunityLineItem, *, actor: User | None) -> None:
    """Remove a line; the amount is the remaining lines' sum (0 when none are left).
    :raises LinesLocked:"""
    opportunity = db.session.get(Opportunity, item.opportunity_id)
    _claim(opportunity, actor)
    db.session.delete(item)
    recalculate_amount(opportunity)


def set_price_book(opportunity: Opportunity, book: PriceBook, *, actor: User | None = None) -> None:
    """Choose the price book the opportunity's products come from, while it has none.
    :raises LinesLocked, LinesExist, PriceBookInactive:"""
    _claim(opportunity, actor)
    if book is None or not book.active:
        raise PriceBookInactive()
    if has_line_items(opportunity):
        raise LinesExist()
    opportunity.price_book_id = book.id
    db.session.flush()
