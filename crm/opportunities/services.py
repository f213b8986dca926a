"""Opportunity rules: create, edit, move along the stages of its pipeline, close won or lost,
keep the stage history, and the contact roles.

Services take plain arguments, flush and never commit: the route commits once. A stage change
claims the opportunity's row first with a write (PostgreSQL locks the row, SQLite the
database), so two people moving the same deal at once both get a history row that starts where
the other one's ended: the last move wins and no history is lost.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import sqlalchemy as sa
from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import (
    Account,
    Contact,
    Opportunity,
    OpportunityContactRole,
    OpportunityStageHistory,
    PicklistValue,
    Pipeline,
    Stage,
    User,
)
from crm.models.user import utcnow

# The fields update_opportunity() writes; anything else in the submitted data is ignored.
# Stage and pipeline move through change_stage(), the probability through set_probability().
EDITABLE_FIELDS = ("name", "account_id", "amount", "close_date", "owner_id", "next_step", "lead_source",
                   "campaign_id", "description")
MAX_AMOUNT = Decimal("9999999999999999.99")  # what Numeric(18, 2) holds


class OpportunityError(Exception):
    """An opportunity rule was broken; `message` is for the user."""

    message = _l("This change is not allowed.")

    def __str__(self) -> str:
        return str(self.message)


class StageNotInPipeline(OpportunityError):
    message = _l("Choose a stage of the opportunity's pipeline.")


class LossReasonRequired(OpportunityError):
    message = _l("Give the reason the deal was lost.")


class UnknownLossReason(OpportunityError):
    message = _l("Choose a loss reason from the list.")


class InvalidAmount(OpportunityError):
    message = _l("The amount must be a number between 0 and 9,999,999,999,999,999.99.")


class InvalidProbability(OpportunityError):
    message = _l("The probability must be a whole number between 0 and 100.")


class PrimaryTaken(OpportunityError):
    """At most one primary contact role: the current one must be unmarked first."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name

    @property
    def message(self):
        return _l("%(name)s is already the primary contact. Unmark them first.", name=self.name)


class RoleExists(OpportunityError):
    message = _l("This contact already has a role on this opportunity.")


# Reading

def pipelines() -> list[Pipeline]:
    return list(db.session.scalars(sa.select(Pipeline).order_by(Pipeline.position, Pipeline.id)))


def default_pipeline() -> Pipeline:
    pipeline = db.session.scalar(sa.select(Pipeline).where(Pipeline.is_default))
    return pipeline or pipelines()[0]


def stages_of(pipeline_id: int) -> list[Stage]:
    return list(db.session.scalars(
        sa.select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position, Stage.id)))


def loss_reasons(current: str | None = None) -> list[str]:
    """Active loss reasons in the admin's order, and `current` even if it was retired since."""
    values = list(db.session.scalars(
        sa.select(PicklistValue.label).where(PicklistValue.picklist == "loss_reason", PicklistValue.active)
        .order_by(PicklistValue.position, PicklistValue.id)))
    if current and current not in values:
        values.append(current)
    return values


def stage_history(opportunity: Opportunity) -> list[OpportunityStageHistory]:
    """The stage changes, newest first (in the order they were written: a move that waited for
    another one's lock is newer even if it started first)."""
    return list(db.session.scalars(
        sa.select(OpportunityStageHistory).where(OpportunityStageHistory.opportunity_id == opportunity.id)
        .order_by(OpportunityStageHistory.id.desc())))


def contact_roles(opportunity: Opportunity) -> list[OpportunityContactRole]:
    """The people involved, the primary one first."""
    return list(db.session.scalars(
        sa.select(OpportunityContactRole).join(OpportunityContactRole.contact)
        .where(OpportunityContactRole.opportunity_id == opportunity.id)
        .order_by(OpportunityContactRole.is_primary.desc(), Contact.last_name, Contact.first_name,
                  OpportunityContactRole.id)))


# Writing

def parse_amount(text) -> Decimal:
    """An amount as typed: "8000.50", or in the reader's own notation ("8 000,50" in French,
    "8,000.50" in English). :raises InvalidAmount:"""
    if isinstance(text, Decimal | int):
        return Decimal(text)
    text = str(text).strip()
    try:
        return Decimal(text)
    except (ArithmeticError, ValueError, TypeError):
        pass
    try:
        # Spaces typed between thousands stand for the locale's group sign (a narrow no-break
        # space in French); strict refuses what the locale would read ambiguously.
        locale = (get_locale() if has_request_context() else None) or "en"
        group = get_group_symbol(locale)
        return parse_decimal(text.replace(" ", group).replace("\u00a0", group), locale=locale, strict=True)
    except (NumberFormatError, ArithmeticError, ValueError, TypeError):
        raise InvalidAmount() from None


