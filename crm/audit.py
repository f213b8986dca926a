"""The audit trail: field history of leads and opportunities, and the admin's audit log.

Field history is captured by a `before_flush` listener on the session rather than by a call in
each service: owners, statuses and stages are written from many places (the edit form, the path,
both boards, bulk "Change owner", the assignment rules, conversion, merge and its undo, an
admin moving deals off a deleted stage), and some routes set `lead.owner_id` themselves. A
listener sees every ORM write, old and new value, whoever wrote it, so no writer can forget it.
Core statements (`sa.update(...)`) bypass the ORM: the few that change a tracked field call
`record_changes` themselves (taking a lead from a queue). Inserts write no history (the record's
creation is its first state), so seed-demo and imports stay bulk. A flush that changes many
records (bulk change of owner) writes its history rows in one executemany.

The audit log (`log_event`) is written by explicit calls: sign-ins, exports, deletions, restores,
merges, imports, conversions, settings. Its `details` never hold a password, a token or a
session id: `scrub` drops any such key, whatever the caller passes.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import g, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from crm.extensions import db
from crm.models import Lead, LeadStatus, Opportunity, Queue, Stage, User
from crm.models.audit import AuditEvent, FieldChange
from crm.models.user import utcnow

log = logging.getLogger(__name__)

# The kinds of audit events, with their labels for the log's filter.
EVENT_KINDS = {
    "sign_in": _l("Sign-in"),
    "sign_in_failed": _l("Failed sign-in"),
    "password_changed": _l("Password changed"),
    "export": _l("Export of a list"),
    "delete": _l("Deletion"),
    "restore": _l("Restored from the recycle bin"),
    "merge": _l("Lead merge"),
    "merge_undone": _l("Lead merge undone"),
    "import": _l("Lead import"),
    "import_undone": _l("Lead import undone"),
    "conversion": _l("Lead conversion"),
    "settings": _l("Settings change"),
}
# The labels of the tracked fields, as the record pages show them.
FIELD_LABELS = {
    "owner": _l("Owner"),
    "status": _l("Status"),
    "stage": _l("Stage"),
    "amount": _l("Amount"),
    "close_date": _l("Close date"),
    "probability": _l("Probability"),
}
HISTORY_SHOWN = 50
# Keys that must never reach the log, in `details` or anywhere else (compared lower-cased, as parts).
SECRET_MARKERS = ("password", "passwd", "confirm", "token", "secret", "session", "csrf", "cookie", "api_key")
MAX_TEXT = 255


@dataclass(frozen=True)
class Tracked:
    """A tracked field: its column, the relationship that may be set instead, and what it refers to."""

    field: str
    column: str
    relationship: str | None = None
    refers_to: type | None = None


TRACKED = {
    Lead: ("lead", (Tracked("owner", "owner_id", "owner", User), Tracked("status", "status_id", "status", LeadStatus))),
    Opportunity: ("opportunity", (
        Tracked("owner", "owner_id", "owner", User), Tracked("stage", "stage_id", "stage", Stage),
        Tracked("amount", "amount"), Tracked("close_date", "close_date"), Tracked("probability", "probability"))),
}
# A lead's owner is a user or a queue: a change of queue is a change of owner too.
LEAD_QUEUE = Tracked("owner", "queue_id", "queue", Queue)


def _keep_old_values(model, names):
    """Load the old value when a tracked attribute is set on an expired record, so the history
    knows what it replaced (SQLAlchemy's `active_history`)."""
    for name in names:
        event.listen(getattr(model, name), "set", lambda *args: None, active_history=True)


for _model, (_kind, _fields) in TRACKED.items():
    _keep_old_values(_model, [f.column for f in _fields] + [f.relationship for f in _fields if f.relationship])
_keep_old_values(Lead, ["queue_id", "queue"])


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)[:MAX_TEXT]


def _actor_id(record=None) -> int | None:
    """The signed-in user of this request, else whoever the service stamped on the record."""
    if has_request_context():
        # flask-login's cached user: reading it never loads anything in the middle of a flush.
        user = g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id
    return getattr(record, "updated_by_id", None)


