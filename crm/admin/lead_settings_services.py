"""Lead statuses and picklists: the rules an admin's edits must keep. Services flush; the caller commits.

Invariants kept after every operation: exactly one default status, exactly one converted status,
the converted status is closed and is not the default, positions run 1..n in the shown order.
"""

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from crm.extensions import db
from crm.models import PICKLISTS, Lead, LeadStatus, Opportunity, PicklistValue
from crm.ordering import DIRECTIONS  # noqa: F401  (callers read it here)
from crm.ordering import move as _move
from crm.ordering import renumber as _renumber
from crm.ordering import same_label as _same_label


class LeadSettingsError(Exception):
    """A lead status or picklist rule was broken."""


class LabelTaken(LeadSettingsError):
    """Another status, or value of the same picklist, has this label (compared case-insensitively)."""


class StatusInUse(LeadSettingsError):
    """Leads are in this status, so it cannot be deleted."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


class LastDefault(LeadSettingsError):
    """The default status for new leads cannot be deleted: another must become the default first."""


class LastConverted(LeadSettingsError):
    """The converted status cannot be deleted: another must become the converted one first."""


class DefaultCannotBeConverted(LeadSettingsError):
    """A new lead must not start converted, so the default and converted statuses differ."""


class ConvertedMustBeClosed(LeadSettingsError):
    """The converted status is always closed."""


class ConvertedInUse(LeadSettingsError):
    """Converted leads sit in the current converted status: moving the flag would un-convert them."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


class ValueInUse(LeadSettingsError):
    """Leads store this picklist value, so it cannot be deleted (it can be deactivated)."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


def _check_label_free(labels, label: str) -> None:
    if any(_same_label(other, label) for other in labels):
        raise LabelTaken(label)


# Lead statuses

def statuses() -> list[LeadStatus]:
    """All statuses in the admin's order."""
    return list(db.session.scalars(sa.select(LeadStatus).order_by(LeadStatus.position, LeadStatus.id)))


def status_lead_counts() -> dict[int, int]:
    """How many leads (the recycle bin included) are in each status, by status id."""
    rows = db.session.execute(sa.select(Lead.status_id, sa.func.count()).group_by(Lead.status_id))
    return dict(rows.all())


def _leads_in_status(status: LeadStatus) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Lead).where(Lead.status_id == status.id))


def create_status(*, label: str, is_closed: bool = False) -> LeadStatus:
    """Add a status at the end of the list. :raises LabelTaken:"""
    label = label.strip()
    _check_label_free(db.session.scalars(sa.select(LeadStatus.label)), label)
    last = db.session.scalar(sa.select(sa.func.max(LeadStatus.position))) or 0
    status = LeadStatus(label=label, is_closed=is_closed, position=last + 1)
    db.session.add(status)
    db.session.flush()
    return status


def update_status(status: LeadStatus, *, label: str, is_closed: bool) -> LeadStatus:
    """Rename a status and set its closed flag. :raises LabelTaken: :raises ConvertedMustBeClosed:"""
    label = label.strip()
    _check_label_free(db.session.scalars(sa.select(LeadStatus.label).where(LeadStatus.id != status.id)), label)
    if status.is_converted and not is_closed:
        raise ConvertedMustBeClosed()
    status.label, status.is_closed = label, is_closed
    db.session.flush()
    return status


def move_status(status: LeadStatus, direction: str) -> bool:
    """Move a status one place "up" or "down"; False when it is already at that end."""
    moved = _move(statuses(), status, direction)
    db.session.flush()
    return moved


def set_default_status(status: LeadStatus) -> LeadStatus:
    """Make `status` the one default for new leads. :raises DefaultCannotBeConverted:"""
    if status.is_converted:
        raise DefaultCannotBeConverted()
    for old in db.session.scalars(sa.select(LeadStatus).where(LeadStatus.is_default, LeadStatus.id != status.id)):
        old.is_default = False
    # The partial unique index allows one default at a time: clear the old flag in the database first.
    db.session.flush()
    status.is_default = True
    db.session.flush()
    return status


def set_converted_status(status: LeadStatus) -> LeadStatus:
    """Make `status` the one converted status (closed too).

    :raises DefaultCannotBeConverted: :raises ConvertedInUse: when leads are in the current one.
    """
    if status.is_converted:
        return status
    if status.is_default:
        raise DefaultCannotBeConverted()
    olds = list(db.session.scalars(sa.select(LeadStatus).where(LeadStatus.is_converted)))
    in_use = sum(_leads_in_status(old) for old in olds)
    if in_use:
        raise ConvertedInUse(in_use)
    for old in olds:
        old.is_converted = False
    db.session.flush()
    status.is_converted = True
    status.is_closed = True
    db.session.flush()
    return status


