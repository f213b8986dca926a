"""Convert a lead (/leads/<id>/convert): the form, and the contacts and opportunities of the
account chosen on it. The rules live in crm/leads/conversion.py."""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import sharing
from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads import bp, conversion
from crm.leads.access import get_lead
from crm.leads.convert_forms import ConvertForm
from crm.leads.labels import label
from crm.leads.routes import active_users
from crm.lists import as_id
from crm.models import CONTACT_ROLES, Account, Contact, Lead, Opportunity, User

CONTACTS_SHOWN = 20


def chosen_id(value: str | None) -> int | None:
    return as_id(value)


def related_context(lead: Lead, account_id: int | None) -> dict:
    """The contacts (matches first) and open opportunities of the chosen account."""
    account = db.session.get(Account, account_id) if account_id else None
    if account is None or account.deleted_at is not None or not sharing.can_see(account):
        return {"account": None, "contacts": [], "opportunities": []}
    matches = conversion.matching_contacts(lead, [account.id])
    others = db.session.scalars(
        sharing.visible(sa.select(Contact), Contact)
        .where(Contact.account_id == account.id, Contact.deleted_at.is_(None),
               Contact.id.not_in([c.id for c in matches] or [0]))
        .order_by(Contact.last_name, Contact.id).limit(CONTACTS_SHOWN)).all()
    return {"account": account, "contacts": matches + list(others), "contact_matches": {c.id for c in matches},
            "opportunities": conversion.open_opportunities([account.id])}


def convert_form(lead: Lead, matches: list[Account]) -> ConvertForm:
    form = ConvertForm()
    form.owner.choices = [(u.id, u.name) for u in active_users()]
    form.contact_role.choices = [("", "—")] + [(r, label(r)) for r in CONTACT_ROLES]
    if not form.is_submitted():
        # A matching account is offered first: converting must not create a duplicate by default.
        form.account_id.data = str(matches[0].id) if matches else "new"
        form.account_name.data = conversion.account_name_for(lead)
        form.contact_id.data = "new"
        # From the Duplicates page (Lead and contact): the contact the lead looks like, and its account.
        contact = db.session.get(Contact, chosen_id(request.args.get("contact_id")) or 0)
        if (contact is not None and contact.deleted_at is None and contact.account_id is not None
                and sharing.can_see(contact)):
            form.account_id.data, form.contact_id.data = str(contact.account_id), str(contact.id)
        form.opportunity_id.data = "new"
        name = matches[0].name if matches else conversion.account_name_for(lead)
        form.opportunity_name.data = f"{name} - "
        form.owner.data = lead.owner_id if lead.owner and lead.owner.active else current_user.id
    return form


def page(lead, form, matches, status=200):
    account_id = chosen_id(form.account_id.data)
    chosen = db.session.get(Account, account_id) if account_id else None
    if chosen is not None and not sharing.can_see(chosen):
        chosen = None
    return render("leads/convert.html", "leads/_convert_form.html", status=status, lead=lead, form=form,
                  matches=matches, chosen=chosen if chosen not in matches else None,
                  converted_status=conversion.converted_status(), **related_context(lead, account_id))


def resolve(form: ConvertForm):
    """The records the form chose, or an error message beside the field that chose them."""
    account = contact = opportunity = None
    if account_id := chosen_id(form.account_id.data):
        account = db.session.get(Account, account_id)
        if account is None or account.deleted_at is not None or not sharing.can_see(account):
            form.account_id.errors.append(_("This account no longer exists. Choose another one."))
    elif not form.account_name.data:
        form.account_name.errors.append(_("Enter the name of the new account."))
    if contact_id := chosen_id(form.contact_id.data):
        contact = db.session.get(Contact, contact_id)
        if (contact is None or contact.deleted_at is not None or account is None or contact.account_id != account.id
                or not sharing.can_see(contact)):
            form.contact_id.errors.append(_("Choose a contact of the account chosen, or a new contact."))
    if opportunity_id := chosen_id(form.opportunity_id.data):
        opportunity = db.session.get(Opportunity, opportunity_id)
        if (opportunity is None or opportunity.deleted_at is not None or account is None
                or opportunity.account_id != account.id or opportunity.is_closed or not sharing.can_see(opportunity)):
            form.opportunity_id.errors.append(_("Choose an open opportunity of the account chosen."))
    elif form.opportunity_id.data != "none":
        # The name comes prefilled "<Account> - ": the rep completes it ("... - 50 Stratus X11").
        bare = (form.opportunity_name.data or "").rstrip(" -")
        if not bare or bare == (account.name if account else form.account_name.data):
            form.opportunity_name.errors.append(_("Name the opportunity, or choose not to create one."))
    errors = form.account_id.errors or form.account_name.errors or form.contact_id.errors \
        or form.opportunity_id.errors or form.opportunity_name.errors
    return (account, contact, opportunity), bool(errors)


@bp.route("/<int:lead_id>/convert", methods=["GET", "POST"])
@login_required
def convert(lead_id: int):
    """Convert the lead into an account, a contact and an opportunity, in one transaction."""
    lead = get_lead(lead_id, current_user)
    if lead.is_converted:
        flash(_("This lead is already converted."), "info")
        return redirect(url_for("leads.show", lead_id=lead.id), 303)
    matches = conversion.matching_accounts(lead)
    form = convert_form(lead, matches)
    if not form.validate_on_submit():
        return page(lead, form, matches, status=422 if form.is_submitted() else 200)
    (account, contact, opportunity), invalid = resolve(form)
    if invalid:
        return page(lead, form, matches, status=422)
    try:
        result = conversion.convert_lead(
            lead, actor=current_user, owner=db.session.get(User, form.owner.data), account=account,
            account_name=form.account_name.data, contact=contact, opportunity=opportunity,
            create_opportunity=form.opportunity_id.data != "none", opportunity_name=form.opportunity_name.data,
            amount=form.amount.data, close_date=form.close_date.data, contact_role=form.contact_role.data or None)
        db.session.commit()
    except conversion.LeadAlreadyConverted:
        db.session.rollback()
        abort(409, _("This lead was converted a moment ago, by you or someone else: nothing more was created."))
    except conversion.ConversionError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return page(lead, form, matches, status=422)
    except sa.exc.OperationalError:
        db.session.rollback()
        abort(409, _("This lead is being converted right now. Reload the page in a moment."))
    flash(_("%(name)s is converted: account %(account)s, contact %(contact)s.", name=lead.name,
            account=result.account.name, contact=result.contact.name), "success")
    return redirect_after_post(url_for("leads.show", lead_id=lead.id))


@bp.route("/<int:lead_id>/convert/related")
@login_required
def convert_related(lead_id: int):
    """The contact and opportunity choices for the account chosen on the convert form."""
    lead = get_lead(lead_id, current_user)
    if not wants_fragment():
        return redirect(url_for("leads.convert", lead_id=lead.id))
    form = convert_form(lead, [])
    form.contact_id.data = "new"
    form.opportunity_id.data = "new"
    return render("leads/convert.html", "leads/_convert_related.html", lead=lead, form=form,
                  **related_context(lead, chosen_id(request.args.get("account_id"))))
