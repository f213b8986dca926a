"""Contact roles: the people involved in an opportunity, from any account.

The section (templates/opportunities/_contact_roles.html) is what add, change and remove answer
to htmx; a change that breaks a rule (a second primary, a contact already there) comes back
beside its form with status 422 and nothing stored.
"""

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy.orm import joinedload

from crm import sharing
from crm.contacts.queries import visible_contacts
from crm.extensions import db
from crm.htmx import retarget, wants_fragment
from crm.models import Contact, Opportunity, OpportunityContactRole
from crm.opportunities import bp, services
from crm.opportunities.record import get_opportunity, respond
from crm.opportunities.record_forms import ContactRoleChangeForm, ContactRoleForm
from crm.search import search

LOOKUP_LIMIT = 10


def lookup_contacts(q: str, limit: int = LOOKUP_LIMIT) -> list[Contact]:
    """Live contacts of any account matching every word of `q`, with their account."""
    if not q.strip():
        return []
    query = search(visible_contacts(), Contact, q)
    return list(db.session.scalars(query.options(joinedload(Contact.account))
                                   .order_by(Contact.last_name, Contact.first_name, Contact.id).limit(limit)))


def roles_context(opportunity: Opportunity, add_form: ContactRoleForm | None = None, **extra) -> dict:
    """What the contact roles section shows; ?contact_q= is the typeahead without JavaScript."""
    contact_q = request.args.get("contact_q", "")[:200] if request.method == "GET" else ""
    chosen = None
    if add_form is not None and add_form.contact_id.data:
        chosen = db.session.get(Contact, add_form.contact_id.data)
        chosen = chosen if sharing.can_see(chosen) else None
    # After a successful add the form starts afresh (formdata=None: not the POST just handled).
    add_form = add_form or ContactRoleForm(prefix="add", formdata=None)
    return {"roles": services.contact_roles(opportunity), "add_form": add_form,
            "contact_q": contact_q, "contacts": lookup_contacts(contact_q), "chosen_contact": chosen,
            "lookup_limit": LOOKUP_LIMIT, **extra}


def roles_response(opportunity: Opportunity, status: int = 200, **context):
    """The section for htmx (swapped whole: the primary one comes first), the page otherwise."""
    response = respond("opportunities/_contact_roles.html", opportunity, status=status,
                       **roles_context(opportunity, **context))
    if wants_fragment():
        retarget(response, f"#opp-{opportunity.id}-contact-roles", "outerHTML")
    return response


def get_contact_role(opportunity: Opportunity, role_id: int) -> OpportunityContactRole:
    contact_role = db.session.get(OpportunityContactRole, role_id)
    if contact_role is None or contact_role.opportunity_id != opportunity.id:
        abort(404)
    return contact_role


def done(opportunity: Opportunity, message: str):
    db.session.commit()
    flash(message, "success")
    if wants_fragment():
        return roles_response(opportunity)
    return redirect(url_for("opportunities.show", opportunity_id=opportunity.id, _anchor="contact-roles-title"), 303)


@bp.route("/<int:opportunity_id>/contact-roles/lookup")
@login_required
def contact_lookup(opportunity_id: int):
    """Contacts of any account matching the typed words, as radio buttons (htmx typeahead)."""
    opportunity = get_opportunity(opportunity_id)
    q = request.args.get("contact_q", "")[:200]
    return respond("opportunities/_contact_role_lookup.html", opportunity, contacts=lookup_contacts(q), contact_q=q,
                   lookup_limit=LOOKUP_LIMIT)


@bp.route("/<int:opportunity_id>/contact-roles", methods=["POST"])
@login_required
def add_contact_role(opportunity_id: int):
    """Add a contact (of any account) with a role; a second primary is refused."""
    opportunity = get_opportunity(opportunity_id)
    form = ContactRoleForm(prefix="add")
    if form.validate_on_submit():
        contact = db.session.get(Contact, form.contact_id.data)
        if contact is None or contact.deleted_at is not None or not sharing.can_see(contact):
            form.contact_id.errors = [_("This contact does not exist or was deleted. Choose another one.")]
        else:
            try:
                services.add_contact_role(opportunity, contact, role=form.role.data, is_primary=form.is_primary.data)
            except services.PrimaryTaken as error:
                db.session.rollback()
                form.is_primary.errors = [error.message]
            except services.OpportunityError as error:
                db.session.rollback()
                form.contact_id.errors = [error.message]
            else:
                return done(opportunity, _("%(name)s added to the contact roles.", name=contact.name))
    return roles_response(opportunity, status=422, add_form=form)


@bp.route("/<int:opportunity_id>/contact-roles/<int:role_id>")
@login_required
def contact_role(opportunity_id: int, role_id: int):
    """One contact role as listed (what Cancel brings back)."""
    opportunity = get_opportunity(opportunity_id)
    return respond("opportunities/_contact_role.html", opportunity, role=get_contact_role(opportunity, role_id))


@bp.route("/<int:opportunity_id>/contact-roles/<int:role_id>/edit")
@login_required
def edit_contact_role(opportunity_id: int, role_id: int):
    """The role and primary flag of one contact role, as a small form in place of its row."""
    opportunity = get_opportunity(opportunity_id)
    role = get_contact_role(opportunity, role_id)
    form = ContactRoleChangeForm(obj=role, prefix=f"cr{role.id}")
    return respond("opportunities/_contact_role_form.html", opportunity, role=role, role_form=form,
                   **({} if wants_fragment() else {"editing_role": role.id}))


@bp.route("/<int:opportunity_id>/contact-roles/<int:role_id>", methods=["POST"])
@login_required
def update_contact_role(opportunity_id: int, role_id: int):
    """Change the role or the primary flag; a second primary is refused (422, nothing stored)."""
    opportunity = get_opportunity(opportunity_id)
    role = get_contact_role(opportunity, role_id)
    form = ContactRoleChangeForm(prefix=f"cr{role.id}")
    if form.validate_on_submit():
        try:
            services.update_contact_role(role, role=form.role.data, is_primary=form.is_primary.data)
        except services.OpportunityError as error:
            db.session.rollback()
            form.is_primary.errors = [error.message]
        else:
            return done(opportunity, _("Contact role of %(name)s saved.", name=role.contact.name))
    return respond("opportunities/_contact_role_form.html", opportunity, status=422, role=role, role_form=form,
                   **({} if wants_fragment() else {"editing_role": role.id}))


@bp.route("/<int:opportunity_id>/contact-roles/<int:role_id>/delete", methods=["POST"])
@login_required
def remove_contact_role(opportunity_id: int, role_id: int):
    """Take the contact off the opportunity (the contact itself stays)."""
    opportunity = get_opportunity(opportunity_id)
    role = get_contact_role(opportunity, role_id)
    name = role.contact.name
    services.remove_contact_role(role)
    return done(opportunity, _("%(name)s removed from the contact roles.", name=name))
