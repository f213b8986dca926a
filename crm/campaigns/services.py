"""Campaign members: who a campaign reached (Sent) and who answered it (Responded).

A member is a lead or a contact; a converted lead's membership carries both (crm/leads/conversion.py
moves it to the contact). One membership per campaign and lead, and per campaign and contact.
Services take plain arguments, flush and never commit: the caller commits. Web forms and imports
call `attach_lead` for every lead they bring in.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

from crm import sharing
from crm.extensions import db
from crm.lists import COUNT_CAP, PER_PAGE, Page
from crm.models import CAMPAIGN_MEMBER_STATUSES, Campaign, CampaignMember, Contact, Lead, LeadStatus, Opportunity, Stage
from crm.search import search


class MemberError(Exception):
    """A membership rule was broken."""


class AlreadyMember(MemberError):
    """The lead or contact is already a member of this campaign."""


@dataclass
class Member:
    """One membership as listed: the member's name, kind and where its record is."""

    id: int
    status: str
    created_at: datetime
    lead: Lead | None
    contact: Contact | None

    @property
    def record(self) -> Lead | Contact:
        # A converted lead's membership is the contact's now: the contact is the live record.
        return self.contact or self.lead

    @property
    def kind(self) -> str:
        return "contact" if self.contact is not None else "lead"


@dataclass
class HistoryEntry:
    """One campaign in a lead's or contact's history."""

    id: int
    campaign_id: int
    campaign_name: str
    status: str
    created_at: datetime
    start_date: date | None


@dataclass
class Figures:
    members: int
    responded: int
    leads_converted: int
    opportunities: int
    won_amount: Decimal


def _check_status(status: str) -> None:
    if status not in CAMPAIGN_MEMBER_STATUSES:
        raise ValueError(f"unknown campaign member status {status!r}")


def _membership(campaign_id: int, *, lead_id: int | None = None, contact_id: int | None = None):
    same = CampaignMember.lead_id == lead_id if lead_id is not None else CampaignMember.contact_id == contact_id
    return db.session.scalar(sa.select(CampaignMember).where(
        CampaignMember.campaign_id == campaign_id, same).order_by(CampaignMember.id).limit(1))


def attach_lead(campaign: Campaign, lead: Lead, status: str = "Responded") -> CampaignMember:
    """Make the lead a member of the campaign, once: an existing membership is returned unchanged."""
    _check_status(status)
    member = _membership(campaign.id, lead_id=lead.id)
    if member is None:
        # A converted lead lives on as its contact: the membership goes with it, as conversion does.
        member = CampaignMember(campaign_id=campaign.id, lead_id=lead.id, contact_id=lead.converted_contact_id,
                                status=status)
        db.session.add(member)
        db.session.flush()
    return member


def add_member(campaign: Campaign, lead: Lead | None = None, contact: Contact | None = None,
               status: str = "Responded") -> CampaignMember:
    """Add a lead or a contact (exactly one) to the campaign. :raises AlreadyMember:"""
    if (lead is None) == (contact is None):
        raise ValueError("give a lead or a contact")
    _check_status(status)
    if lead is not None:
        if _membership(campaign.id, lead_id=lead.id) is not None:
            raise AlreadyMember()
        return attach_lead(campaign, lead, status)
    if _membership(campaign.id, contact_id=contact.id) is not None:
        raise AlreadyMember()
    member = CampaignMember(campaign_id=campaign.id, contact_id=contact.id, status=status)
    db.session.add(member)
    db.session.flush()
    return member


def set_member_status(member: CampaignMember, status: str) -> CampaignMember:
    """Mark a member Sent or Responded."""
    _check_status(status)
    member.status = status
    db.session.flush()
    return member


def remove_member(member: CampaignMember) -> None:
    """Take the member off the campaign (the lead or contact stays)."""
    db.session.delete(member)
    db.session.flush()


def _live_members(query: sa.Select) -> sa.Select:
    """Memberships whose record is not in the recycle bin: the contact's when there is one, else the lead's."""
    return (query.outerjoin(Lead, Lead.id == CampaignMember.lead_id)
            .outerjoin(Contact, Contact.id == CampaignMember.contact_id)
            .where(sa.or_(sa.and_(CampaignMember.contact_id.is_not(None), Contact.deleted_at.is_(None)),
                          sa.and_(CampaignMember.contact_id.is_(None), Lead.deleted_at.is_(None)))))


def _member_rows() -> sa.Select:
    # A lead's status is joined eagerly with an inner join, which would drop the contacts' rows.
    query = _live_members(sa.select(CampaignMember, Lead, Contact).options(lazyload(Lead.status)))
    return _visible_members(query)


