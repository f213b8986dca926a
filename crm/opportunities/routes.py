"""The opportunities list, /opportunities/new, the edit form and delete. Thin: rules live in services."""

import sqlalchemy as sa
from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.accounts.lookup import LOOKUP_LIMIT, lookup_accounts
from crm.contacts.services import live_account
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads.services import picklist
from crm.lists import as_id
from crm.models import Opportunity, Pipeline, User
from crm.opportunities import bp, queries, services
from crm.opportunities.forms import OpportunityForm
from crm.opportunities.record import get_opportunity


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


def list_context(filters: queries.OpportunityFilters) -> dict:
    result, figures = queries.opportunity_page(filters, current_user)
    pipelines = services.pipelines()
    return {
        "filters": filters,
        "result": result,
        "summary": figures,
        "pipelines": pipelines,
        "stages_by_pipeline": [(p, services.stages_of(p.id)) for p in pipelines],
        "owners": active_users(),
        "account": live_account(filters.account) if filters.account else None,
        "views": [("my_open", _("My open opportunities")), ("all_open", _("All open opportunities")),
                  ("closing_this_month", _("Closing this month")), ("won", _("Won")), ("lost", _("Lost")),
                  ("all", _("All opportunities"))],
    }


@bp.route("")
@login_required
def index():
    """The opportunity list and its figures; htmx (search, filters, sort, pages) gets only the results."""
    filters = queries.OpportunityFilters.from_args(request.args)
    response = render("opportunities/index.html", "opportunities/_list.html", **list_context(filters))
    if wants_fragment():
        # The address bar shows the canonical URL, without the form's empty fields.
        response.headers["HX-Push-Url"] = url_for("opportunities.index", **filters.args())
    return response


def opportunity_form(opportunity: Opportunity | None = None) -> OpportunityForm:
    """The form with its choices; a GET with refresh=1 (a pipeline or stage just changed) reads the query string."""
    refresh = request.method == "GET" and request.args.get("refresh") == "1"
    kwargs = {"obj": opportunity}
    if request.method == "GET":
        kwargs["formdata"] = request.args if refresh else None
    form = OpportunityForm(**kwargs)
    if opportunity is not None:
        del form.pipeline_id  # an opportunity stays in its pipeline
        pipeline = opportunity.pipeline
    else:
        pipeline = next((p for p in services.pipelines() if p.id == form.pipeline_id.data), None) \
            or services.default_pipeline()
    stages = services.stages_of(pipeline.id)
    form.set_choices(pipelines=services.pipelines(), stages=stages, owners=active_users(),
                     sources=picklist("lead_source"),
                     reasons=services.loss_reasons(opportunity.loss_reason if opportunity else None),
                     opportunity=opportunity)
    form.pipeline = pipeline
    if request.method == "GET":
        if opportunity is None and not refresh:
            form.pipeline_id.data, form.owner_id.data = pipeline.id, current_user.id
            form.account_id.data = as_id(request.args.get("account_id"))
        if opportunity is not None and not refresh and not opportunity.probability_overridden:
            form.probability.data = ""  # blank: it follows the stage
        if form.stage is None and stages:
            form.stage_id.data = stages[0].id
    return form


def form_response(form: OpportunityForm, opportunity: Opportunity | None, status: int = 200):
    """The form page (or, for htmx, the form itself), with the account typeahead's results."""
    # Without JavaScript the typeahead is a GET of this page with the typed words (q).
    account_q = request.args.get("q", "")[:200] if request.method == "GET" else ""
    return render("opportunities/form.html", "opportunities/_form.html", status=status, form=form,
                  opportunity=opportunity,
                  account=live_account(form.account_id.data, keep=opportunity.account_id if opportunity else None),
                  account_q=account_q,
                  accounts=lookup_accounts(account_q) if account_q else [], limit=LOOKUP_LIMIT)


def refused(form: OpportunityForm, opportunity: Opportunity | None, error: services.OpportunityError):
    """A service said no: nothing is stored, the message goes beside its field."""
    db.session.rollback()
    form.error_field(error).errors = [error.message]
    return form_response(form, opportunity, status=422)


def save_new(form: OpportunityForm):
    account = live_account(form.account_id.data)
    if account is None:
        form.account_id.errors = [_("This account does not exist or was deleted. Choose another one.")]
        return form_response(form, None, status=422)
    try:
        opportunity = services.create_opportunity(
            actor=current_user, name=form.name.data, account=account, stage=form.stage,
            pipeline=db.session.get(Pipeline, form.pipeline_id.data), amount=form.amount.data or None,
            close_date=form.close_date.data, owner=db.session.get(User, form.owner_id.data),
            probability=form.probability.data or None, next_step=form.next_step.data,
            lead_source=form.lead_source.data, description=form.description.data,
            loss_reason=form.loss_reason.data or None)
    except services.OpportunityError as error:
        return refused(form, None, error)
    db.session.commit()
    flash(_("Opportunity %(name)s saved.", name=opportunity.name), "success")
    return redirect_after_post(url_for("opportunities.show", opportunity_id=opportunity.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Create an opportunity for an account (?account_id= preselects it) in a pipeline's stage."""
    form = opportunity_form()
    if form.validate_on_submit():
        return save_new(form)
    return form_response(form, None, status=422 if form.is_submitted() else 200)


@bp.route("/<int:opportunity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(opportunity_id: int):
    """Edit an opportunity: fields, stage (with its history row) and probability in one transaction."""
    opportunity = get_opportunity(opportunity_id)
    form = opportunity_form(opportunity)
    if not form.validate_on_submit():
        return form_response(form, opportunity, status=422 if form.is_submitted() else 200)
    if live_account(form.account_id.data, keep=opportunity.account_id) is None:
        form.account_id.errors = [_("This account does not exist or was deleted. Choose another one.")]
        return form_response(form, opportunity, status=422)
    try:
        services.update_opportunity(opportunity, actor=current_user, **form.opportunity_data())
        services.change_stage(opportunity, form.stage, actor=current_user, loss_reason=form.loss_reason.data or None)
        if not opportunity.stage.is_closed:  # a closed stage sets the probability itself
            services.set_probability(opportunity, form.probability.data or None)
    except services.OpportunityError as error:
        return refused(form, opportunity, error)
    db.session.commit()
    flash(_("Opportunity %(name)s saved.", name=opportunity.name), "success")
    return redirect_after_post(url_for("opportunities.show", opportunity_id=opportunity.id))


@bp.route("/<int:opportunity_id>/delete", methods=["POST"])
@login_required
def delete(opportunity_id: int):
    """Move the opportunity to the recycle bin and go back to the list."""
    opportunity = get_opportunity(opportunity_id)
    services.delete_opportunity(opportunity, actor=current_user)
    db.session.commit()
    flash(_("Opportunity %(name)s deleted.", name=opportunity.name), "success")
    return redirect_after_post(url_for("opportunities.index"))
