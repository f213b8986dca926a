"""The home dashboard's figures, each one aggregate query (GROUP BY in the database, never a
loop over rows), for the signed-in user ("me") or their team (crm/home/team.py).

The team figures of an admin cover everyone, leads and deals owned by queues or nobody included.
"""

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from crm import sharing
from crm.activities.services import open_tasks_assigned
from crm.extensions import db
from crm.home.team import has_team, team_member_ids
from crm.models import Account, Activity, Contact, Lead, LeadStatus, Opportunity, Pipeline, RecentView, Stage, User

CLOSING_LIMIT = 10
RECENT_LIMIT = 8
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    # SQLite sums NUMERIC as a float: back to cents.
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass(frozen=True)
class Scope:
    """Whose figures the dashboard shows: the user's own, or their team's."""

    user: User
    team: bool = False

    @classmethod
    def of(cls, user: User, requested: str | None) -> "Scope":
        """The scope asked for in the URL; a rep (who has no team) always gets their own."""
        return cls(user, team=requested == "team" and has_team(user))

    @property
    def name(self) -> str:
        return "team" if self.team else "me"

    @property
    def everyone(self) -> bool:
        """An admin's team: every record, whoever owns it."""
        return self.team and team_member_ids(self.user) is None

    def owned_by(self, column) -> sa.ColumnElement[bool]:
        """The condition on an owner (or assignee) column that keeps the scope's records."""
        if not self.team:
            return column == self.user.id
        ids = team_member_ids(self.user)
        return sa.true() if ids is None else column.in_(ids)

    def list_args(self, **args) -> dict | None:
        """The query string of the list that shows exactly a figure's records: the user's own
        views (`my_open`), everyone's (`all_open`) for an admin's team, and None for a manager's
        team, which no list view matches (its members' rows link to their own lists)."""
        if not self.team:
            return {"view": "my_open", **args}
        if self.everyone:
            return {"view": "all_open", **args}
        return None


@dataclass
class StatusCount:
    status_id: int
    label: str
    count: int


def open_leads_by_status(scope: Scope) -> list[StatusCount]:
    """Open leads of the scope per open status, in the admin's order of statuses (zeros included)."""
    leads = sa.and_(Lead.status_id == LeadStatus.id, Lead.deleted_at.is_(None), scope.owned_by(Lead.owner_id))
    query = (
        sa.select(LeadStatus.id, LeadStatus.label, sa.func.count(Lead.id))
        .outerjoin(Lead, leads)
        .where(LeadStatus.is_closed == sa.false())
        .group_by(LeadStatus.id, LeadStatus.label, LeadStatus.position)
        .order_by(LeadStatus.position, LeadStatus.id)
    )
    return [StatusCount(*row) for row in db.session.execute(query)]


@dataclass
class TaskCounts:
    overdue: int
    today: int


def open_tasks(scope: Scope) -> sa.Select:
    """The scope's open tasks (those of binned records left out), as activities sees them."""
    return open_tasks_assigned(scope.owned_by(Activity.assignee_id))


