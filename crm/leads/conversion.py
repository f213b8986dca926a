"""Lead conversion: one transaction turns a qualified lead into an account, a contact and,
optionally, an opportunity (or a contact role on an open one). Nothing half-converted is ever
stored: the route rolls back on any error, and the first write claims the lead so that two
conversions at the same moment (a double tap, two users) convert it once.

What goes where (the mapping lives here and only here):

    lead                   account               contact              opportunity
    company (or the name)  name                  -                    name defaults to "<account> - "
    website                website               -                    -
    phone                  phone                 phone                -
    mobile                 -                     mobile               -
    industry               industry              -                    -
    street, city, state,   billing_* (new        mailing_*            -
    postal_code, country   account only)
    salutation, first and  -                     same fields          -
    last name, title, email
    lead_source            -                     lead_source          lead_source
    campaign               -                     campaign history     campaign_id
    description            -                     description          -
    activities             account_id            contact_id           opportunity_id (they keep lead_id)
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm import sharing
from crm.extensions import db
from crm.leads.services import LeadError, e164
from crm.models import (
    Account,
    Activity,
    CampaignMember,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityContactRole,
    Pipeline,
    Stage,
    User,
    company_key,
    email_domain,
)
from crm.models.user import utcnow
from crm.opportunities.services import record_creation

# Matching by email domain means nothing for addresses at these providers.
FREE_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.fr", "hotmail.com", "hotmail.fr", "outlook.com", "live.com",
    "msn.com", "aol.com", "icloud.com", "me.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "orange.fr", "free.fr",
    "laposte.net", "wanadoo.fr", "sfr.fr", "protonmail.com", "proton.me", "mail.com", "yandex.com",
})
MATCH_LIMIT = 5


class LeadAlreadyConverted(LeadError):
    """Someone converted this lead already (maybe a moment ago)."""


class ConversionError(LeadError):
    """A choice on the convert form does not hold (the message says which)."""


@dataclass
class Conversion:
    account: Account
    contact: Contact
    opportunity: Opportunity | None
    created_account: bool
    created_contact: bool
    created_opportunity: bool


def account_name_for(lead: Lead) -> str:
    """A lead without a company converts to an account named after the person."""
    return (lead.company or "").strip() or lead.name


def matching_accounts(lead: Lead, limit: int = MATCH_LIMIT) -> list[Account]:
    """Accounts with the same company name (case, accents, punctuation, legal suffix ignored) or
    whose website is on the lead's email domain; name matches first."""
    key = company_key(account_name_for(lead))
    domain = email_domain(lead.email)
    conditions = [Account.name_key == key] if key else []
    if domain and domain not in FREE_MAIL_DOMAINS:
        conditions.append(Account.domain == domain)
    if not conditions:
        return []
    query = (sharing.visible(sa.select(Account), Account).where(Account.deleted_at.is_(None), sa.or_(*conditions))
             .order_by(sa.case((Account.name_key == key, 0), else_=1), Account.name, Account.id).limit(limit))
    return list(db.session.scalars(query))


def matching_contacts(lead: Lead, account_ids: list[int], limit: int = MATCH_LIMIT) -> list[Contact]:
    """Contacts of these accounts with the lead's email, then with its name."""
    if not account_ids:
        return []
    same_email = Contact.email == (lead.email or "").lower() if lead.email else sa.false()
    same_name = sa.and_(sa.func.lower(Contact.last_name) == lead.last_name.lower(),
                        sa.func.lower(sa.func.coalesce(Contact.first_name, "")) == (lead.first_name or "").lower())
    query = (sharing.visible(sa.select(Contact), Contact)
             .where(Contact.deleted_at.is_(None), Contact.account_id.in_(account_ids), sa.or_(same_email, same_name))
             .order_by(sa.case((same_email, 0), else_=1), Contact.last_name, Contact.id).limit(limit))
    return list(db.session.scalars(query))


def open_opportunities(account_ids: list[int], limit: int = 20) -> list[Opportunity]:
    """Open opportunities of these accounts, the lead may join one of them instead."""
    if not account_ids:
        return []
    query = (sharing.visible(sa.select(Opportunity), Opportunity).join(Stage, Opportunity.stage_id == Stage.id)
             .where(Opportunity.deleted_at.is_(None), Opportunity.account_id.in_(account_ids), ~Stage.is_closed)
             .order_by(Opportunity.close_date, Opportunity.id).limit(limit))
    return list(db.session.scalars(query))


def first_stage() -> Stage:
    """The first stage of the default pipeline: where a converted lead's opportunity starts."""
    pipeline = db.session.scalar(sa.select(Pipeline).where(Pipeline.is_default)) or db.session.scalar(
        sa.select(Pipeline).order_by(Pipeline.position, Pipeline.id))
    return db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == pipeline.id)
                             .order_by(Stage.position, Stage.id))


def converted_status() -> LeadStatus:
    return db.session.scalar(sa.select(LeadStatus).where(LeadStatus.is_converted))


