"""Lead routes: list, capture, record page, status path, recycle bin. Thin: rules live in services."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.activities.services import timeline_context
from crm.assignment import services as assignment
from crm.audit import record_changes
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads import bp, queries, services
from crm.leads.access import get_lead, lead_url
from crm.leads.forms import LeadForm
from crm.leads.labels import label
from crm.lists import PER_PAGE, as_id, page_arg
from crm.models import LEAD_PICKLISTS, Campaign, Lead, LeadStatus, User
from crm.models.user import utcnow


@bp.app_template_filter("label")
def label_filter(value):
    """Shipped status and picklist values in the reader's language."""
    return label(value)


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


def list_context(filters: queries.LeadFilters) -> dict:
    from crm.leads.bulk import owner_targets  # here: crm.leads.bulk imports this module

    # Read once and shared: the filter form, the list's open/converted views and "Change owner".
    statuses, owners = services.statuses(), active_users()
    pick = services.picklists("rating", "lead_source")
    return {
        # "Change owner" of the ticked rows (crm/leads/bulk.py validates it) returns to this very
        # list: filters, sort, page. Printed by hand: a WTForms form per list page costs more than its rows.
        "owner_targets": owner_targets(owners),
        "owner_next": url_for("leads.index", **filters.args()),
        "filter_campaign": db.session.get(Campaign, filters.campaign) if filters.campaign else None,
        "filters": filters,
        "result": queries.lead_page(filters, current_user, statuses),
        "statuses": statuses,
        "owners": owners,
        "ratings": pick["rating"],
        "sources": pick["lead_source"],
        "views": [("my_open", _("My open leads")), ("all_open", _("All open leads")),
                  ("recent", _("Recently viewed")), ("converted", _("Converted")), ("all", _("All leads")),
                  ("my_queues", _("My queues")), ("duplicates", _("Possible duplicates"))],
    }


@bp.route("")
@login_required
def index():
    """The lead list; htmx (live search, filters, sort, pages) gets only the results."""
    filters = queries.LeadFilters.from_args(request.args)
    context = list_context(filters)
    if deleted_id := as_id(request.args.get("deleted")):
        # Just deleted from its record page: offer to undo right here.
        lead = db.session.get(Lead, deleted_id)
        context["just_deleted"] = lead if lead and services.can_restore(lead, current_user) else None
    response = render("leads/index.html", "leads/_list.html", **context)
    if wants_fragment():
        # The address bar shows the canonical URL, without the form's empty fields.
        response.headers["HX-Push-Url"] = url_for("leads.index", **filters.args())
    return response


def lead_form(lead: Lead | None = None) -> LeadForm:
    form = LeadForm(obj=lead) if lead else LeadForm()
    form.set_choices(picklists={name: services.picklist(name) for name in LEAD_PICKLISTS},
                     statuses=services.statuses(), owners=active_users(),
                     campaigns=services.campaign_choices(lead.campaign_id if lead else None), lead=lead)
    if lead is None and not form.is_submitted():
        form.status.data = services.default_status().id
        form.owner.data = current_user.id
    elif lead is not None and not form.is_submitted():
        form.status.data, form.owner.data = lead.status_id, lead.owner_id
    return form


def form_response(form: LeadForm, lead: Lead | None, duplicates=(), status: int = 200):
    if duplicates:
        # The next submit of this form means "save anyway".
        form.confirm_duplicate.data = "1"
    return render("leads/form.html", "leads/_form.html", status=status, form=form, lead=lead,
                  duplicates=duplicates)


def duplicates_to_confirm(form: LeadForm, lead: Lead | None) -> list[services.PossibleDuplicate]:
    """The leads and contacts to warn about, unless the user already chose to save anyway."""
    if form.confirm_duplicate.data == "1":
        return []
    return services.possible_duplicates(
        email=form.email.data, first_name=form.first_name.data, last_name=form.last_name.data,
        company=form.company.data, phone=form.phone.data, mobile=form.mobile.data,
        exclude_id=lead.id if lead else None)


