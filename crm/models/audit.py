"""The audit trail: field history of leads and opportunities, and the admin's audit log."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.user import User, utcnow


class FieldChange(db.Model):
    """One tracked field of a lead or an opportunity changed: who, when, the value before and after.

    Values are copied as text (a renamed status or a deactivated user keeps the history readable)
    beside the raw ids where the field is a reference. Written by crm/audit.py, never edited.
    No foreign key on the record: the history outlives a record purged from the recycle bin.
    """

    __tablename__ = "field_changes"
    __table_args__ = (sa.Index("ix_field_changes_record", "record_type", "record_id", "changed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(sa.String(20))  # "lead" or "opportunity"
    record_id: Mapped[int]
    field: Mapped[str] = mapped_column(sa.String(30))
    old_id: Mapped[int | None]
    new_id: Mapped[int | None]
    old_value: Mapped[str | None] = mapped_column(sa.String(255))
    new_value: Mapped[str | None] = mapped_column(sa.String(255))
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    changed_by: Mapped[User | None] = relationship()


class AuditEvent(db.Model):
    """One security-relevant event for the admin's audit log (/admin/audit).

    The actor's email is copied: the log keeps naming who did it after the user is changed. Never
    a password, a token or a session id here (crm/audit.py strips them from `details`).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        sa.Index("ix_audit_events_at", "at"),
        sa.Index("ix_audit_events_kind", "kind", "id"),
        sa.Index("ix_audit_events_actor", "actor_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    kind: Mapped[str] = mapped_column(sa.String(30))
    target_type: Mapped[str | None] = mapped_column(sa.String(30))
    target_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(sa.String(500), default="")
    remote_addr: Mapped[str | None] = mapped_column(sa.String(64))
    details: Mapped[dict | None] = mapped_column(sa.JSON)


# The listeners that fill these tables (crm/audit.py) register wherever the models are loaded,
# so that no writer of leads or opportunities can forget them. Last: crm.audit imports crm.models.
import crm.audit  # noqa: E402,F401