def _check_amount(amount) -> Decimal | None:
    if amount is None or amount == "":
        return None
    amount = parse_amount(amount)
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        raise InvalidAmount()
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_loss_reason(stage: Stage, loss_reason: str | None, current: str | None = None) -> str | None:
    """The loss reason a move to `stage` keeps: required on a lost stage, cleared elsewhere."""
    if not stage.is_lost:
        return None
    loss_reason = (loss_reason or "").strip()
    if not loss_reason:
        raise LossReasonRequired()
    if loss_reason not in loss_reasons(current):
        raise UnknownLossReason()
    return loss_reason


def _record_history(opportunity: Opportunity, from_stage: Stage | None, actor: User | None, now) -> None:
    days = None
    if from_stage is not None and opportunity.stage_entered_at is not None:
        days = max(0, (now - opportunity.stage_entered_at).days)
    db.session.add(OpportunityStageHistory(
        opportunity_id=opportunity.id, from_stage_id=from_stage.id if from_stage else None,
        from_stage=from_stage.name if from_stage else None, to_stage_id=opportunity.stage.id,
        to_stage=opportunity.stage.name, amount=opportunity.amount, probability=opportunity.probability,
        close_date=opportunity.close_date, days_in_previous=days, changed_by_id=actor.id if actor else None,
        changed_at=now))


def create_opportunity(*, actor: User, name: str, account: Account, stage: Stage, pipeline: Pipeline | None = None,
                       amount=None, close_date: date | None = None, owner: User | None = None,
                       probability: int | None = None, next_step: str | None = None,
                       lead_source: str | None = None, campaign_id: int | None = None,
                       description: str | None = None, loss_reason: str | None = None) -> Opportunity:
    """A new opportunity at `stage`, with its first history row.

    :raises StageNotInPipeline, LossReasonRequired, UnknownLossReason, InvalidAmount, InvalidProbability:
    """
    pipeline = pipeline or stage.pipeline
    if stage.pipeline_id != pipeline.id:
        raise StageNotInPipeline()
    now = utcnow()
    opportunity = Opportunity(
        name=name.strip(), account=account, pipeline=pipeline, stage=stage, amount=_check_amount(amount),
        close_date=close_date, owner_id=(owner or actor).id, next_step=next_step or None,
        lead_source=lead_source or None, campaign_id=campaign_id, description=description or None,
        loss_reason=_check_loss_reason(stage, loss_reason), probability=stage.probability,
        created_by_id=actor.id, updated_by_id=actor.id, created_at=now, updated_at=now, stage_entered_at=now)
    if probability is not None and not stage.is_closed:
        set_probability(opportunity, probability)
    opportunity.refresh_derived(account.name)
    db.session.add(opportunity)
    db.session.flush()
    _record_history(opportunity, None, actor, now)
    db.session.flush()
    return opportunity


def record_creation(opportunity: Opportunity, actor: User | None) -> None:
    """The first history row of an opportunity made elsewhere (lead conversion)."""
    db.session.flush()
    _record_history(opportunity, None, actor, opportunity.stage_entered_at or utcnow())
    db.session.flush()


def update_opportunity(opportunity: Opportunity, *, actor: User, **fields) -> Opportunity:
    """Write the EDITABLE_FIELDS given (others are ignored). :raises InvalidAmount:"""
    for name in EDITABLE_FIELDS:
        if name not in fields:
            continue
        value = fields[name]
        if name == "amount":
            # Issue 10: while the opportunity has line items its amount is their sum
            # (crm/sales/line_items.py recalculate_amount); a typed amount is ignored.
            from crm.sales.line_items import has_line_items

            if has_line_items(opportunity):
                continue
            value = _check_amount(value)
        elif isinstance(value, str):
            value = value.strip() or None
        if name == "name" and not value:
            continue  # a name is required: the form says so, the service keeps the old one
        setattr(opportunity, name, value)
    opportunity.updated_by_id = actor.id
    opportunity.updated_at = utcnow()
    opportunity.refresh_derived(db.session.get(Account, opportunity.account_id).name)
    db.session.flush()
    return opportunity


def set_probability(opportunity: Opportunity, probability: int | str | None) -> None:
    """Set the probability by hand, or give it back to the stage with None (or "").

    :raises InvalidProbability: outside 0..100 or not a whole number.
    """
    if probability is None or probability == "":
        opportunity.probability = opportunity.stage.probability
        opportunity.probability_overridden = False
        return
    try:
        value = int(str(probability).strip())
    except ValueError:
        raise InvalidProbability() from None
    if not 0 <= value <= 100:
        raise InvalidProbability()
    opportunity.probability = value
    # The stage's own value is no override: the probability keeps following the stage.
    opportunity.probability_overridden = value != opportunity.stage.probability


