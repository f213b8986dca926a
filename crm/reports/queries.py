"""The reports' figures: one function per report, each a few GROUP BY queries returning plain rows.

Nothing here loops over records: the database counts, sums and averages, and Python only turns a
handful of aggregated rows (one per stage, month, source, owner...) into named tuples. Dates are
bucketed and subtracted by the small dialect-aware helpers below, so every query runs the same on
SQLite and PostgreSQL.

Which date a report filters on:
- opportunity reports (pipeline, forecast, win rate): the close date, as the opportunity list's
  close_from/close_to filters do, so that a bar links to exactly the deals behind it;
- lead reports (funnel, conversion, speed to lead): the lead's creation;
- stage history (stage conversion, days in stage): the opportunity's creation (a cohort).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from crm import sharing
from crm.extensions import db
from crm.models import Activity, Campaign, Lead, LeadStatus, Opportunity, OpportunityStageHistory, Stage, User

CENT = Decimal("0.01")
# The forecast categories a forecast shows, in the order of the stacked bars (Omitted is left out).
FORECAST_CATEGORIES = ("Closed", "Commit", "Best Case", "Pipeline")


# -- Dialect-aware helpers ---------------------------------------------------------------------

class year_month(FunctionElement):
    """The 'YYYY-MM' of a date or timestamp."""

    type = sa.String()
    inherit_cache = True


@compiles(year_month)
def _year_month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"


@compiles(year_month, "postgresql")
def _year_month_postgresql(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


class days_between(FunctionElement):
    """Days (fractional) from the second date or timestamp to the first."""

    type = sa.Float()
    inherit_cache = True


@compiles(days_between)
def _days_between_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(julianday({later}) - julianday({earlier}))"


@compiles(days_between, "postgresql")
def _days_between_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(c, **kw) for c in element.clauses)
    return f"(EXTRACT(EPOCH FROM (CAST({later} AS TIMESTAMP) - CAST({earlier} AS TIMESTAMP))) / 86400.0)"


def _decimal(value) -> Decimal:
    """A SUM or AVG of amounts as money: SQLite answers a float, PostgreSQL a Decimal."""
    return Decimal(str(value or 0)).quantize(CENT)


def _float(value, digits: int = 1) -> float | None:
    return None if value is None else round(float(value), digits)


def _count(expression) -> sa.ColumnElement:
    """How many rows match `expression` (a SUM of a CASE: COUNT FILTER is not on SQLite < 3.30)."""
    return sa.func.coalesce(sa.func.sum(sa.case((expression, 1), else_=0)), 0)


# -- What every report is scoped to -----------------------------------------------------------

@dataclass(frozen=True)
class Scope:
    """The filters every report takes: a period (both ends included), an owner, a pipeline."""

    start: date | None = None
    end: date | None = None
    owner_id: int | None = None
    pipeline_id: int | None = None

    def dates(self, column) -> list:
        """`column` (a date) within the period."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column <= self.end)
        return conditions

    def instants(self, column) -> list:
        """`column` (a timestamp) within the period: from its first midnight to the next after its end."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= datetime.combine(self.start, time()))
        if self.end is not None:
            conditions.append(column < datetime.combine(self.end + timedelta(days=1), time()))
        return conditions

    def opportunities(self, *, by: str = "close") -> list:
        """Live opportunities of the owner and pipeline, closing (or created) in the period."""
        conditions = [Opportunity.deleted_at.is_(None)]
        conditions += self.dates(Opportunity.close_date) if by == "close" else self.instants(Opportunity.created_at)
        if self.owner_id is not None:
            conditions.append(Opportunity.owner_id == self.owner_id)
        if self.pipeline_id is not None:
            conditions.append(Opportunity.pipeline_id == self.pipeline_id)
        return conditions + _visible(Opportunity)

    def leads(self) -> list:
        """Live leads of the owner created in the period (leads have no pipeline)."""
        conditions = [Lead.deleted_at.is_(None), *self.instants(Lead.created_at)]
        if self.owner_id is not None:
            conditions.append(Lead.owner_id == self.owner_id)
        return conditions + _visible(Lead)


def _visible(model) -> list:
    """Private sharing (crm/sharing.py): a rep's reports count only the records they may see."""
    clause = sharing.visible_clause(model)
    return [] if clause is None else [clause]


# -- Pipeline by stage --------------------------------------------------------------------------

class StageFigures(NamedTuple):
    stage_id: int
    stage: str
    is_closed: bool
    is_won: bool
    count: int
    amount: Decimal
    weighted: Decimal  # amount × probability / 100