def _visible_members(query: sa.Select) -> sa.Select:
    """Private sharing (crm/sharing.py): only the members whose record (the contact's when there
    is one, else the lead's) the user may see; the figures still count every member."""
    lead_ok, contact_ok = sharing.visible_clause(Lead), sharing.visible_clause(Contact)
    if lead_ok is None:
        return query
    return query.where(sa.or_(sa.and_(CampaignMember.contact_id.is_not(None), contact_ok),
                              sa.and_(CampaignMember.contact_id.is_(None), lead_ok)))


def members_page(campaign: Campaign, page: int = 1, per_page: int = PER_PAGE) -> Page:
    """One page of the campaign's members, newest first (one query, the count capped as lists do)."""
    base = _member_rows().where(CampaignMember.campaign_id == campaign.id)
    rows = db.session.execute(
        base.order_by(CampaignMember.created_at.desc(), CampaignMember.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)).all()
    capped = base.with_only_columns(CampaignMember.id).limit(COUNT_CAP + 1).subquery()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(capped))
    items = [Member(member.id, member.status, member.created_at, lead, contact) for member, lead, contact in rows]
    return Page(items=items[:per_page], page=page, has_next=len(items) > per_page, total=min(total, COUNT_CAP),
                total_capped=total > COUNT_CAP)


def get_member(campaign: Campaign, member_id: int) -> Member | None:
    """One membership of the campaign as listed, or None."""
    row = db.session.execute(_member_rows().where(
        CampaignMember.campaign_id == campaign.id, CampaignMember.id == member_id)).first()
    if row is None:
        return None
    member, lead, contact = row
    return Member(member.id, member.status, member.created_at, lead, contact)


def campaign_figures(campaign: Campaign) -> Figures:
    """Members, responses, converted leads, opportunities from the campaign and the won amount: two queries."""
    members, responded, converted = db.session.execute(
        _live_members(sa.select(
            sa.func.count(CampaignMember.id),
            sa.func.count(sa.case((CampaignMember.status == "Responded", CampaignMember.id))),
            sa.func.count(sa.distinct(sa.case((Lead.converted_contact_id.is_not(None), Lead.id)))),
        ).select_from(CampaignMember)).where(CampaignMember.campaign_id == campaign.id)).one()
    opportunities, won = db.session.execute(
        sa.select(sa.func.count(Opportunity.id),
                  sa.func.coalesce(sa.func.sum(sa.case((Stage.is_won, Opportunity.amount))), 0))
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(Opportunity.campaign_id == campaign.id, Opportunity.deleted_at.is_(None))).one()
    return Figures(members=members, responded=responded, leads_converted=converted, opportunities=opportunities,
                   won_amount=Decimal(won))


def _history(condition) -> list[HistoryEntry]:
    rows = db.session.execute(
        sa.select(CampaignMember.id, Campaign.id, Campaign.name, CampaignMember.status, CampaignMember.created_at,
                  Campaign.start_date)
        .join(Campaign, Campaign.id == CampaignMember.campaign_id).where(condition)
        .order_by(CampaignMember.created_at.desc(), CampaignMember.id.desc()))
    return [HistoryEntry(*row) for row in rows]


def lead_history(lead: Lead) -> list[HistoryEntry]:
    """The campaigns the lead is a member of, latest first."""
    return _history(CampaignMember.lead_id == lead.id)


def contact_history(contact: Contact) -> list[HistoryEntry]:
    """The campaigns the contact is a member of (its lead's included after conversion), latest first."""
    return _history(CampaignMember.contact_id == contact.id)


def campaigns_with_counts() -> list[tuple[Campaign, int]]:
    """Every campaign (active first, then by name) with its member count: one GROUP BY."""
    counts = (_live_members(sa.select(CampaignMember.campaign_id, sa.func.count().label("members")))
              .group_by(CampaignMember.campaign_id).subquery())
    rows = db.session.execute(
        sa.select(Campaign, sa.func.coalesce(counts.c.members, 0))
        .outerjoin(counts, counts.c.campaign_id == Campaign.id)
        .order_by(Campaign.active.desc(), Campaign.name, Campaign.id))
    return [(campaign, count) for campaign, count in rows]


LOOKUP_LIMIT = 10


def lookup_people(q: str, limit: int = LOOKUP_LIMIT) -> tuple[list[Lead], list[Contact]]:
    """Open leads and live contacts matching every word of `q` (at most `limit` of each)."""
    if not q.strip():
        return [], []
    leads = search(sharing.visible(sa.select(Lead), Lead).join(LeadStatus, LeadStatus.id == Lead.status_id)
                   .where(Lead.deleted_at.is_(None), LeadStatus.is_converted.is_(False)), Lead, q)
    contacts = search(sharing.visible(sa.select(Contact), Contact).where(Contact.deleted_at.is_(None)), Contact, q)
    return (list(db.session.scalars(leads.order_by(Lead.last_name, Lead.first_name, Lead.id).limit(limit))),
            list(db.session.scalars(contacts.order_by(Contact.last_name, Contact.first_name, Contact.id).limit(limit))))
