"""Admin pages for lead assignment: ordered rules, queues and their members, the default owner. Admins only.

Row buttons are plain POST forms (303 back to the page without JavaScript); with htmx they answer
with the list fragment, which replaces itself, and the flash rides along out of band.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.admin import bp
from crm.admin.assignment_forms import AssignmentRuleForm, DefaultOwnerForm, QueueForm, QueueMemberForm
from crm.assignment import services
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads import services as lead_services
from crm.models import AssignmentRule, Queue, User


def get_rule(rule_id: int) -> AssignmentRule:
    return db.get_or_404(AssignmentRule, rule_id)


def get_queue(queue_id: int) -> Queue:
    return db.get_or_404(Queue, queue_id)


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


def direction() -> str:
    value = request.form.get("direction")
    if value not in services.DIRECTIONS:
        abort(400)
    return value


# Rules and the default owner

def rule_form(rule: AssignmentRule | None = None, *, blank: bool = False) -> AssignmentRuleForm:
    """The rule form with its choices; `blank` ignores the request's form data (a fresh form after an add)."""
    form = AssignmentRuleForm(obj=rule, **({"formdata": None} if blank else {}))
    return form.set_choices(sources=lead_services.picklist("lead_source"),
                            campaigns=lead_services.campaign_choices(rule.campaign_id if rule else None),
                            users=active_users(), queues=services.queues(), rule=rule)


def default_owner_form() -> DefaultOwnerForm:
    form = DefaultOwnerForm()
    if not form.is_submitted():
        form.default_owner_id.data = services.settings().default_owner_id
    return form.set_choices(active_users())


def rules_context(form: AssignmentRuleForm | None = None, **extra) -> dict:
    return {"rules": services.rules(), "form": form or rule_form(blank=True), "owner_form": default_owner_form(),
            "settings": services.settings(), **extra}


def rule_list(**extra):
    """After a row action: the list for htmx, a 303 back to the page otherwise."""
    if wants_fragment():
        return render("admin/assignment_rules.html", "admin/_rule_list.html", **rules_context(**extra))
    return redirect(url_for("admin.assignment_rules"), 303)


@bp.route("/assignment-rules")
@role_required("admin")
def assignment_rules():
    """The assignment rules in the order they are tried, the form to add one, the default owner."""
    return render("admin/assignment_rules.html", "admin/_rule_list.html", **rules_context())


def save_rule(form: AssignmentRuleForm, rule: AssignmentRule | None):
    """Create or update from a validated form; False when a rule of the service stopped it."""
    try:
        if rule is None:
            rule = services.create_rule(**form.rule_data())
        else:
            services.update_rule(rule, **form.rule_data())
    except services.TargetRequired as error:
        form.owner_user_id.errors.append(str(error))
    except services.EmployeesRange as error:
        form.employees_max.errors.append(str(error))
    else:
        db.session.commit()
        flash(_("Rule %(name)s saved.", name=rule.name), "success")
        return True
    db.session.rollback()
    return False


@bp.route("/assignment-rules", methods=["POST"])
@role_required("admin")
def add_assignment_rule():
    """Add a rule at the end; htmx gets a fresh form and the list out of band."""
    form = rule_form()
    if form.validate_on_submit() and save_rule(form, None):
        if not wants_fragment():
            return redirect(url_for("admin.assignment_rules"), 303)
        return render("admin/assignment_rules.html", "admin/_rule_form.html", **rules_context(list_oob=True))
    return render("admin/assignment_rules.html", "admin/_rule_form.html", status=422, **rules_context(form))


