"""Contact routes: list, record page, create and edit. Thin: rules live in services."""

import sqlalchemy as sa
from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import sharing
from crm.accounts.lookup import LOOKUP_LIMIT, lookup_accounts
from crm.activities.services import timeline_context
from crm.contacts import bp, queries, services
from crm.contacts.forms import ContactForm
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads.services import picklist, record_view
from crm.lists import as_id
from crm.models import Contact, User


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


def get_contact(contact_id: int) -> Contact:
    """The contact, or 404 when it does not exist, is deleted or is not visible (crm/sharing.py)."""
    return sharing.get_visible(Contact, contact_id)


@bp.route("")
@login_required
def index():
    """The contact list; htmx (live search, filters, sort, pages) gets only the results."""
    filters = queries.ContactFilters.from_args(request.args)
    views = [("mine", _("My contacts")), ("all", _("All contacts")), ("recent", _("Recently viewed"))]
    response = render("contacts/index.html", "contacts/_list.html", filters=filters, views=views,
                      result=queries.contact_page(filters, current_user), owners=active_users(),
                      sources=picklist("lead_source"))
    if wants_fragment():
        # The address bar shows the canonical URL, without the form's empty fields.
        response.headers["HX-Push-Url"] = url_for("contacts.index", **filters.args())
    return response


def contact_form(contact: Contact | None = None) -> ContactForm:
    form = ContactForm(obj=contact) if contact else ContactForm()
    form.set_choices(sources=picklist("lead_source"), owners=active_users(), contact=contact)
    if not form.is_submitted():
        if contact is None:
            form.owner_id.data = current_user.id
            form.account_id.data = as_id(request.args.get("account_id"))
    return form


def form_response(form: ContactForm, contact: Contact | None, status: int = 200):
    """The form page (or, for htmx, the form itself), with the account typeahead's results."""
    # Without JavaScript the typeahead is a GET of this page with the typed words (account_q).
    # The search input is named q, as /accounts/lookup wants; a link may say account_q.
    account_q = (request.args.get("account_q") or request.args.get("q", ""))[:200] if request.method == "GET" else ""
    return render("contacts/form.html", "contacts/_form.html", status=status, form=form, contact=contact,
                  account=services.live_account(form.account_id.data, keep=contact.account_id if contact else None),
                  account_q=account_q,
                  accounts=lookup_accounts(account_q) if account_q else [], limit=LOOKUP_LIMIT)


def save(form: ContactForm, contact: Contact | None):
    """Store a valid form; an account gone meanwhile comes back as an error beside its field."""
    try:
        if contact is None:
            contact = services.create_contact(form.contact_data(), actor=current_user)
        else:
            services.update_contact(contact, form.contact_data(), actor=current_user)
    except services.UnknownAccount:
        # Raised before any field is written: nothing to roll back.
        form.account_id.errors = [_("This account does not exist or was deleted. Choose another one.")]
        return form_response(form, contact, status=422)
    db.session.commit()
    flash(_("Contact %(name)s saved.", name=contact.name), "success")
    return redirect_after_post(url_for("contacts.show", contact_id=contact.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """Add a contact to an account (?account_id= preselects it)."""
    form = contact_form()
    if form.validate_on_submit():
        return save(form, None)
    return form_response(form, None, status=422 if form.is_submitted() else 200)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id: int):
    """Edit a contact's details."""
    contact = get_contact(contact_id)
    form = contact_form(contact)
    if form.validate_on_submit():
        return save(form, contact)
    return form_response(form, contact, status=422 if form.is_submitted() else 200)


@bp.route("/<int:contact_id>")
@login_required
def show(contact_id: int):
    """The contact's record page: header, details, opportunity roles, activity timeline."""
    contact = get_contact(contact_id)
    if record_view(current_user, "contact", contact.id):
        db.session.commit()
    return render_template("contacts/show.html", contact=contact, roles=services.contact_roles(contact),
                           **timeline_context(record=contact))
