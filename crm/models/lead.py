"""Leads, their admin-editable statuses and picklists."""

import unicodedata
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.assignment import AssignmentRule, Queue  # noqa: F401 (the relationships' targets)
from crm.models.campaign import Campaign  # noqa: F401 (the relationship's target)
from crm.models.user import User, utcnow

# Admin-editable value lists. Leads store the label itself, as Salesforce picklists do: a
# renamed value is rewritten on the leads (crm/admin), a retired one stays on old leads.
LEAD_PICKLISTS = ("lead_source", "industry", "rating")
# The opportunity's loss reason is a picklist too (required to close a deal as lost).
PICKLISTS = (*LEAD_PICKLISTS, "loss_reason")
SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")


def fold(text: str | None) -> str:
    """Lower-case and strip accents, so "Lefèvre" and "lefevre" compare equal."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class LeadStatus(db.Model):
    __tablename__ = "lead_statuses"
    __table_args__ = (
        # At most one default and one converted status; the admin service keeps exactly one.
        sa.Index("uq_lead_statuses_one_default", "is_default", unique=True,
                 sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")),
        sa.Index("uq_lead_statuses_one_converted", "is_converted", unique=True,
                 sqlite_where=sa.text("is_converted"), postgresql_where=sa.text("is_converted")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(60), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_closed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_converted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    def __repr__(self) -> str:
        return f"<LeadStatus {self.label}>"


class PicklistValue(db.Model):
    __tablename__ = "picklist_values"
    __table_args__ = (sa.UniqueConstraint("picklist", "label", name="uq_picklist_values_picklist_label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    picklist: Mapped[str] = mapped_column(sa.String(30), index=True)
    label: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class Lead(db.Model):
    __tablename__ = "leads"
    __table_args__ = (
        # The list's filters and sorts; deleted_at leads every one because every list hides
        # the recycle bin.
        sa.Index("ix_leads_status_updated", "deleted_at", "status_id", "updated_at"),
        sa.Index("ix_leads_owner_status", "deleted_at", "owner_id", "status_id"),
        sa.Index("ix_leads_last_name", "deleted_at", "last_name", "first_name", "id"),
        sa.Index("ix_leads_company", "deleted_at", "company", "id"),
        sa.Index("ix_leads_created_at", "deleted_at", "created_at"),
        sa.Index("ix_leads_rating", "deleted_at", "rating"),
        sa.Index("ix_leads_lead_source", "deleted_at", "lead_source"),
        sa.Index("ix_leads_email", "email"),
        sa.Index("ix_leads_deleted_at", "deleted_at"),
        sa.Index("ix_leads_updated", "deleted_at", "updated_at", "id"),
        sa.Index("ix_leads_owner_updated", "deleted_at", "owner_id", "updated_at", "id"),
        # search_text also has a trigram index (migration 0003): leads_fts on SQLite, a GIN
        # pg_trgm index on PostgreSQL. Neither is expressible here; see crm/leads/queries.py.
        sa.CheckConstraint("annual_revenue IS NULL OR annual_revenue >= 0", name="annual_revenue"),
        sa.CheckConstraint("employees IS NULL OR employees >= 0", name="employees"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    salutation: Mapped[str | None] = mapped_column(sa.String(10))
    first_name: Mapped[str | None] = mapped_column(sa.String(40))
    last_name: Mapped[str] = mapped_column(sa.String(80))
    company: Mapped[str | None] = mapped_column(sa.String(255))
    title: Mapped[str | None] = mapped_column(sa.String(128))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    # The phone as typed is kept; this is its E.164 form when it parses (for dialling, dedupe).
    phone_e164: Mapped[str | None] = mapped_column(sa.String(20))
    mobile: Mapped[str | None] = mapped_column(sa.String(40))
    mobile_e164: Mapped[str | None] = mapped_column(sa.String(20))
    website: Mapped[str | None] = mapped_column(sa.String(255))
    street: Mapped[str | None] = mapped_column(sa.String(255))
    city: Mapped[str | None] = mapped_column(sa.String(40))
    state: Mapped[str | None] = mapped_column(sa.String(80))
    postal_code: Mapped[str | None] = mapped_column(sa.String(20))
    country: Mapped[str | None] = mapped_column(sa.String(80))
    industry: Mapped[str | None] = mapped_column(sa.String(80))
    annual_revenue: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    employees: Mapped[int | None]
    lead_source: Mapped[str | None] = mapped_column(sa.String(80))
    # The campaign that brought the lead in (Salesforce's "Primary Campaign Source").
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"), index=True)
    rating: Mapped[str | None] = mapped_column(sa.String(80))
    status_id: Mapped[int] = mapped_column(sa.ForeignKey("lead_statuses.id"))
    description: Mapped[str | None] = mapped_column(sa.Text)
    # A user owns the lead; a queue will be able to instead (then owner_id is NULL).
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # A queue owns the lead instead of a user (owner_id NULL) until one of its members takes it.
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id", ondelete="SET NULL"), index=True)
    # The assignment rule that gave the lead its owner (crm/assignment/services.py), if one did.
    assignment_rule_id: Mapped[int | None] = mapped_column(sa.ForeignKey("assignment_rules.id", ondelete="SET NULL"))
    # Set when a lead that arrived unattended (web form, import) looked like a stored lead or
    # contact: it is kept, never rejected, and the flag asks a person to check (lead page).
    possible_duplicate: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Lower-cased, accent-free name, company, email and phones: what live search matches.
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # What conversion made of the lead, who converted it and when (crm/leads/conversion.py).
    converted_at: Mapped[datetime | None]
    converted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    converted_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id"))
    converted_contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id"))
    converted_opportunity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opportunities.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Recycle bin: set when deleted, cleared when restored, purged after 30 days.
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    status: Mapped[LeadStatus] = relationship(lazy="joined", innerjoin=True)
    campaign: Mapped["Campaign | None"] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    queue: Mapped["Queue | None"] = relationship()
    assignment_rule: Mapped["AssignmentRule | None"] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    converted_by: Mapped[User | None] = relationship(foreign_keys=[converted_by_id])
    converted_account = relationship("Account", foreign_keys=[converted_account_id])
    converted_contact = relationship("Contact", foreign_keys=[converted_contact_id])
    converted_opportunity = relationship("Opportunity", foreign_keys=[converted_opportunity_id])

    def __repr__(self) -> str:
        return f"<Lead {self.id} {self.name}>"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    @property
    def is_converted(self) -> bool:
        return self.status.is_converted

    def refresh_search_text(self) -> None:
        digits = "".join(c for c in f"{self.phone or ''} {self.mobile or ''}" if c.isdigit() or c == " ")
        parts = [self.first_name, self.last_name, self.company, self.email, self.phone, self.mobile,
                 self.phone_e164, self.mobile_e164, digits]
        self.search_text = fold(" ".join(p for p in parts if p))


class RecentView(db.Model):
    """The records a user opened last (the "Recently viewed" list views)."""

    __tablename__ = "recent_views"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "record_type", "record_id", name="uq_recent_views_record"),
        sa.Index("ix_recent_views_user_viewed", "user_id", "record_type", "viewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    record_type: Mapped[str] = mapped_column(sa.String(20))
    record_id: Mapped[int]
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