def pipeline_by_stage(scope: Scope, pipeline_id: int) -> list[StageFigures]:
    """Count, amount and weighted amount of the deals closing in the period, per stage of the
    pipeline in its order (the open stages first, as on the board); empty stages included."""
    join = sa.and_(Opportunity.stage_id == Stage.id, *scope.opportunities())
    query = (sa.select(Stage.id, Stage.name, Stage.is_closed, Stage.is_won, Stage.position,
                       sa.func.count(Opportunity.id), sa.func.sum(Opportunity.amount),
                       sa.func.sum(Opportunity.amount * Opportunity.probability))
             .select_from(Stage).outerjoin(Opportunity, join)
             .where(Stage.pipeline_id == pipeline_id)
             .group_by(Stage.id, Stage.name, Stage.is_closed, Stage.is_won, Stage.position)
             .order_by(Stage.is_closed, Stage.position, Stage.id))
    return [StageFigures(stage_id, name, is_closed, is_won, count, _decimal(amount), _decimal((weighted or 0) / 100))
            for stage_id, name, is_closed, is_won, _position, count, amount, weighted in db.session.execute(query)]


# -- Forecast ------------------------------------------------------------------------------------

class ForecastFigures(NamedTuple):
    month: str  # YYYY-MM
    category: str
    count: int
    amount: Decimal
    weighted: Decimal


def forecast(scope: Scope) -> list[ForecastFigures]:
    """Count, amount and weighted amount per close month and forecast category (Omitted and deals
    without a close date left out), months in order."""
    month = year_month(Opportunity.close_date)
    query = (sa.select(month, Stage.forecast_category, sa.func.count(Opportunity.id), sa.func.sum(Opportunity.amount),
                       sa.func.sum(Opportunity.amount * Opportunity.probability))
             .select_from(Opportunity).join(Stage, Stage.id == Opportunity.stage_id)
             .where(*scope.opportunities(), Opportunity.close_date.is_not(None),
                    Stage.forecast_category.in_(FORECAST_CATEGORIES))
             .group_by(month, Stage.forecast_category)
             .order_by(month))
    rows = [ForecastFigures(m, category, count, _decimal(amount), _decimal((weighted or 0) / 100))
            for m, category, count, amount, weighted in db.session.execute(query)]
    return sorted(rows, key=lambda r: (r.month, FORECAST_CATEGORIES.index(r.category)))


# -- Lead funnel and conversion ------------------------------------------------------------------

class StatusFigures(NamedTuple):
    status_id: int
    status: str
    is_converted: bool
    count: int


def lead_funnel(scope: Scope) -> list[StatusFigures]:
    """Leads created in the period per status, in the admin's order of statuses (empty ones too)."""
    join = sa.and_(Lead.status_id == LeadStatus.id, *scope.leads())
    query = (sa.select(LeadStatus.id, LeadStatus.label, LeadStatus.is_converted, LeadStatus.position,
                       sa.func.count(Lead.id))
             .select_from(LeadStatus).outerjoin(Lead, join)
             .group_by(LeadStatus.id, LeadStatus.label, LeadStatus.is_converted, LeadStatus.position)
             .order_by(LeadStatus.position, LeadStatus.id))
    return [StatusFigures(status_id, name, is_converted, count)
            for status_id, name, is_converted, _position, count in db.session.execute(query)]


class ConversionFigures(NamedTuple):
    key: str | int | None  # the lead source, or the campaign's id; None: none given
    name: str | None  # the campaign's name (None for a source)
    leads: int
    converted: int

    @property
    def rate(self) -> float:
        return self.converted / self.leads if self.leads else 0.0


def _converted() -> sa.ColumnElement:
    converted_ids = sa.select(LeadStatus.id).where(LeadStatus.is_converted).scalar_subquery()
    return Lead.status_id.in_(converted_ids)


def conversion_by_source(scope: Scope) -> list[ConversionFigures]:
    """Leads created in the period and how many of them are converted, per lead source (most leads first)."""
    count = sa.func.count(Lead.id)
    query = (sa.select(Lead.lead_source, count, _count(_converted()))
             .where(*scope.leads()).group_by(Lead.lead_source)
             .order_by(count.desc(), Lead.lead_source))
    return [ConversionFigures(source, None, leads, converted)
            for source, leads, converted in db.session.execute(query)]


