"""The opportunity Kanban board (/opportunities/board): a column per stage of one pipeline.

The open stages list their cards, most recently updated first, 25 at a time with keyset
pagination ("Show more"); the closed stages sit at the end as drop zones. Every column header
shows its count, total and weighted amount from one GROUP BY over the filtered set, never from
loading rows, so a board of 20,000 deals opens as fast as one of 20. After a move the answer
brings every header back out of band: a move made meanwhile by someone else shows too.

Two hundred cards are printed per page, so a card costs little: it carries no form (its Move
button opens the board's one Move dialog, or without JavaScript the deal's move page, the same
form), its texts come from one column-selecting query for all the columns, made once per
distinct value (Card, _Cards), and the statements are built once per shape of the filters, not
once per request. A page stays a fixed number of queries whatever the data.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import NamedTuple

import sqlalchemy as sa
from babel import Locale, numbers
from babel.dates import format_date
from flask import abort, flash, redirect, request, url_for
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from markupsafe import escape as html_escape  # a Markup: autoescape leaves it as it is
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired

from crm import sharing
from crm.extensions import db
from crm.htmx import render, wants_fragment
from crm.i18n import gettext
from crm.leads.labels import label
from crm.lists import as_id
from crm.models import Account, Opportunity, Pipeline, Stage, User
from crm.models.user import utcnow
from crm.opportunities import bp, services
from crm.opportunities.record import get_opportunity

CARDS_PER_COLUMN = 25
CENT = Decimal("0.01")
MILLI = Decimal("0.001")
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
                pipeline = db.session.get(Pipeline, pipeline_id) if (pipeline_id := as_id(pipeline_id)) else None
                if pipeline is None:
                    abort(404)
            else:
                pipeline = services.default_pipeline()
        close = values.get("close", "")
        return cls(pipeline, values.get("owner") == "me", close if close in CLOSE_PERIODS else "")

    def args(self) -> dict:
        """The query string arguments that give this board back (url_for leaves out the None)."""
        return {"pipeline": self.pipeline.id, "owner": "me" if self.mine else None, "close": self.close or None}

    def parameters(self, user: User) -> dict:
        """The values of the named parameters of filter_conditions()."""
        start, end = close_range(self.close, utcnow().date())
        return {"owner_id": user.id, "close_from": start, "close_until": end}

    def shape(self, user: User) -> tuple[bool, bool, bool]:
        """Which conditions apply: filter_conditions() takes it, and the statements built on
        it are made once per shape (see _figures_statement), not once per request."""
        parameters = self.parameters(user)
        # Private sharing (crm/sharing.py): a rep sees only the deals they own, which is the "mine"
        # condition; the cached statements stay one per shape.
        mine = self.mine or not sharing.sees_everything(user)
        return mine, parameters["close_from"] is not None, parameters["close_until"] is not None


def filter_conditions(mine: bool, dated_from: bool, dated_until: bool) -> list:
    """The filters' conditions, their values named parameters (Filters.parameters)."""
    conditions = [Opportunity.deleted_at.is_(None)]
    if mine:
        conditions.append(Opportunity.owner_id == sa.bindparam("owner_id"))
    if dated_from:
        conditions.append(Opportunity.close_date >= sa.bindparam("close_from"))
    if dated_until:
        conditions.append(Opportunity.close_date < sa.bindparam("close_until"))
    return conditions


@dataclass
class Column:
    stage: "Stage | BoardStage"
    count: int = 0
    total: Decimal = Decimal(0)
    weighted: Decimal = Decimal(0)
    cards: list["Card"] = field(default_factory=list)
    # Where the next cards start (see cursor()), None when the column shows them all.
    next_cursor: str | None = None
    # The figures as the header prints them (column_figures).
    texts: tuple[str, str, str] = ("", "", "")


