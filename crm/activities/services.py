"""Activity rules: a record's timeline and adding to it, ticking a task done, the open tasks of a user.

A record is a lead, an account, a contact or an opportunity (RECORD_TYPES).

Services take plain arguments, flush and never commit: the route commits once.
"""

from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask import url_for
from sqlalchemy.orm import joinedload

from crm import sharing
from crm.activities.forms import activity_form
from crm.extensions import db
from crm.models import ACTIVITY_KINDS, PRIORITIES, Account, Activity, Contact, Lead, Opportunity, User
from crm.models.user import utcnow

# The fields each kind may write: anything else in the submitted data is ignored.
FIELDS = {
    "note": ("subject", "body"),
    "call": ("subject", "body"),
    "email": ("subject", "body"),
    "task": ("subject", "body", "due_date", "priority", "assignee_id"),
    "event": ("subject", "body", "starts_at", "ends_at"),
}
TIMELINE_LIMIT = 100
MY_TASKS_LIMIT = 20
# The records a timeline hangs on, by the name their URLs use.
RECORD_TYPES: dict[str, type] = {"lead": Lead, "account": Account, "contact": Contact, "opportunity": Opportunity}
# Where each record's page lives: the endpoint and its argument.
RECORD_PAGES = {
    "lead": ("leads.show", "lead_id"),
    "account": ("accounts.show", "account_id"),
    "contact": ("contacts.show", "contact_id"),
    "opportunity": ("opportunities.show", "opportunity_id"),
}
# An activity linked to several records (a contact's also carries its account; a converted
# lead's also its contact and opportunity) belongs to the most specific one: its link and its access.
PRIMARY_ORDER = ("contact", "opportunity", "account", "lead")

Record = Lead | Account | Contact | Opportunity


class ActivityError(Exception):
    """An activity rule was broken."""


class UnknownKind(ActivityError):
    """Activities are notes, calls, emails, tasks or events."""


class SubjectRequired(ActivityError):
    """Every activity has a subject."""


class EndsBeforeStart(ActivityError):
    """An event cannot end before it starts."""


class InvalidAssignee(ActivityError):
    """A task goes to an active user."""


class InvalidPriority(ActivityError):
    """A task's priority is High, Normal or Low."""


class NotATask(ActivityError):
    """Only tasks are ticked done."""


class MyTasks(NamedTuple):
    tasks: list[Activity]
    more: int  # open tasks beyond the limit


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def active_users() -> list[User]:
    """Who a task can be assigned to, by name."""
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name, User.id)))


def record_type(record: Record) -> str:
    """The record's type as URLs name it: lead, account, contact or opportunity. :raises TypeError:"""
    for name, model in RECORD_TYPES.items():
        if isinstance(record, model):
            return name
    raise TypeError(f"no timeline on {record!r}")


def record_links(record: Record) -> dict[str, int]:
    """The foreign keys an activity added on `record` gets, so its account's timeline sees it too."""
    kind = record_type(record)
    links = {f"{kind}_id": record.id}
    if kind in ("contact", "opportunity"):
        links["account_id"] = record.account_id
    return links


def add_activity(record: Record, kind: str, data: dict, *, actor: User) -> Activity:
    """Add a note, call, email, task or event to the timeline of a lead, account, contact or opportunity.

    :raises UnknownKind: :raises SubjectRequired: :raises EndsBeforeStart:
    :raises InvalidAssignee: :raises InvalidPriority:
    """
    if kind not in ACTIVITY_KINDS:
        raise UnknownKind(kind)
    values = {field: _clean(data.get(field)) for field in FIELDS[kind]}
    if not values["subject"]:
        raise SubjectRequired()
    if kind == "task":
        values["priority"] = values["priority"] or "Normal"
        if values["priority"] not in PRIORITIES:
            raise InvalidPriority(values["priority"])
        assignee_id = values["assignee_id"] or actor.id
        assignee = db.session.get(User, assignee_id)
        if assignee is None or not assignee.active:
            raise InvalidAssignee(assignee_id)
        values["assignee_id"] = assignee.id
    if kind == "event":
        if values["starts_at"] is None or values["ends_at"] is None or values["ends_at"] < values["starts_at"]:
            raise EndsBeforeStart()
    now = utcnow()
    activity = Activity(kind=kind, created_by_id=actor.id, created_at=now, updated_at=now,
                        **values, **record_links(record))
    db.session.add(activity)
    db.session.flush()
    return activity


def set_done(activity: Activity, done: bool, *, actor: User) -> Activity:
    """Tick a task done, or open it again. :raises NotATask:"""
    if activity.kind != "task":
        raise NotATask()
    if activity.done != done:
        activity.done = done
        activity.done_at = utcnow() if done else None
        activity.updated_at = utcnow()
        db.session.flush()
    return activity


def _on_timeline_of(record: Record) -> sa.ColumnElement[bool]:
    kind = record_type(record)
    if kind != "account":
        return getattr(Activity, f"{kind}_id") == record.id
    # An account's timeline also gathers its contacts' and opportunities' activities, even those
    # (a converted lead's, say) that do not carry the account themselves.
    return sa.or_(
        Activity.account_id == record.id,
        Activity.contact_id.in_(sa.select(Contact.id).where(Contact.account_id == record.id)),
        Activity.opportunity_id.in_(sa.select(Opportunity.id).where(Opportunity.account_id == record.id)),
    )