def _value_change(state, spec: Tracked):
    """(old, new) of a tracked attribute in this flush, or None when it did not change."""
    history = state.attrs[spec.column].history
    old = new = None
    changed = False
    if history.has_changes():
        changed = True
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
    elif history.unchanged:
        old = new = history.unchanged[0]
    if spec.relationship:
        rel = state.attrs[spec.relationship].history
        if rel.has_changes():
            changed = True
            new = rel.added[0].id if rel.added and rel.added[0] is not None else None
            if rel.deleted:
                old = rel.deleted[0].id if rel.deleted[0] is not None else None
    if not changed or old == new:
        return None
    return old, new


@dataclass
class Change:
    record_type: str
    record_id: int
    field: str
    old: object
    new: object
    refers_to: type | None
    actor_id: int | None
    old_queue: int | None = None  # a lead owned by a queue: its id (the owner user is None)
    new_queue: int | None = None


def _lead_owner_change(state, actor_id) -> Change | None:
    user = _value_change(state, TRACKED[Lead][1][0])
    queue = _value_change(state, LEAD_QUEUE)
    if user is None and queue is None:
        return None
    lead = state.obj()
    old_user, new_user = user if user else (lead.owner_id, lead.owner_id)
    old_queue, new_queue = queue if queue else (lead.queue_id, lead.queue_id)
    if (old_user, old_queue) == (new_user, new_queue):
        return None
    return Change("lead", lead.id, "owner", old_user, new_user, User, actor_id, old_queue, new_queue)


def _changes_in(session: Session) -> list[Change]:
    changes = []
    for record in session.dirty:
        tracked = TRACKED.get(type(record))
        if tracked is None or record.id is None:
            continue
        kind, fields = tracked
        state = sa.inspect(record)
        actor_id = _actor_id(record)
        for spec in fields:
            if isinstance(record, Lead) and spec.field == "owner":
                change = _lead_owner_change(state, actor_id)
                if change:
                    changes.append(change)
                continue
            found = _value_change(state, spec)
            if found:
                changes.append(Change(kind, record.id, spec.field, *found, spec.refers_to, actor_id))
    return changes


def _names(session: Session, model: type, ids: set) -> dict[int, str]:
    """Readable names of referenced records, in one query (the ones already loaded need none)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    column = {User: User.name, LeadStatus: LeadStatus.label, Stage: Stage.name, Queue: Queue.name}[model]
    return dict(session.execute(sa.select(model.id, column).where(model.id.in_(ids))).all())


def _rows(session: Session, changes: list[Change]) -> list[dict]:
    refs: dict[type, set] = {}
    for c in changes:
        if c.refers_to is not None:
            refs.setdefault(c.refers_to, set()).update((c.old, c.new))
        if c.old_queue is not None or c.new_queue is not None:
            refs.setdefault(Queue, set()).update((c.old_queue, c.new_queue))
    names = {model: _names(session, model, ids) for model, ids in refs.items()}
    now = utcnow()

    def shown(value, model, queue_id=None):
        if model is None:
            return _text(value)
        if value is None and queue_id is not None:
            # Owned by a queue: its name (stored text stays in no one language).
            return _text(names.get(Queue, {}).get(queue_id))
        return _text(names.get(model, {}).get(value, value))

    return [{"record_type": c.record_type, "record_id": c.record_id, "field": c.field,
             "old_id": c.old if c.refers_to else None, "new_id": c.new if c.refers_to else None,
             "old_value": shown(c.old, c.refers_to, c.old_queue), "new_value": shown(c.new, c.refers_to, c.new_queue),
             "changed_by_id": c.actor_id, "changed_at": now} for c in changes]


def _write(session: Session, changes: list[Change]) -> None:
    if changes:
        # One executemany, whatever the number of records: bulk paths stay bulk.
        session.connection().execute(sa.insert(FieldChange.__table__), _rows(session, changes))


@event.listens_for(Session, "before_flush")
def _capture_field_changes(session: Session, flush_context, instances) -> None:
    """Field history of every lead and opportunity this flush updates (see the module's docstring)."""
    if session.dirty:
        _write(session, _changes_in(session))


def record_changes(record, before: dict, after: dict, actor: User | None) -> None:
    """History of a change made without the ORM (a Core UPDATE): `before` and `after` map the
    tracked fields ("owner", "status", "stage", ...) to their raw values; flushes nothing."""
    kind, fields = TRACKED[type(record)]
    refers = {spec.field: spec.refers_to for spec in fields}
    changes = []
    for field in refers:
        old, new = before.get(field), after.get(field)
        # A lead's owner may be a queue: "queue" gives its id when the owner user is None.
        queues = (before.get("queue"), after.get("queue")) if field == "owner" else (None, None)
        if (field in before or field in after) and (old, queues[0]) != (new, queues[1]):
            changes.append(Change(kind, record.id, field, old, new, refers[field], actor.id if actor else None,
                                  *queues))
    _write(db.session, changes)


def record_bulk_change(model: type, ids: sa.Select, field: str, *, old_id: int | None, new_id: int | None,
                       old_value, new_value, actor: User | None) -> None:
    """History of one change made to many records by one Core statement (the records `ids` selects):
    one INSERT ... SELECT, whatever their number. Run it before the UPDATE, while `ids` still finds them."""
    columns = ["record_type", "record_id", "field", "old_id", "new_id", "old_value", "new_value", "changed_by_id",
               "changed_at"]
    rows = ids.with_only_columns(
        sa.literal(TRACKED[model][0]), *ids.selected_columns, sa.literal(field),
        sa.literal(old_id, sa.Integer), sa.literal(new_id, sa.Integer), sa.literal(_text(old_value), sa.String),
        sa.literal(_text(new_value), sa.String), sa.literal(actor.id if actor else None, sa.Integer),
        sa.literal(utcnow(), sa.DateTime))
    db.session.execute(sa.insert(FieldChange).from_select(columns, rows))


def field_history(record, limit: int = HISTORY_SHOWN) -> list[FieldChange]:
    """The record's latest field changes, newest first, with who made them: one query."""
    kind = TRACKED[type(record)][0]
    query = (sa.select(FieldChange).options(sa.orm.joinedload(FieldChange.changed_by))
             .where(FieldChange.record_type == kind, FieldChange.record_id == record.id)
             .order_by(FieldChange.changed_at.desc(), FieldChange.id.desc()).limit(limit))
    return list(db.session.scalars(query))


# The audit log ------------------------------------------------------------------------------


def is_secret(key) -> bool:
    key = str(key).lower()
    return any(marker in key for marker in SECRET_MARKERS)


def scrub(value):
    """`value` without any key that names a secret, recursively; long texts cut."""
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items() if not is_secret(k)}
    if isinstance(value, list | tuple | set):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return _text(value)


