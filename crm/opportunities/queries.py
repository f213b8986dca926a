"""The opportunity list: list views, search, filters and sort turned into one SQL query, and the
filtered set's figures (count, total amount, expected revenue) in one aggregate query.

Paging and the query string work as on every list (crm/lists.py). The summary counts the whole
filtered set (it must sum it anyway), so the page itself needs no second count.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, joinedload

from crm import sharing
from crm.extensions import db
from crm.lists import PER_PAGE, ListFilters, Page, ordered, owner_filter
from crm.models import FORECAST_CATEGORIES, Account, Opportunity, Stage, User
from crm.search import search

VIEWS = ("my_open", "all_open", "closing_this_month", "won", "lost", "all")
SORT_KEYS = ("name", "account", "stage", "amount", "close", "owner")
DEFAULT_SORT = "close"
ACCOUNT_LIMIT = 50
CENT = Decimal("0.01")


@dataclass
class OpportunityFilters(ListFilters):
    VIEWS = VIEWS
    DEFAULT_VIEW = "my_open"
    SORT_KEYS = SORT_KEYS
    DEFAULT_SORT = DEFAULT_SORT

    stage: int | None = None
    pipeline: int | None = None
    account: int | None = None
    close_from: str = ""  # as typed (YYYY-MM-DD): a bad date is reported, never a 500
    close_to: str = ""
    # A forecast category (reports link here): the deals whose stage is in it.
    forecast: str = ""

    @classmethod
    def parse_extra(cls, name: str, raw: str):
        if name in ("stage", "pipeline", "account"):
            return int(raw) if raw.isdigit() and len(raw) < 10 else None
        if name == "forecast":
            return raw if raw in FORECAST_CATEGORIES else ""
        return raw.strip()[:40]

    @staticmethod
    def _date(raw: str) -> date | None:
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    @property
    def close_from_date(self) -> date | None:
        return self._date(self.close_from)

    @property
    def close_to_date(self) -> date | None:
        return self._date(self.close_to)

    @property
    def errors(self) -> dict[str, str]:
        """The filters that could not be read, with a message; the list ignores them."""
        message = _l("Enter a date as YYYY-MM-DD (for example 2027-03-31).")
        return {name: message for name in ("close_from", "close_to")
                if getattr(self, name) and self._date(getattr(self, name)) is None}


def stage_ids(*, closed: bool | None = None, won: bool | None = None) -> list[int]:
    """Ids of the stages (of every pipeline) that are open, won or lost: a handful of rows."""
    query = sa.select(Stage.id)
    if closed is not None:
        query = query.where(Stage.is_closed == closed)
    if won is not None:
        query = query.where(Stage.is_won == won)
    return list(db.session.scalars(query))


def filtered(filters: OpportunityFilters, user: User, today: date | None = None) -> sa.Select:
    """The opportunities the list shows, unsorted (the recycle bin excluded)."""
    query = sharing.visible(sa.select(Opportunity).where(Opportunity.deleted_at.is_(None)), Opportunity, user)
    if filters.view == "my_open":
        query = query.where(Opportunity.owner_id == user.id, Opportunity.stage_id.in_(stage_ids(closed=False)))
    elif filters.view == "all_open":
        query = query.where(Opportunity.stage_id.in_(stage_ids(closed=False)))
    elif filters.view == "closing_this_month":
        today = today or date.today()
        last = calendar.monthrange(today.year, today.month)[1]
        query = query.where(Opportunity.close_date.between(today.replace(day=1), today.replace(day=last)))
    elif filters.view == "won":
        query = query.where(Opportunity.stage_id.in_(stage_ids(closed=True, won=True)))
    elif filters.view == "lost":
        query = query.where(Opportunity.stage_id.in_(stage_ids(closed=True, won=False)))
    query = owner_filter(search(query, Opportunity, filters.q), Opportunity.owner_id, filters.owner, user)
    if filters.stage:
        query = query.where(Opportunity.stage_id == filters.stage)
    if filters.pipeline:
        query = query.where(Opportunity.pipeline_id == filters.pipeline)
    if filters.account:
        query = query.where(Opportunity.account_id == filters.account)
    if filters.forecast:
        query = query.where(Opportunity.stage_id.in_(
            sa.select(Stage.id).where(Stage.forecast_category == filters.forecast)))
    if close_from := filters.close_from_date:
        query = query.where(Opportunity.close_date >= close_from)
    if close_to := filters.close_to_date:
        query = query.where(Opportunity.close_date <= close_to)
    return query


def sorted_query(query: sa.Select, filters: OpportunityFilters) -> sa.Select:
    """`query` in the order the list asks for, the id last so that pages never overlap."""
    key = filters.sort_key
    if key == "account":
        account = aliased(Account)
        query = query.join(account, account.id == Opportunity.account_id)
        columns = (account.name,)
    elif key == "owner":
        owner = aliased(User)
        query = query.outerjoin(owner, owner.id == Opportunity.owner_id)
        columns = (owner.name,)
    elif key == "stage":
        # By the pipelines' order of their stages, as the path shows them.
        stage = aliased(Stage)
        query = query.join(stage, stage.id == Opportunity.stage_id)
        columns = (stage.pipeline_id, stage.position)
    else:
        columns = {"name": (Opportunity.name,), "amount": (Opportunity.amount,),
                   "close": (Opportunity.close_date,)}[key]
    return ordered(query, columns, Opportunity.id, filters.descending)


@dataclass
class Summary:
    count: int
    amount: Decimal
    expected_revenue: Decimal


def summary(query: sa.Select) -> Summary:
    """Count, total amount and expected revenue (amount × probability / 100) of the filtered set,
    in one aggregate query."""
    row = db.session.execute(query.order_by(None).with_only_columns(
        sa.func.count(Opportunity.id),
        sa.func.coalesce(sa.func.sum(Opportunity.amount), 0),
        sa.func.coalesce(sa.func.sum(Opportunity.amount * Opportunity.probability), 0),
    )).one()
    amount, weighted = Decimal(str(row[1])), Decimal(str(row[2]))
    return Summary(count=row[0], amount=amount.quantize(CENT), expected_revenue=(weighted / 100).quantize(CENT))


def opportunity_page(filters: OpportunityFilters, user: User) -> tuple[Page, Summary]:
    """One page of the list (account and owner loaded with it) and the filtered set's figures."""
    query = filtered(filters, user)
    figures = summary(query)
    rows = list(db.session.scalars(
        sorted_query(query, filters).options(joinedload(Opportunity.account), joinedload(Opportunity.owner))
        .limit(PER_PAGE + 1).offset((filters.page - 1) * PER_PAGE)).unique())
    page = Page(items=rows[:PER_PAGE], page=filters.page, has_next=len(rows) > PER_PAGE, total=figures.count,
                total_capped=False)
    return page, figures


def account_opportunities(account: Account, limit: int | None = None) -> list[Opportunity]:
    """The account's opportunities, latest close date first (those without one last); limit + 1
    rows (ACCOUNT_LIMIT by default) are fetched so that the page can say there are more."""
    limit = limit or ACCOUNT_LIMIT
    return list(db.session.scalars(
        sharing.visible(sa.select(Opportunity), Opportunity)
        .where(Opportunity.account_id == account.id, Opportunity.deleted_at.is_(None))
        .order_by(Opportunity.close_date.is_(None), Opportunity.close_date.desc(), Opportunity.id.desc())
        .limit(limit + 1)))
