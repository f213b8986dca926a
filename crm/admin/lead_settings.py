"""Admin pages for lead statuses and picklists: order, add, rename, flags, delete. Admins only.

Row buttons are plain POST forms (303 back to the list without JavaScript); with htmx they answer
with the list fragment, which replaces itself, and the flash rides along out of band.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from crm.admin import bp
from crm.admin import lead_settings_services as services
from crm.admin.lead_settings_forms import PICKLIST_TITLES, LeadStatusForm, PicklistValueForm
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.models import PICKLISTS, LeadStatus, PicklistValue


def get_status(status_id: int) -> LeadStatus:
    return db.get_or_404(LeadStatus, status_id)


def get_picklist(name: str) -> str:
    if name not in PICKLISTS:
        abort(404)
    return name


def get_value(name: str, value_id: int) -> PicklistValue:
    value = db.get_or_404(PicklistValue, value_id)
    if value.picklist != get_picklist(name):
        abort(404)
    return value


def direction() -> str:
    value = request.form.get("direction")
    if value not in services.DIRECTIONS:
        abort(400)
    return value


def flash_moved(label: str, moved: bool, way: str) -> None:
    if not moved:
        flash(_("%(label)s is already at the top.", label=label) if way == "up"
              else _("%(label)s is already at the bottom.", label=label), "info")
    else:
        flash(_("%(label)s moved up.", label=label) if way == "up"
              else _("%(label)s moved down.", label=label), "success")


# Lead statuses

def status_context(form: LeadStatusForm | None = None, **extra) -> dict:
    return {"statuses": services.statuses(), "lead_counts": services.status_lead_counts(),
            "form": form or LeadStatusForm(formdata=None), **extra}


def status_list(**extra):
    """After a row action: the list for htmx, a 303 back to the page otherwise."""
    if wants_fragment():
        return render("admin/lead_statuses.html", "admin/_lead_status_list.html", **status_context(**extra))
    return redirect(url_for("admin.lead_statuses"), 303)


@bp.route("/lead-statuses")
@role_required("admin")
def lead_statuses():
    """The lead statuses in order, with the form to add one."""
    return render("admin/lead_statuses.html", "admin/_lead_status_list.html", **status_context())


@bp.route("/lead-statuses", methods=["POST"])
@role_required("admin")
def add_lead_status():
    """Add a status at the end; htmx gets a fresh form and the list out of band."""
    form = LeadStatusForm()
    if form.validate_on_submit():
        try:
            status = services.create_status(label=form.label.data, is_closed=form.is_closed.data)
        except services.LabelTaken:
            form.label.errors.append(_("A status with this label already exists."))
        else:
            db.session.commit()
            flash(_("Status %(label)s added.", label=status.label), "success")
            if not wants_fragment():
                return redirect(url_for("admin.lead_statuses"), 303)
            return render("admin/lead_statuses.html", "admin/_lead_status_form.html",
                          **status_context(list_oob=True))
    return render("admin/lead_statuses.html", "admin/_lead_status_form.html", status=422,
                  **status_context(form))


@bp.route("/lead-statuses/<int:status_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_lead_status(status_id: int):
    """Rename a status, mark it closed or open."""
    status = get_status(status_id)
    form = LeadStatusForm(obj=status)
    if form.validate_on_submit():
        try:
            services.update_status(status, label=form.label.data, is_closed=form.is_closed.data)
        except services.LabelTaken:
            form.label.errors.append(_("A status with this label already exists."))
        except services.ConvertedMustBeClosed:
            form.is_closed.errors.append(_("The converted status is always closed."))
        else:
            db.session.commit()
            flash(_("Status %(label)s saved.", label=status.label), "success")
            return redirect_after_post(url_for("admin.lead_statuses"))
        db.session.rollback()
    return render("admin/lead_statuses.html", "admin/_lead_status_form.html",
                  status=422 if form.is_submitted() else 200, form=form, editing=status)


@bp.route("/lead-statuses/<int:status_id>/move", methods=["POST"])
@role_required("admin")
def move_lead_status(status_id: int):
    """Move a status one place up or down."""
    status, way = get_status(status_id), direction()
    moved = services.move_status(status, way)
    db.session.commit()
    flash_moved(status.label, moved, way)
    return status_list()


@bp.route("/lead-statuses/<int:status_id>/default", methods=["POST"])
@role_required("admin")
def set_default_lead_status(status_id: int):
    """Make a status the default for new leads (the previous default stops being it)."""
    status = get_status(status_id)
    try:
        services.set_default_status(status)
    except services.DefaultCannotBeConverted:
        db.session.rollback()
        flash(_("The converted status cannot be the default for new leads."), "error")
    else:
        db.session.commit()
        flash(_("New leads now start as %(label)s.", label=status.label), "success")
    return status_list()


@bp.route("/lead-statuses/<int:status_id>/converted", methods=["POST"])
@role_required("admin")
def set_converted_lead_status(status_id: int):
    """Make a status the one converted leads get (it becomes closed)."""
    status = get_status(status_id)
    try:
        services.set_converted_status(status)
    except services.DefaultCannotBeConverted:
        db.session.rollback()
        flash(_("The default status for new leads cannot be the converted status."), "error")
    except services.ConvertedInUse as error:
        db.session.rollback()
        flash(ngettext("%(num)d converted lead is in the current converted status, so it stays the converted one.",
                       "%(num)d converted leads are in the current converted status, so it stays the converted one.",
                       error.count), "error")
    else:
        db.session.commit()
        flash(_("Converted leads now get the status %(label)s.", label=status.label), "success")
    return status_list()


@bp.route("/lead-statuses/<int:status_id>/delete", methods=["POST"])
@role_required("admin")
def delete_lead_status(status_id: int):
    """Delete a status that no lead is in."""
    status = get_status(status_id)
    label = status.label
    try:
        services.delete_status(status)
    except services.LastDefault:
        flash(_("%(label)s is the default status for new leads: make another status the default first.",
                label=label), "error")
    except services.LastConverted:
        flash(_("%(label)s is the converted status: make another status the converted one first.",
                label=label), "error")
    except services.StatusInUse as error:
        flash(ngettext("%(label)s cannot be deleted: %(num)d lead is in this status. "
                       "Move it to another status first.",
                       "%(label)s cannot be deleted: %(num)d leads are in this status. "
                       "Move them to another status first.",
                       error.count, label=label), "error")
    else:
        db.session.commit()
        flash(_("Status %(label)s deleted.", label=label), "success")
        return status_list(focus_list=True)
    db.session.rollback()
    return status_list()


# Picklists

def picklist_context(name: str, form: PicklistValueForm | None = None, **extra) -> dict:
    return {"picklist": name, "title": PICKLIST_TITLES[name], "values": services.picklist_values(name),
            "lead_counts": services.picklist_lead_counts(name), "on_opportunities": name == "loss_reason",
            "form": form or PicklistValueForm(formdata=None), **extra}


def picklist_list(name: str, **extra):
    """After a row action: the list for htmx, a 303 back to the page otherwise."""
    if wants_fragment():
        return render("admin/picklist.html", "admin/_picklist_list.html", **picklist_context(name, **extra))
    return redirect(url_for("admin.picklist", name=name), 303)


@bp.route("/picklists")
@role_required("admin")
def picklists():
    """The picklists an admin can edit."""
    return render("admin/picklists.html", "admin/picklists.html", titles=PICKLIST_TITLES,
                  summaries=services.picklist_summaries())


@bp.route("/picklists/<name>")
@role_required("admin")
def picklist(name: str):
    """One picklist's values in order, with the form to add one."""
    name = get_picklist(name)
    return render("admin/picklist.html", "admin/_picklist_list.html", **picklist_context(name))


