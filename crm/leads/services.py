"""Lead rules: create, edit, move along the statuses, recycle bin, duplicates, recently viewed.

Services take plain arguments, flush and never commit: the route commits once.
"""

from datetime import timedelta

import phonenumbers
import sqlalchemy as sa
from flask import current_app

from crm import sharing
from crm.extensions import db
from crm.models import Campaign, Lead, LeadStatus, PicklistValue, RecentView, User
from crm.models.user import utcnow

# The fields a form may write: anything else in the submitted data is ignored.
EDITABLE_FIELDS = (
    "salutation", "first_name", "last_name", "company", "title", "email", "phone", "mobile",
    "website", "street", "city", "state", "postal_code", "country", "industry", "annual_revenue",
    "employees", "lead_source", "campaign_id", "rating", "description",
)
RECYCLE_BIN_DAYS = 30
RECENT_VIEWS_KEPT = 50


class LeadError(Exception):
    """A lead rule was broken; the message is for the user."""


class LeadConverted(LeadError):
    """A converted lead is read-only."""


class ConvertNeedsConversion(LeadError):
    """The converted status is reached by converting the lead, not by setting it."""


class NotInRecycleBin(LeadError):
    """Only a deleted lead, within the retention period, can be restored."""


def statuses() -> list[LeadStatus]:
    return list(db.session.scalars(sa.select(LeadStatus).order_by(LeadStatus.position, LeadStatus.id)))


def default_status() -> LeadStatus:
    status = db.session.scalar(sa.select(LeadStatus).where(LeadStatus.is_default))
    return status or statuses()[0]


def picklists(*names: str) -> dict[str, list[str]]:
    """Active labels of several picklists in one query, each in the admin's order."""
    found: dict[str, list[str]] = {name: [] for name in names}
    rows = db.session.execute(
        sa.select(PicklistValue.picklist, PicklistValue.label)
        .where(PicklistValue.picklist.in_(names), PicklistValue.active)
        .order_by(PicklistValue.picklist, PicklistValue.position, PicklistValue.id))
    for name, value in rows:
        found[name].append(value)
    return found


def picklist(name: str) -> list[str]:
    """Active labels of a picklist, in the admin's order."""
    return list(db.session.scalars(
        sa.select(PicklistValue.label)
        .where(PicklistValue.picklist == name, PicklistValue.active)
        .order_by(PicklistValue.position, PicklistValue.id)
    ))


def campaign_choices(current_id: int | None = None) -> list[Campaign]:
    """Active campaigns, and the lead's own even when it is no longer active."""
    query = sa.select(Campaign).where(sa.or_(Campaign.active, Campaign.id == current_id)).order_by(Campaign.name)
    return list(db.session.scalars(query))


def e164(raw: str | None) -> str | None:
    """The E.164 form of a phone number when it parses, else None (the typed form is kept)."""
    if not raw:
        return None
    try:
        number = phonenumbers.parse(raw, current_app.config["DEFAULT_PHONE_REGION"])
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _apply(lead: Lead, data: dict, actor: User | None) -> None:
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(lead, field, _clean(data[field]))
    if lead.email:
        lead.email = lead.email.lower()
    lead.phone_e164 = e164(lead.phone)
    lead.mobile_e164 = e164(lead.mobile)
    lead.refresh_search_text()
    lead.updated_by_id = actor.id if actor else None
    lead.updated_at = utcnow()


def create_lead(data: dict, *, actor: User | None, owner: User | None = None,
                status: LeadStatus | None = None, by_rules: bool = False, flag_duplicates: bool = False) -> Lead:
    """Store a new lead owned by `owner` (default: the actor) in the default status.

    `actor` is None for a lead nobody typed (a web form's post): then no user created it, and
    without an `owner` it has none until the assignment rules give it one. `by_rules` runs the
    assignment rules and `flag_duplicates` the duplicate check (a lead that arrived unattended)
    before the lead is written, so that it is inserted once, complete, rather than updated."""
    owner = owner or actor
    lead = Lead(status=status or default_status(), owner_id=owner.id if owner else None,
                created_by_id=actor.id if actor else None)
    _apply(lead, data, actor)
    if flag_duplicates:
        from crm.leads.duplicates import flag_if_duplicate

        with db.session.no_autoflush:
            flag_if_duplicate(lead)
    db.session.add(lead)
    if by_rules:
        from crm.assignment.services import assign

        assign(lead)  # flushes the lead with the owner it gives
    else:
        db.session.flush()
    _attach_campaign(lead)
    return lead


def _attach_campaign(lead: Lead) -> None:
    """The lead's campaign lists it as a member (once; crm/campaigns/services.py)."""
    if lead.campaign_id is not None and (campaign := db.session.get(Campaign, lead.campaign_id)):
        from crm.campaigns.services import attach_lead  # here: crm.campaigns imports crm.leads

        attach_lead(campaign, lead)


def update_lead(lead: Lead, data: dict, *, actor: User) -> Lead:
    """Change a lead's fields. :raises LeadConverted:"""
    if lead.is_converted:
        raise LeadConverted()
    _apply(lead, data, actor)
    db.session.flush()
    _attach_campaign(lead)
    return lead


