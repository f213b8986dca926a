"""Campaign pages: the list and the record page with its figures and members.

Every signed-in user sees campaigns, adds members and marks them Sent or Responded (the lead form
attaches leads the same way); removing a member, which rewrites the campaign's figures, is for
admins and managers. Each answer is the page without JavaScript; for htmx the part that changed
(the member section, a row) with the figures out of band.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import sharing
from crm.admin.campaigns_forms import STATUS_LABELS as CAMPAIGN_STATUS_LABELS
from crm.admin.campaigns_forms import TYPE_LABELS
from crm.campaigns import bp, services
from crm.campaigns.forms import ADD_MEMBER_VALUE, STATUS_LABELS, AddMemberForm, MemberStatusForm
from crm.extensions import db
from crm.htmx import render, wants_fragment
from crm.lists import MAX_PAGE
from crm.models import Campaign, CampaignMember, Contact, Lead

PAGE = "campaigns/show.html"
REMOVERS = ("admin", "manager")


def get_campaign(campaign_id: int) -> Campaign:
    return db.get_or_404(Campaign, campaign_id)


def get_member(campaign: Campaign, member_id: int) -> services.Member:
    member = services.get_member(campaign, member_id)
    if member is None:
        abort(404)
    return member


def labels() -> dict:
    return {"type_labels": TYPE_LABELS, "campaign_status_labels": CAMPAIGN_STATUS_LABELS,
            "member_status_labels": STATUS_LABELS, "can_remove": current_user.role in REMOVERS}


def page_number() -> int:
    page = request.args.get("page", "")
    return max(1, min(int(page), MAX_PAGE)) if page.isdigit() and len(page) < 6 else 1


def find_record(form: AddMemberForm, live_only: bool = True) -> Lead | Contact | None:
    """The lead or contact picked; with live_only, None when it is deleted (or a converted lead)."""
    kind, record_id = form.record()
    record = db.session.get(Lead if kind == "lead" else Contact, record_id)
    if record is None or not sharing.can_see(record):
        return None
    if not live_only:
        return record
    if record.deleted_at is not None or (kind == "lead" and record.is_converted):
        return None
    return record


def members_context(campaign: Campaign, add_form: AddMemberForm | None = None, page: int = 1) -> dict:
    """The member section: the add form (?member_q= is its typeahead without JavaScript) and a page of members."""
    member_q = request.args.get("member_q", "")[:200] if request.method == "GET" else ""
    leads, contacts = services.lookup_people(member_q)
    if add_form is not None and ADD_MEMBER_VALUE.match(add_form.member.data or ""):
        # A refused add keeps the one picked on offer (the typed words were not posted with it).
        record = find_record(add_form, live_only=False)
        leads, contacts = ([record], []) if isinstance(record, Lead) else ([], [record] if record else [])
    # After a successful add the form starts afresh (formdata=None: not the POST just handled).
    return {"campaign": campaign, "add_form": add_form or AddMemberForm(prefix="add", formdata=None),
            "member_q": member_q, "found_leads": leads, "found_contacts": contacts,
            "lookup_limit": services.LOOKUP_LIMIT, "members": services.members_page(campaign, page),
            "figures": services.campaign_figures(campaign), **labels()}


def respond(fragment: str, campaign: Campaign, status: int = 200, *, section: bool = False,
            add_form: AddMemberForm | None = None, **context):
    """The fragment for htmx with the figures out of band, the record page otherwise. `section`: the
    fragment is the whole member section, which needs the add form and a page of members."""
    if wants_fragment() and not section:
        context = {"campaign": campaign, "figures": services.campaign_figures(campaign), **labels(), **context}
    else:
        context = {**members_context(campaign, add_form, page_number()), **context}
    return render(PAGE, fragment, status=status, figures_oob=wants_fragment(), **context)


@bp.route("")
@login_required
def index():
    """Every campaign with its member count."""
    return render("campaigns/index.html", "campaigns/_list.html", rows=services.campaigns_with_counts(), **labels())


@bp.route("/<int:campaign_id>")
@login_required
def show(campaign_id: int):
    """The campaign's record page; htmx (the member pages) gets only the member list."""
    campaign = get_campaign(campaign_id)
    return render(PAGE, "campaigns/_member_list.html", **members_context(campaign, page=page_number()))


