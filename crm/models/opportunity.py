"""Pipelines (sales processes) with their stages, opportunities, their stage history and contact roles."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.account import Account, Contact
from crm.models.user import User, utcnow

FORECAST_CATEGORIES = ("Pipeline", "Best Case", "Commit", "Closed", "Omitted")
# The opportunity fields a stage may show on the path as its "key fields" (at most five),
# in the order the admin form offers them.
KEY_FIELDS = ("amount", "close_date", "probability", "next_step", "lead_source", "description")
MAX_KEY_FIELDS = 5
CONTACT_ROLES = ("Decision Maker", "Economic Buyer", "Technical Buyer", "Evaluator", "Influencer",
                 "Business User", "Executive Sponsor", "Other")
CAMPAIGN_MEMBER_STATUSES = ("Sent", "Responded")


class Pipeline(db.Model):
    __tablename__ = "pipelines"
    __table_args__ = (
        sa.Index("uq_pipelines_one_default", "is_default", unique=True,
                 sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    stages: Mapped[list["Stage"]] = relationship(back_populates="pipeline", order_by="Stage.position")


class Stage(db.Model):
    __tablename__ = "stages"
    __table_args__ = (
        sa.UniqueConstraint("pipeline_id", "name", name="uq_stages_pipeline_name"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(sa.ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(80))
    position: Mapped[int] = mapped_column(default=0)
    probability: Mapped[int] = mapped_column(default=0)
    forecast_category: Mapped[str] = mapped_column(sa.String(20), default="Pipeline")
    is_closed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_won: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    guidance: Mapped[str | None] = mapped_column(sa.String(1000))
    # Names from KEY_FIELDS, in the order the path shows them.
    key_fields: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")

    @property
    def is_lost(self) -> bool:
        return self.is_closed and not self.is_won


class Opportunity(db.Model):
    __tablename__ = "opportunities"
    __table_args__ = (
        sa.Index("ix_opportunities_account", "account_id", "deleted_at"),
        sa.Index("ix_opportunities_stage_updated", "deleted_at", "stage_id", "updated_at", "id"),
        sa.Index("ix_opportunities_owner_close", "deleted_at", "owner_id", "close_date"),
        sa.Index("ix_opportunities_close_date", "deleted_at", "close_date", "id"),
        sa.Index("ix_opportunities_name", "deleted_at", "name", "id"),
        sa.Index("ix_opportunities_amount", "deleted_at", "amount", "id"),
        # The board's column figures (count, total, weighted) read this index alone.
        sa.Index("ix_opportunities_board", "deleted_at", "stage_id", "owner_id", "close_date", "amount",
                 "probability"),
        sa.CheckConstraint("amount IS NULL OR amount >= 0", name="amount"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="probability"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("accounts.id"))
    pipeline_id: Mapped[int] = mapped_column(sa.ForeignKey("pipelines.id"))
    stage_id: Mapped[int] = mapped_column(sa.ForeignKey("stages.id"))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    close_date: Mapped[date | None]
    # Defaults from the stage; a value set by hand stays (probability_overridden).
    probability: Mapped[int] = mapped_column(default=0)
    probability_overridden: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lead_source: Mapped[str | None] = mapped_column(sa.String(80))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    # Where its line items take their prices and the currency of its quotes (crm/models/sales.py);
    # None until the first line item is added, which takes the standard price book.
    price_book_id: Mapped[int | None] = mapped_column(sa.ForeignKey("price_books.id", ondelete="SET NULL"))
    next_step: Mapped[str | None] = mapped_column(sa.String(255))
    loss_reason: Mapped[str | None] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    search_text: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the opportunity entered its current stage: the history's "days in the previous stage".
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    account: Mapped[Account] = relationship()
    pipeline: Mapped[Pipeline] = relationship()
    stage: Mapped[Stage] = relationship(lazy="joined", innerjoin=True)
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    def __repr__(self) -> str:
        return f"<Opportunity {self.id} {self.name}>"

    @property
    def is_closed(self) -> bool:
        return self.stage.is_closed

    @property
    def expected_revenue(self) -> Decimal | None:
        return None if self.amount is None else self.amount * self.probability / 100

    def refresh_derived(self, account_name: str | None) -> None:
        """Recompute the search text: the deal's name, its next step and its account's name (so
        "cloudy" finds the deals of Get Cloudy). The caller gives the account's name: the
        account may not be loaded, or (seed-demo) not be an object at all."""
        from crm.models.lead import fold

        self.search_text = fold(" ".join(p for p in (self.name, self.next_step, account_name) if p))


class OpportunityStageHistory(db.Model):
    """One stage change: written by the same transaction as the change, never edited.

    Stage names are copied: the history keeps reading true after a stage is renamed or deleted.
    """

    __tablename__ = "opportunity_stage_history"
    __table_args__ = (sa.Index("ix_opportunity_stage_history_opportunity", "opportunity_id", "changed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stages.id", ondelete="SET NULL"))
    to_stage_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stages.id", ondelete="SET NULL"))
    from_stage: Mapped[str | None] = mapped_column(sa.String(80))  # None: the opportunity's creation
    to_stage: Mapped[str] = mapped_column(sa.String(80))
    amount: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 2))
    probability: Mapped[int]
    close_date: Mapped[date | None]
    days_in_previous: Mapped[int | None]
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship()


class OpportunityContactRole(db.Model):
    __tablename__ = "opportunity_contact_roles"
    __table_args__ = (
        sa.UniqueConstraint("opportunity_id", "contact_id", name="uq_opportunity_contact_roles_pair"),
        sa.Index("uq_opportunity_contact_roles_one_primary", "opportunity_id", unique=True,
                 sqlite_where=sa.text("is_primary"), postgresql_where=sa.text("is_primary")),
        sa.Index("ix_opportunity_contact_roles_contact", "contact_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    role: Mapped[str | None] = mapped_column(sa.String(40))
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    opportunity: Mapped[Opportunity] = relationship()
    contact: Mapped[Contact] = relationship()


class CampaignMember(db.Model):
    """A lead's or contact's part in a campaign; a lead's memberships pass to its contact."""

    __tablename__ = "campaign_members"
    __table_args__ = (
        sa.CheckConstraint("lead_id IS NOT NULL OR contact_id IS NOT NULL", name="member"),
        sa.Index("ix_campaign_members_lead", "lead_id"),
        sa.Index("ix_campaign_members_contact", "contact_id"),
        sa.Index("ix_campaign_members_campaign", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(sa.String(20), default="Responded")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