@bp.route("/assignment-rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_assignment_rule(rule_id: int):
    """Change a rule's name, criteria, target or active flag."""
    rule = get_rule(rule_id)
    form = rule_form(rule)
    if form.validate_on_submit() and save_rule(form, rule):
        return redirect_after_post(url_for("admin.assignment_rules"))
    return render("admin/assignment_rules.html", "admin/_rule_form.html",
                  status=422 if form.is_submitted() else 200, form=form, editing=rule)


@bp.route("/assignment-rules/<int:rule_id>/move", methods=["POST"])
@role_required("admin")
def move_assignment_rule(rule_id: int):
    """Move a rule one place up or down (the first matching rule wins)."""
    rule, way = get_rule(rule_id), direction()
    moved = services.move_rule(rule, way)
    db.session.commit()
    if not moved:
        flash(_("%(name)s is already at the top.", name=rule.name) if way == "up"
              else _("%(name)s is already at the bottom.", name=rule.name), "info")
    else:
        flash(_("%(name)s moved up.", name=rule.name) if way == "up"
              else _("%(name)s moved down.", name=rule.name), "success")
    return rule_list()


@bp.route("/assignment-rules/<int:rule_id>/active", methods=["POST"])
@role_required("admin")
def set_assignment_rule_active(rule_id: int):
    """Turn a rule off (it is skipped) or on again."""
    rule = get_rule(rule_id)
    active = request.form.get("active") == "1"
    services.set_rule_active(rule, active)
    db.session.commit()
    flash(_("Rule %(name)s is active.", name=rule.name) if active
          else _("Rule %(name)s is inactive: it is skipped.", name=rule.name), "success")
    return rule_list()


@bp.route("/assignment-rules/<int:rule_id>/delete", methods=["POST"])
@role_required("admin")
def delete_assignment_rule(rule_id: int):
    """Delete a rule; the leads it assigned keep their owner."""
    rule = get_rule(rule_id)
    name = rule.name
    services.delete_rule(rule)
    db.session.commit()
    flash(_("Rule %(name)s deleted.", name=name), "success")
    return rule_list(focus_list=True)


@bp.route("/assignment-rules/default-owner", methods=["POST"])
@role_required("admin")
def set_default_owner():
    """Who gets a lead that no rule matches."""
    form = default_owner_form()
    if form.validate_on_submit():
        owner = db.session.get(User, form.default_owner_id.data) if form.default_owner_id.data else None
        services.set_default_owner(owner)
        db.session.commit()
        flash(_("Leads no rule matches now go to %(name)s.", name=owner.name) if owner
              else _("Leads no rule matches now keep the owner they were created with."), "success")
        return redirect_after_post(url_for("admin.assignment_rules"))
    return render("admin/assignment_rules.html", "admin/_rule_default_owner.html", status=422,
                  **rules_context(owner_form=form))


# Queues

def queues_context(form: QueueForm | None = None, **extra) -> dict:
    return {"queues": services.queues(), "lead_counts": services.queue_lead_counts(),
            "form": form or QueueForm(formdata=None), **extra}


@bp.route("/assignment-rules/queues")
@role_required("admin")
def queues():
    """The queues with their members and how many leads each owns, and the form to add one."""
    return render("admin/queues.html", "admin/_queue_list.html", **queues_context())


@bp.route("/assignment-rules/queues", methods=["POST"])
@role_required("admin")
def add_queue():
    """Add a queue, then open it to add its members."""
    form = QueueForm()
    if form.validate_on_submit():
        try:
            queue = services.create_queue(name=form.name.data, round_robin=form.round_robin.data)
        except services.NameTaken as error:
            form.name.errors.append(str(error))
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Queue %(name)s added. Now add its members.", name=queue.name), "success")
            return redirect_after_post(url_for("admin.queue", queue_id=queue.id))
    return render("admin/queues.html", "admin/_queue_form.html", status=422, **queues_context(form))


def queue_context(queue: Queue, form: QueueForm | None = None, member_form: QueueMemberForm | None = None,
                  **extra) -> dict:
    member_ids = {m.user_id for m in queue.members}
    users = [u for u in active_users() if u.id not in member_ids]
    return {"queue": queue, "form": form or QueueForm(obj=queue, formdata=None),
            "member_form": (member_form or QueueMemberForm(formdata=None)).set_choices(users),
            "lead_count": services.queue_lead_counts().get(queue.id, 0), **extra}


@bp.route("/assignment-rules/queues/<int:queue_id>", methods=["GET", "POST"])
@role_required("admin")
def queue(queue_id: int):
    """One queue: its name and round-robin flag, its members."""
    queue = get_queue(queue_id)
    form = QueueForm(obj=queue)
    if form.validate_on_submit():
        try:
            services.update_queue(queue, name=form.name.data, round_robin=form.round_robin.data)
        except services.NameTaken as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Queue %(name)s saved.", name=queue.name), "success")
            return redirect_after_post(url_for("admin.queue", queue_id=queue.id))
    status = 422 if form.is_submitted() else 200
    return render("admin/queues_show.html", "admin/_queue_form.html", status=status,
                  **queue_context(queue, form, editing=queue))


@bp.route("/assignment-rules/queues/<int:queue_id>/members", methods=["POST"])
@role_required("admin")
def add_queue_member(queue_id: int):
    """Make a user a member of the queue; htmx gets the members fragment."""
    queue = get_queue(queue_id)
    member_ids = {m.user_id for m in queue.members}
    form = QueueMemberForm().set_choices([u for u in active_users() if u.id not in member_ids])
    if form.validate_on_submit():
        user = db.get_or_404(User, form.user_id.data)
        services.add_member(queue, user)
        db.session.commit()
        flash(_("%(name)s is now a member of %(queue)s.", name=user.name, queue=queue.name), "success")
        if not wants_fragment():
            return redirect(url_for("admin.queue", queue_id=queue.id), 303)
        return render("admin/queues_show.html", "admin/_queue_members.html", **queue_context(queue))
    return render("admin/queues_show.html", "admin/_queue_members.html", status=422,
                  **queue_context(queue, member_form=form))


@bp.route("/assignment-rules/queues/<int:queue_id>/members/<int:user_id>/delete", methods=["POST"])
@role_required("admin")
def remove_queue_member(queue_id: int, user_id: int):
    """Remove a member (the leads they took stay theirs)."""
    queue = get_queue(queue_id)
    if not services.remove_member(queue, user_id):
        abort(404)
    db.session.commit()
    user = db.session.get(User, user_id)
    flash(_("%(name)s is no longer a member of %(queue)s.", name=user.name if user else "—", queue=queue.name),
          "success")
    if wants_fragment():
        return render("admin/queues_show.html", "admin/_queue_members.html", **queue_context(queue))
    return redirect(url_for("admin.queue", queue_id=queue.id), 303)


@bp.route("/assignment-rules/queues/<int:queue_id>/delete", methods=["POST"])
@role_required("admin")
def delete_queue(queue_id: int):
    """Delete a queue that owns no lead and that no rule targets."""
    queue = get_queue(queue_id)
    name = queue.name
    try:
        services.delete_queue(queue)
    except services.QueueInUse as error:
        db.session.rollback()
        if error.leads:
            flash(ngettext("%(name)s cannot be deleted: it owns %(num)d lead. Have it taken first.",
                           "%(name)s cannot be deleted: it owns %(num)d leads. Have them taken first.",
                           error.leads, name=name), "error")
        else:
            flash(ngettext("%(name)s cannot be deleted: %(num)d rule assigns to it. Change or delete it first.",
                           "%(name)s cannot be deleted: %(num)d rules assign to it. Change or delete them first.",
                           error.rules, name=name), "error")
        return redirect_after_post(url_for("admin.queue", queue_id=queue_id))
    db.session.commit()
    flash(_("Queue %(name)s deleted.", name=name), "success")
    return redirect_after_post(url_for("admin.queues"))