def delete_status(status: LeadStatus) -> None:
    """Delete a status no lead is in. :raises LastDefault: :raises LastConverted: :raises StatusInUse:"""
    if status.is_default:
        raise LastDefault()
    if status.is_converted:
        raise LastConverted()
    count = _leads_in_status(status)
    if count:
        raise StatusInUse(count)
    db.session.delete(status)
    db.session.flush()
    _renumber(statuses())
    db.session.flush()


# Picklists

def _column(picklist: str) -> InstrumentedAttribute:
    # The column has the picklist's name; the whitelist keeps any other column out of reach.
    if picklist not in PICKLISTS:
        raise ValueError(f"unknown picklist {picklist!r}")
    return getattr(Opportunity if picklist == "loss_reason" else Lead, picklist)


def picklist_values(picklist: str) -> list[PicklistValue]:
    """All values of a picklist, active or not, in the admin's order."""
    return list(db.session.scalars(
        sa.select(PicklistValue).where(PicklistValue.picklist == picklist)
        .order_by(PicklistValue.position, PicklistValue.id)
    ))


def picklist_lead_counts(picklist: str) -> dict[str, int]:
    """How many leads (the recycle bin included) store each label of a picklist."""
    column = _column(picklist)
    rows = db.session.execute(sa.select(column, sa.func.count()).where(column.is_not(None)).group_by(column))
    return dict(rows.all())


def picklist_summaries() -> dict[str, tuple[int, int]]:
    """For each picklist: (active values, all values)."""
    rows = db.session.execute(
        sa.select(PicklistValue.picklist,
                  sa.func.count().filter(PicklistValue.active),
                  sa.func.count())
        .group_by(PicklistValue.picklist)
    )
    found = {name: (active, total) for name, active, total in rows}
    return {name: found.get(name, (0, 0)) for name in PICKLISTS}


def _leads_with_value(value: PicklistValue) -> int:
    column = _column(value.picklist)
    return db.session.scalar(sa.select(sa.func.count()).select_from(column.class_).where(column == value.label))


def _other_labels(picklist: str, exclude_id: int | None = None):
    query = sa.select(PicklistValue.label).where(PicklistValue.picklist == picklist)
    if exclude_id is not None:
        query = query.where(PicklistValue.id != exclude_id)
    return db.session.scalars(query)


def add_value(picklist: str, *, label: str) -> PicklistValue:
    """Add an active value at the end of a picklist. :raises LabelTaken:"""
    _column(picklist)
    label = label.strip()
    _check_label_free(_other_labels(picklist), label)
    last = db.session.scalar(
        sa.select(sa.func.max(PicklistValue.position)).where(PicklistValue.picklist == picklist)) or 0
    value = PicklistValue(picklist=picklist, label=label, position=last + 1, active=True)
    db.session.add(value)
    db.session.flush()
    return value


def rename_value(value: PicklistValue, *, label: str) -> int:
    """Rename a value and rewrite the leads that store the old label; return how many. :raises LabelTaken:"""
    label = label.strip()
    _check_label_free(_other_labels(value.picklist, exclude_id=value.id), label)
    old = value.label
    if label == old:
        return 0
    column = _column(value.picklist)
    value.label = label
    db.session.flush()
    result = db.session.execute(sa.update(column.class_).where(column == old).values({column: label}))
    return result.rowcount


def move_value(value: PicklistValue, direction: str) -> bool:
    """Move a value one place "up" or "down"; False when it is already at that end."""
    moved = _move(picklist_values(value.picklist), value, direction)
    db.session.flush()
    return moved


def set_value_active(value: PicklistValue, active: bool) -> PicklistValue:
    """Offer the value again on lead forms, or stop offering it (leads keep it)."""
    value.active = active
    db.session.flush()
    return value


def delete_value(value: PicklistValue) -> None:
    """Delete a value no lead stores. :raises ValueInUse:"""
    count = _leads_with_value(value)
    if count:
        raise ValueInUse(count)
    picklist = value.picklist
    db.session.delete(value)
    db.session.flush()
    _renumber(picklist_values(picklist))
    db.session.flush()
