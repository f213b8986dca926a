"""Settings of the whole organisation, edited on the admin pages."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db
from crm.models.user import utcnow

SHARING_MODES = ("public", "private")


class OrgSettings(db.Model):
    """The one row of organisation settings (id 1).

    `sharing` (SPEC): `public`, every user sees and edits every record; `private`, a rep sees and
    edits only what they or their queues own, while managers and admins see everything.
    """

    __tablename__ = "org_settings"
    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint("sharing IN ('public', 'private')", name="sharing"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    sharing: Mapped[str] = mapped_column(sa.String(10), default="public", server_default="public")
    updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True), onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