def _current_user():
    if has_request_context():
        user = g.get("_login_user")
        if user is not None and getattr(user, "is_authenticated", False):
            return user
    return None


def attempted_email(text: str | None) -> str | None:
    """The email a failed sign-in tried, when it looks like one: a password typed into the email
    field by mistake must not end up in the log."""
    text = (text or "").strip().lower()
    return text[:254] if "@" in text and not any(c.isspace() for c in text) else None


def remote_addr() -> str | None:
    return request.remote_addr if has_request_context() else None


def log_event(kind: str, summary: str, *, actor: User | None = None, email: str | None = None,
              target=None, target_type: str | None = None, target_id: int | None = None,
              details: dict | None = None) -> AuditEvent:
    """Add one event to the audit log (the caller commits, with the change it records).

    `actor` defaults to the signed-in user; `email` is the one tried by a failed sign-in (never its
    password). `target` (a model instance) gives the target's type and id."""
    if kind not in EVENT_KINDS:
        raise ValueError(f"unknown audit event kind {kind!r}")
    actor = actor if actor is not None else _current_user()
    if target is not None:
        target_type = target_type or re.sub(r"(?<!^)(?=[A-Z])", "_", type(target).__name__).lower()
        target_id = target_id if target_id is not None else target.id
    entry = AuditEvent(
        at=utcnow(), kind=kind, summary=str(summary)[:500], actor_id=actor.id if actor else None,
        actor_email=(actor.email if actor else email or None), target_type=target_type, target_id=target_id,
        remote_addr=remote_addr(), details=scrub(details) if details else None)
    if entry.actor_email:
        entry.actor_email = entry.actor_email[:254]
    db.session.add(entry)
    if has_request_context() and kind == "settings":
        # The admin pages' catch-all hook (crm/admin/audit.py) then adds no second entry.
        g.audit_settings_logged = True
    # Python logging gets the kind and ids only: never the details, never a secret.
    log.info("audit %s actor=%s target=%s:%s", kind, entry.actor_id, target_type, target_id)
    return entry
