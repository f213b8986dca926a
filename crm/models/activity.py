"""Activities: notes, logged calls and emails, tasks and events on a record."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.user import User, utcnow

ACTIVITY_KINDS = ("note", "call", "email", "task", "event")
PRIORITIES = ("High", "Normal", "Low")


class Activity(db.Model):
    __tablename__ = "activities"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('note', 'call', 'email', 'task', 'event')", name="kind"),
        sa.Index("ix_activities_lead_created", "lead_id", "created_at"),
        sa.Index("ix_activities_account_created", "account_id", "created_at"),
        sa.Index("ix_activities_contact_created", "contact_id", "created_at"),
        sa.Index("ix_activities_opportunity_created", "opportunity_id", "created_at"),
        # "My tasks": open tasks of an assignee by due date.
        sa.Index("ix_activities_assignee_open", "assignee_id", "done", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    subject: Mapped[str] = mapped_column(sa.String(255))
    body: Mapped[str | None] = mapped_column(sa.Text)
    # Tasks
    due_date: Mapped[date | None]
    priority: Mapped[str | None] = mapped_column(sa.String(10))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    done: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    done_at: Mapped[datetime | None]
    # Events
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    # What it is about. Contacts, accounts and opportunities join here later; a lead's
    # activities follow it when it is converted.
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="CASCADE"))
    contact_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="CASCADE"))
    opportunity_id: Mapped[int | None] = mapped_column(sa.ForeignKey("opportunities.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    lead = relationship("Lead", foreign_keys=[lead_id])
    account = relationship("Account", foreign_keys=[account_id])
    contact = relationship("Contact", foreign_keys=[contact_id])
    opportunity = relationship("Opportunity", foreign_keys=[opportunity_id])