def flash_assignment(lead: Lead, rule) -> None:
    """Tell who got the lead the rules assigned."""
    who = lead.queue.name if lead.queue else (lead.owner.name if lead.owner else "—")
    if rule is None:
        flash(_("No assignment rule matched: %(name)s owns the lead.", name=who), "info")
    elif lead.queue:
        flash(_("The rule %(rule)s gave the lead to the queue %(name)s.", rule=rule.name, name=who), "info")
    else:
        flash(_("The rule %(rule)s gave the lead to %(name)s.", rule=rule.name, name=who), "info")


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Capture a lead: quick fields first; "Save & new" for the next business card."""
    form = lead_form()
    if form.validate_on_submit():
        if duplicates := duplicates_to_confirm(form, None):
            return form_response(form, None, duplicates, status=409)
        status = db.session.get(LeadStatus, form.status.data) if form.status.data else None
        use_rules = form.assign_using_rules.data
        owner = db.session.get(User, form.owner.data) if form.owner.data and not use_rules else None
        lead = services.create_lead(form.lead_data(), actor=current_user, owner=owner, status=status)
        rule = assignment.assign(lead, actor=current_user) if use_rules else None
        db.session.commit()
        if use_rules:
            flash_assignment(lead, rule)
        if request.form.get("next") == "new":
            flash(_("Lead %(name)s saved. Ready for the next one.", name=lead.name), "success")
            return redirect_after_post(url_for("leads.new"))
        flash(_("Lead %(name)s saved.", name=lead.name), "success")
        return redirect_after_post(lead_url(lead))
    return form_response(form, None, status=422 if form.is_submitted() else 200)


@bp.route("/<int:lead_id>")
@login_required
def show(lead_id: int):
    """The lead's record page: header, status path, details, activity timeline."""
    lead = get_lead(lead_id, current_user)
    if services.record_view(current_user, "lead", lead.id):
        db.session.commit()
    # A lead flagged on arrival (web form, import) shows what it looks like, to merge or clear.
    matches = services.possible_duplicates(
        email=lead.email, first_name=lead.first_name, last_name=lead.last_name, company=lead.company,
        phone=lead.phone, mobile=lead.mobile, exclude_id=lead.id) if lead.possible_duplicate else []
    return render_template("leads/show.html", lead=lead, statuses=services.statuses(), duplicate_matches=matches,
                           **timeline_context(lead=lead))


@bp.route("/<int:lead_id>/not-a-duplicate", methods=["POST"])
@login_required
def clear_duplicate_flag(lead_id: int):
    """Someone checked the flagged lead: it is not a duplicate (the flag goes, nothing else changes)."""
    lead = get_lead(lead_id, current_user)
    if lead.possible_duplicate:
        lead.possible_duplicate = False
        lead.updated_by_id = current_user.id
        db.session.commit()
        flash(_("%(name)s is no longer flagged as a possible duplicate.", name=lead.name), "success")
    return redirect_after_post(url_for("leads.show", lead_id=lead.id))


@bp.route("/<int:lead_id>/edit", methods=["GET", "POST"])
@login_required
def edit(lead_id: int):
    """Edit a lead's details (a converted lead is read-only)."""
    lead = get_lead(lead_id, current_user)
    if lead.is_converted:
        flash(_("A converted lead is read-only."), "error")
        return redirect(url_for("leads.show", lead_id=lead.id), 303)
    form = lead_form(lead)
    if form.validate_on_submit():
        if duplicates := duplicates_to_confirm(form, lead):
            return form_response(form, lead, duplicates, status=409)
        services.update_lead(lead, form.lead_data(), actor=current_user)
        if form.status.data and form.status.data != lead.status_id:
            services.set_status(lead, db.session.get(LeadStatus, form.status.data), actor=current_user)
        if form.owner.data:
            lead.owner_id = form.owner.data
        db.session.commit()
        flash(_("Lead %(name)s saved.", name=lead.name), "success")
        return redirect_after_post(lead_url(lead))
    return form_response(form, lead, status=422 if form.is_submitted() else 200)


