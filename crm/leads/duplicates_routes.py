"""Duplicates: the likely pairs, comparing and merging two or three leads, undoing a merge (rules: duplicates.py)."""

import sqlalchemy as sa
from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

from crm import sharing
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads import bp, duplicates
from crm.leads.forms import LeadForm
from crm.models import Campaign, Lead, LeadMerge, User

MAX_IDS_LENGTH = 40


@bp.route("/duplicates")
@login_required
def duplicates_index():
    """Likely duplicates, newest first, 50 a page: pairs of leads, or (kind=contacts) leads that
    look like a stored contact; htmx (Next) gets only the list."""
    if duplicates.sync_match_keys():
        db.session.commit()  # keys of leads inserted in bulk, computed once
    kind = "contacts" if request.args.get("kind") == "contacts" else "leads"
    after = request.args.get("after", "")[:MAX_IDS_LENGTH] or None
    page = duplicates.likely_contact_pairs(after) if kind == "contacts" else duplicates.likely_pairs(after)
    # Private sharing: only pairs whose records the user may see (a page may come out shorter).
    page.items = [pair for pair in page.items if all(sharing.can_see(r) for r in pair_records(pair))]
    response = render("leads/duplicates.html", "leads/_duplicate_list.html", page=page, kind=kind)
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_for("leads.duplicates_index", kind=kind, after=after)
    return response


def pair_records(pair) -> tuple:
    return (pair.lead, pair.contact) if hasattr(pair, "contact") else (pair.first, pair.second)


def field_label(name: str):
    unbound = getattr(LeadForm, "owner" if name == "owner_id" else name)
    return unbound.args[0] if unbound.args else unbound.kwargs.get("label", name)


def display(name: str, value) -> str:
    """A field's value as the comparison shows it."""
    if value is None or value == "":
        return ""
    if name == "owner_id":
        user = db.session.get(User, value)
        return user.name if user else ""
    if name == "campaign_id":
        campaign = db.session.get(Campaign, value)
        return campaign.name if campaign else ""
    return str(value)


def load_leads(raw: str) -> list[Lead]:
    """The leads named by "1,2[,3]": 400 when unreadable or not two or three, 404 when one is missing."""
    parts = raw[:MAX_IDS_LENGTH].split(",")
    if not all(p.strip().isdigit() for p in parts):
        abort(400, _("Give the ids of two or three leads, like 12,34."))
    ids = [int(p) for p in parts]
    if not 2 <= len(ids) <= 3 or len(set(ids)) != len(ids):
        abort(400, _("Choose two or three different leads to merge."))
    leads = {lead.id: lead for lead in db.session.scalars(sa.select(Lead).where(Lead.id.in_(ids)))}
    if len(leads) != len(ids) or not all(sharing.can_see(lead) for lead in leads.values()):
        abort(404)
    return [leads[i] for i in ids]


def merge_form(leads: list[Lead]):
    """A form with the survivor choice and, for each field whose values differ, one radio per lead."""
    ids = [(str(lead.id), lead.name) for lead in leads]

    class MergeForm(FlaskForm):
        survivor = RadioField(_("Lead to keep"), choices=ids, validators=[InputRequired()])

    rows = []
    for name in duplicates.MERGE_FIELDS:
        values = [getattr(lead, name) for lead in leads]
        if len({"" if v is None else str(v) for v in values}) > 1:
            choices = [(str(lead.id), display(name, v)) for lead, v in zip(leads, values, strict=True)]
            setattr(MergeForm, f"field_{name}", RadioField(field_label(name), choices=choices,
                                                           validators=[InputRequired()]))
            rows.append(name)
    form = MergeForm()
    if not form.is_submitted():
        form.survivor.data = str(leads[0].id)
        for name in rows:
            # Default: the first lead that has a value (the survivor's when it has one).
            source = next((lead for lead in leads if getattr(lead, name) not in (None, "")), leads[0])
            form[f"field_{name}"].data = str(source.id)
    return form, rows


def merge_response(leads, form, rows, status=200, error=None):
    return render("leads/merge.html", "leads/_merge_form.html", status=status, leads=leads, form=form, rows=rows,
                  error=error)


@bp.route("/merge", methods=["GET", "POST"])
@login_required
def merge():
    """Compare two or three leads side by side, pick each field's value and the lead to keep, merge."""
    leads = load_leads(request.args.get("ids", ""))
    try:
        duplicates.check_mergeable(leads)
    except duplicates.MergeError as error:
        abort(409, str(error))
    form, rows = merge_form(leads)
    if not form.validate_on_submit():
        return merge_response(leads, form, rows, status=422 if form.is_submitted() else 200)
    by_id = {str(lead.id): lead for lead in leads}
    survivor = by_id[form.survivor.data]
    chosen = {name: getattr(by_id[form[f"field_{name}"].data], name) for name in rows}
    others = [lead for lead in leads if lead is not survivor]
    record = duplicates.merge_leads(survivor, others, chosen, actor=current_user)
    db.session.commit()
    return redirect_after_post(url_for("leads.merged", merge_id=record.id))


def get_merge(merge_id: int) -> LeadMerge:
    """The merge, or 404 when it does not exist or its surviving lead is not visible to the user."""
    record = db.get_or_404(LeadMerge, merge_id)
    sharing.require_visible(record.survivor)
    return record


@bp.route("/merges/<int:merge_id>")
@login_required
def merged(merge_id: int):
    """The merge's result: the lead kept, what moved to it, and the undo button."""
    record = get_merge(merge_id)
    merged_leads = list(db.session.scalars(sa.select(Lead).where(Lead.id.in_(record.merged_ids))))
    return render("leads/merge.html", "leads/_merge_done.html", merge=record, merged_leads=merged_leads,
                  can_undo=duplicates.can_undo(record))


@bp.route("/merges/<int:merge_id>/undo", methods=["POST"])
@login_required
def undo_merge(merge_id: int):
    """Undo a merge: values, activities and campaign memberships back, the merged leads restored."""
    record = get_merge(merge_id)
    try:
        survivor = duplicates.undo_merge(record, actor=current_user)
    except duplicates.MergeError as error:
        abort(409, str(error))
    db.session.commit()
    flash(_("Merge undone: the leads are as they were."), "success")
    return redirect_after_post(url_for("leads.show", lead_id=survivor.id))
