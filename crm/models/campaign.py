"""Campaigns: what brought a lead in (a trade show, a webinar, an email blast)."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.user import utcnow

CAMPAIGN_TYPES = ("Conference", "Trade Show", "Webinar", "Email", "Advertisement", "Direct Mail",
                  "Referral Program", "Other")
CAMPAIGN_STATUSES = ("Planned", "In Progress", "Completed", "Aborted")


class Campaign(db.Model):
    __tablename__ = "campaigns"
    __table_args__ = (
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    type: Mapped[str | None] = mapped_column(sa.String(40))
    status: Mapped[str] = mapped_column(sa.String(20), default="Planned")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Campaign {self.name}>"