def _claim(lead: Lead, actor: User) -> None:
    """The first write: it takes the lead's row, so a concurrent conversion waits, then finds it taken."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Lead).where(Lead.id == lead.id, Lead.converted_at.is_(None))
        .values(converted_at=now, converted_by_id=actor.id, updated_at=now, updated_by_id=actor.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise LeadAlreadyConverted()
    db.session.refresh(lead)


def _new_account(lead: Lead, name: str, owner: User, actor: User) -> Account:
    account = Account(
        name=name.strip()[:255], website=lead.website, phone=lead.phone, phone_e164=e164(lead.phone),
        industry=lead.industry, billing_street=lead.street, billing_city=lead.city, billing_state=lead.state,
        billing_postal_code=lead.postal_code, billing_country=lead.country, owner_id=owner.id,
        created_by_id=actor.id, updated_by_id=actor.id)
    account.refresh_derived()
    db.session.add(account)
    return account


def _new_contact(lead: Lead, account: Account, owner: User, actor: User) -> Contact:
    contact = Contact(
        account=account, salutation=lead.salutation, first_name=lead.first_name, last_name=lead.last_name,
        title=lead.title, email=lead.email, phone=lead.phone, phone_e164=lead.phone_e164, mobile=lead.mobile,
        mobile_e164=lead.mobile_e164, mailing_street=lead.street, mailing_city=lead.city,
        mailing_state=lead.state, mailing_postal_code=lead.postal_code, mailing_country=lead.country,
        lead_source=lead.lead_source, description=lead.description, owner_id=owner.id,
        created_by_id=actor.id, updated_by_id=actor.id)
    contact.refresh_derived()
    db.session.add(contact)
    return contact


def _new_opportunity(lead: Lead, account: Account, name: str, amount: Decimal | None, close_date: date | None,
                     owner: User, actor: User) -> Opportunity:
    stage = first_stage()
    opportunity = Opportunity(
        name=name.strip()[:120], account=account, pipeline_id=stage.pipeline_id, stage=stage,
        probability=stage.probability, amount=amount, close_date=close_date, lead_source=lead.lead_source,
        campaign_id=lead.campaign_id, owner_id=owner.id, created_by_id=actor.id, updated_by_id=actor.id)
    opportunity.refresh_derived(account.name)
    db.session.add(opportunity)
    record_creation(opportunity, actor)
    return opportunity


def convert_lead(lead: Lead, *, actor: User, owner: User | None = None,
                 account: Account | None = None, account_name: str | None = None,
                 contact: Contact | None = None,
                 opportunity: Opportunity | None = None, create_opportunity: bool = True,
                 opportunity_name: str | None = None, amount: Decimal | None = None,
                 close_date: date | None = None, contact_role: str | None = None) -> Conversion:
    """Convert `lead`: reuse `account`/`contact` when given, else create them; create an opportunity
    (or join the open `opportunity` as a contact role, or neither when create_opportunity is False).

    Flushes, never commits. :raises LeadAlreadyConverted: :raises ConversionError:
    """
    if lead.converted_at is not None or lead.is_converted:
        raise LeadAlreadyConverted()
    if lead.deleted_at is not None:
        raise ConversionError(_l("The lead is in the recycle bin."))
    owner = owner or actor
    if contact is not None and (account is None or contact.account_id != account.id):
        raise ConversionError(_l("The contact chosen does not belong to the account chosen."))
    if opportunity is not None and (account is None or opportunity.account_id != account.id
                                    or opportunity.is_closed):
        raise ConversionError(_l("The opportunity chosen is not an open opportunity of the account chosen."))

    _claim(lead, actor)
    created_account = account is None
    if account is None:
        account = _new_account(lead, account_name or account_name_for(lead), owner, actor)
    created_contact = contact is None
    if contact is None:
        contact = _new_contact(lead, account, owner, actor)
    created_opportunity = opportunity is None and create_opportunity
    if created_opportunity:
        opportunity = _new_opportunity(lead, account, opportunity_name or f"{account.name} - ", amount,
                                       close_date, owner, actor)
    db.session.flush()

    if opportunity is not None:
        has_primary = db.session.scalar(sa.select(sa.func.count()).select_from(OpportunityContactRole).where(
            OpportunityContactRole.opportunity_id == opportunity.id, OpportunityContactRole.is_primary))
        exists = db.session.scalar(sa.select(OpportunityContactRole).where(
            OpportunityContactRole.opportunity_id == opportunity.id,
            OpportunityContactRole.contact_id == contact.id))
        if exists is None:
            db.session.add(OpportunityContactRole(opportunity_id=opportunity.id, contact_id=contact.id,
                                                  role=contact_role, is_primary=not has_primary))

    # The lead's history follows it: activities and campaign memberships.
    db.session.execute(
        sa.update(Activity).where(Activity.lead_id == lead.id)
        .values(contact_id=contact.id, account_id=account.id,
                opportunity_id=opportunity.id if opportunity is not None else Activity.opportunity_id)
        .execution_options(synchronize_session=False))
    db.session.execute(
        sa.update(CampaignMember).where(CampaignMember.lead_id == lead.id, CampaignMember.contact_id.is_(None))
        .values(contact_id=contact.id).execution_options(synchronize_session=False))
    if lead.campaign_id is not None and not db.session.scalar(
            sa.select(sa.func.count()).select_from(CampaignMember).where(
                CampaignMember.campaign_id == lead.campaign_id, CampaignMember.contact_id == contact.id)):
        db.session.add(CampaignMember(campaign_id=lead.campaign_id, lead_id=lead.id, contact_id=contact.id))

    lead.status = converted_status()
    lead.converted_account_id = account.id
    lead.converted_contact_id = contact.id
    lead.converted_opportunity_id = opportunity.id if opportunity is not None else None
    lead.owner_id = owner.id
    from crm.audit import log_event  # here: crm.audit imports the models, as this module does

    log_event("conversion", f"lead {lead.name} -> {account.name}", actor=actor, target=lead,
              details={"account_id": account.id, "contact_id": contact.id,
                       "opportunity_id": opportunity.id if opportunity is not None else None})
    db.session.flush()
    return Conversion(account, contact, opportunity, created_account, created_contact, created_opportunity)
