"""Campaign administration: list, add, edit, deactivate. Admins and managers.

Deleting is not offered: leads keep their campaign. A deactivated campaign is no longer offered on
lead forms. The (de)activate button is a plain POST form (303 back to the list without JavaScript);
with htmx it answers with its row, which replaces itself, and the flash rides along out of band.
"""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _

from crm.admin import bp
from crm.admin import campaigns_services as services
from crm.admin.campaigns_forms import STATUS_LABELS, TYPE_LABELS, CampaignForm
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.models import Campaign

ROLES = ("admin", "manager")


def get_campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def labels() -> dict:
    return {"type_labels": TYPE_LABELS, "status_labels": STATUS_LABELS}


@bp.route("/campaigns")
@role_required(*ROLES)
def campaigns():
    """All campaigns with how many leads each brought in."""
    return render("admin/campaigns.html", "admin/_campaign_list.html", campaigns=services.campaigns(),
                  lead_counts=services.campaign_lead_counts(), **labels())


def save(form: CampaignForm, campaign: Campaign | None):
    """Create or update from a validated form; the response, or None when a rule stopped it."""
    try:
        if campaign is None:
            campaign = services.create_campaign(**form.fields_data())
        else:
            services.update_campaign(campaign, **form.fields_data())
    except services.NameTaken:
        form.name.errors.append(_("A campaign with this name already exists."))
    except services.DatesOutOfOrder:
        form.end_date.errors.append(_("The end date cannot be before the start date."))
    else:
        db.session.commit()
        flash(_("Campaign %(name)s saved.", name=campaign.name), "success")
        return redirect_after_post(url_for("admin.campaigns"))
    db.session.rollback()
    return None


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new_campaign():
    """Add a campaign."""
    form = CampaignForm()
    if form.validate_on_submit() and (response := save(form, None)):
        return response
    return render("admin/campaign_form.html", "admin/_campaign_form.html",
                  status=422 if form.is_submitted() else 200, form=form, campaign=None)


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def edit_campaign(campaign_id: int):
    """Change a campaign's name, type, status, dates or active flag."""
    campaign = get_campaign(campaign_id)
    form = CampaignForm(obj=campaign)
    if form.validate_on_submit() and (response := save(form, campaign)):
        return response
    return render("admin/campaign_form.html", "admin/_campaign_form.html",
                  status=422 if form.is_submitted() else 200, form=form, campaign=campaign)


@bp.route("/campaigns/<int:campaign_id>/active", methods=["POST"])
@role_required(*ROLES)
def set_campaign_active(campaign_id: int):
    """Deactivate a campaign (no longer offered, kept on leads) or offer it again; htmx gets the row."""
    campaign = get_campaign(campaign_id)
    active = request.form.get("active") == "1"
    services.set_active(campaign, active)
    db.session.commit()
    if active:
        flash(_("%(name)s is offered on lead forms again.", name=campaign.name), "success")
    else:
        flash(_("%(name)s is no longer offered on lead forms; leads that have it keep it.", name=campaign.name),
              "success")
    if wants_fragment():
        return render("admin/campaigns.html", "admin/_campaign_row.html", campaign=campaign,
                      lead_counts=services.campaign_lead_counts(), **labels())
    return redirect(url_for("admin.campaigns"), 303)