def conversion_by_campaign(scope: Scope) -> list[ConversionFigures]:
    """The same per campaign (the lead's primary campaign), most leads first."""
    count = sa.func.count(Lead.id)
    query = (sa.select(Lead.campaign_id, Campaign.name, count, _count(_converted()))
             .select_from(Lead).outerjoin(Campaign, Campaign.id == Lead.campaign_id)
             .where(*scope.leads()).group_by(Lead.campaign_id, Campaign.name)
             .order_by(count.desc(), Campaign.name))
    return [ConversionFigures(campaign_id, name, leads, converted)
            for campaign_id, name, leads, converted in db.session.execute(query)]


# -- Win rate, deal size, sales cycle by owner -----------------------------------------------------

class OwnerFigures(NamedTuple):
    owner_id: int | None
    owner: str | None
    closed: int
    won: int
    won_amount: Decimal
    average_deal: Decimal | None  # average amount of the won deals
    cycle_days: float | None  # average days from creation to close date of the won deals

    @property
    def win_rate(self) -> float:
        return self.won / self.closed if self.closed else 0.0


def win_rates(scope: Scope) -> list[OwnerFigures]:
    """Per owner, the deals closed (won or lost) with a close date in the period: how many, how many
    won, the won amount, the average won amount and the average sales cycle of the won ones."""
    won = Stage.is_won
    closed = sa.func.count(Opportunity.id)
    query = (sa.select(Opportunity.owner_id, User.name, closed, _count(won),
                       sa.func.sum(sa.case((won, Opportunity.amount))),
                       sa.func.avg(sa.case((won, Opportunity.amount))),
                       sa.func.avg(sa.case((won, days_between(Opportunity.close_date, Opportunity.created_at)))))
             .select_from(Opportunity).join(Stage, Stage.id == Opportunity.stage_id)
             .outerjoin(User, User.id == Opportunity.owner_id)
             .where(*scope.opportunities(), Stage.is_closed)
             .group_by(Opportunity.owner_id, User.name)
             .order_by(User.name, Opportunity.owner_id))
    return [OwnerFigures(owner_id, name, closed_count, won_count, _decimal(won_amount),
                         None if average is None else _decimal(average), _float(cycle))
            for owner_id, name, closed_count, won_count, won_amount, average, cycle in db.session.execute(query)]


# -- Speed to lead -------------------------------------------------------------------------------

class SpeedFigures(NamedTuple):
    owner_id: int | None
    owner: str | None
    leads: int
    contacted: int  # leads with at least one activity
    average_hours: float | None
    median_hours: float | None


def _first_activity_hours(scope: Scope):
    """Per lead created in the period: its owner and the hours from its creation to its first
    activity (NULL when it has none yet). The first activities come from one GROUP BY over the
    (lead_id, created_at) index, joined to the leads: a correlated subquery would run again for
    every use of the hours."""
    first = (sa.select(Activity.lead_id, sa.func.min(Activity.created_at).label("first_at"))
             .where(Activity.lead_id.is_not(None)).group_by(Activity.lead_id).subquery("first_activities"))
    return (sa.select(Lead.owner_id.label("owner_id"),
                      (days_between(first.c.first_at, Lead.created_at) * 24).label("hours"))
            .select_from(Lead).outerjoin(first, first.c.lead_id == Lead.id)
            .where(*scope.leads()).subquery("first_activity"))


