"""The convert page over HTTP: matches offered, choices checked, one transaction, read-only after."""

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Account, Contact, Lead, Opportunity
from tests.conftest import csrf_token, stored
from tests.factories import make_account, make_contact, make_lead

APARNA = {"first_name": "Aparna", "last_name": "Bosu", "company": "Get Cloudy West", "title": "Marketing Manager",
          "email": "aparna@gogetcloudywest.com"}


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/leads/new")}, **kwargs)


def counts(app):
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(m))
                     for m in (Account, Contact, Opportunity))


def test_convert_page_prefills_from_the_lead(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep, **APARNA)
    page = rep_client.get(f"/leads/{lead.id}/convert")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert 'value="Get Cloudy West"' in html and 'value="Get Cloudy West - "' in html
    assert 'name="account_id" value="new" checked' in html


def test_convert_new_account_contact_opportunity_then_read_only(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep, **APARNA)
    response = post(rep_client, f"/leads/{lead.id}/convert", {
        "account_id": "new", "account_name": "Get Cloudy West", "contact_id": "new", "opportunity_id": "new",
        "opportunity_name": "Get Cloudy West - 50 Custom Stratus X11 Sneakers", "amount": "7500",
        "close_date": "2026-12-31", "owner": rep.id})
    assert response.status_code == 303 and response.headers["Location"] == f"/leads/{lead.id}"
    assert counts(app) == (1, 1, 1)
    page = rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Aparna Bosu is converted" in page
    assert "Get Cloudy West - 50 Custom Stratus X11 Sneakers" in page and "A converted lead is read-only." in page
    # Read-only: edits, status changes and a second conversion are refused; nothing more is created.
    assert rep_client.get(f"/leads/{lead.id}/edit").status_code == 303
    status = post(rep_client, f"/leads/{lead.id}/status", {"status_id": "1"})
    assert status.status_code == 409
    again = post(rep_client, f"/leads/{lead.id}/convert", {"account_id": "new", "account_name": "X",
                                                          "contact_id": "new", "opportunity_id": "none",
                                                          "owner": rep.id})
    assert again.status_code == 303 and counts(app) == (1, 1, 1)
    # It leaves the default views.
    assert "Aparna Bosu" not in rep_client.get("/leads").get_data(as_text=True)
    assert "Aparna Bosu" in rep_client.get("/leads?view=converted").get_data(as_text=True)


def test_a_second_lead_is_offered_the_existing_account(app, rep_client, rep):
    account = stored(app, make_account, actor=rep, name="Get Cloudy West")
    contact = stored(app, make_contact, account=account, actor=rep, first_name="Aparna", last_name="Bosu",
                     email="aparna@gogetcloudywest.com")
    lead = stored(app, make_lead, actor=rep, **{**APARNA, "company": "get cloudy west"})
    html = rep_client.get(f"/leads/{lead.id}/convert").get_data(as_text=True)
    assert f'name="account_id" value="{account.id}" checked' in html
    assert f'name="contact_id" value="{contact.id}"' in html
    response = post(rep_client, f"/leads/{lead.id}/convert", {
        "account_id": str(account.id), "contact_id": str(contact.id), "opportunity_id": "none", "owner": rep.id})
    assert response.status_code == 303
    assert counts(app) == (1, 1, 0)


def test_related_choices_follow_the_account_chosen(app, rep_client, rep):
    account = stored(app, make_account, actor=rep, name="Other Co")
    stored(app, make_contact, account=account, actor=rep, first_name="Zed", last_name="Zulu")
    lead = stored(app, make_lead, actor=rep, **APARNA)
    fragment = rep_client.get(f"/leads/{lead.id}/convert/related?account_id={account.id}",
                              headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert body.startswith('<div id="convert-related">') and "Zed Zulu" in body and "<html" not in body


def test_bad_choices_are_answered_beside_them_and_nothing_is_stored(app, rep_client, rep):
    other = stored(app, make_account, actor=rep, name="Other Co")
    stranger = stored(app, make_contact, account=other, actor=rep)
    lead = stored(app, make_lead, actor=rep, **APARNA)
    cases = [
        ({"account_id": "new", "account_name": "", "contact_id": "new", "opportunity_id": "none"},
         "Enter the name of the new account."),
        ({"account_id": "999999", "contact_id": "new", "opportunity_id": "none"}, "This account no longer exists."),
        ({"account_id": "new", "account_name": "X", "contact_id": str(stranger.id), "opportunity_id": "none"},
         "Choose a contact of the account chosen"),
        ({"account_id": "new", "account_name": "X", "contact_id": "new", "opportunity_id": "new",
          "opportunity_name": "X - "}, "Name the opportunity"),
        ({"account_id": "new", "account_name": "X", "contact_id": "new", "opportunity_id": "new",
          "opportunity_name": "X - Deal", "amount": "-1"}, "Enter an amount between 0 and 10^15."),
        ({"account_id": "drop table", "contact_id": "new", "opportunity_id": "none"}, "Choose an account."),
    ]
    for data, message in cases:
        response = post(rep_client, f"/leads/{lead.id}/convert", {**data, "owner": rep.id},
                        headers={"HX-Request": "true"})
        body = response.get_data(as_text=True)
        assert response.status_code == 422, message
        assert message in body and body.startswith('<form id="convert-form"')
    assert counts(app) == (1, 1, 0)  # only the fixtures
    with app.app_context():
        assert db.session.get(Lead, lead.id).converted_at is None


def test_convert_needs_sign_in_and_csrf(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep, **APARNA)
    assert app.test_client().get(f"/leads/{lead.id}/convert").status_code == 302
    assert rep_client.post(f"/leads/{lead.id}/convert", data={"account_id": "new"}).status_code == 400
    assert rep_client.get("/leads/999999/convert").status_code == 404
