"""Account routes: list, record page, create and edit. Thin: rules live in services."""

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.accounts import bp, queries, services
from crm.accounts.forms import AccountForm
from crm.activities.services import timeline_context
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads.services import picklist, record_view
from crm.models import Account
from crm.opportunities import queries as opportunity_queries


def list_context(filters: queries.AccountFilters) -> dict:
    return {
        "filters": filters,
        "result": queries.account_page(filters, current_user),
        "owners": services.active_users(),
        "industries": picklist("industry"),
        "views": [("mine", _("My accounts")), ("all", _("All accounts")), ("recent", _("Recently viewed"))],
    }


@bp.route("")
@login_required
def index():
    """The account list; htmx (live search, filters, sort, pages) gets only the results."""
    filters = queries.AccountFilters.from_args(request.args)
    response = render("accounts/index.html", "accounts/_list.html", **list_context(filters))
    if wants_fragment():
        # The address bar shows the canonical URL, without the form's empty fields.
        response.headers["HX-Push-Url"] = url_for("accounts.index", **filters.args())
    return response


def account_form(account: Account | None = None) -> AccountForm:
    form = AccountForm(obj=account) if account else AccountForm()
    form.set_choices(industries=picklist("industry"), owners=services.active_users(), account=account)
    if account is None and not form.is_submitted():
        form.owner_id.data = current_user.id
    return form


def form_response(form: AccountForm, account: Account | None, status: int = 200):
    return render("accounts/form.html", "accounts/_form.html", status=status, form=form, account=account)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Create an account."""
    form = account_form()
    if form.validate_on_submit():
        account = services.create_account(form.account_data(), actor=current_user)
        db.session.commit()
        flash(_("Account %(name)s saved.", name=account.name), "success")
        return redirect_after_post(url_for("accounts.show", account_id=account.id))
    return form_response(form, None, status=422 if form.is_submitted() else 200)


@bp.route("/<int:account_id>")
@login_required
def show(account_id: int):
    """The account's record page: header, details, contacts, opportunities, activity timeline."""
    account = services.get_account(account_id)
    if record_view(current_user, "account", account.id):
        db.session.commit()
    return render_template("accounts/show.html", account=account,
                           contacts=queries.account_contacts(account),
                           opportunities=opportunity_queries.account_opportunities(account),
                           opportunity_limit=opportunity_queries.ACCOUNT_LIMIT,
                           **timeline_context(record=account))


@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@login_required
def edit(account_id: int):
    """Edit an account's details."""
    account = services.get_account(account_id)
    form = account_form(account)
    if form.validate_on_submit():
        services.update_account(account, form.account_data(), actor=current_user)
        db.session.commit()
        flash(_("Account %(name)s saved.", name=account.name), "success")
        return redirect_after_post(url_for("accounts.show", account_id=account.id))
    return form_response(form, account, status=422 if form.is_submitted() else 200)
