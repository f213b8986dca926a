"""Web-to-Lead forms and what they received.

A `WebForm` is a public form a company embeds on its site; every post it accepts is kept as a
`WebFormSubmission`: the lead it created, or the posted fields waiting in the spam quarantine or
the over-the-daily-cap queue until an admin releases them. Nothing accepted is ever dropped.
"""

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.user import User, utcnow

# What happened to a post: a lead at once, a lead on release, or kept aside (spam, over the cap).
SUBMISSION_STATES = ("lead", "spam", "pending", "released", "discarded")
# Why a post was kept aside.
SUBMISSION_REASONS = ("honeypot", "too_fast", "daily_cap")
DEFAULT_DAILY_CAP = 500


def new_form_key() -> str:
    return secrets.token_urlsafe(16)


class WebForm(db.Model):
    __tablename__ = "web_forms"
    __table_args__ = (sa.CheckConstraint("daily_cap > 0", name="daily_cap_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public address is /w2l/<form_key>: random, so forms cannot be enumerated.
    form_key: Mapped[str] = mapped_column(sa.String(32), unique=True, default=new_form_key)
    name: Mapped[str] = mapped_column(sa.String(80))
    # [{"name": "email", "required": true, "label_en": "Email", "label_fr": "E-mail"}, ...] in order.
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)
    lead_source: Mapped[str | None] = mapped_column(sa.String(80))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="SET NULL"))
    return_url: Mapped[str | None] = mapped_column(sa.String(2000))
    daily_cap: Mapped[int] = mapped_column(default=DEFAULT_DAILY_CAP, server_default=str(DEFAULT_DAILY_CAP))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Owns the leads that no assignment rule and no default owner give to someone else.
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    campaign: Mapped["Campaign | None"] = relationship()  # noqa: F821
    created_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<WebForm {self.id} {self.name}>"


class WebFormSubmission(db.Model):
    __tablename__ = "web_form_submissions"
    __table_args__ = (
        sa.CheckConstraint("state IN ('lead', 'spam', 'pending', 'released', 'discarded')", name="state"),
        sa.Index("ix_web_form_submissions_form_state_created", "form_id", "state", "created_at"),
        sa.Index("ix_web_form_submissions_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(sa.ForeignKey("web_forms.id", ondelete="CASCADE"))
    # A hash of the signed token's nonce and the posted fields: a retried post finds its first copy.
    dedupe_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    state: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str | None] = mapped_column(sa.String(20))
    # The posted lead fields, as plain text (control characters removed).
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(sa.String(45))
    # The purge of the recycle bin deletes leads for good: the submission stays, unlinked.
    lead_id: Mapped[int | None] = mapped_column(sa.ForeignKey("leads.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    form: Mapped[WebForm] = relationship()
    lead: Mapped["Lead | None"] = relationship()  # noqa: F821
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<WebFormSubmission {self.id} {self.state}>"
