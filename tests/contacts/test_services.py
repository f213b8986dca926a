"""Contact rules: create and edit through the services, whitelisted and checked against the account."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.contacts import services
from crm.extensions import db
from crm.models import Contact, Opportunity, OpportunityContactRole, Pipeline, Stage
from crm.models.user import utcnow
from tests.factories import make_account, make_contact, make_user


@pytest.fixture
def actor(app_ctx):
    return make_user(name="Remy Rep")


def test_create_contact_cleans_and_derives(actor):
    account = make_account(actor, name="Get Cloudy West")
    contact = services.create_contact({
        "account_id": account.id, "first_name": " Hélène ", "last_name": "Lefèvre", "email": "Helene@Example.COM",
        "phone": "+1 415 555 0132", "mobile": "not a number", "mailing_city": "", "search_text": "hacked",
        "created_by_id": 999, "deleted_at": utcnow(),
    }, actor=actor)
    assert contact.id is not None and contact.account_id == account.id
    assert contact.first_name == "Hélène" and contact.email == "helene@example.com"
    assert contact.phone_e164 == "+14155550132" and contact.mobile_e164 is None
    assert contact.mailing_city is None and contact.deleted_at is None
    assert contact.owner_id == actor.id and contact.created_by_id == actor.id and contact.updated_by_id == actor.id
    assert "lefevre" in contact.search_text and "helene@example.com" in contact.search_text
    db.session.rollback()  # flushed, never committed
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_create_contact_with_another_owner(actor):
    owner = make_user(name="Olga Owner")
    contact = services.create_contact({"account_id": make_account(actor).id, "last_name": "Bosu",
                                       "owner_id": owner.id}, actor=actor)
    assert contact.owner_id == owner.id and contact.created_by_id == actor.id


@pytest.mark.parametrize("account_id", [None, "", 999_999, "abc"])
def test_unknown_account_is_refused(actor, account_id):
    with pytest.raises(services.UnknownAccount):
        services.create_contact({"account_id": account_id, "last_name": "Bosu"}, actor=actor)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Contact)) == 0


def test_deleted_account_is_refused(actor):
    account = make_account(actor, deleted_at=utcnow())
    with pytest.raises(services.UnknownAccount):
        services.create_contact({"account_id": account.id, "last_name": "Bosu"}, actor=actor)
    contact = make_contact(make_account(actor), actor)
    with pytest.raises(services.UnknownAccount):
        services.update_contact(contact, {"account_id": account.id}, actor=actor)


def test_update_contact_moves_account_and_stamps(actor):
    editor = make_user(name="Eddie Editor")
    contact = make_contact(make_account(actor), actor, phone=None, updated_at=utcnow() - timedelta(days=3))
    other = make_account(actor, name="Other Co")
    before = contact.updated_at
    services.update_contact(contact, {"account_id": other.id, "last_name": "Renamed", "phone": "(415) 555-0199",
                                      "email": "NEW@example.com", "owner_id": None}, actor=editor)
    assert contact.account_id == other.id and contact.last_name == "Renamed"
    assert contact.email == "new@example.com" and contact.phone_e164 == "+14155550199"
    assert contact.owner_id == actor.id  # no owner chosen keeps the current one
    assert contact.updated_by_id == editor.id and contact.updated_at > before
    assert "renamed" in contact.search_text


def test_contact_roles_lists_live_opportunities_primary_first(actor):
    account = make_account(actor)
    contact = make_contact(account, actor)
    stage = db.session.scalar(sa.select(Stage).limit(1))
    pipeline = db.session.get(Pipeline, stage.pipeline_id)
    opps = [Opportunity(name=name, account_id=account.id, pipeline_id=pipeline.id, stage_id=stage.id,
                        deleted_at=utcnow() if name == "Gone" else None) for name in ("Alpha", "Zulu", "Gone")]
    db.session.add_all(opps)
    db.session.flush()
    db.session.add_all([
        OpportunityContactRole(opportunity_id=opps[0].id, contact_id=contact.id, role="Evaluator"),
        OpportunityContactRole(opportunity_id=opps[1].id, contact_id=contact.id, role="Decision Maker",
                               is_primary=True),
        OpportunityContactRole(opportunity_id=opps[2].id, contact_id=contact.id),
    ])
    db.session.flush()
    roles = services.contact_roles(contact)
    assert [(r.opportunity.name, r.is_primary) for r in roles] == [("Zulu", True), ("Alpha", False)]