@bp.route("/<int:campaign_id>/lookup")
@login_required
def member_lookup(campaign_id: int):
    """Leads and contacts matching the typed words, as radio buttons (htmx typeahead)."""
    campaign = get_campaign(campaign_id)
    return render(PAGE, "campaigns/_member_lookup.html", **members_context(campaign))




@bp.route("/<int:campaign_id>/members", methods=["POST"])
@login_required
def add_member(campaign_id: int):
    """Add a lead or a contact; one already there is refused (422, nothing stored)."""
    campaign = get_campaign(campaign_id)
    form = AddMemberForm(prefix="add")
    if form.validate_on_submit():
        record = find_record(form)
        if record is None:
            form.member.errors = [_("This lead or contact does not exist, was converted or deleted. Choose another.")]
        else:
            try:
                services.add_member(campaign, **{"lead" if isinstance(record, Lead) else "contact": record},
                                    status=form.status.data)
            except services.AlreadyMember:
                db.session.rollback()
                form.member.errors = [_("%(name)s is already a member of this campaign.", name=record.name)]
            else:
                db.session.commit()
                flash(_("%(name)s added to the campaign.", name=record.name), "success")
                if not wants_fragment():
                    return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="members-title"), 303)
                return respond("campaigns/_members.html", campaign, section=True)
    return respond("campaigns/_members.html", campaign, status=422, section=True, add_form=form)


@bp.route("/<int:campaign_id>/members/<int:member_id>/status", methods=["POST"])
@login_required
def member_status(campaign_id: int, member_id: int):
    """Mark a member Sent or Responded; htmx gets the row back with the figures."""
    campaign = get_campaign(campaign_id)
    member = get_member(campaign, member_id)
    form = MemberStatusForm(prefix=f"m{member.id}")
    if not form.validate_on_submit():
        return respond("campaigns/_member_row.html", campaign, status=422, member=member, status_form=form,
                       status_member_id=member.id, row_figures_oob=True)
    services.set_member_status(db.session.get(CampaignMember, member.id), form.status.data)
    db.session.commit()
    if not wants_fragment():
        flash(_("%(name)s marked %(status)s.", name=member.record.name, status=STATUS_LABELS[form.status.data]),
              "success")
        return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor=f"member-{member.id}"), 303)
    return respond("campaigns/_member_row.html", campaign, member=get_member(campaign, member_id),
                   row_figures_oob=True)


@bp.route("/<int:campaign_id>/members/<int:member_id>/delete", methods=["POST"])
@login_required
def remove_member(campaign_id: int, member_id: int):
    """Take a member off the campaign (admins and managers); htmx gets an empty row and the figures."""
    if current_user.role not in REMOVERS:
        abort(403)
    campaign = get_campaign(campaign_id)
    member = get_member(campaign, member_id)
    services.remove_member(db.session.get(CampaignMember, member.id))
    db.session.commit()
    flash(_("%(name)s removed from the campaign.", name=member.record.name), "success")
    if not wants_fragment():
        return redirect(url_for("campaigns.show", campaign_id=campaign.id, _anchor="members-title"), 303)
    return respond("campaigns/_figures.html", campaign, removed=True)


@bp.app_template_global()
def campaign_history(lead: Lead | None = None, contact: Contact | None = None) -> list[services.HistoryEntry]:
    """For the lead and contact pages (their routes stay unaware): the record's campaigns, latest first."""
    return services.lead_history(lead) if lead is not None else services.contact_history(contact)
