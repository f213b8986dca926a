"""Activity routes: the timeline of a lead, account, contact or opportunity, adding to it, ticking a task done."""

from datetime import date
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from crm import sharing
from crm.activities import bp, services
from crm.activities.forms import activity_form, form_data
from crm.extensions import db
from crm.htmx import render, wants_fragment
from crm.leads.access import get_lead
from crm.models import ACTIVITY_KINDS, Activity

# /activities/<record_type>/...: anything else is 404 by routing.
RECORD_TYPE = "any({}):record_type".format(", ".join(services.RECORD_TYPES))

ADDED = {
    "note": _l("Note added."),
    "call": _l("Call logged."),
    "email": _l("Email logged."),
    "task": _l("Task created."),
    "event": _l("Event created."),
}


def back(default: str, anchor: str) -> str:
    """Where a plain form POST returns: the page it came from when it is ours, else `default`."""
    referrer = urlsplit(request.referrer or "")
    ours = referrer.netloc == request.host and referrer.scheme in ("http", "https")
    # "//host" or "/\\host" as a path would send the browser to another site.
    if ours and referrer.path.startswith("/") and not referrer.path.startswith(("//", "/\\")):
        target = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    else:
        target = default
    return f"{target}#{anchor}"


def get_record(record_type: str, record_id: int) -> services.Record:
    """The lead, account, contact or opportunity, or 404 when missing, in the recycle bin or not visible."""
    if record_type == "lead":
        return get_lead(record_id, current_user)
    model = services.RECORD_TYPES.get(record_type)
    if model is None:
        abort(404)
    return sharing.get_visible(model, record_id, current_user)


def get_activity(activity_id: int) -> Activity:
    """The activity, or 404 when it or the record it belongs to is missing or not visible."""
    activity = db.get_or_404(Activity, activity_id)
    kind, record = services.primary_record(activity)
    if record is None or record.deleted_at is not None:
        abort(404)
    # Visible with its record, or to its assignee (a task given to a rep on someone else's record).
    return sharing.require_visible(activity, current_user)


def timeline_url(record) -> str:
    return url_for("activities.timeline", record_type=services.record_type(record), record_id=record.id)


def render_timeline(record, **extra):
    """The timeline page of the record, or the #timeline fragment for htmx, from one context."""
    context = services.timeline_context(record) | extra
    return render("activities/record.html", "activities/_timeline.html", record=record, **context)


@bp.route(f"/<{RECORD_TYPE}>/<int:record_id>")
@login_required
def timeline(record_type: str, record_id: int):
    """A record's timeline: the page, or the #timeline fragment for htmx."""
    return render_timeline(get_record(record_type, record_id))


@bp.route("/lead/<int:lead_id>")
@login_required
def lead_timeline(lead_id: int):
    """A lead's timeline (the endpoint lead pages were built with)."""
    return timeline("lead", lead_id)


@bp.route(f"/<{RECORD_TYPE}>/<int:record_id>/<kind>", methods=["POST"])
@login_required
def add_to_timeline(record_type: str, record_id: int, kind: str):
    """Add a note, call, email, task or event to a record; htmx gets the timeline with an empty form."""
    if kind not in ACTIVITY_KINDS:
        abort(404)
    record = get_record(record_type, record_id)
    form = activity_form(kind, users=services.active_users(), bound=True)
    if form.validate_on_submit():
        try:
            services.add_activity(record, kind, form_data(form), actor=current_user)
        except services.InvalidAssignee:
            form.assignee_id.errors.append(_("Choose an active user."))
        else:
            db.session.commit()
            flash(str(ADDED[kind]), "success")
            if not wants_fragment():
                return redirect(back(timeline_url(record), "timeline"), 303)
            # The timeline with the new activity and empty forms, the same kind still selected.
            return render_timeline(record, timeline_kind=kind)
    # The form comes back with its errors and what was typed, its kind still selected.
    context = services.timeline_context(record) | {"timeline_kind": kind}
    context["timeline_forms"][kind] = form
    return render("activities/record.html", "activities/_timeline.html", status=422, record=record, **context)


@bp.route("/lead/<int:lead_id>/<kind>", methods=["POST"])
@login_required
def add(lead_id: int, kind: str):
    """Add to a lead's timeline (the endpoint lead pages were built with)."""
    return add_to_timeline("lead", lead_id, kind)


@bp.route("/<int:activity_id>/done", methods=["POST"])
@login_required
def toggle_done(activity_id: int):
    """Tick a task done (done=1) or open it again (done=0); htmx gets the task back."""
    activity = get_activity(activity_id)
    done = request.form.get("done") == "1"
    try:
        services.set_done(activity, done, actor=current_user)
    except services.NotATask:
        abort(400)
    db.session.commit()
    if done:
        flash(_("Task “%(subject)s” done.", subject=activity.subject), "success")
    else:
        flash(_("Task “%(subject)s” open again.", subject=activity.subject), "success")
    # The same task is shown in two places: its record's timeline and the home page's "My tasks".
    view = request.form.get("view")
    if not wants_fragment():
        if view == "my-tasks":
            return redirect(back(url_for("home.index"), f"my-task-{activity.id}"), 303)
        _kind, record = services.primary_record(activity)
        return redirect(back(timeline_url(record), f"activity-{activity.id}"), 303)
    # Only htmx gets here (the page names are never rendered): the one task, swapped in place.
    if view == "my-tasks":
        return render("home/index.html", "activities/_my_task.html", task=activity, today=date.today())
    # On an account's timeline a task says which contact or opportunity it is about.
    return render("activities/record.html", "activities/_activity.html", activity=activity,
                  timeline_today=date.today(), timeline_record_type="account" if view == "account-timeline" else None)
