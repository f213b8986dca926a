"""The back half of the sales process (Dynamics' Develop, Propose, Close, Fulfil): products and
price books, an opportunity's line items, and the documents made from them: quotes, orders and
invoices.

Money is exact: Numeric columns read as Decimal, never float. Every line stores its own net
amount (and tax), rounded once (crm/sales/money.py); a document's totals are the sums of its
lines, stored so that lists need not add them up. A document has one currency, copied from the
price book when it is made.
"""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from crm.extensions import db
from crm.models.account import Account
from crm.models.opportunity import Opportunity
from crm.models.user import User, utcnow

# Quote statuses (Dynamics: Draft, Active "presented", Won "accepted", Closed "denied"). Superseded:
# a newer revision of the quote replaced it, or another quote of the opportunity was accepted.
QUOTE_STATUSES = ("Draft", "Presented", "Accepted", "Denied", "Superseded")
ORDER_STATUSES = ("Open", "Fulfilled", "Cancelled")
# Stored invoice statuses; "Overdue" is shown for a sent invoice past its due date
# (Invoice.display_status), so it never needs a nightly job to be true.
INVOICE_STATUSES = ("Draft", "Sent", "Paid")
INVOICE_DISPLAY_STATUSES = ("Draft", "Sent", "Overdue", "Paid")
# What the document counters number (crm/sales/numbering.py).
DOCUMENT_KINDS = ("quote", "order", "invoice")

MONEY = sa.Numeric(18, 2)
QUANTITY = sa.Numeric(12, 2)
PERCENT = sa.Numeric(5, 2)  # discounts and tax rates, 0 to 100 with two decimals


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.Index("ix_products_active_name", "active", "name", "id"),
        sa.CheckConstraint("tax_rate BETWEEN 0 AND 100", name="tax_rate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The product code (SKU) is what a CSV import matches on: unique, kept as typed.
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    family: Mapped[str | None] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # The tax rate a quote line starts with (VAT 20 %, say); every document line can change it.
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"), server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Product {self.code}>"


class PriceBook(db.Model):
    """A list of prices in one currency. One is the standard book: new opportunities use it."""

    __tablename__ = "price_books"
    __table_args__ = (
        sa.Index("uq_price_books_one_standard", "is_standard", unique=True,
                 sqlite_where=sa.text("is_standard"), postgresql_where=sa.text("is_standard")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3))  # ISO 4217
    description: Mapped[str | None] = mapped_column(sa.String(255))
    is_standard: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    entries: Mapped[list["PriceBookEntry"]] = relationship(back_populates="price_book",
                                                           cascade="all, delete-orphan")


class PriceBookEntry(db.Model):
    """A product's price in a price book."""

    __tablename__ = "price_book_entries"
    __table_args__ = (
        sa.UniqueConstraint("price_book_id", "product_id", name="uq_price_book_entries_pair"),
        sa.Index("ix_price_book_entries_product", "product_id"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    price_book_id: Mapped[int] = mapped_column(sa.ForeignKey("price_books.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"))
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    price_book: Mapped[PriceBook] = relationship(back_populates="entries")
    product: Mapped[Product] = relationship()


class LineColumns:
    """What every line has: the product it names (copied, so a line reads true after the product
    changes or goes), the quantity, the unit price, the discount and the net amount."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    product_code: Mapped[str | None] = mapped_column(sa.String(40))
    name: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str | None] = mapped_column(sa.String(1000))
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    unit_price: Mapped[Decimal] = mapped_column(MONEY)
    discount_percent: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"), server_default="0")
    # quantity × unit price × (1 − discount), rounded once to the cent (crm/sales/money.py).
    net_amount: Mapped[Decimal] = mapped_column(MONEY)

    @declared_attr
    def product_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"))

    @declared_attr
    def product(cls) -> Mapped[Product | None]:
        return relationship()


class TaxedLineColumns(LineColumns):
    """A document line: its tax, a rate per line, rounded once per line."""

    tax_rate: Mapped[Decimal] = mapped_column(PERCENT, default=Decimal("0"), server_default="0")
    tax_amount: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")

    @property
    def total(self) -> Decimal:
        return self.net_amount + self.tax_amount


def _line_checks() -> tuple:
    return (
        sa.CheckConstraint("quantity > 0", name="quantity"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price"),
        sa.CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount_percent"),
    )


def _taxed_line_checks() -> tuple:
    return (*_line_checks(), sa.CheckConstraint("tax_rate BETWEEN 0 AND 100", name="tax_rate"))


class OpportunityLineItem(LineColumns, db.Model):
    """A product the opportunity is about; the lines' net amounts add up to its amount."""

    __tablename__ = "opportunity_line_items"
    __table_args__ = (sa.Index("ix_opportunity_line_items_opportunity", "opportunity_id", "position", "id"),
                      *_line_checks())

    opportunity_id: Mapped[int] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="CASCADE"))
    # The price book's price when the line was added: the line shows when its price was changed.
    list_price: Mapped[Decimal | None] = mapped_column(MONEY)

    opportunity: Mapped[Opportunity] = relationship()


class AddressColumns:
    """A billing and a shipping address, copied from the account when the document is made."""

    billing_street: Mapped[str | None] = mapped_column(sa.String(255))
    billing_city: Mapped[str | None] = mapped_column(sa.String(40))
    billing_state: Mapped[str | None] = mapped_column(sa.String(80))
    billing_postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    billing_country: Mapped[str | None] = mapped_column(sa.String(80))
    shipping_street: Mapped[str | None] = mapped_column(sa.String(255))
    shipping_city: Mapped[str | None] = mapped_column(sa.String(40))
    shipping_state: Mapped[str | None] = mapped_column(sa.String(80))
    shipping_postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    shipping_country: Mapped[str | None] = mapped_column(sa.String(80))


class DocumentColumns(AddressColumns):
    """What quotes, orders and invoices share: the deal, the currency, the totals, who and when."""

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3))
    net_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")
    tax_total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")
    total: Mapped[Decimal] = mapped_column(MONEY, default=Decimal("0"), server_default="0")
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @declared_attr
    def opportunity_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("opportunities.id"), index=True)

    @declared_attr
    def account_id(cls) -> Mapped[int]:
        return mapped_column(sa.ForeignKey("accounts.id"), index=True)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    @declared_attr
    def opportunity(cls) -> Mapped[Opportunity]:
        return relationship()

    @declared_attr
    def account(cls) -> Mapped[Account]:
        return relationship()

    @declared_attr
    def created_by(cls) -> Mapped[User | None]:
        return relationship(foreign_keys=[cls.created_by_id])


