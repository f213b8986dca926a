"""The opportunity Kanban board (/opportunities/board): a column per stage of one pipeline.

The open stages list their cards, most recently updated first, 25 at a time with keyset
pagination ("Show more"); the closed stages sit at the end as drop zones. Every column header
shows its count, total and weighted amount from one GROUP BY over the filtered set, never from
loading rows, so a board of 20,000 deals opens as fast as one of 20. After a move the answer
brings every header back out of band: a move made meanwhile by someone else shows too.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, lazyload, load_only
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired

from crm.extensions import db
from crm.htmx import render, wants_fragment
from crm.leads.labels import label
from crm.models import Account, Opportunity, Pipeline, Stage, User
from crm.models.user import utcnow
from crm.opportunities import bp, services
from crm.opportunities.record import get_opportunity

CARDS_PER_COLUMN = 25
CENT = Decimal("0.01")
# The close periods the filter offers, in its order ("" is any close date).
CLOSE_PERIODS = {
    "": _l("Any close date"),
    "overdue": _l("Overdue"),
    "this-month": _l("This month"),
    "this-quarter": _l("This quarter"),
    "next-quarter": _l("Next quarter"),
    "this-year": _l("This year"),
}


def _quarter_start(day: date, quarters_ahead: int = 0) -> date:
    months = day.year * 12 + (day.month - 1) // 3 * 3 + 3 * quarters_ahead
    return date(months // 12, months % 12 + 1, 1)


def close_range(period: str, today: date) -> tuple[date | None, date | None]:
    """The close dates of a period: from (included), until (excluded); None is open-ended."""
    if period == "overdue":
        return None, today
    if period == "this-month":
        return today.replace(day=1), date(today.year + today.month // 12, today.month % 12 + 1, 1)
    if period == "this-quarter":
        return _quarter_start(today), _quarter_start(today, 1)
    if period == "next-quarter":
        return _quarter_start(today, 1), _quarter_start(today, 2)
    if period == "this-year":
        return date(today.year, 1, 1), date(today.year + 1, 1, 1)
    return None, None


@dataclass(frozen=True)
class Filters:
    """What the board shows: one pipeline, everyone's deals or the user's, a close period."""

    pipeline: Pipeline
    mine: bool = False
    close: str = ""

    @classmethod
    def read(cls, values, pipeline: Pipeline | None = None) -> "Filters":
        """From the query string (or a form); an unknown close period means any. :raises 404:"""
        if pipeline is None:
            pipeline_id = values.get("pipeline", "")
            if pipeline_id:
                pipeline = db.session.get(Pipeline, int(pipeline_id)) if pipeline_id.isdigit() else None
                if pipeline is None:
                    abort(404)
            else:
                pipeline = services.default_pipeline()
        close = values.get("close", "")
        return cls(pipeline, values.get("owner") == "me", close if close in CLOSE_PERIODS else "")

    def args(self) -> dict:
        """The query string arguments that give this board back (url_for leaves out the None)."""
        return {"pipeline": self.pipeline.id, "owner": "me" if self.mine else None, "close": self.close or None}

    def conditions(self, user: User) -> list:
        conditions = [Opportunity.deleted_at.is_(None)]
        if self.mine:
            conditions.append(Opportunity.owner_id == user.id)
        start, end = close_range(self.close, utcnow().date())
        if start is not None:
            conditions.append(Opportunity.close_date >= start)
        if end is not None:
            conditions.append(Opportunity.close_date < end)
        return conditions


@dataclass
class Column:
    stage: Stage
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    opportunities: list[Opportunity] = field(default_factory=list)
    # Where the next cards start (see cursor()), None when the column shows them all.
    next_cursor: str | None = None


class Choice(NamedTuple):
    """A stage a card's Move control offers, labelled once per request rather than once per card."""

    id: int
    text: str
    is_lost: bool


class MoveOpportunityForm(FlaskForm):
    """The card's "Move to" control, and what a drop sends; the filters say which headers to count."""

    stage = IntegerField(validators=[InputRequired()])
    loss_reason = HiddenField()
    owner = HiddenField()
    close = HiddenField()


def column_figures(user: User, filters: Filters, stages: list[Stage]) -> list[Column]:
    """Count, total and weighted amount per stage, in one GROUP BY over the filtered deals."""
    query = (sa.select(Opportunity.stage_id, sa.func.count(), sa.func.sum(Opportunity.amount),
                       sa.func.sum(Opportunity.amount * Opportunity.probability))
             .where(*filters.conditions(user), Opportunity.stage_id.in_([stage.id for stage in stages]))
             .group_by(Opportunity.stage_id))
    figures = {stage_id: (count, total, weighted) for stage_id, count, total, weighted in db.session.execute(query)}
    columns = []
    for stage in stages:
        count, total, weighted = figures.get(stage.id, (0, None, None))
        columns.append(Column(stage, count, Decimal(total or 0).quantize(CENT),
                              (Decimal(weighted or 0) / 100).quantize(CENT)))
    return columns


def cursor(opportunity: Opportunity) -> str:
    return f"{opportunity.updated_at.isoformat()},{opportunity.id}"


