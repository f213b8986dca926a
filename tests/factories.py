"""Tiny factories: make_<thing>(**overrides) stores one record with sensible defaults.

Call them inside an app context (the `app_ctx` fixture, or `stored(app, make_thing)`).
"""

import itertools

import sqlalchemy as sa

from crm.auth import services
from crm.extensions import db
from crm.models import LeadStatus

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def make_user(**overrides):
    n = next(_seq)
    fields = {
        "email": f"user{n}@example.com",
        "name": f"User {n}",
        "role": "rep",
        "password": PASSWORD,
    } | overrides
    user = services.create_user(**fields)
    db.session.commit()
    db.session.refresh(user)
    return user


def make_lead(actor=None, **overrides):
    """A lead owned by `actor` (default: a new rep), through the real service."""
    from crm.leads import services as lead_services

    actor = actor or make_user()
    n = next(_seq)
    data = {"first_name": "Lead", "last_name": f"Number {n}", "company": f"Company {n}",
            "email": f"lead{n}@example.com"} | overrides
    status = data.pop("status", None)
    owner = data.pop("owner", None)
    if isinstance(status, str):
        status = db.session.scalar(sa.select(LeadStatus).where(LeadStatus.label == status))
    lead = lead_services.create_lead(data, actor=actor, owner=owner, status=status)
    db.session.commit()
    db.session.refresh(lead)
    return lead


def make_account(actor=None, **overrides):
    """An account owned by `actor` (default: a new rep)."""
    from crm.models import Account

    actor = actor or make_user()
    n = next(_seq)
    account = Account(**({"name": f"Account {n}", "owner_id": actor.id, "created_by_id": actor.id,
                          "updated_by_id": actor.id} | overrides))
    account.refresh_derived()
    db.session.add(account)
    db.session.commit()
    db.session.refresh(account)
    return account


def make_contact(account=None, actor=None, **overrides):
    """A contact of `account` (default: a new account)."""
    from crm.models import Contact

    actor = actor or make_user()
    account = account or make_account(actor)
    n = next(_seq)
    contact = Contact(**({"account_id": account.id, "first_name": "Contact", "last_name": f"Number {n}",
                          "email": f"contact{n}@example.com", "owner_id": actor.id, "created_by_id": actor.id,
                          "updated_by_id": actor.id} | overrides))
    contact.refresh_derived()
    db.session.add(contact)
    db.session.commit()
    db.session.refresh(contact)
    return contact


def make_opportunity(account=None, actor=None, stage=None, **overrides):
    """An opportunity (through the service, so with its first history row) at `stage`, by default
    the default pipeline's first one."""
    from crm.models import Stage
    from crm.opportunities import services as opportunities

    actor = actor or make_user()
    account = account or make_account()
    stage = stage or db.session.scalar(
        sa.select(Stage).join(Stage.pipeline).order_by(sa.desc("is_default"), Stage.position).limit(1))
    fields = {"name": f"Deal {next(_seq)}", "owner": actor} | overrides
    opportunity = opportunities.create_opportunity(actor=actor, account=account, stage=stage, **fields)
    db.session.commit()
    db.session.refresh(opportunity)
    return opportunity