def record_activities(record: Record, limit: int = TIMELINE_LIMIT) -> tuple[list[Activity], bool]:
    """The record's latest activities, newest first, and whether older ones were left out."""
    options = [joinedload(Activity.assignee), joinedload(Activity.created_by)]
    if isinstance(record, Account):
        # Each activity says which contact or opportunity it is about.
        options += [joinedload(Activity.contact), joinedload(Activity.opportunity)]
    query = sa.select(Activity)
    if isinstance(record, Account):
        # Private sharing: an account's timeline gathers its contacts' and opportunities' activities,
        # and leaves out those of the ones the user may not see. Any other timeline holds only the
        # activities of its own record, which the route has shown to be visible.
        query = sharing.visible(query, Activity)
    query = (
        query
        .where(_on_timeline_of(record))
        .options(*options)
        .order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(limit + 1)
    )
    activities = list(db.session.scalars(query))
    return activities[:limit], len(activities) > limit


def lead_activities(lead: Lead, limit: int = TIMELINE_LIMIT) -> tuple[list[Activity], bool]:
    """The lead's latest activities (record_activities for a lead)."""
    return record_activities(lead, limit)


def linked_records(activity: Activity) -> list[tuple[str, Record]]:
    """The records the activity is linked to, as (record type, record), the one it belongs to first."""
    linked = ((kind, getattr(activity, kind)) for kind in PRIMARY_ORDER)
    return [(kind, record) for kind, record in linked if record is not None]


def primary_record(activity: Activity) -> tuple[str, Record] | tuple[None, None]:
    """The record the activity belongs to (its page, its access), or (None, None)."""
    linked = linked_records(activity)
    return linked[0] if linked else (None, None)


def _open_tasks_of(user: User) -> sa.Select:
    return open_tasks_assigned(Activity.assignee_id == user.id)


def open_tasks_assigned(assignee_condition: sa.ColumnElement[bool]) -> sa.Select:
    """Open tasks whose assignee meets the condition (one user's, a team's: the home dashboard).

    A task is hidden while the record it belongs to (PRIMARY_ORDER) is in the recycle bin."""
    tables = {"contact": Contact, "opportunity": Opportunity, "account": Account, "lead": Lead}
    binned_at = sa.case(
        *((getattr(Activity, f"{kind}_id").is_not(None), tables[kind].deleted_at) for kind in PRIMARY_ORDER[:-1]),
        else_=Lead.deleted_at,
    )
    query = sa.select(Activity)
    for kind in PRIMARY_ORDER:
        query = query.outerjoin(tables[kind], getattr(Activity, f"{kind}_id") == tables[kind].id)
    return query.where(Activity.kind == "task", assignee_condition, Activity.done == sa.false(),
                       binned_at.is_(None))


def my_open_tasks(user: User, today: date, limit: int = MY_TASKS_LIMIT) -> MyTasks:
    """The user's open tasks: overdue first, then today, then later, then undated; and how many more."""
    priority_rank = sa.case({"High": 0, "Normal": 1, "Low": 2}, value=Activity.priority, else_=1)
    query = (
        _open_tasks_of(user)
        .options(joinedload(Activity.lead), joinedload(Activity.contact), joinedload(Activity.opportunity),
                 joinedload(Activity.account))
        # Ascending due dates put overdue before today before later; undated tasks go last.
        .order_by(Activity.due_date.is_(None), Activity.due_date, priority_rank, Activity.id)
        .limit(limit)
    )
    # The total of open tasks comes with the rows (a window count): one query however many there are.
    rows = db.session.execute(query.add_columns(sa.func.count().over())).all()
    tasks = [task for task, _total in rows]
    more = rows[0][1] - len(tasks) if rows else 0
    return MyTasks(tasks, more)


def record_url(kind: str, record_id: int) -> str:
    """The record page of a lead, account, contact or opportunity."""
    endpoint, argument = RECORD_PAGES[kind]
    return url_for(endpoint, **{argument: record_id})


def activity_record_url(activity: Activity) -> str | None:
    """The page of the record the activity belongs to, or None when it has none."""
    kind, record = primary_record(activity)
    return record_url(kind, record.id) if record is not None else None


def timeline_context(record: Record | None = None, *, lead: Lead | None = None) -> dict:
    """Template variables for activities/_timeline.html on a record's page (the record itself not included).

    `timeline_context(lead=lead)` is the same as `timeline_context(lead)`.
    """
    record = record if record is not None else lead
    if record is None:
        raise TypeError("timeline_context() needs a record")
    users = active_users()
    activities, has_more = record_activities(record)
    return {
        # Where the add forms post: /activities/<timeline_record_type>/<timeline_record_id>/<kind>.
        "timeline_record_type": record_type(record),
        "timeline_record_id": record.id,
        "timeline_activities": activities,
        "timeline_has_more": has_more,
        "timeline_forms": {k: activity_form(k, users=users) for k in ACTIVITY_KINDS},
        # The kind whose form shows first; the routes keep the one just used.
        "timeline_kind": "note",
        "timeline_users": users,
        "timeline_today": date.today(),
    }
