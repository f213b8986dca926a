"""Loading a lead for a view: 404 when it does not exist, is in the recycle bin or is not visible.

Sharing is `public` for now (SPEC): every signed-in user sees and edits every lead. The private
model will narrow `visible_leads()` and so every list and loader at once.
"""

import sqlalchemy as sa
from flask import abort

from crm.extensions import db
from crm.models import Lead, User


def visible_leads(user: User) -> sa.Select:
    """Leads this user may see (all of them while sharing is public), recycle bin excluded."""
    return sa.select(Lead).where(Lead.deleted_at.is_(None))


def get_lead(lead_id: int, user: User, *, deleted: bool = False) -> Lead:
    """The lead, or 404. With deleted=True, only a lead in the recycle bin."""
    lead = db.session.get(Lead, lead_id)
    if lead is None or (lead.deleted_at is not None) != deleted:
        abort(404)
    return lead
