"""The lead list: filters, list views, search and sort turned into one SQL query.

Paging and the query string work as on every list (crm/lists.py).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask_babel import gettext as _

from crm.extensions import db
from crm.i18n import datetime_formatter
from crm.leads.access import visible_leads
from crm.leads.labels import label
from crm.lists import ListFilters, Page, last_viewed_first, ordered, owner_filter, page_of, recently_viewed
from crm.models import Lead, LeadStatus, PicklistValue, Queue, QueueMember, User
from crm.search import search

VIEWS = ("my_open", "all_open", "recent", "converted", "all", "my_queues", "duplicates")
SORTS = {
    "name": (Lead.last_name, Lead.first_name),
    "company": (Lead.company,),
    "status": (),  # by the admin's order of statuses, see sort_columns()
    "rating": (),  # by the admin's order of ratings (Hot, Warm, Cold), not alphabetically
    "created": (Lead.created_at,),
    "updated": (Lead.updated_at,),
}
DEFAULT_SORT = "-updated"


@dataclass
class LeadFilters(ListFilters):
    VIEWS = VIEWS
    DEFAULT_VIEW = "my_open"
    SORT_KEYS = tuple(SORTS)

    status: int | None = None
    rating: str = ""
    source: str = ""
    # Reports link here: the leads of a campaign, created in a period (YYYY-MM-DD, both included).
    campaign: int | None = None
    created_from: str = ""
    created_to: str = ""

    @classmethod
    def parse_extra(cls, name: str, raw: str):
        if name in ("status", "campaign"):
            return int(raw) if raw.isdigit() and len(raw) < 10 else None
        if name in ("created_from", "created_to"):
            return raw if _date(raw) else ""  # an unreadable date is no filter
        return super().parse_extra(name, raw)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw and len(raw) == 10 else None
    except ValueError:
        return None


def lead_query(filters: LeadFilters, user: User, statuses=None) -> sa.Select:
    """The filtered, sorted select of the list (without paging). `statuses`: the LeadStatus rows,
    when the caller has them already."""
    query = visible_leads(user)
    if statuses is None:
        statuses = db.session.execute(sa.select(LeadStatus.id, LeadStatus.is_closed, LeadStatus.is_converted)).all()
    open_ids = [s.id for s in statuses if not s.is_closed]
    converted_ids = [s.id for s in statuses if s.is_converted]
    if filters.view == "my_open":
        query = query.where(Lead.owner_id == user.id, Lead.status_id.in_(open_ids))
    elif filters.view == "all_open":
        query = query.where(Lead.status_id.in_(open_ids))
    elif filters.view == "my_queues":
        # Open leads waiting in the queues the user is a member of, to take.
        mine = sa.select(QueueMember.queue_id).where(QueueMember.user_id == user.id)
        query = query.where(Lead.queue_id.in_(mine), Lead.status_id.in_(open_ids))
    elif filters.view == "duplicates":
        # Open leads that came in unattended (web form, import) looking like a stored record.
        query = query.where(Lead.possible_duplicate, Lead.status_id.in_(open_ids))
    elif filters.view == "converted":
        query = query.where(Lead.status_id.in_(converted_ids))
    elif filters.view == "recent":
        query = recently_viewed(query, Lead, "lead", user)
    query = owner_filter(search(query, Lead, filters.q), Lead.owner_id, filters.owner, user)
    if filters.status:
        query = query.where(Lead.status_id == filters.status)
    if filters.rating:
        query = query.where(Lead.rating == filters.rating)
    if filters.source:
        query = query.where(Lead.lead_source == filters.source)
    if filters.campaign:
        query = query.where(Lead.campaign_id == filters.campaign)
    if filters.created_from:
        query = query.where(Lead.created_at >= datetime.combine(_date(filters.created_from), time.min))
    if filters.created_to:
        query = query.where(Lead.created_at < datetime.combine(_date(filters.created_to) + timedelta(days=1), time.min))
    if filters.view == "recent" and filters.sort == DEFAULT_SORT:
        return last_viewed_first(query, Lead)
    return ordered(query, sort_columns(filters.sort_key, statuses), Lead.id, filters.descending)


def sort_columns(key: str, statuses) -> tuple:
    """Columns to order by; status and rating follow the admin's order of their values."""
    if key == "status":
        positions = dict(db.session.execute(sa.select(LeadStatus.id, LeadStatus.position)).all())
        return (sa.case(positions, value=Lead.status_id, else_=0),)
    if key == "rating":
        ratings = db.session.execute(
            sa.select(PicklistValue.label, PicklistValue.position).where(PicklistValue.picklist == "rating")).all()
        return (sa.case(dict(ratings), value=Lead.rating, else_=len(ratings) + 1),)
    return SORTS[key]


class LeadRow(NamedTuple):
    """A row of the list, ready to print: selected as columns (no ORM object), its labels
    translated and its date formatted here, once per distinct value, not by a filter per cell."""

    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    phone_e164: str | None
    status: str
    rating: str
    owner: str
    updated_at: str  # ISO, for <time datetime>
    updated: str


class _ListRows:
    """The list's columns and joins around the filtered, sorted, paged select (crm.lists.page_of)."""

    def __init__(self):
        self.labels: dict[str | None, str] = {}
        self.when = datetime_formatter("short")

    def label(self, value: str | None) -> str:
        if value not in self.labels:
            self.labels[value] = label(value)
        return self.labels[value]

    @staticmethod
    def select(paged: sa.Select) -> sa.Select:
        return (paged.with_only_columns(
                    Lead.id, Lead.first_name, Lead.last_name, Lead.company, Lead.email, Lead.phone, Lead.phone_e164,
                    LeadStatus.label, Lead.rating, User.name, Queue.name, Lead.updated_at)
                .join_from(Lead, LeadStatus, LeadStatus.id == Lead.status_id)
                .outerjoin_from(Lead, User, User.id == Lead.owner_id)
                .outerjoin_from(Lead, Queue, Queue.id == Lead.queue_id))

    def row(self, r) -> LeadRow:
        (lead_id, first_name, last_name, company, email, phone, phone_e164, status, rating, owner, queue,
         updated_at) = r
        return LeadRow(lead_id, f"{first_name} {last_name}" if first_name else last_name, company, email, phone,
                       phone_e164, self.label(status), self.label(rating),
                       _("Queue %(name)s", name=queue) if queue else owner or "",
                       updated_at.isoformat(), self.when(updated_at))


def lead_page(filters: LeadFilters, user: User, statuses=None) -> Page:
    """One page of the list as LeadRows, and its count up to COUNT_CAP."""
    return page_of(lead_query(filters, user, statuses), Lead.id, filters.page, shape=_ListRows())