@bp.route("/picklists/<name>", methods=["POST"])
@role_required("admin")
def add_picklist_value(name: str):
    """Add a value at the end; htmx gets a fresh form and the list out of band."""
    name = get_picklist(name)
    form = PicklistValueForm()
    if form.validate_on_submit():
        try:
            value = services.add_value(name, label=form.label.data)
        except services.LabelTaken:
            form.label.errors.append(_("This list already has this value."))
        else:
            db.session.commit()
            flash(_("Value %(label)s added.", label=value.label), "success")
            if not wants_fragment():
                return redirect(url_for("admin.picklist", name=name), 303)
            return render("admin/picklist.html", "admin/_picklist_form.html",
                          **picklist_context(name, list_oob=True))
    return render("admin/picklist.html", "admin/_picklist_form.html", status=422,
                  **picklist_context(name, form))


@bp.route("/picklists/<name>/<int:value_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_picklist_value(name: str, value_id: int):
    """Rename a value; the leads that store it get the new label in the same transaction."""
    value = get_value(name, value_id)
    form = PicklistValueForm(obj=value)
    if form.validate_on_submit():
        try:
            services.rename_value(value, label=form.label.data)
        except services.LabelTaken:
            form.label.errors.append(_("This list already has this value."))
            db.session.rollback()
        else:
            db.session.commit()
            flash(_("Value %(label)s saved.", label=value.label), "success")
            return redirect_after_post(url_for("admin.picklist", name=name))
    return render("admin/picklist.html", "admin/_picklist_form.html",
                  status=422 if form.is_submitted() else 200, form=form, editing=value,
                  picklist=name, title=PICKLIST_TITLES[name],
                  lead_count=services.picklist_lead_counts(name).get(value.label, 0),
                  on_opportunities=name == "loss_reason")


@bp.route("/picklists/<name>/<int:value_id>/move", methods=["POST"])
@role_required("admin")
def move_picklist_value(name: str, value_id: int):
    """Move a value one place up or down."""
    value, way = get_value(name, value_id), direction()
    moved = services.move_value(value, way)
    db.session.commit()
    flash_moved(value.label, moved, way)
    return picklist_list(name)


@bp.route("/picklists/<name>/<int:value_id>/active", methods=["POST"])
@role_required("admin")
def set_picklist_value_active(name: str, value_id: int):
    """Deactivate a value (no longer offered, kept on leads) or offer it again."""
    value = get_value(name, value_id)
    active = request.form.get("active") == "1"
    services.set_value_active(value, active)
    db.session.commit()
    if active:
        flash(_("%(label)s is offered on lead forms again.", label=value.label), "success")
    else:
        if name == "loss_reason":
            flash(_("%(label)s is no longer offered; opportunities that have it keep it.", label=value.label),
                  "success")
        else:
            flash(_("%(label)s is no longer offered on lead forms; leads that have it keep it.", label=value.label),
                  "success")
    return picklist_list(name)


@bp.route("/picklists/<name>/<int:value_id>/delete", methods=["POST"])
@role_required("admin")
def delete_picklist_value(name: str, value_id: int):
    """Delete a value that no lead stores."""
    value = get_value(name, value_id)
    label = value.label
    try:
        services.delete_value(value)
    except services.ValueInUse as error:
        db.session.rollback()
        if name == "loss_reason":
            flash(ngettext("%(label)s cannot be deleted: %(num)d opportunity has it. Deactivate it instead.",
                           "%(label)s cannot be deleted: %(num)d opportunities have it. Deactivate it instead.",
                           error.count, label=label), "error")
            return picklist_list(name)
        flash(ngettext("%(label)s cannot be deleted: %(num)d lead uses it. Deactivate it instead: "
                       "it will no longer be offered, and that lead keeps it.",
                       "%(label)s cannot be deleted: %(num)d leads use it. Deactivate it instead: "
                       "it will no longer be offered, and those leads keep it.",
                       error.count, label=label), "error")
        return picklist_list(name)
    db.session.commit()
    flash(_("Value %(label)s deleted.", label=label), "success")
    return picklist_list(name, focus_list=True)
