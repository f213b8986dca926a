"""Account services: create and update write only whitelisted fields and keep derived ones in step."""

import pytest

from crm.accounts import services
from crm.extensions import db
from crm.models import Account
from tests.factories import make_account, make_user


def test_create_account_computes_derived_fields(app_ctx):
    actor = make_user()
    account = services.create_account({
        "name": "Get Cloudy West, Inc.", "website": "https://www.gogetcloudywest.com/about",
        "phone": "+1 415 555 0132", "billing_city": "  San Francisco ", "description": "",
    }, actor=actor)
    assert account.id is not None
    assert account.name_key == "get cloudy west"
    assert account.domain == "gogetcloudywest.com"
    assert account.phone_e164 == "+14155550132"
    assert account.billing_city == "San Francisco" and account.description is None
    assert "san francisco" in account.search_text and "4155550132" in account.search_text
    assert account.owner_id == actor.id == account.created_by_id == account.updated_by_id
    assert account.created_at is not None and account.updated_at is not None


def test_create_account_with_another_owner_and_an_unparsable_phone(app_ctx):
    actor, owner = make_user(), make_user()
    account = services.create_account({"name": "Acme", "owner_id": owner.id, "phone": "12"}, actor=actor)
    assert account.owner_id == owner.id and account.created_by_id == actor.id
    assert account.phone == "12" and account.phone_e164 is None


def test_update_account_whitelists_fields_and_refreshes(app_ctx):
    creator, editor = make_user(), make_user()
    account = make_account(creator, name="Old Name")
    before = account.updated_at
    services.update_account(account, {
        "name": "Société Générale", "id": 999, "created_by_id": editor.id, "deleted_at": "now",
        "search_text": "forged", "website": "http://socgen.example/",
    }, actor=editor)
    assert account.id != 999 and account.created_by_id == creator.id and account.deleted_at is None
    assert account.search_text.startswith("societe generale") and account.domain == "socgen.example"
    assert account.updated_by_id == editor.id and account.updated_at >= before


def test_an_account_cannot_be_its_own_parent_or_its_descendants_child(app_ctx):
    actor = make_user()
    top = make_account(actor, name="Top")
    middle = make_account(actor, name="Middle", parent_id=top.id)
    bottom = make_account(actor, name="Bottom", parent_id=middle.id)
    for parent in (top, middle, bottom):
        with pytest.raises(services.InvalidParent):
            services.update_account(top, {"name": "Renamed", "parent_id": parent.id}, actor=actor)
    db.session.refresh(top)
    assert top.name == "Top" and top.parent_id is None  # a refused edit changes nothing
    services.update_account(bottom, {"parent_id": top.id}, actor=actor)
    assert bottom.parent_id == top.id
    assert services.parent_allowed(None, top.id)


def test_get_account_404s_for_unknown_or_deleted(app_ctx):
    from werkzeug.exceptions import NotFound

    account = make_account(make_user())
    assert services.get_account(account.id) is account
    account.deleted_at = account.updated_at
    db.session.flush()
    for account_id in (account.id, 10_000):
        with pytest.raises(NotFound):
            services.get_account(account_id)
    assert db.session.get(Account, account.id) is not None
