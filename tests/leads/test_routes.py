"""Lead pages over HTTP: list (page and fragment), capture, edit, record page, path, recycle bin."""

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Lead, LeadStatus, RecentView
from tests.conftest import csrf_token, stored
from tests.factories import make_lead

APARNA = {"first_name": "Aparna", "last_name": "Bosu", "company": "Get Cloudy West",
          "email": "aparna@gogetcloudywest.com", "phone": "+1 415 555 0132"}


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/leads/new")}, **kwargs)


def leads_in_db(app):
    with app.app_context():
        return db.session.scalars(sa.select(Lead).order_by(Lead.id)).all()


def status_id(app, label):
    with app.app_context():
        return db.session.scalar(sa.select(LeadStatus.id).where(LeadStatus.label == label))


@pytest.fixture
def aparna(app, rep):
    return stored(app, make_lead, actor=rep, **APARNA)


def test_list_page_and_fragment(rep_client, aparna):
    page = rep_client.get("/leads")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Aparna Bosu" in html
    assert 'id="lead-q"' in html and 'hx-push-url="true"' in html
    fragment = rep_client.get("/leads?q=aparna+b", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.startswith('<div id="lead-list"') and "Aparna Bosu" in body
    assert 'id="lead-filter-state" hx-swap-oob="true"' in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_history_restore_gets_the_whole_page(rep_client, aparna):
    response = rep_client.get("/leads?q=bosu", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.get_data(as_text=True)


@pytest.mark.parametrize("q", ['"', "'", "%", "_", "%%__", "<script>", "x" * 10_000, "' OR 1=1 --"])
def test_any_search_text_is_just_text(rep_client, aparna, q):
    response = rep_client.get("/leads", query_string={"q": q, "view": "all"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Aparna Bosu" not in body and "No lead matches" in body
    assert "<script>" not in body


def test_search_without_accents_and_by_partial_name(app, rep_client, rep):
    stored(app, make_lead, actor=rep, first_name="Hélène", last_name="Lefèvre", company="Société Générale")
    body = rep_client.get("/leads?q=lefevre&view=all", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Hélène Lefèvre" in body
    body = rep_client.get("/leads?q=societe+gen&view=all").get_data(as_text=True)
    assert "Hélène Lefèvre" in body


def test_filters_sort_and_empty_result(app, rep_client, rep, admin):
    stored(app, make_lead, actor=rep, last_name="Alpha", rating="Hot", lead_source="Web")
    stored(app, make_lead, actor=rep, last_name="Beta", rating="Cold", lead_source="Trade Show")
    stored(app, make_lead, actor=admin, last_name="Gamma", rating="Hot")
    hot = rep_client.get("/leads?view=all_open&rating=Hot&sort=name").get_data(as_text=True)
    assert hot.index("Alpha") < hot.index("Gamma") and "Beta" not in hot
    desc = rep_client.get("/leads?view=all_open&rating=Hot&sort=-name").get_data(as_text=True)
    assert desc.index("Gamma") < desc.index("Alpha")
    assert 'aria-sort="descending"' in desc
    mine = rep_client.get("/leads?view=all_open&owner=me").get_data(as_text=True)
    assert "Alpha" in mine and "Gamma" not in mine
    source = rep_client.get("/leads?view=all_open&source=Trade+Show").get_data(as_text=True)
    assert "Beta" in source and "Alpha" not in source
    working = status_id(app, "Working - Contacted")
    empty = rep_client.get(f"/leads?view=all&status={working}").get_data(as_text=True)
    assert "No leads here yet." in empty


def test_create_a_lead_then_see_its_page(app, rep_client):
    response = post(rep_client, "/leads/new", {**APARNA, "title": "Marketing Manager", "rating": "Hot",
                                               "website": "gogetcloudywest.com", "employees": "40"})
    assert response.status_code == 303
    lead = leads_in_db(app)[0]
    assert response.headers["Location"] == f"/leads/{lead.id}"
    assert (lead.title, lead.rating, lead.website, lead.employees) == (
        "Marketing Manager", "Hot", "https://gogetcloudywest.com", 40)
    assert lead.phone_e164 == "+14155550132"
    page = rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert "Aparna Bosu" in page and "Lead Aparna Bosu saved." in page


def test_save_and_new_returns_a_blank_form_with_a_confirmation(app, rep_client):
    response = post(rep_client, "/leads/new", {**APARNA, "next": "new"})
    assert response.status_code == 303 and response.headers["Location"] == "/leads/new"
    form = rep_client.get("/leads/new").get_data(as_text=True)
    assert "Lead Aparna Bosu saved. Ready for the next one." in form
    assert 'value="Aparna"' not in form


@pytest.mark.parametrize("field,value,message", [
    ("last_name", "", "Enter the last name."),
    ("company", "  ", "Enter the company."),
    ("email", "aparna@", "Enter a valid email address."),
    ("phone", "call me maybe", "Use digits, spaces and + ( ) - . / only."),
    ("website", "javascript:alert(1)", "Enter a web address starting with http:// or https://."),
    ("website", "ftp://files.example.com", "Enter a web address starting with http:// or https://."),
    ("employees", "-5", "Enter a number between 0 and 10,000,000."),
    ("employees", "many", "Not a valid integer value."),
    ("annual_revenue", "1e20", "Enter an amount between 0 and 10^15."),
    ("first_name", "x" * 41, "Field cannot be longer than 40 characters."),
    ("rating", "Lukewarm", "Not a valid choice."),
])
def test_bad_values_are_answered_beside_the_field_and_nothing_is_stored(app, rep_client, field, value, message):
    response = post(rep_client, "/leads/new", {**APARNA, field: value}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.startswith('<form id="lead-form"')
    assert message in body
    assert f'id="{field}-error"' in body
    assert 'value="Bosu"' in body or field == "last_name"  # what was typed is kept
    assert leads_in_db(app) == []


def test_duplicate_warning_before_saving(app, rep_client, aparna):
    response = post(rep_client, "/leads/new", {**APARNA, "email": "APARNA@gogetcloudywest.com"},
                    headers={"HX-Request": "true"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "This lead looks like one already stored" in body
    assert f'href="/leads/{aparna.id}"' in body and "Save anyway" in body
    assert len(leads_in_db(app)) == 1
    again = post(rep_client, "/leads/new", {**APARNA, "confirm_duplicate": "1"})
    assert again.status_code == 303 and len(leads_in_db(app)) == 2


def test_edit_a_lead(app, rep_client, aparna):
    form = rep_client.get(f"/leads/{aparna.id}/edit").get_data(as_text=True)
    assert 'value="Get Cloudy West"' in form
    response = post(rep_client, f"/leads/{aparna.id}/edit", {
        **APARNA, "title": "VP Marketing", "status": status_id(app, "Working - Contacted"),
        "owner": aparna.owner_id})
    assert response.status_code == 303
    lead = leads_in_db(app)[0]
    assert lead.title == "VP Marketing" and lead.status_id == status_id(app, "Working - Contacted")


def test_unknown_lead_is_404(rep_client):
    assert rep_client.get("/leads/999999").status_code == 404
    assert rep_client.get("/leads/999999/edit").status_code == 404
    assert post(rep_client, "/leads/999999/status", {"status_id": "1"}).status_code == 404


def test_record_page_remembers_the_view(app, rep_client, rep, aparna):
    assert rep_client.get(f"/leads/{aparna.id}").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(RecentView.record_id).where(RecentView.user_id == rep.id)) == aparna.id
    recent = rep_client.get("/leads?view=recent").get_data(as_text=True)
    assert "Aparna Bosu" in recent


def test_path_click_swaps_header_and_path(app, rep_client, aparna):
    working = status_id(app, "Working - Contacted")
    response = post(rep_client, f"/leads/{aparna.id}/status", {"status_id": working},
                    headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith(f'<div id="lead-{aparna.id}-summary"') and "<html" not in body
    assert 'aria-current="step"' in body
    assert leads_in_db(app)[0].status_id == working
    plain = post(rep_client, f"/leads/{aparna.id}/status", {"status_id": status_id(app, "Open - Not Contacted")})
    assert plain.status_code == 303


def test_path_refuses_the_converted_status(app, rep_client, aparna):
    response = post(rep_client, f"/leads/{aparna.id}/status", {"status_id": status_id(app, "Closed - Converted")},
                    headers={"HX-Request": "true"})
    assert response.status_code == 409
    assert "Convert the lead" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#messages"
    assert leads_in_db(app)[0].status.label == "Open - Not Contacted"


def test_delete_then_undo_from_the_list(app, rep_client, aparna):
    response = post(rep_client, f"/leads/{aparna.id}/delete", {})
    assert response.status_code == 303 and response.headers["Location"] == f"/leads?deleted={aparna.id}"
    page = rep_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aparna Bosu moved to the recycle bin." in page and "Undo" in page
    assert rep_client.get(f"/leads/{aparna.id}").status_code == 404
    bin_page = rep_client.get("/leads/recycle-bin").get_data(as_text=True)
    assert "Aparna Bosu" in bin_page
    restored = post(rep_client, f"/leads/{aparna.id}/restore", {})
    assert restored.status_code == 303
    assert rep_client.get(f"/leads/{aparna.id}").status_code == 200


def test_only_the_owner_or_an_admin_restores(app, client, aparna, admin):
    from tests.conftest import login
    from tests.factories import make_user

    stored(app, make_user, email="other@example.com")
    with app.app_context():
        db.session.get(Lead, aparna.id).deleted_at = sa.func.now()
        db.session.commit()
    login(client, "other@example.com", "correct horse battery")
    assert post(client, f"/leads/{aparna.id}/restore", {}).status_code == 403
    assert "Aparna" not in client.get("/leads/recycle-bin").get_data(as_text=True)


def test_leads_need_sign_in(client):
    for path in ("/leads", "/leads/new", "/leads/1", "/leads/recycle-bin"):
        assert client.get(path).status_code == 302


def test_a_lead_records_its_campaign(app, rep_client):
    from crm.models import Campaign

    with app.app_context():
        db.session.add_all([Campaign(name="Cloud Nine Expo", type="Trade Show"),
                            Campaign(name="Old webinar", active=False)])
        db.session.commit()
        expo = db.session.scalar(sa.select(Campaign.id).where(Campaign.name == "Cloud Nine Expo"))
        old = db.session.scalar(sa.select(Campaign.id).where(Campaign.name == "Old webinar"))
    form = rep_client.get("/leads/new").get_data(as_text=True)
    assert "Cloud Nine Expo" in form and "Old webinar" not in form  # retired campaigns are not offered
    response = post(rep_client, "/leads/new", {**APARNA, "campaign_id": str(expo)})
    assert response.status_code == 303
    lead = leads_in_db(app)[0]
    assert lead.campaign_id == expo
    assert "Cloud Nine Expo" in rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    refused = post(rep_client, f"/leads/{lead.id}/edit", {**APARNA, "campaign_id": str(old)})
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    cleared = post(rep_client, f"/leads/{lead.id}/edit", {**APARNA, "campaign_id": ""})
    assert cleared.status_code == 303 and leads_in_db(app)[0].campaign_id is None


def contact_like_aparna(app, rep, **overrides):
    """A contact with Aparna's email at another account: (contact id, account name)."""
    from tests.factories import make_account, make_contact

    with app.app_context():
        account = make_account(rep, name="Cloudy & Sons")
        contact = make_contact(account, rep, **({"first_name": "Aparna", "last_name": "Bosu-Ray",
                                                 "email": APARNA["email"]} | overrides))
        return contact.id, account.name


def warning_item(body, href):
    """The <li> of the duplicate warning that links to `href`."""
    import re

    items = re.findall(r"<li>.*?</li>", body, flags=re.S)
    found = [item for item in items if f'href="{href}"' in item]
    assert len(found) == 1, body
    return found[0]


@pytest.mark.parametrize("htmx", [True, False], ids=["fragment", "page"])
def test_duplicate_warning_lists_contacts_too(app, rep_client, rep, aparna, htmx):
    contact_id, _ = contact_like_aparna(app, rep)
    headers = {"HX-Request": "true"} if htmx else {}
    response = post(rep_client, "/leads/new", {**APARNA, "email": "APARNA@gogetcloudywest.com"}, headers=headers)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert ("<html" in body) is not htmx
    assert "This lead looks like one already stored" in body and "Save anyway" in body
    lead_item = warning_item(body, f"/leads/{aparna.id}")
    assert "Same email" in lead_item and "Get Cloudy West" in lead_item
    contact_item = warning_item(body, f"/contacts/{contact_id}")
    # The contact shows its own name, its account (escaped) and why it matched: the email only.
    assert "Aparna Bosu-Ray" in contact_item and "Cloudy &amp; Sons" in contact_item
    assert "Same email" in contact_item and "Same phone" not in contact_item
    assert body.index(f'href="/leads/{aparna.id}"') < body.index(f'href="/contacts/{contact_id}"')
    assert len(leads_in_db(app)) == 1
    # Nothing is blocked: confirming saves the lead anyway.
    again = post(rep_client, "/leads/new", {**APARNA, "confirm_duplicate": "1"}, headers=headers)
    assert again.status_code == (204 if htmx else 303) and len(leads_in_db(app)) == 2


def test_a_matching_contact_alone_brings_the_warning(app, rep_client, rep):
    contact_id, _ = contact_like_aparna(app, rep)
    response = post(rep_client, "/leads/new", APARNA, headers={"HX-Request": "true"})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="lead-form"') and 'href="/leads/' not in body
    assert "Same email" in warning_item(body, f"/contacts/{contact_id}")
    assert leads_in_db(app) == []
    assert post(rep_client, "/leads/new", {**APARNA, "confirm_duplicate": "1"}).status_code == 303
    assert len(leads_in_db(app)) == 1


def test_duplicate_warning_reasons_are_translated(app, rep_client, rep):
    contact_id, _ = contact_like_aparna(app, rep)
    with app.app_context():
        from crm.models import User

        db.session.get(User, rep.id).locale = "fr"
        db.session.commit()
    body = post(rep_client, "/leads/new", APARNA, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Même e-mail" in warning_item(body, f"/contacts/{contact_id}")


def test_campaign_and_creation_date_filters_from_reports(app, rep_client, rep):
    from datetime import datetime

    from crm.extensions import db
    from crm.models import Campaign, Lead

    with app.app_context():
        expo = Campaign(name="Spring Expo")
        db.session.add(expo)
        db.session.commit()
        expo_id = expo.id
    old = stored(app, make_lead, actor=rep, last_name="Oldexpo", campaign_id=expo_id)
    stored(app, make_lead, actor=rep, last_name="Newexpo", campaign_id=expo_id)
    stored(app, make_lead, actor=rep, last_name="Nocampaign")
    with app.app_context():
        db.session.get(Lead, old.id).created_at = datetime(2025, 12, 31, 23, 59)
        db.session.commit()
    today = datetime.now().date().isoformat()

    def names(query, **kwargs):
        html = rep_client.get("/leads?view=all&" + query, **kwargs).get_data(as_text=True)
        return {n for n in ("Oldexpo", "Newexpo", "Nocampaign") if n in html}, html

    found, html = names(f"campaign={expo_id}")
    assert found == {"Oldexpo", "Newexpo"}
    assert "Campaign: Spring Expo" in html and "Remove this filter" in html
    assert f'name="campaign" value="{expo_id}"' in html  # kept by the search form
    found, _ = names(f"campaign={expo_id}&created_from=2026-01-01&created_to={today}")
    assert found == {"Newexpo"}
    found, _ = names("created_to=2025-12-31")
    assert found == {"Oldexpo"}  # the end day counts whole
    found, html = names(f"campaign={expo_id}&created_from=2026-01-01", headers={"HX-Request": "true"})
    assert found == {"Newexpo"} and "<html" not in html and "Created from 2026-01-01 to …" in html
    # Unreadable values are no filter (never a 500).
    found, html = names("campaign=abc&created_from=2026-13-45&created_to=yesterday")
    assert found == {"Oldexpo", "Newexpo", "Nocampaign"} and "Remove this filter" not in html