def parse_cursor(value: str) -> tuple[datetime, int]:
    """:raises ValueError: when the value is not one that cursor() made."""
    stamp, _sep, opportunity_id = value.rpartition(",")
    return datetime.fromisoformat(stamp), int(opportunity_id)


def column_cards(user: User, filters: Filters, stage: Stage,
                 after: tuple[datetime, int] | None = None) -> tuple[list[Opportunity], str | None]:
    """A column's next cards after `after`, and the cursor of the ones after them (or None)."""
    query = (sa.select(Opportunity)
             .where(*filters.conditions(user), Opportunity.stage_id == stage.id)
             .options(load_only(Opportunity.id, Opportunity.name, Opportunity.account_id, Opportunity.stage_id,
                                Opportunity.amount, Opportunity.close_date, Opportunity.owner_id,
                                Opportunity.updated_at),
                      lazyload(Opportunity.stage),  # the column knows it
                      joinedload(Opportunity.account).load_only(Account.id, Account.name),
                      joinedload(Opportunity.owner).load_only(User.id, User.name))
             .order_by(Opportunity.updated_at.desc(), Opportunity.id.desc())
             .limit(CARDS_PER_COLUMN + 1))
    if after is not None:
        query = query.where(sa.tuple_(Opportunity.updated_at, Opportunity.id) < after)
    opportunities = list(db.session.scalars(query))
    if len(opportunities) > CARDS_PER_COLUMN:
        opportunities = opportunities[:CARDS_PER_COLUMN]
        return opportunities, cursor(opportunities[-1])
    return opportunities, None


def board_stages(pipeline: Pipeline) -> list[Stage]:
    """The columns: the open stages in the admin's order, then the closed ones, as drop zones."""
    stages = services.stages_of(pipeline.id)
    return [s for s in stages if not s.is_closed] + [s for s in stages if s.is_closed]


def stage_choices(stages: list[Stage]) -> list[Choice]:
    return [Choice(stage.id, label(stage.name), stage.is_lost) for stage in stages]


def board_context(user: User, filters: Filters) -> dict:
    stages = board_stages(filters.pipeline)
    columns = column_figures(user, filters, stages)
    for column in columns:
        if column.count and not column.stage.is_closed:
            column.opportunities, column.next_cursor = column_cards(user, filters, column.stage)
    return {"columns": columns, "choices": stage_choices(stages), "filters": filters, "pipelines": services.pipelines(),
            "close_periods": CLOSE_PERIODS, "loss_reasons": services.loss_reasons()}


@bp.route("/board")
@login_required
def board():
    """The board of one pipeline; htmx (the filters) gets the board alone."""
    filters = Filters.read(request.args)
    return render("opportunities/board.html", "opportunities/_board.html", **board_context(current_user, filters))


@bp.route("/board/<int:stage_id>/more")
@login_required
def board_more(stage_id: int):
    """The next cards of one open column, and its next "Show more" button out of band."""
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.is_closed:
        abort(404)
    filters = Filters.read(request.args, stage.pipeline)
    if not wants_fragment():
        # The button exists only with JavaScript; a typed address gets the board.
        return redirect(url_for("opportunities.board", **filters.args()))
    try:
        after = parse_cursor(request.args.get("after", ""))
    except ValueError:
        abort(400)
    opportunities, next_cursor = column_cards(current_user, filters, stage, after)
    return render("opportunities/board.html", "opportunities/_board_more_cards.html",
                  column=Column(stage, opportunities=opportunities, next_cursor=next_cursor),
                  choices=stage_choices(board_stages(stage.pipeline)), filters=filters)


@bp.route("/<int:opportunity_id>/board-move", methods=["POST"])
@login_required
def board_move(opportunity_id: int):
    """Move a deal to another stage from the board: 303 back to it, or for htmx the card at the
    top of its new column and every header, out of band. :raises 409: when refused."""
    opportunity = get_opportunity(opportunity_id)
    form = MoveOpportunityForm()
    stage = db.session.get(Stage, form.stage.data) if form.validate_on_submit() else None
    if stage is None:
        abort(400)
    filters = Filters.read(form.data, opportunity.pipeline)
    try:
        services.change_stage(opportunity, stage, actor=current_user, loss_reason=form.loss_reason.data or None)
    except services.OpportunityError as error:
        return refused(str(error.message), filters)
    db.session.commit()
    flash(_("%(name)s moved to %(stage)s.", name=opportunity.name, stage=label(stage.name)), "success")
    if not wants_fragment():
        return redirect(url_for("opportunities.board", **filters.args()), 303)
    stages = board_stages(filters.pipeline)
    return render("opportunities/board.html", "opportunities/_board_moved.html", opportunity=opportunity,
                  on_board=not stage.is_closed, columns=column_figures(current_user, filters, stages),
                  choices=stage_choices(stages), filters=filters)


def refused(message: str, filters: Filters):
    """The service said no: the board again with the reason (409), or for htmx the reason alone."""
    db.session.rollback()
    if wants_fragment():
        abort(409, message)  # crm/errors.py swaps it into #messages; board.js puts the card back
    flash(message, "error")
    return render("opportunities/board.html", "opportunities/_board.html", status=409,
                  **board_context(current_user, filters))