class Card(NamedTuple):
    """A card ready to print: selected as columns (no ORM object, no lazy load), its texts
    translated, formatted and HTML-escaped here, once per distinct value, so that the card
    template prints them as they are (opportunities/_board_cards.html) instead of running a
    filter and an escape per field of each of two hundred cards."""

    id: int
    url: str  # the deal's page, a path made of the id
    # HTML-escaped texts:
    name: str
    account: str
    amount: str
    closes: str
    owner: str


class Choice(NamedTuple):
    """A stage the Move form offers, labelled once per request rather than once per card."""

    id: int
    text: str
    is_lost: bool


class MoveOpportunityForm(FlaskForm):
    """The board's Move form, and what a drop sends; the filters say which headers to count."""

    stage = IntegerField(validators=[InputRequired()])
    loss_reason = HiddenField()
    owner = HiddenField()
    close = HiddenField()


@lru_cache(maxsize=16)
def _figures_statement(shape: tuple[bool, bool, bool]) -> sa.Select:
    return (sa.select(Opportunity.stage_id, sa.func.count(), sa.func.sum(Opportunity.amount),
                      sa.func.sum(Opportunity.amount * Opportunity.probability))
            .where(*filter_conditions(*shape), Opportunity.stage_id.in_(sa.bindparam("stage_ids", expanding=True)))
            .group_by(Opportunity.stage_id))


def column_figures(user: User, filters: Filters, stages: list[Stage]) -> list[Column]:
    """Count, total and weighted amount per stage, in one GROUP BY over the filtered deals."""
    parameters = filters.parameters(user) | {"stage_ids": [stage.id for stage in stages]}
    figures = {stage_id: (count, total, weighted) for stage_id, count, total, weighted
               in db.session.execute(_figures_statement(filters.shape(user)), parameters)}
    translations, number = get_translations(), number_formatter()
    total_text, weighted_text = translations.ugettext("Total %(amount)s"), translations.ugettext("Weighted %(amount)s")
    columns = []
    for stage in stages:
        count, total, weighted = figures.get(stage.id, (0, None, None))
        total, weighted = Decimal(total or 0).quantize(CENT), (Decimal(weighted or 0) / 100).quantize(CENT)
        texts = (translations.ungettext("%(num)s deal", "%(num)s deals", count) % {"num": count},
                 total_text % {"amount": number(total)}, weighted_text % {"amount": number(weighted)})
        columns.append(Column(stage, count, total, weighted, texts=texts))
    return columns


def cursor(updated_at: datetime, opportunity_id: int) -> str:
    return f"{updated_at.isoformat()},{opportunity_id}"


def parse_cursor(value: str) -> tuple[datetime, int]:
    """:raises ValueError: when the value is not one that cursor() made."""
    stamp, _sep, opportunity_id = value.rpartition(",")
    return datetime.fromisoformat(stamp), int(opportunity_id)


@lru_cache(maxsize=8)
def _number_symbols(locale_name: str) -> tuple[str, str] | None:
    """The group and decimal symbols when the locale's decimal pattern is the common
    "#,##0.###" (groups of three, up to three decimals), else None: babel formats then."""
    locale = Locale.parse(locale_name)
    if locale.decimal_formats[None].pattern != "#,##0.###":
        return None
    return numbers.get_group_symbol(locale), numbers.get_decimal_symbol(locale)


def format_amount(locale_name: str, value: Decimal) -> str:
    """Flask-Babel's `numberformat`, same text, without babel's pattern machinery (some 30 µs a
    number; a board prints two hundred of them) for the locales whose pattern allows it."""
    symbols = _number_symbols(locale_name)
    if symbols is None:
        return numbers.format_decimal(value, locale=locale_name)
    group, decimal = symbols
    value = Decimal(value).quantize(MILLI, ROUND_HALF_EVEN).normalize()
    whole, _sep, fraction = format(value, ",f").partition(".")
    whole = whole.replace(",", group)
    return f"{whole}{decimal}{fraction}" if fraction else whole


def number_formatter():
    """format_amount in the request's locale."""
    locale_name = str(get_locale())
    return lambda value: format_amount(locale_name, value)