def set_status(lead: Lead, status: LeadStatus, *, actor: User) -> Lead:
    """Move a lead to another status. :raises LeadConverted: :raises ConvertNeedsConversion:"""
    if lead.is_converted:
        raise LeadConverted()
    if status.is_converted:
        raise ConvertNeedsConversion()
    if lead.status_id != status.id:
        lead.status = status
        lead.updated_by_id = actor.id
        lead.updated_at = utcnow()
        db.session.flush()
    return lead


def can_restore(lead: Lead, user: User) -> bool:
    return lead.deleted_at is not None and (user.is_admin or lead.owner_id == user.id)


def delete_lead(lead: Lead, *, actor: User) -> Lead:
    """Move a lead to the recycle bin (restorable for 30 days)."""
    lead.deleted_at = utcnow()
    lead.deleted_by_id = actor.id
    db.session.flush()
    from crm.audit import log_event  # here: crm.audit imports the models, as this module does

    log_event("delete", f"lead {lead.name}", actor=actor, target=lead)
    return lead


def restore_lead(lead: Lead, *, actor: User) -> Lead:
    """Bring a lead back from the recycle bin. :raises NotInRecycleBin:"""
    if lead.deleted_at is None or lead.deleted_at < utcnow() - timedelta(days=RECYCLE_BIN_DAYS):
        raise NotInRecycleBin()
    lead.deleted_at = None
    lead.deleted_by_id = None
    lead.updated_by_id = actor.id
    lead.updated_at = utcnow()
    db.session.flush()
    from crm.audit import log_event

    log_event("restore", f"lead {lead.name}", actor=actor, target=lead)
    return lead


def purge_recycle_bin(days: int = RECYCLE_BIN_DAYS) -> int:
    """Delete for good the leads deleted more than `days` ago; return how many."""
    cutoff = utcnow() - timedelta(days=days)
    ids = sa.select(Lead.id).where(Lead.deleted_at < cutoff)
    db.session.execute(sa.delete(RecentView).where(RecentView.record_type == "lead",
                                                   RecentView.record_id.in_(ids)))
    result = db.session.execute(sa.delete(Lead).where(Lead.deleted_at < cutoff))
    return result.rowcount


class PossibleDuplicate:
    """A stored lead or contact that the lead form's warning lists: `kind` ("lead" or "contact"),
    the record, its score and its reasons ("email", "phone", "name"; `reason_labels` translated).
    It compares equal to its record, so `possible_duplicates(...) == [lead]` reads naturally."""

    def __init__(self, match):
        self.record, self.kind, self.score, self.reasons = match.record, match.kind, match.score, match.reasons
        self.reason_labels = match.reason_labels

    @property
    def id(self) -> int:
        return self.record.id

    def __eq__(self, other):
        return self.record == (other.record if isinstance(other, PossibleDuplicate) else other)

    __hash__ = None

    def __repr__(self) -> str:
        return f"<PossibleDuplicate {self.kind} {self.id} {self.reasons}>"


def possible_duplicates(*, email: str | None, first_name: str | None, last_name: str | None,
                        company: str | None, phone: str | None = None, mobile: str | None = None,
                        exclude_id: int | None = None, limit: int = 5) -> list[PossibleDuplicate]:
    """Stored leads and contacts that look like these fields, most likely first, by the rules of
    crm.leads.duplicates (same email, same phone, similar name and company); the lead form's
    warning lists them, each with its reasons."""
    from crm.leads.duplicates import find_duplicates

    fields = {"email": email, "first_name": first_name, "last_name": last_name, "company": company,
              "phone": phone, "mobile": mobile}
    # Private sharing (crm/sharing.py): the warning names only records the user may see.
    return [PossibleDuplicate(m) for m in find_duplicates(fields, exclude_lead_id=exclude_id, limit=limit)
            if sharing.can_see(m.record)]


def record_view(user: User, record_type: str, record_id: int) -> bool:
    """Remember that `user` opened this record (newest first, the last 50 kept).

    Reopening the record already at the top of the list changes no order, so it writes nothing:
    a reload or a tab switch back costs one indexed read instead of a write transaction.
    True when something was written (the caller commits)."""
    mine = sa.and_(RecentView.user_id == user.id, RecentView.record_type == record_type)
    latest = db.session.scalar(sa.select(RecentView.record_id).where(mine)
                               .order_by(RecentView.viewed_at.desc()).limit(1))
    if latest == record_id:
        return False
    view = db.session.scalar(sa.select(RecentView).filter_by(
        user_id=user.id, record_type=record_type, record_id=record_id))
    if view is not None:
        view.viewed_at = utcnow()
        db.session.flush()
        return True
    db.session.add(RecentView(user_id=user.id, record_type=record_type, record_id=record_id))
    db.session.flush()
    stale = (sa.select(RecentView.id).where(mine)
             .order_by(RecentView.viewed_at.desc()).offset(RECENT_VIEWS_KEPT))
    db.session.execute(sa.delete(RecentView).where(RecentView.id.in_(stale.scalar_subquery())))
    return True