def task_counts(scope: Scope, today: date) -> TaskCounts:
    """How many open tasks of the scope are overdue, and how many are due today."""
    query = open_tasks(scope).with_only_columns(
        sa.func.coalesce(sa.func.sum(sa.case((Activity.due_date < today, 1), else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case((Activity.due_date == today, 1), else_=0)), 0),
    )
    overdue, due_today = db.session.execute(query).one()
    return TaskCounts(overdue=int(overdue), today=int(due_today))


@dataclass
class StageFigure:
    stage_id: int
    stage: str
    pipeline: str
    count: int
    amount: Decimal


@dataclass
class PipelineFigures:
    stages: list[StageFigure]
    count: int
    amount: Decimal
    several_pipelines: bool


def pipeline_by_stage(scope: Scope) -> PipelineFigures:
    """The scope's open opportunities per open stage: count and amount, in the pipelines' order.
    Pipelines without any deal of the scope are left out, unless there is only one."""
    deals = sa.and_(Opportunity.stage_id == Stage.id, Opportunity.deleted_at.is_(None),
                    scope.owned_by(Opportunity.owner_id))
    query = (
        sa.select(Stage.id, Stage.name, Pipeline.name, Pipeline.id, sa.func.count(Opportunity.id),
                  sa.func.coalesce(sa.func.sum(Opportunity.amount), 0))
        .join(Pipeline, Pipeline.id == Stage.pipeline_id)
        .outerjoin(Opportunity, deals)
        .where(Stage.is_closed == sa.false())
        .group_by(Stage.id, Stage.name, Stage.position, Pipeline.name, Pipeline.id, Pipeline.position)
        .order_by(Pipeline.position, Pipeline.id, Stage.position, Stage.id)
    )
    rows = db.session.execute(query).all()
    pipelines = {row[3] for row in rows}
    busy = {row[3] for row in rows if row[4]}
    shown = [row for row in rows if len(pipelines) == 1 or row[3] in busy]
    stages = [StageFigure(row[0], row[1], row[2], row[4], _money(row[5])) for row in shown]
    return PipelineFigures(stages=stages, count=sum(s.count for s in stages), amount=sum((s.amount for s in stages),
                     Decimal("0.00")), several_pipelines=len({s.pipeline for s in stages}) > 1)


@dataclass
class ClosingDeals:
    items: list[Opportunity]
    count: int
    amount: Decimal
    month_start: date
    month_end: date


def month_of(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def closing_this_month(scope: Scope, today: date, limit: int = CLOSING_LIMIT) -> ClosingDeals:
    """The scope's open deals whose close date falls in this month: the first `limit` by close
    date (largest first on a day), and the count and amount of them all."""
    start, end = month_of(today)
    query = (
        sa.select(Opportunity)
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(Opportunity.deleted_at.is_(None), Stage.is_closed == sa.false(),
               Opportunity.close_date.between(start, end), scope.owned_by(Opportunity.owner_id))
    )
    count, amount = db.session.execute(query.with_only_columns(
        sa.func.count(Opportunity.id), sa.func.coalesce(sa.func.sum(Opportunity.amount), 0))).one()
    items = list(db.session.scalars(
        query.options(joinedload(Opportunity.account), joinedload(Opportunity.owner))
        .order_by(Opportunity.close_date, Opportunity.amount.is_(None), Opportunity.amount.desc(), Opportunity.id)
        .limit(limit)))
    return ClosingDeals(items=items, count=count, amount=_money(amount), month_start=start, month_end=end)


@dataclass
class RecentRecord:
    record_type: str
    record_id: int
    name: str
    viewed_at: datetime


# The name each kind of record shows, and the column telling it is in the recycle bin.
_NAMES = {
    "lead": (Lead, (Lead.first_name, Lead.last_name)),
    "account": (Account, (Account.name,)),
    "contact": (Contact, (Contact.first_name, Contact.last_name)),
    "opportunity": (Opportunity, (Opportunity.name,)),
}


def recently_viewed(user: User, limit: int = RECENT_LIMIT) -> list[RecentRecord]:
    """The records `user` opened last, newest first; binned or deleted ones left out. One query
    for the views, then one per kind of record for their names."""
    views = db.session.execute(
        sa.select(RecentView.record_type, RecentView.record_id, RecentView.viewed_at)
        .where(RecentView.user_id == user.id, RecentView.record_type.in_(tuple(_NAMES)))
        .order_by(RecentView.viewed_at.desc(), RecentView.id.desc())
        .limit(limit * 2)).all()
    names: dict[tuple[str, int], str] = {}
    for kind in {v.record_type for v in views}:
        model, columns = _NAMES[kind]
        ids = [v.record_id for v in views if v.record_type == kind]
        # Private sharing: a record given away since it was opened leaves the list.
        query = sharing.visible(sa.select(model.id, *columns), model, user)
        for row in db.session.execute(query.where(model.id.in_(ids), model.deleted_at.is_(None))):
            names[(kind, row[0])] = " ".join(p for p in row[1:] if p)
    records = [RecentRecord(v.record_type, v.record_id, names[(v.record_type, v.record_id)], v.viewed_at)
               for v in views if (v.record_type, v.record_id) in names]
    return records[:limit]


@dataclass
class MemberFigures:
    user: User
    open_leads: int = 0
    open_deals: int = 0
    pipeline: Decimal = field(default_factory=lambda: Decimal("0.00"))
    overdue_tasks: int = 0


def member_figures(scope: Scope, members: list[User], today: date) -> list[MemberFigures]:
    """Per member of the team: open leads, open deals and their amount, overdue tasks. Three
    GROUP BY queries, whatever the team's size."""
    ids = [m.id for m in members]
    open_statuses = sa.select(LeadStatus.id).where(LeadStatus.is_closed == sa.false())
    leads = dict(db.session.execute(
        sa.select(Lead.owner_id, sa.func.count(Lead.id))
        .where(Lead.deleted_at.is_(None), Lead.owner_id.in_(ids), Lead.status_id.in_(open_statuses))
        .group_by(Lead.owner_id)).all())
    open_stages = sa.select(Stage.id).where(Stage.is_closed == sa.false())
    deals = {row[0]: row[1:] for row in db.session.execute(
        sa.select(Opportunity.owner_id, sa.func.count(Opportunity.id),
                  sa.func.coalesce(sa.func.sum(Opportunity.amount), 0))
        .where(Opportunity.deleted_at.is_(None), Opportunity.owner_id.in_(ids),
               Opportunity.stage_id.in_(open_stages))
        .group_by(Opportunity.owner_id))}
    overdue = dict(db.session.execute(
        open_tasks(scope).with_only_columns(Activity.assignee_id, sa.func.count(Activity.id))
        .where(Activity.due_date < today, Activity.assignee_id.in_(ids))
        .group_by(Activity.assignee_id)).all())
    return [MemberFigures(user=m, open_leads=leads.get(m.id, 0), open_deals=deals.get(m.id, (0, 0))[0],
                          pipeline=_money(deals.get(m.id, (0, 0))[1]), overdue_tasks=overdue.get(m.id, 0))
            for m in members]

