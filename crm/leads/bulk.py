"""Change the owner of several leads at once, from the list (Salesforce's "Change Owner" on
selected rows). The rule lives in crm/assignment/services.py (reassign)."""

import sqlalchemy as sa
from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from crm.assignment import services as assignment
from crm.extensions import db
from crm.htmx import redirect_after_post
from crm.leads import bp
from crm.leads.access import visible_leads
from crm.leads.routes import active_users
from crm.models import Lead, Queue, User


def owner_targets(users: list[User] | None = None) -> list[tuple[str, str]]:
    """The choices of the list's "Change owner": each user, each queue, or the assignment rules."""
    queues = db.session.execute(sa.select(Queue.id, Queue.name).order_by(Queue.name))
    return ([("rules", _("Run the assignment rules"))]
            + [(f"user:{u.id}", u.name) for u in (active_users() if users is None else users)]
            + [(f"queue:{queue_id}", _("Queue %(name)s", name=name)) for queue_id, name in queues])


class ChangeOwnerForm(FlaskForm):
    target = SelectField(_("New owner"), choices=[], validators=[InputRequired()])
    next = HiddenField()


def back_to_list(raw: str | None) -> str:
    """Where the list was (its filters and page), never another site."""
    if raw and raw.startswith("/leads") and not raw.startswith("//") and "\\" not in raw:
        return raw
    return url_for("leads.index")


@bp.route("/change-owner", methods=["POST"])
@login_required
def change_owner():
    """Give the ticked leads to a user, a queue or the assignment rules, then back to the list."""
    form = ChangeOwnerForm()
    form.target.choices = owner_targets()
    back = back_to_list(form.next.data)
    raw_ids = request.form.getlist("lead_ids")
    ids = {int(x) for x in raw_ids if x.isdigit() and len(x) < 12}
    if not form.validate_on_submit():
        flash(_("Choose a new owner from the list."), "error")
        return redirect_after_post(back)
    if not ids or len(ids) != len(raw_ids):
        flash(_("Tick the leads to give to the new owner."), "error")
        return redirect_after_post(back)
    if len(ids) > assignment.MAX_REASSIGN:
        flash(_("Change the owner of at most %(count)s leads at a time.", count=assignment.MAX_REASSIGN), "error")
        return redirect_after_post(back)
    leads = list(db.session.scalars(visible_leads(current_user).where(Lead.id.in_(ids)).order_by(Lead.id)))
    kind, _sep, target_id = form.target.data.partition(":")
    owner = db.session.get(User, int(target_id)) if kind == "user" else None
    queue = db.session.get(Queue, int(target_id)) if kind == "queue" else None
    changed = assignment.reassign(leads, actor=current_user, owner=owner, queue=queue, use_rules=kind == "rules")
    db.session.commit()
    skipped = len(ids) - changed
    flash(ngettext("%(num)s lead changed owner.", "%(num)s leads changed owner.", changed), "success")
    if skipped:
        flash(ngettext("%(num)s lead kept its owner (already theirs, converted or deleted).",
                       "%(num)s leads kept their owner (already theirs, converted or deleted).", skipped), "info")
    return redirect_after_post(back)


