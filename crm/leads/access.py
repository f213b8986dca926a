"""Loading a lead for a view: 404 when it does not exist, is in the recycle bin or is not visible.

The sharing model itself (public or private) lives in crm/sharing.py; these are its lead forms.
"""

import sqlalchemy as sa
from flask import url_for

from crm import sharing
from crm.models import Lead, User


def visible_leads(user: User) -> sa.Select:
    """Leads this user may see under the sharing model, recycle bin excluded."""
    return sharing.visible(sa.select(Lead).where(Lead.deleted_at.is_(None)), Lead, user)


def get_lead(lead_id: int, user: User, *, deleted: bool = False) -> Lead:
    """The lead, or 404 (missing or not visible). With deleted=True, only a lead in the recycle bin."""
    return sharing.get_visible(Lead, lead_id, user, deleted=deleted)


def lead_url(lead: Lead) -> str:
    """Where to go after saving a lead: its page, or the list when the user just gave it to
    someone they cannot see the leads of (private sharing: the page would answer 404)."""
    return url_for("leads.show", lead_id=lead.id) if sharing.can_see(lead) else url_for("leads.index")
