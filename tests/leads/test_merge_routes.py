"""Duplicates and merge pages over HTTP: the likely pairs, the comparison, merging, undo, bad input, CSRF."""

import pytest
import sqlalchemy as sa

from crm.activities.services import add_activity
from crm.extensions import db
from crm.models import Activity, Lead, LeadMerge, User
from tests.conftest import csrf_token, stored
from tests.factories import make_lead


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/leads/new")}, **kwargs)


@pytest.fixture
def pair(app, rep):
    """Two leads of the same person (same email), the second with another phone and a call."""
    first = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West",
                   email="aparna@gogetcloudywest.com", phone="+1 650 253 0000")
    second = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West Inc",
                    email="APARNA@gogetcloudywest.com", phone="+1 415 555 0132", title="CMO")
    with app.app_context():
        add_activity(db.session.get(Lead, second.id), "call", {"subject": "Intro call"},
                     actor=db.session.get(User, rep.id))
        db.session.commit()
    return first, second


def test_lead_list_links_to_duplicates(rep_client):
    assert 'href="/leads/duplicates"' in rep_client.get("/leads").get_data(as_text=True)


def test_duplicates_page_and_fragment(rep_client, pair):
    first, second = pair
    page = rep_client.get("/leads/duplicates")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="duplicate-list"' in html
    assert "Same email" in html and "Compare and merge" in html
    assert f"/leads/merge?ids={first.id},{second.id}" in html
    fragment = rep_client.get("/leads/duplicates", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="duplicate-list"' in body
    assert "Same email" in body and "HX-Request" in fragment.headers.get("Vary", "")


def test_duplicates_page_needs_sign_in(client):
    assert client.get("/leads/duplicates").status_code in (302, 303)


def test_compare_page_and_fragment(rep_client, pair):
    first, second = pair
    page = rep_client.get(f"/leads/merge?ids={first.id},{second.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="merge-form"' in html
    assert "+1 650 253 0000" in html and "+1 415 555 0132" in html  # the phones differ: one radio each
    assert 'name="field_phone"' in html and 'name="survivor"' in html
    assert 'name="field_last_name"' not in html  # same on both: nothing to choose
    fragment = rep_client.get(f"/leads/merge?ids={first.id},{second.id}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and 'id="merge-form"' in body


def test_merge_keeps_the_chosen_values_moves_activities_and_can_be_undone(app, rep_client, pair):
    first, second = pair
    response = post(rep_client, f"/leads/merge?ids={first.id},{second.id}", {
        "survivor": first.id, "field_phone": second.id, "field_title": second.id, "field_company": first.id,
        "field_email": first.id})
    assert response.status_code == 303
    with app.app_context():
        merge = db.session.scalar(sa.select(LeadMerge))
        assert response.headers["Location"].endswith(f"/leads/merges/{merge.id}")
        kept, gone = db.session.get(Lead, first.id), db.session.get(Lead, second.id)
        assert (kept.phone, kept.title, kept.company) == ("+1 415 555 0132", "CMO", "Get Cloudy West")
        assert gone.deleted_at is not None
        assert db.session.scalar(sa.select(Activity.lead_id)) == first.id
    done = rep_client.get(f"/leads/merges/{merge.id}").get_data(as_text=True)
    assert "Merged" in done and "Activities moved: 1" in done and "Undo merge" in done
    undo = post(rep_client, f"/leads/merges/{merge.id}/undo", {})
    assert undo.status_code == 303 and undo.headers["Location"].endswith(f"/leads/{first.id}")
    with app.app_context():
        kept, back = db.session.get(Lead, first.id), db.session.get(Lead, second.id)
        assert (kept.phone, kept.title) == ("+1 650 253 0000", None) and back.deleted_at is None
        assert db.session.scalar(sa.select(Activity.lead_id)) == second.id
    assert "Undo merge" not in rep_client.get(f"/leads/merges/{merge.id}").get_data(as_text=True)
    assert post(rep_client, f"/leads/merges/{merge.id}/undo", {}).status_code == 409


def test_htmx_merge_redirects_the_whole_page(app, rep_client, pair):
    first, second = pair
    response = post(rep_client, f"/leads/merge?ids={first.id},{second.id}", {
        "survivor": second.id, "field_phone": first.id, "field_title": first.id, "field_company": first.id,
        "field_email": first.id}, headers={"HX-Request": "true"})
    assert response.status_code == 204 and "/leads/merges/" in response.headers["HX-Redirect"]
    with app.app_context():
        assert db.session.get(Lead, first.id).deleted_at is not None
        assert db.session.get(Lead, second.id).phone == "+1 650 253 0000"


def test_a_missing_choice_answers_422_with_the_form_and_changes_nothing(app, rep_client, pair):
    first, second = pair
    response = post(rep_client, f"/leads/merge?ids={first.id},{second.id}", {"survivor": first.id},
                    headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body and 'id="merge-form"' in body
    assert "Choose the lead to keep and a value for every field." in body
    bad = post(rep_client, f"/leads/merge?ids={first.id},{second.id}", {
        "survivor": 999, "field_phone": first.id, "field_title": first.id, "field_company": first.id,
        "field_email": first.id})
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMerge)) == 0
        assert db.session.get(Lead, second.id).deleted_at is None


@pytest.mark.parametrize("ids, status", [("abc", 400), ("1", 400), ("1,2,3,4", 400), ("{a},{a}", 400),
                                         ("{a},99999", 404)])
def test_bad_ids_are_refused_clearly(app, rep_client, pair, ids, status):
    first, _ = pair
    ids = ids.format(a=first.id)
    assert rep_client.get(f"/leads/merge?ids={ids}").status_code == status
    assert post(rep_client, f"/leads/merge?ids={ids}", {"survivor": first.id}).status_code == status
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMerge)) == 0