class Quote(DocumentColumns, db.Model):
    """A proposal to the customer. Revising a quote makes a new row with the same number and the
    next revision; the old one is superseded."""

    __tablename__ = "quotes"
    __table_args__ = (
        sa.UniqueConstraint("number", "revision", name="uq_quotes_number_revision"),
        sa.CheckConstraint("status IN ('Draft', 'Presented', 'Accepted', 'Denied', 'Superseded')", name="status"),
    )

    number: Mapped[str] = mapped_column(sa.String(20))
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(20), default="Draft", server_default="Draft")
    valid_until: Mapped[date | None]
    price_book_id: Mapped[int | None] = mapped_column(sa.ForeignKey("price_books.id", ondelete="SET NULL"))
    presented_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]  # accepted, denied or superseded

    lines: Mapped[list["QuoteLine"]] = relationship(back_populates="quote", cascade="all, delete-orphan",
                                                    order_by="(QuoteLine.position, QuoteLine.id)")

    @property
    def label(self) -> str:
        return f"{self.number}-{self.revision}" if self.revision else self.number


class QuoteLine(TaxedLineColumns, db.Model):
    __tablename__ = "quote_lines"
    __table_args__ = (sa.Index("ix_quote_lines_quote", "quote_id", "position", "id"), *_taxed_line_checks())

    quote_id: Mapped[int] = mapped_column(sa.ForeignKey("quotes.id", ondelete="CASCADE"))
    quote: Mapped[Quote] = relationship(back_populates="lines")


class SalesOrder(DocumentColumns, db.Model):
    """What the customer bought: made when a quote is accepted, fulfilled when delivered."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("status IN ('Open', 'Fulfilled', 'Cancelled')", name="status"),
    )

    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(20), default="Open", server_default="Open")
    quote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotes.id", ondelete="SET NULL"), unique=True)
    fulfilled_at: Mapped[datetime | None]

    quote: Mapped[Quote | None] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(back_populates="order", cascade="all, delete-orphan",
                                                    order_by="(OrderLine.position, OrderLine.id)")


class OrderLine(TaxedLineColumns, db.Model):
    __tablename__ = "order_lines"
    __table_args__ = (sa.Index("ix_order_lines_order", "order_id", "position", "id"), *_taxed_line_checks())

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"))
    order: Mapped[SalesOrder] = relationship(back_populates="lines")


class Invoice(DocumentColumns, db.Model):
    """The bill for a fulfilled order. Numbers come from a counter with no gaps (invoices must
    be numbered in an unbroken sequence in France and elsewhere)."""

    __tablename__ = "invoices"
    __table_args__ = (
        sa.Index("ix_invoices_status_due", "status", "due_date"),
        sa.CheckConstraint("status IN ('Draft', 'Sent', 'Paid')", name="status"),
    )

    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(20), default="Draft", server_default="Draft")
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), unique=True)
    issue_date: Mapped[date]
    due_date: Mapped[date]
    sent_at: Mapped[datetime | None]
    paid_at: Mapped[datetime | None]

    order: Mapped[SalesOrder | None] = relationship()
    lines: Mapped[list["InvoiceLine"]] = relationship(back_populates="invoice", cascade="all, delete-orphan",
                                                      order_by="(InvoiceLine.position, InvoiceLine.id)")

    def display_status(self, today: date) -> str:
        """The status a user sees: a sent invoice past its due date is overdue."""
        if self.status == "Sent" and self.due_date < today:
            return "Overdue"
        return self.status


class InvoiceLine(TaxedLineColumns, db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = (sa.Index("ix_invoice_lines_invoice", "invoice_id", "position", "id"),
                      *_taxed_line_checks())

    invoice_id: Mapped[int] = mapped_column(sa.ForeignKey("invoices.id", ondelete="CASCADE"))
    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class DocumentCounter(db.Model):
    """The last number given to a kind of document; taken with UPDATE ... RETURNING, which locks
    the row until the transaction ends, so two documents never get the same number and a rolled
    back one gives its number back."""

    __tablename__ = "document_counters"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0, server_default="0")
