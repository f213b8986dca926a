"""The sharing model (SPEC), enforced here and nowhere else.

`public` (default): every user sees and edits every record. `private`: a rep sees and edits only
the records they own, or that one of their queues owns (leads); managers and admins see all.

Two entry points cover every page:
- `visible(query, Model)` narrows a select of leads, accounts, contacts, opportunities or
  activities: every list, search, board, report, export and typeahead goes through it;
- `get_visible(Model, id)` loads one record for a record URL (page, fragment or POST action) and
  answers 404 when it does not exist, is in the recycle bin or is not visible, so a rep cannot
  even learn that a hidden id exists.

The sharing mode and the user's queue ids are read once per request and kept on `flask.g`:
narrowing a list adds a condition to its one query, never a query per row.
"""

import sqlalchemy as sa
from flask import abort, g, has_app_context, has_request_context
from flask_login import current_user

from crm.extensions import db
from crm.models import Account, Activity, Contact, Lead, Opportunity, QueueMember, User
from crm.models.settings import SHARING_MODES, OrgSettings
from crm.models.user import utcnow

# Roles that see every record whatever the mode.
SEE_ALL_ROLES = ("admin", "manager")
# The models with an owner: Activity has none (it follows its parent record, or its assignee).
OWNED_MODELS = (Lead, Account, Contact, Opportunity)


class UnknownSharingMode(ValueError):
    """Sharing is either public or private."""


def sharing_mode() -> str:
    """`public` or `private`, read from the database once per request."""
    if has_app_context() and "sharing_mode" in g:
        return g.sharing_mode
    mode = db.session.scalar(sa.select(OrgSettings.sharing).where(OrgSettings.id == 1)) or "public"
    if has_app_context():
        g.sharing_mode = mode
    return mode


def set_sharing(mode: str, actor: User) -> bool:
    """Store the org-wide sharing mode; flushes, the caller commits. True when it changed.

    The admin audit log records the change here (who, old and new mode), not in the route, so
    that every way of changing it is logged.
    :raises UnknownSharingMode:
    """
    if mode not in SHARING_MODES:
        raise UnknownSharingMode(mode)
    settings = db.session.get(OrgSettings, 1)
    if settings is None:
        # Migration 0016 seeds the row; a database whose row was deleted by hand gets it back.
        settings = OrgSettings(id=1, sharing="public")
        db.session.add(settings)
    old = settings.sharing
    if old == mode:
        return False
    settings.sharing, settings.updated_by_id, settings.updated_at = mode, actor.id, utcnow()
    db.session.flush()
    from crm.audit import log_event  # here: crm.audit imports the models, as this module does

    log_event("settings", f"sharing: {old} -> {mode}", actor=actor, target_type="org_settings", target_id=1,
              details={"setting": "sharing", "old": old, "new": mode})
    if has_app_context():
        g.sharing_mode = mode
    return True


def sees_everything(user: User | None = None) -> bool:
    """True unless sharing is private and the user is a rep."""
    user = _user(user)
    if user is None:
        # No request (CLI, background job, a service called by code): nobody to narrow for.
        return True
    if getattr(user, "role", None) in SEE_ALL_ROLES:
        return True
    return sharing_mode() == "public"


def queue_ids(user: User | None = None) -> tuple[int, ...]:
    """The ids of the queues the user belongs to, read once per request."""
    user = _user(user)
    cache = g.setdefault("sharing_queue_ids", {}) if has_app_context() else {}
    if user.id not in cache:
        cache[user.id] = tuple(db.session.scalars(
            sa.select(QueueMember.queue_id).where(QueueMember.user_id == user.id).order_by(QueueMember.queue_id)))
    return cache[user.id]


def visible_clause(model, user: User | None = None):
    """The SQL condition a row of `model` must meet to be visible, or None when all rows are."""
    user = _user(user)
    if sees_everything(user):
        return None
    return _owned_clause(model, user)


def visible(query: sa.Select, model, user: User | None = None) -> sa.Select:
    """`query` (a select involving `model`) narrowed to the rows of `model` the user may see."""
    clause = visible_clause(model, user)
    return query if clause is None else query.where(clause)


def can_see(record, user: User | None = None) -> bool:
    """Whether the user may see this loaded record (no query but the cached queue ids)."""
    user = _user(user)
    if record is None:
        return False
    if sees_everything(user):
        return True
    if isinstance(record, Lead):
        return record.owner_id == user.id or (record.queue_id is not None and record.queue_id in queue_ids(user))
    if isinstance(record, OWNED_MODELS):
        return record.owner_id == user.id
    if isinstance(record, Activity):
        if record.assignee_id == user.id:
            return True
        # The record it belongs to, in crm.activities.services.PRIMARY_ORDER.
        parent = record.contact or record.opportunity or record.account or record.lead
        return parent is not None and can_see(parent, user)
    raise TypeError(f"no sharing rule for {type(record).__name__}")


def get_visible(model, record_id: int, user: User | None = None, *, deleted: bool = False):
    """The record for a record URL, or 404: missing, not visible, or (not) in the recycle bin.

    deleted=True asks for a record in the recycle bin (restore); models without a recycle bin
    (activities) ignore it.
    """
    record = db.session.get(model, record_id)
    if record is None or not can_see(record, user):
        abort(404)
    if hasattr(record, "deleted_at") and (record.deleted_at is not None) != deleted:
        abort(404)
    return record


def visible_ids(model, ids, user: User | None = None) -> set[int]:
    """The ids among `ids` the user may see (one query), for forms that post several ids."""
    ids = [i for i in ids if isinstance(i, int)]
    if not ids:
        return set()
    return set(db.session.scalars(visible(sa.select(model.id).where(model.id.in_(ids)), model, user)))


def _owned_clause(model, user: User):
    if model is Lead:
        queues = queue_ids(user)
        mine = Lead.owner_id == user.id
        return sa.or_(mine, Lead.queue_id.in_(queues)) if queues else mine
    if model in OWNED_MODELS:
        return model.owner_id == user.id
    if model is Activity:
        # An activity is visible with the record it belongs to: the first it links to in
        # crm.activities.services.PRIMARY_ORDER (a note on a deal also carries the deal's account,
        # and stays hidden when the deal is), or to the user it is assigned to.
        branches, before = [], []
        for column, parent in ((Activity.contact_id, Contact), (Activity.opportunity_id, Opportunity),
                               (Activity.account_id, Account), (Activity.lead_id, Lead)):
            owned = column.in_(sa.select(parent.id).where(_owned_clause(parent, user)))
            branches.append(sa.and_(*(c.is_(None) for c in before), owned))
            before.append(column)
        return sa.or_(Activity.assignee_id == user.id, *branches)
    raise TypeError(f"no sharing rule for {getattr(model, '__name__', model)}")


def _user(user):
    """The user given, else the signed-in one; None outside a request (CLI, background job)."""
    if user is not None:
        return user
    return current_user._get_current_object() if has_request_context() else None


def require_visible(record, user: User | None = None):
    """404 unless the user may see this already-loaded record; returns it."""
    if not can_see(record, user):
        abort(404)
    return record
