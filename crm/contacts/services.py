"""Contact rules: create and edit a contact of an account.

Services take plain arguments, flush and never commit: the route commits once.
"""

import sqlalchemy as sa

from crm import sharing
from crm.extensions import db
from crm.leads.services import e164
from crm.models import Account, Contact, Opportunity, OpportunityContactRole, User
from crm.models.user import utcnow

# The fields a form may write: anything else in the submitted data is ignored.
EDITABLE_FIELDS = (
    "account_id", "salutation", "first_name", "last_name", "title", "email", "phone", "mobile",
    "mailing_street", "mailing_city", "mailing_state", "mailing_postal_code", "mailing_country",
    "owner_id", "lead_source", "description",
)


class ContactError(Exception):
    """A contact rule was broken; the message is for the user."""


class UnknownAccount(ContactError):
    """The chosen account does not exist or is deleted."""


def live_account(account_id, *, keep: int | None = None) -> Account | None:
    """The account with this id unless it is missing, deleted or not visible to the user (private
    sharing, crm/sharing.py); `keep`: the record's current account, kept even when not visible."""
    try:
        account = db.session.get(Account, int(account_id)) if account_id not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None
    if account is None or account.deleted_at is not None:
        return None
    return account if account.id == keep or sharing.can_see(account) else None


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _apply(contact: Contact, data: dict, actor: User) -> None:
    if "account_id" in data or contact.account_id is None:
        account = live_account(data.get("account_id"), keep=contact.account_id)
        if account is None:
            raise UnknownAccount()
        data = {**data, "account_id": account.id}
    for field in EDITABLE_FIELDS:
        # No owner chosen keeps the current one (the actor for a new contact).
        if field in data and not (field == "owner_id" and data[field] is None):
            setattr(contact, field, _clean(data[field]))
    if contact.email:
        contact.email = contact.email.lower()
    contact.phone_e164 = e164(contact.phone)
    contact.mobile_e164 = e164(contact.mobile)
    contact.refresh_derived()
    contact.updated_by_id = actor.id
    contact.updated_at = utcnow()


def create_contact(data: dict, *, actor: User) -> Contact:
    """Store a new contact of an account, owned by the actor unless data names an owner.

    :raises UnknownAccount:
    """
    contact = Contact(owner_id=actor.id, created_by_id=actor.id, created_at=utcnow())
    _apply(contact, data, actor)
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(contact: Contact, data: dict, *, actor: User) -> Contact:
    """Change a contact's fields. :raises UnknownAccount:"""
    _apply(contact, data, actor)
    db.session.flush()
    return contact


def contact_roles(contact: Contact) -> list[OpportunityContactRole]:
    """The contact's roles on live opportunities, primary ones first, each with its opportunity."""
    return list(db.session.scalars(
        sharing.visible(sa.select(OpportunityContactRole), Opportunity)
        .join(Opportunity, Opportunity.id == OpportunityContactRole.opportunity_id)
        .where(OpportunityContactRole.contact_id == contact.id, Opportunity.deleted_at.is_(None))
        .options(sa.orm.contains_eager(OpportunityContactRole.opportunity))
        .order_by(OpportunityContactRole.is_primary.desc(), Opportunity.name, Opportunity.id)
    ))
