"""Accounts (companies) and contacts (people, each belonging to an account)."""

import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.lead import fold
from crm.models.user import User, utcnow

# Legal forms ignored when matching company names: "Get Cloudy West, Inc." is "get cloudy west".
LEGAL_SUFFIXES = {
    "inc", "incorporated", "ltd", "limited", "llc", "llp", "plc", "corp", "corporation", "co", "company",
    "gmbh", "ag", "kg", "ug", "sarl", "sas", "sasu", "sa", "eurl", "sci", "bv", "nv", "srl", "spa",
    "sl", "oy", "ab", "as", "aps", "pty", "kk",
}


def company_key(name: str | None) -> str:
    """The name as matching sees it: no case, accents, punctuation or legal suffix."""
    words = re.sub(r"[^\w\s]", " ", fold(name).replace(".", "")).split()
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(words)


def email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def website_domain(website: str | None) -> str | None:
    """example.com for https://www.example.com/about."""
    if not website:
        return None
    host = re.sub(r"^[a-z]+://", "", website.strip().lower()).split("/")[0].split(":")[0]
    host = unicodedata.normalize("NFKC", host)
    return host.removeprefix("www.") or None


class Account(db.Model):
    __tablename__ = "accounts"
    __table_args__ = (
        sa.Index("ix_accounts_name", "deleted_at", "name", "id"),
        sa.Index("ix_accounts_updated", "deleted_at", "updated_at", "id"),
        sa.Index("ix_accounts_owner_updated", "deleted_at", "owner_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    # company_key(name): how conversion finds "Get Cloudy West" when a lead says "get cloudy west inc".
    name_key: Mapped[str] = mapped_column(sa.String(255), index=True, default="", server_default="")
    website: Mapped[str | None] = mapped_column(sa.String(255))
    # website_domain(website): matched against a lead's email domain.
    domain: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    phone_e164: Mapped[str | None] = mapped_column(sa.String(20))
    industry: Mapped[str | None] = mapped_column(sa.String(80))
    billing_street: Mapped[str | None] = mapped_column(sa.String(255))
    billing_city: Mapped[str | None] = mapped_column(sa.String(40))
    billing_state: Mapped[str | None] = mapped_column(sa.String(80))
    billing_postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    billing_country: Mapped[str | None] = mapped_column(sa.String(80))
    # Where quotes and orders ship to; empty means the billing address.
    shipping_street: Mapped[str | None] = mapped_column(sa.String(255))
    shipping_city: Mapped[str | None] = mapped_column(sa.String(40))
    shipping_state: Mapped[str | None] = mapped_column(sa.String(80))
    shipping_postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    shipping_country: Mapped[str | None] = mapped_column(sa.String(80))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    parent: Mapped["Account | None"] = relationship(remote_side=[id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return f"<Account {self.id} {self.name}>"

    def refresh_derived(self) -> None:
        """Recompute the matching keys and the search text after a change."""
        self.name_key = company_key(self.name)
        self.domain = website_domain(self.website)
        digits = "".join(c for c in (self.phone or "") if c.isdigit())
        parts = [self.name, self.website, self.phone, self.phone_e164, digits, self.billing_city, self.billing_country]
        self.search_text = fold(" ".join(p for p in parts if p))


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        sa.Index("ix_contacts_name", "deleted_at", "last_name", "first_name", "id"),
        sa.Index("ix_contacts_updated", "deleted_at", "updated_at", "id"),
        sa.Index("ix_contacts_owner_updated", "deleted_at", "owner_id", "updated_at", "id"),
        sa.Index("ix_contacts_account", "account_id", "last_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    salutation: Mapped[str | None] = mapped_column(sa.String(10))
    first_name: Mapped[str | None] = mapped_column(sa.String(40))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    title: Mapped[str | None] = mapped_column(sa.String(128))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    phone_e164: Mapped[str | None] = mapped_column(sa.String(20))
    mobile: Mapped[str | None] = mapped_column(sa.String(40))
    mobile_e164: Mapped[str | None] = mapped_column(sa.String(20))
    mailing_street: Mapped[str | None] = mapped_column(sa.String(255))
    mailing_city: Mapped[str | None] = mapped_column(sa.String(40))
    mailing_state: Mapped[str | None] = mapped_column(sa.String(80))
    mailing_postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    mailing_country: Mapped[str | None] = mapped_column(sa.String(80))
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lead_source: Mapped[str | None] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.name}>"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def refresh_derived(self) -> None:
        digits = "".join(c for c in f"{self.phone or ''} {self.mobile or ''}" if c.isdigit() or c == " ")
        parts = [self.first_name, self.last_name, self.email, self.phone, self.mobile, self.phone_e164,
                 self.mobile_e164, digits]
        self.search_text = fold(" ".join(p for p in parts if p))