def test_converted_or_deleted_leads_are_refused_with_a_message(app, rep_client, rep, pair):
    first, second = pair
    converted = stored(app, make_lead, actor=rep, status="Closed - Converted", last_name="Done")
    response = rep_client.get(f"/leads/merge?ids={first.id},{converted.id}")
    assert response.status_code == 409 and "a converted lead cannot be merged" in response.get_data(as_text=True)
    with app.app_context():
        db.session.get(Lead, second.id).deleted_at = db.session.get(Lead, second.id).created_at
        db.session.commit()
    response = post(rep_client, f"/leads/merge?ids={first.id},{second.id}", {"survivor": first.id})
    assert response.status_code == 409 and "recycle bin" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMerge)) == 0


def test_merge_and_undo_need_csrf(app, rep_client, pair):
    first, second = pair
    data = {"survivor": first.id, "field_phone": second.id, "field_title": second.id, "field_company": first.id,
            "field_email": first.id}
    assert rep_client.post(f"/leads/merge?ids={first.id},{second.id}", data=data).status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMerge)) == 0
    post(rep_client, f"/leads/merge?ids={first.id},{second.id}", data)
    with app.app_context():
        merge_id = db.session.scalar(sa.select(LeadMerge.id))
    assert rep_client.post(f"/leads/merges/{merge_id}/undo").status_code == 400
    with app.app_context():
        assert db.session.get(LeadMerge, merge_id).undone_at is None


def test_lead_and_contact_tab_lists_pairs_and_offers_conversion_into_the_contact(app, rep_client, rep):
    from tests.factories import make_account, make_contact

    with app.app_context():
        actor = db.session.get(User, rep.id)
        account = make_account(actor, name="Get Cloudy West")
        contact = make_contact(account, actor, first_name="Aparna", last_name="Bosu", email="aparna@gcw.example")
        lead = make_lead(actor, first_name="Aparna", last_name="Bosu", company="Elsewhere", email="Aparna@GCW.example")
        db.session.commit()
        lead_id, contact_id, account_id = lead.id, contact.id, account.id
    page = rep_client.get("/leads/duplicates?kind=contacts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'aria-current="page">Lead and contact' in html
    assert f'/contacts/{contact_id}"' in html and "Same email" in html
    convert_url = f"/leads/{lead_id}/convert?contact_id={contact_id}"
    assert convert_url.replace("?", "?").replace("&", "&amp;") in html
    fragment = rep_client.get("/leads/duplicates?kind=contacts", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="duplicate-list">') and "Bosu" in body
    assert "kind=contacts" in fragment.headers["HX-Push-Url"]
    # The lead-and-lead tab does not list it (one lead only).
    assert f"/leads/{lead_id}\"" not in rep_client.get("/leads/duplicates").get_data(as_text=True)
    # The convert page opens with that contact and its account chosen.
    convert = rep_client.get(convert_url).get_data(as_text=True)
    assert f'name="account_id" value="{account_id}" checked' in convert
    assert f'value="{contact_id}" checked' in convert


def test_a_flagged_lead_lists_what_it_looks_like_and_the_flag_can_be_cleared(app, rep_client, rep, pair):
    first, second = pair
    with app.app_context():
        lead = db.session.get(Lead, second.id)
        lead.possible_duplicate = True
        db.session.commit()
    html = rep_client.get(f"/leads/{second.id}").get_data(as_text=True)
    assert "Possible duplicate" in html and f'/leads/merge?ids={first.id},{second.id}"' in html
    assert "Same email" in html
    listed = rep_client.get("/leads?view=duplicates").get_data(as_text=True)
    assert f'/leads/{second.id}"' in listed and f'/leads/{first.id}"' not in listed
    # Clearing needs the CSRF token, then the flag is gone and the lead is otherwise unchanged.
    assert rep_client.post(f"/leads/{second.id}/not-a-duplicate").status_code == 400
    response = post(rep_client, f"/leads/{second.id}/not-a-duplicate", {})
    assert response.status_code == 303
    with app.app_context():
        lead = db.session.get(Lead, second.id)
        assert lead.possible_duplicate is False and lead.title == "CMO"
    assert "Possible duplicate" not in rep_client.get(f"/leads/{second.id}").get_data(as_text=True)
    assert f'/leads/{second.id}"' not in rep_client.get("/leads?view=duplicates").get_data(as_text=True)


def test_an_unflagged_lead_shows_no_notice(rep_client, pair):
    assert "Possible duplicate" not in rep_client.get(f"/leads/{pair[0].id}").get_data(as_text=True)