# Card texts, HTML-escaped, kept between requests: the same board shows the same values again.
@lru_cache(maxsize=8192)
def _amount_text(locale_name: str, template: str, amount: Decimal) -> str:
    return html_escape(template % {"amount": format_amount(locale_name, amount)})


@lru_cache(maxsize=4096)
def _date_text(locale_name: str, template: str, day: date) -> str:
    """Flask-Babel's `dateformat(day, "medium")` in `template`: babel's pattern, once per day."""
    return html_escape(template % {"date": format_date(day, "medium", locale=locale_name)})


class _Cards:
    """Turns the card query's rows into Cards; each text made once per distinct value."""

    def __init__(self):
        self.base = url_for("opportunities.index")
        self.locale_name = str(get_locale())
        self.amount_text, self.closes_text = gettext("Amount: %(amount)s"), gettext("Closes %(date)s")
        self.owner_text = gettext("Owner: %(name)s")
        self.amounts: dict = {None: html_escape(gettext("No amount"))}
        self.dates: dict = {None: html_escape(gettext("No close date"))}
        self.owners: dict = {None: html_escape(gettext("No owner"))}

    def card(self, row) -> Card:
        opportunity_id, name, account, amount, close_date, owner = row[:6]
        amount_text = self.amounts.get(amount)
        if amount_text is None:
            amount_text = self.amounts[amount] = _amount_text(self.locale_name, self.amount_text, amount)
        close_text = self.dates.get(close_date)
        if close_text is None:
            close_text = self.dates[close_date] = _date_text(self.locale_name, self.closes_text, close_date)
        owner_text = self.owners.get(owner)
        if owner_text is None:
            owner_text = self.owners[owner] = html_escape(self.owner_text % {"name": owner})
        return Card(opportunity_id, f"{self.base}/{opportunity_id}", html_escape(name), html_escape(account or ""),
                    amount_text, close_text, owner_text)


def _card_select(*conditions) -> sa.Select:
    """The columns a card prints, newest update first, and what orders them."""
    return (sa.select(Opportunity.id, Opportunity.name, Account.name.label("account"), Opportunity.amount,
                      Opportunity.close_date, User.name.label("owner"), Opportunity.updated_at,
                      Opportunity.stage_id)
            .outerjoin_from(Opportunity, Account, Account.id == Opportunity.account_id)
            .outerjoin_from(Opportunity, User, User.id == Opportunity.owner_id)
            .where(*conditions)
            .order_by(Opportunity.updated_at.desc(), Opportunity.id.desc()))


@lru_cache(maxsize=64)
def _cards_statement(columns: int, shape: tuple[bool, bool, bool], after: bool):
    """The next cards of `columns` columns (parameters stage_0, stage_1...) in ONE statement: a
    UNION ALL of one LIMITed select per column, each reading the stage's index in order. Built
    once per shape: building it is most of what it costs to run it."""
    conditions = filter_conditions(*shape)
    if after:
        conditions.append(sa.tuple_(Opportunity.updated_at, Opportunity.id)
                          < sa.tuple_(sa.bindparam("after_at", type_=Opportunity.updated_at.type),
                                      sa.bindparam("after_id", type_=sa.Integer())))
    selects = [_card_select(*conditions, Opportunity.stage_id == sa.bindparam(f"stage_{n}"))
               .limit(CARDS_PER_COLUMN + 1) for n in range(columns)]
    return selects[0] if columns == 1 else sa.union_all(*(select.subquery().select() for select in selects))


