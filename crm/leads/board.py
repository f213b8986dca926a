"""The leads Kanban board (/leads/board): a column per open status, cards moved by drag and drop.

A column shows its first cards, most recently updated first, and loads the next ones on demand
with keyset pagination: a card that moves meanwhile neither repeats nor skips a card. Counts come
from one GROUP BY, never from loading rows.
"""

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload, load_only
from wtforms import HiddenField, SelectField

from crm.extensions import db
from crm.htmx import render, wants_fragment
from crm.leads import bp
from crm.leads.access import get_lead, visible_leads
from crm.leads.labels import label
from crm.leads.services import ConvertNeedsConversion, LeadConverted, set_status, statuses
from crm.models import Lead, LeadStatus, User

CARDS_PER_COLUMN = 25


@dataclass
class Column:
    status: LeadStatus
    count: int
    leads: list[Lead] = field(default_factory=list)
    # Where the next cards start (see cursor()), None when the column shows them all.
    next_cursor: str | None = None


class MoveLeadForm(FlaskForm):
    """The card's "Move to" control, and what a drop sends."""

    status = SelectField(coerce=int)
    owner = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any status: the service, not the form, refuses the converted one (and says why).
        self.status.choices = [(status.id, status.label) for status in statuses()]


def board_statuses() -> list[LeadStatus]:
    """The columns: statuses a lead can be worked in, in the admin's order."""
    return [status for status in statuses() if not status.is_closed and not status.is_converted]


def board_leads(user: User, mine: bool) -> sa.Select:
    query = visible_leads(user)
    return query.where(Lead.owner_id == user.id) if mine else query


def column_counts(user: User, mine: bool, status_ids: list[int]) -> dict[int, int]:
    """Leads per status, in one GROUP BY."""
    query = (board_leads(user, mine)
             .with_only_columns(Lead.status_id, sa.func.count(), maintain_column_froms=True)
             .where(Lead.status_id.in_(status_ids))
             .group_by(Lead.status_id))
    return {status_id: count for status_id, count in db.session.execute(query)}


def cursor(lead: Lead) -> str:
    return f"{lead.updated_at.isoformat()},{lead.id}"


def parse_cursor(value: str) -> tuple[datetime, int]:
    """:raises ValueError: when the value is not one that cursor() made."""
    stamp, _sep, lead_id = value.rpartition(",")
    return datetime.fromisoformat(stamp), int(lead_id)


def column_cards(user: User, mine: bool, status: LeadStatus,
                 after: tuple[datetime, int] | None = None) -> tuple[list[Lead], str | None]:
    """A column's next cards after `after`, and the cursor of the ones after them (or None)."""
    query = (board_leads(user, mine)
             .where(Lead.status_id == status.id)
             .options(load_only(Lead.id, Lead.first_name, Lead.last_name, Lead.company, Lead.rating,
                                Lead.status_id, Lead.owner_id, Lead.updated_at),
                      joinedload(Lead.owner).load_only(User.id, User.name))
             .order_by(Lead.updated_at.desc(), Lead.id.desc())
             .limit(CARDS_PER_COLUMN + 1))
    if after is not None:
        query = query.where(sa.tuple_(Lead.updated_at, Lead.id) < after)
    leads = list(db.session.scalars(query))
    if len(leads) > CARDS_PER_COLUMN:
        leads = leads[:CARDS_PER_COLUMN]
        return leads, cursor(leads[-1])
    return leads, None


def board_context(user: User, mine: bool) -> dict:
    open_statuses = board_statuses()
    counts = column_counts(user, mine, [status.id for status in open_statuses])
    columns = []
    for status in open_statuses:
        column = Column(status, counts.get(status.id, 0))
        if column.count:
            column.leads, column.next_cursor = column_cards(user, mine, status)
        columns.append(column)
    return {"columns": columns, "open_statuses": open_statuses, "mine": mine}


def owner_arg(mine: bool) -> str | None:
    return "me" if mine else None


@bp.route("/board")
@login_required
def board():
    """The board of open leads; htmx (the My/All filter) gets the board alone."""
    mine = request.args.get("owner") == "me"
    return render("leads/board.html", "leads/_board.html", **board_context(current_user, mine))


@bp.route("/board/<int:status_id>/more")
@login_required
def board_more(status_id: int):
    """The next cards of one column, and its next "Show more" button out of band."""
    mine = request.args.get("owner") == "me"
    if not wants_fragment():
        # The button exists only with JavaScript; a typed address gets the board.
        return redirect(url_for("leads.board", owner=owner_arg(mine)))
    open_statuses = board_statuses()
    status = next((s for s in open_statuses if s.id == status_id), None)
    if status is None:
        abort(404)
    try:
        after = parse_cursor(request.args.get("after", ""))
    except ValueError:
        abort(400)
    leads, next_cursor = column_cards(current_user, mine, status, after)
    column = Column(status, 0, leads, next_cursor)
    return render("leads/board.html", "leads/_board_more_cards.html",
                  column=column, open_statuses=open_statuses, mine=mine)


@bp.route("/<int:lead_id>/move", methods=["POST"])
@login_required
def board_move(lead_id: int):
    """Move a lead to another status from the board: 303 back to it, or for htmx the card at
    the top of its new column and both columns' counts, out of band. :raises 409: when refused."""
    lead = get_lead(lead_id, current_user)
    form = MoveLeadForm()
    if not form.validate_on_submit():
        abort(400)
    mine = form.owner.data == "me"
    old_status, status = lead.status, db.session.get(LeadStatus, form.status.data)
    try:
        set_status(lead, status, actor=current_user)
    except LeadConverted:
        return refused(_("A converted lead is read-only."), mine)
    except ConvertNeedsConversion:
        return refused(_("Convert the lead to give it the converted status."), mine)
    db.session.commit()
    flash(_("%(name)s moved to %(status)s.", name=lead.name, status=label(status.label)), "success")
    if not wants_fragment():
        return redirect(url_for("leads.board", owner=owner_arg(mine)), 303)
    open_statuses = board_statuses()
    counts = column_counts(current_user, mine, [old_status.id, status.id])
    changed = [Column(s, counts.get(s.id, 0)) for s in open_statuses if s.id in (old_status.id, status.id)]
    return render("leads/board.html", "leads/_board_moved.html", lead=lead, changed=changed,
                  on_board=status in open_statuses, open_statuses=open_statuses, mine=mine)


def refused(message: str, mine: bool):
    """The service said no: the board again with the reason (409), or for htmx the reason alone."""
    db.session.rollback()
    if wants_fragment():
        abort(409, message)  # crm/errors.py swaps it into #messages; board.js puts the card back
    flash(message, "error")
    return render("leads/board.html", "leads/_board.html", status=409, **board_context(current_user, mine))
