"""The admin's audit log (/admin/audit), the record pages' field history, and the settings hook.

Settings changes are recorded by one `after_request` hook on the admin pages (users, statuses,
picklists, campaigns, pipelines, assignment rules and queues, sharing) and on the Web-to-Lead
form pages, rather than by a call in each of their forty POST routes: a page added later is
covered without anyone remembering to. A route or service that logs its own, more precise,
settings event (crm/sharing.py) makes the hook skip that request.
"""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import g, request
from flask_babel import gettext as _
from flask_login import current_user

from crm import audit
from crm.admin import bp
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.htmx import render
from crm.models import User
from crm.models.audit import AuditEvent
from crm.webforms import bp as webforms_bp

log = logging.getLogger(__name__)
PER_PAGE = 50
# Web-to-Lead endpoints that are not settings: the public form and the moderation of its posts.
NOT_SETTINGS = ("webforms.public_", "webforms.release", "webforms.discard")


@bp.app_template_global("field_history")
def field_history_global(record):
    """The record's field history for its page (templates/*/_field_history.html): one query."""
    return audit.field_history(record)


@bp.app_template_global("field_label")
def field_label(field: str) -> str:
    return str(audit.FIELD_LABELS.get(field, field))


def _summary(endpoint: str, view_args: dict) -> str:
    """ "admin.edit_user" with user_id 5 -> "edit user #5": the endpoint says what was done."""
    words = endpoint.split(".", 1)[-1].replace("_", " ")
    ids = " ".join(f"#{v}" for v in view_args.values())
    return f"{words} {ids}".strip()


def log_settings_change(response):
    """After a successful POST of a settings page, one "settings" event naming what changed."""
    endpoint = request.endpoint or ""
    if (request.method != "POST" or response.status_code >= 400 or g.get("audit_settings_logged")
            or endpoint.startswith(NOT_SETTINGS) or not current_user.is_authenticated):
        return response
    if db.session.new or db.session.dirty or db.session.deleted:
        # The view left changes uncommitted (it failed): committing the event would store them too.
        return response
    # Field names and values, never a secret: a key naming one goes (audit.scrub), and so does any
    # other field that repeats a secret's value (a password's confirmation, whatever its name).
    secrets = {v for k, v in request.form.items() if audit.is_secret(k) and v}
    fields = {k: v for k, v in request.form.items() if not audit.is_secret(k) and v not in secrets}
    view_args = dict(request.view_args or {})
    try:
        audit.log_event("settings", _summary(endpoint, view_args), target_type=endpoint.split(".")[-1][:30],
                        target_id=next((v for v in view_args.values() if isinstance(v, int)), None),
                        details={"endpoint": endpoint, "path": request.path, "form": fields})
        db.session.commit()
    except sa.exc.SQLAlchemyError:
        # The change itself is stored; a lost log line must not turn it into an error page.
        db.session.rollback()
        log.exception("audit: could not record a settings change on %s", endpoint)
    return response


bp.after_request(log_settings_change)
webforms_bp.after_request(log_settings_change)


@dataclass
class AuditFilters:
    kind: str = ""
    actor: int | None = None
    before: int | None = None

    @classmethod
    def from_args(cls, args) -> "AuditFilters":
        kind = args.get("kind", "")
        actor = args.get("actor", "")
        before = args.get("before", "")
        return cls(kind=kind if kind in audit.EVENT_KINDS else "",
                   actor=int(actor) if actor.isdigit() and len(actor) < 12 else None,
                   before=int(before) if before.isdigit() and len(before) < 12 else None)

    def args(self, **changes) -> dict:
        values = {"kind": self.kind or None, "actor": self.actor, "before": self.before} | changes
        return {k: v for k, v in values.items() if v}


def events_page(filters: AuditFilters) -> tuple[list[AuditEvent], int | None]:
    """Newest first, one page; keyset paging on the id (monotonic with `at`). The id to page on next."""
    query = sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(PER_PAGE + 1)
    if filters.kind:
        query = query.where(AuditEvent.kind == filters.kind)
    if filters.actor:
        query = query.where(AuditEvent.actor_id == filters.actor)
    if filters.before:
        query = query.where(AuditEvent.id < filters.before)
    events = list(db.session.scalars(query))
    more = len(events) > PER_PAGE
    events = events[:PER_PAGE]
    return events, (events[-1].id if more else None)


@bp.route("/audit")
@role_required("admin")
def audit_log():
    """The audit log: sign-ins, exports, deletions, settings changes...; htmx gets the list only."""
    filters = AuditFilters.from_args(request.args)
    events, next_before = events_page(filters)
    actors = db.session.execute(sa.select(User.id, User.name, User.email).order_by(User.name)).all()
    kinds = [(kind, str(label)) for kind, label in audit.EVENT_KINDS.items()]
    return render("admin/audit.html", "admin/_audit_list.html", events=events, filters=filters,
                  next_before=next_before, actors=actors, kinds=kinds, kind_labels=dict(kinds),
                  title=_("Audit log"))