def fill_cards(user: User, filters: Filters, columns: list[Column],
               after: tuple[datetime, int] | None = None) -> None:
    """The columns' next cards (after `after`) and cursors (None when a column shows them all)."""
    if not columns:
        return
    parameters = filters.parameters(user) | {f"stage_{n}": column.stage.id for n, column in enumerate(columns)}
    if after is not None:
        parameters.update(after_at=after[0], after_id=after[1])
    statement = _cards_statement(len(columns), filters.shape(user), after is not None)
    by_stage: dict[int, list] = {column.stage.id: [] for column in columns}
    for row in db.session.execute(statement, parameters).all():  # fetchall, not a fetchone per row
        by_stage[row[7]].append(row)
    cards = _Cards()
    for column in columns:
        rows = by_stage[column.stage.id]
        rows.sort(key=lambda r: (r[6], r[0]), reverse=True)  # a UNION keeps no order
        if len(rows) > CARDS_PER_COLUMN:
            rows = rows[:CARDS_PER_COLUMN]
            column.next_cursor = cursor(rows[-1][6], rows[-1][0])
        column.cards = [cards.card(row) for row in rows]


def card_of(opportunity_id: int) -> Card:
    """One card (after a move), from the same select as the board's."""
    return _Cards().card(db.session.execute(_card_select(Opportunity.id == opportunity_id)).one())


class BoardStage(NamedTuple):
    """A column's stage, selected as columns (a Stage row carries its guidance and key fields)."""

    id: int
    name: str
    is_closed: bool
    is_lost: bool


_STAGES = (sa.select(Stage.id, Stage.name, Stage.is_closed, Stage.is_won)
           .where(Stage.pipeline_id == sa.bindparam("pipeline_id")).order_by(Stage.position, Stage.id))
_PIPELINES = sa.select(Pipeline.id, Pipeline.name).order_by(Pipeline.position, Pipeline.id)


def board_stages(pipeline: Pipeline) -> list[BoardStage]:
    """The columns: the open stages in the admin's order, then the closed ones, as drop zones."""
    stages = [BoardStage(stage_id, name, is_closed, is_closed and not is_won)
              for stage_id, name, is_closed, is_won in db.session.execute(_STAGES, {"pipeline_id": pipeline.id})]
    return [s for s in stages if not s.is_closed] + [s for s in stages if s.is_closed]


def stage_choices(stages: list[BoardStage]) -> list[Choice]:
    return [Choice(stage.id, label(stage.name), stage.is_lost) for stage in stages]


def board_context(user: User, filters: Filters) -> dict:
    stages = board_stages(filters.pipeline)
    columns = column_figures(user, filters, stages)
    fill_cards(user, filters, [column for column in columns if column.count and not column.stage.is_closed])
    return {"columns": columns, "choices": stage_choices(stages), "filters": filters,
            "pipelines": db.session.execute(_PIPELINES).all(),
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
    column = Column(stage)
    fill_cards(current_user, filters, [column], after)
    return render("opportunities/board.html", "opportunities/_board_more_cards.html", column=column, filters=filters)


@bp.route("/<int:opportunity_id>/move")
@login_required
def board_move_page(opportunity_id: int):
    """The Move form of one card as a page: what a card's Move button opens without JavaScript
    (with it, the board's dialog shows the same form). It posts to board_move."""
    opportunity = get_opportunity(opportunity_id)
    filters = Filters.read(request.args, opportunity.pipeline)
    choices = [choice for choice in stage_choices(board_stages(filters.pipeline)) if choice.id != opportunity.stage_id]
    return render("opportunities/board_move.html", "opportunities/_board_move_form.html", opportunity=opportunity,
                  choices=choices, filters=filters, loss_reasons=services.loss_reasons(),
                  move_url=url_for("opportunities.board_move", opportunity_id=opportunity.id))


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
    return render("opportunities/board.html", "opportunities/_board_moved.html", stage=stage,
                  cards=[card_of(opportunity.id)] if not stage.is_closed else [],
                  columns=column_figures(current_user, filters, stages), filters=filters)


def refused(message: str, filters: Filters):
    """The service said no: the board again with the reason (409), or for htmx the reason alone."""
    db.session.rollback()
    if wants_fragment():
        abort(409, message)  # crm/errors.py swaps it into #messages; board.js puts the card back
    flash(message, "error")
    return render("opportunities/board.html", "opportunities/_board.html", status=409,
                  **board_context(current_user, filters))