def speed_to_lead(scope: Scope) -> tuple[list[SpeedFigures], SpeedFigures]:
    """Per owner and for everyone: leads created in the period, how many have an activity, and the
    average and median hours from creation to the first activity.

    One query: the median is the middle row (or the mean of the two middle rows) of the hours in
    order, numbered by window functions (there is no MEDIAN on SQLite, and the same SQL serves
    both databases), once per owner and once for everyone; each owner's row also sums the
    everyone-middle rows that fall in it, so the overall figures add up from the owners' rows."""
    leads = _first_activity_hours(scope)
    hours = leads.c.hours
    # Numbered apart from the leads without an activity (NULL sorts first on one database, last
    # on the other), and counted without them.
    ranked = sa.select(
        leads.c.owner_id, hours,
        sa.func.row_number().over(partition_by=[leads.c.owner_id, hours.is_(None)], order_by=hours).label("n"),
        sa.func.count(hours).over(partition_by=leads.c.owner_id).label("total"),
        sa.func.row_number().over(partition_by=hours.is_(None), order_by=hours).label("everyone_n"),
        sa.func.count(hours).over().label("everyone_total"),
    ).subquery("ranked")

    def middle(n, total):
        return sa.and_(ranked.c.hours.is_not(None), sa.or_(n * 2 == total + 1, n * 2 == total, n * 2 == total + 2))

    everyone_middle = middle(ranked.c.everyone_n, ranked.c.everyone_total)
    query = (sa.select(ranked.c.owner_id, User.name, sa.func.count(), sa.func.count(ranked.c.hours),
                       sa.func.avg(ranked.c.hours), sa.func.sum(ranked.c.hours),
                       sa.func.avg(sa.case((middle(ranked.c.n, ranked.c.total), ranked.c.hours))),
                       sa.func.sum(sa.case((everyone_middle, ranked.c.hours))), _count(everyone_middle))
             .select_from(ranked).outerjoin(User, User.id == ranked.c.owner_id)
             .group_by(ranked.c.owner_id, User.name).order_by(User.name, ranked.c.owner_id))
    rows, leads_count, contacted, total_hours, middle_hours, middle_count = [], 0, 0, 0.0, 0.0, 0
    for owner_id, name, count, with_activity, average, owner_hours, median, middle_sum, middles in \
            db.session.execute(query):
        rows.append(SpeedFigures(owner_id, name, count, with_activity, _float(average), _float(median)))
        # Everyone's figures from the owners' sums (a handful of rows, one per owner).
        leads_count, contacted = leads_count + count, contacted + with_activity
        total_hours += float(owner_hours or 0)
        middle_hours, middle_count = middle_hours + float(middle_sum or 0), middle_count + int(middles)
    everyone = SpeedFigures(None, None, leads_count, contacted,
                            _float(total_hours / contacted) if contacted else None,
                            _float(middle_hours / middle_count) if middle_count else None)
    return rows, everyone


# -- Stage conversion and days in stage (from the stage history) -----------------------------------

class StageFlow(NamedTuple):
    stage_id: int
    stage: str
    is_won: bool
    reached: int  # opportunities that reached this stage or a later one (lost stages aside)
    left: int  # history rows that left this stage
    average_days: float | None  # average days spent in it before leaving


def stage_flow(scope: Scope, pipeline_id: int) -> list[StageFlow]:
    """For the deals of the pipeline created in the period, per stage (open ones in order, then
    won): how many reached it or went further, and the average days spent in it.

    "Reached" counts a deal at every stage up to the furthest one its history entered, so a deal
    that skipped a stage still counts there: the funnel never widens. Lost stages are no step."""
    deals = [*scope.opportunities(by="created"), Opportunity.pipeline_id == pipeline_id]
    not_lost = sa.or_(sa.not_(Stage.is_closed), Stage.is_won)
    # A won stage is the last step wherever the admin put it in the list.
    step = sa.case((Stage.is_won, Stage.position + 1_000_000), else_=Stage.position)
    furthest = (sa.select(OpportunityStageHistory.opportunity_id, sa.func.max(step).label("step"))
                .join(Stage, Stage.id == OpportunityStageHistory.to_stage_id)
                .join(Opportunity, Opportunity.id == OpportunityStageHistory.opportunity_id)
                .where(*deals, not_lost)
                .group_by(OpportunityStageHistory.opportunity_id).subquery("furthest"))
    reached_query = (sa.select(Stage.id, Stage.name, Stage.is_won, Stage.position,
                               sa.func.count(furthest.c.opportunity_id))
                     .select_from(Stage).outerjoin(furthest, furthest.c.step >= step)
                     .where(Stage.pipeline_id == pipeline_id, not_lost)
                     .group_by(Stage.id, Stage.name, Stage.is_won, Stage.position)
                     .order_by(Stage.is_won, Stage.position, Stage.id))
    days_query = (sa.select(OpportunityStageHistory.from_stage_id, sa.func.count(),
                            sa.func.avg(OpportunityStageHistory.days_in_previous))
                  .join(Opportunity, Opportunity.id == OpportunityStageHistory.opportunity_id)
                  .where(*deals, OpportunityStageHistory.from_stage_id.is_not(None))
                  .group_by(OpportunityStageHistory.from_stage_id))
    days = {stage_id: (count, average) for stage_id, count, average in db.session.execute(days_query)}
    rows = []
    for stage_id, name, is_won, _position, reached in db.session.execute(reached_query):
        left, average = days.get(stage_id, (0, None))
        rows.append(StageFlow(stage_id, name, is_won, reached, left, _float(average)))
    return rows
