"""Campaigns: the rules an admin's or manager's edits must keep. Services flush; the caller commits.

Names are unique whatever their case; the end date is never before the start date (the database
checks that too). Campaigns are never deleted: leads keep theirs, an inactive one is no longer offered.
"""

from datetime import date

import sqlalchemy as sa

from crm.extensions import db
from crm.models import CAMPAIGN_STATUSES, CAMPAIGN_TYPES, Campaign, Lead


class CampaignError(Exception):
    """A campaign rule was broken."""


class NameTaken(CampaignError):
    """Another campaign has this name (compared case-insensitively)."""


class DatesOutOfOrder(CampaignError):
    """The end date is before the start date."""


def campaigns() -> list[Campaign]:
    """All campaigns, active ones first, then by name."""
    return list(db.session.scalars(sa.select(Campaign).order_by(Campaign.active.desc(), Campaign.name, Campaign.id)))


def campaign_lead_counts() -> dict[int, int]:
    """How many leads (the recycle bin included) came from each campaign, by campaign id: one query."""
    rows = db.session.execute(
        sa.select(Lead.campaign_id, sa.func.count()).where(Lead.campaign_id.is_not(None)).group_by(Lead.campaign_id)
    )
    return dict(rows.all())


def _check(name: str, type: str | None, status: str, start_date: date | None, end_date: date | None,
           exclude_id: int | None = None) -> None:
    if type is not None and type not in CAMPAIGN_TYPES:
        raise ValueError(f"unknown campaign type {type!r}")
    if status not in CAMPAIGN_STATUSES:
        raise ValueError(f"unknown campaign status {status!r}")
    query = sa.select(Campaign.name)
    if exclude_id is not None:
        query = query.where(Campaign.id != exclude_id)
    # casefold in Python: SQLite's lower() only folds ASCII, and campaigns are few.
    if any(other.strip().casefold() == name.casefold() for other in db.session.scalars(query)):
        raise NameTaken(name)
    if start_date and end_date and end_date < start_date:
        raise DatesOutOfOrder()


def create_campaign(*, name: str, type: str | None = None, status: str = "Planned", start_date: date | None = None,
                    end_date: date | None = None, active: bool = True) -> Campaign:
    """Add a campaign. :raises NameTaken: :raises DatesOutOfOrder:"""
    name = name.strip()
    _check(name, type, status, start_date, end_date)
    campaign = Campaign(name=name, type=type, status=status, start_date=start_date, end_date=end_date, active=active)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def update_campaign(campaign: Campaign, *, name: str, type: str | None, status: str, start_date: date | None,
                    end_date: date | None, active: bool) -> Campaign:
    """Change a campaign's fields. :raises NameTaken: :raises DatesOutOfOrder:"""
    name = name.strip()
    _check(name, type, status, start_date, end_date, exclude_id=campaign.id)
    campaign.name, campaign.type, campaign.status = name, type, status
    campaign.start_date, campaign.end_date, campaign.active = start_date, end_date, active
    db.session.flush()
    return campaign


def set_active(campaign: Campaign, active: bool) -> Campaign:
    """Offer the campaign on lead forms again, or stop offering it (leads keep it)."""
    campaign.active = active
    db.session.flush()
    return campaign