@bp.route("/<int:lead_id>/status", methods=["POST"])
@login_required
def set_status(lead_id: int):
    """A click on a step of the path: htmx swaps the header and the path only."""
    lead = get_lead(lead_id, current_user)
    status = db.session.get(LeadStatus, as_id(request.form.get("status_id")) or 0)
    if status is None:
        abort(400)
    try:
        services.set_status(lead, status, actor=current_user)
    except services.LeadConverted:
        abort(409, _("A converted lead is read-only."))
    except services.ConvertNeedsConversion:
        abort(409, _("Convert the lead to give it the converted status."))
    db.session.commit()
    if wants_fragment():
        return render("leads/show.html", "leads/_summary.html", lead=lead, statuses=services.statuses())
    flash(_("Status set to %(status)s.", status=label(status.label)), "success")
    return redirect(url_for("leads.show", lead_id=lead.id), 303)


@bp.route("/<int:lead_id>/take", methods=["POST"])
@login_required
def take(lead_id: int):
    """A member of the queue that owns the lead becomes its owner (one wins if two take at once)."""
    lead = get_lead(lead_id, current_user)
    queue_id = lead.queue_id
    try:
        assignment.take(lead, current_user)
    except assignment.NotAMember:
        abort(403, _("Only a member of the queue can take this lead."))
    except assignment.AlreadyTaken:
        db.session.rollback()
        abort(409, _("Someone already took this lead."))
    # take() claims the lead with a Core UPDATE, which the field history's listener cannot see.
    record_changes(lead, {"owner": None, "queue": queue_id}, {"owner": current_user.id}, current_user)
    db.session.commit()
    flash(_("You now own %(name)s.", name=lead.name), "success")
    if wants_fragment():
        return render("leads/show.html", "leads/_summary.html", lead=lead, statuses=services.statuses())
    return redirect(url_for("leads.show", lead_id=lead.id), 303)


@bp.route("/<int:lead_id>/delete", methods=["POST"])
@login_required
def delete(lead_id: int):
    """Move the lead to the recycle bin; the list then offers to undo."""
    lead = get_lead(lead_id, current_user)
    services.delete_lead(lead, actor=current_user)
    db.session.commit()
    return redirect_after_post(url_for("leads.index", deleted=lead.id))


@bp.route("/recycle-bin")
@login_required
def recycle_bin():
    """Deleted leads the user may restore (their own; all of them for an admin)."""
    query = sa.select(Lead).where(Lead.deleted_at.is_not(None)).order_by(Lead.deleted_at.desc())
    if not current_user.is_admin:
        query = query.where(Lead.owner_id == current_user.id)
    page = db.paginate(query, page=page_arg(request.args), per_page=PER_PAGE, error_out=False, count=True)
    return render("leads/recycle_bin.html", "leads/_recycle_bin_list.html", page=page, now=utcnow(),
                  retention_days=services.RECYCLE_BIN_DAYS)


@bp.route("/<int:lead_id>/restore", methods=["POST"])
@login_required
def restore(lead_id: int):
    """Bring a lead back from the recycle bin (its owner or an admin)."""
    lead = get_lead(lead_id, current_user, deleted=True)
    if not services.can_restore(lead, current_user):
        abort(403)
    try:
        services.restore_lead(lead, actor=current_user)
    except services.NotInRecycleBin:
        abort(409, _("This lead was deleted more than 30 days ago and cannot be restored."))
    db.session.commit()
    flash(_("Lead %(name)s restored.", name=lead.name), "success")
    return redirect_after_post(url_for("leads.show", lead_id=lead.id))