def change_stage(opportunity: Opportunity, stage: Stage, *, actor: User, loss_reason: str | None = None) -> bool:
    """Move the opportunity to `stage` of its pipeline; False when it is already there.

    The probability follows the stage unless it was set by hand; a closed stage sets it anyway
    (100 won, 0 lost). Moving out of a lost stage clears the loss reason.
    :raises StageNotInPipeline, LossReasonRequired, UnknownLossReason:
    """
    if stage.pipeline_id != opportunity.pipeline_id:
        raise StageNotInPipeline()
    # The first write claims the row (a row lock on PostgreSQL, the write lock on SQLite), then
    # the stage is read again: a move made meanwhile by someone else is the "from" of this one.
    # (Pending changes are flushed first so that the refresh keeps them.)
    db.session.flush()
    now = utcnow()
    db.session.execute(sa.update(Opportunity).where(Opportunity.id == opportunity.id)
                       .values(updated_at=now, updated_by_id=actor.id)
                       .execution_options(synchronize_session=False))
    db.session.refresh(opportunity)
    now = utcnow()  # after the wait for the row, if any
    if opportunity.stage_id == stage.id:
        if stage.is_lost and loss_reason:
            opportunity.loss_reason = _check_loss_reason(stage, loss_reason, opportunity.loss_reason)
            db.session.flush()
        return False
    loss_reason = _check_loss_reason(stage, loss_reason)
    from_stage = opportunity.stage
    opportunity.stage = stage
    opportunity.loss_reason = loss_reason
    if stage.is_closed or not opportunity.probability_overridden:
        opportunity.probability = stage.probability
        opportunity.probability_overridden = False
    opportunity.updated_by_id = actor.id
    opportunity.updated_at = now
    db.session.flush()
    _record_history(opportunity, from_stage, actor, now)
    opportunity.stage_entered_at = now
    db.session.flush()
    return True


class GuidanceTooLong(OpportunityError):
    message = _l("The guidance can be at most 1,000 characters long.")


def set_guidance(stage: Stage, text: str | None) -> None:
    """The stage's "guidance for success" (admins edit it, on the path or in the pipeline admin).

    :raises GuidanceTooLong:
    """
    text = (text or "").strip()
    if len(text) > 1000:
        raise GuidanceTooLong()
    stage.guidance = text or None
    db.session.flush()


def refresh_account_opportunities(account: Account) -> int:
    """After an account's rename: its deals' search text follows (they are found by its name).
    Return how many were rewritten."""
    rows = db.session.execute(sa.select(Opportunity.id, Opportunity.name, Opportunity.next_step)
                              .where(Opportunity.account_id == account.id)).all()
    values = []
    for row in rows:
        probe = SimpleNamespace(name=row.name, next_step=row.next_step)
        Opportunity.refresh_derived(probe, account.name)
        values.append({"row_id": row.id, "search_text": probe.search_text})
    if values:
        table = Opportunity.__table__
        db.session.execute(table.update().where(table.c.id == sa.bindparam("row_id"))
                           .values(search_text=sa.bindparam("search_text")), values)
    return len(values)


def delete_opportunity(opportunity: Opportunity, *, actor: User) -> None:
    """Move it to the recycle bin: it leaves lists, boards and totals."""
    opportunity.deleted_at = utcnow()
    opportunity.updated_by_id = actor.id
    db.session.flush()
    from crm.audit import log_event  # here: crm.audit imports the models, as this module does

    log_event("delete", f"opportunity {opportunity.name}", actor=actor, target=opportunity)


# Contact roles

def _check_primary(opportunity: Opportunity, is_primary: bool, exclude_id: int | None = None) -> None:
    if not is_primary:
        return
    current = db.session.scalar(
        sa.select(OpportunityContactRole).where(OpportunityContactRole.opportunity_id == opportunity.id,
                                                OpportunityContactRole.is_primary,
                                                OpportunityContactRole.id != (exclude_id or 0)))
    if current is not None:
        raise PrimaryTaken(current.contact.name)


def add_contact_role(opportunity: Opportunity, contact: Contact, *, role: str | None,
                     is_primary: bool = False) -> OpportunityContactRole:
    """A contact of any account joins the opportunity. :raises RoleExists, PrimaryTaken:"""
    exists = db.session.scalar(sa.select(OpportunityContactRole.id).where(
        OpportunityContactRole.opportunity_id == opportunity.id, OpportunityContactRole.contact_id == contact.id))
    if exists:
        raise RoleExists()
    _check_primary(opportunity, is_primary)
    contact_role = OpportunityContactRole(opportunity_id=opportunity.id, contact_id=contact.id, contact=contact,
                                          role=role or None, is_primary=is_primary)
    db.session.add(contact_role)
    db.session.flush()
    return contact_role


def update_contact_role(contact_role: OpportunityContactRole, *, role: str | None, is_primary: bool) -> None:
    """:raises PrimaryTaken:"""
    _check_primary(contact_role.opportunity, is_primary, exclude_id=contact_role.id)
    contact_role.role = role or None
    contact_role.is_primary = is_primary
    db.session.flush()


def remove_contact_role(contact_role: OpportunityContactRole) -> None:
    db.session.delete(contact_role)
    db.session.flush()
