"""Campaigns: the services' rules, then the admin pages over HTTP."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from crm.admin import campaigns_services as services
from crm.admin.campaigns_forms import STATUS_LABELS, TYPE_LABELS
from crm.extensions import db
from crm.leads import services as lead_services
from crm.models import CAMPAIGN_STATUSES, CAMPAIGN_TYPES, Campaign
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_lead, make_user

HX = {"HX-Request": "true"}


def make_campaign(**overrides) -> Campaign:
    campaign = services.create_campaign(**({"name": "Spring Expo", "type": "Trade Show"} | overrides))
    db.session.commit()
    return campaign


def campaign_named(name: str) -> Campaign | None:
    return db.session.scalar(sa.select(Campaign).where(Campaign.name == name))


def form_data(client, path: str = "/admin/campaigns/new", **fields) -> dict:
    return {"csrf_token": csrf_token(client, path), "name": "Spring Expo", "type": "Trade Show",
            "status": "Planned", "start_date": "2026-05-01", "end_date": "2026-05-03", "active": "y"} | fields


@pytest.fixture
def manager_client(client, app):
    manager = stored(app, make_user, email="manager@example.com", name="Mia Manager", role="manager")
    assert login(client, manager.email, PASSWORD).status_code == 303
    return client


# Services

def test_every_shipped_type_and_status_has_a_translatable_label():
    assert set(TYPE_LABELS) == set(CAMPAIGN_TYPES)
    assert set(STATUS_LABELS) == set(CAMPAIGN_STATUSES)


def test_create_and_update_a_campaign(app_ctx):
    campaign = services.create_campaign(name="  Spring Expo ", type="Trade Show", status="Planned",
                                        start_date=date(2026, 5, 1), end_date=date(2026, 5, 3))
    db.session.commit()
    assert campaign.name == "Spring Expo" and campaign.active
    services.update_campaign(campaign, name="Spring Expo 2026", type=None, status="In Progress",
                             start_date=date(2026, 5, 1), end_date=date(2026, 5, 1), active=False)
    db.session.commit()
    stored_campaign = campaign_named("Spring Expo 2026")
    assert (stored_campaign.type, stored_campaign.status, stored_campaign.active) == (None, "In Progress", False)


def test_names_are_unique_whatever_the_case(app_ctx):
    campaign = make_campaign(name="Spring Expo")
    other = make_campaign(name="Webinar")
    with pytest.raises(services.NameTaken):
        services.create_campaign(name=" SPRING expo ")
    with pytest.raises(services.NameTaken):
        services.update_campaign(other, name="spring expo", type=None, status="Planned", start_date=None,
                                 end_date=None, active=True)
    db.session.rollback()
    # Its own name, in another case, is fine.
    services.update_campaign(campaign, name="SPRING EXPO", type=None, status="Planned", start_date=None,
                             end_date=None, active=True)
    assert campaign.name == "SPRING EXPO"


def test_the_end_date_is_not_before_the_start(app_ctx):
    with pytest.raises(services.DatesOutOfOrder):
        services.create_campaign(name="Backwards", start_date=date(2026, 5, 3), end_date=date(2026, 5, 1))
    campaign = make_campaign(name="Open ended", start_date=date(2026, 5, 3))
    with pytest.raises(services.DatesOutOfOrder):
        services.update_campaign(campaign, name="Open ended", type=None, status="Planned",
                                 start_date=date(2026, 5, 3), end_date=date(2026, 5, 2), active=True)


def test_unknown_types_and_statuses_are_refused(app_ctx):
    with pytest.raises(ValueError, match="type"):
        services.create_campaign(name="X", type="Carrier pigeon")
    with pytest.raises(ValueError, match="status"):
        services.create_campaign(name="X", status="Forgotten")


def test_lead_counts_per_campaign_include_the_recycle_bin(app_ctx):
    expo, webinar, unused = make_campaign(name="Expo"), make_campaign(name="Webinar"), make_campaign(name="Unused")
    make_lead(campaign_id=expo.id)
    make_lead(campaign_id=expo.id)
    binned = make_lead(campaign_id=webinar.id)
    make_lead()  # no campaign
    lead_services.delete_lead(binned, actor=make_user())
    db.session.commit()
    assert services.campaign_lead_counts() == {expo.id: 2, webinar.id: 1}
    assert unused.id not in services.campaign_lead_counts()


def test_deactivated_campaigns_are_no_longer_offered_but_stay_on_their_leads(app_ctx):
    campaign = make_campaign(name="Expo")
    lead = make_lead(campaign_id=campaign.id)
    services.set_active(campaign, False)
    db.session.commit()
    assert campaign not in lead_services.campaign_choices()
    assert campaign in lead_services.campaign_choices(lead.campaign_id)
    assert [c.name for c in services.campaigns()] == ["Expo"]
    services.set_active(campaign, True)
    assert campaign in lead_services.campaign_choices()


def test_the_list_puts_active_campaigns_first_then_sorts_by_name(app_ctx):
    make_campaign(name="Zeta")
    make_campaign(name="Alpha", active=False)
    make_campaign(name="Beta")
    assert [c.name for c in services.campaigns()] == ["Beta", "Zeta", "Alpha"]


# HTTP: access

@pytest.mark.parametrize("path", ["/admin/campaigns", "/admin/campaigns/new"])
def test_reps_get_403(rep_client, path):
    assert rep_client.get(path).status_code == 403


def test_reps_cannot_post_either(app, rep_client):
    with app.app_context():
        campaign_id = make_campaign().id
    token = csrf_token(rep_client, "/")
    assert rep_client.post("/admin/campaigns/new", data={"csrf_token": token, "name": "X",
                                                        "status": "Planned"}).status_code == 403
    assert rep_client.post(f"/admin/campaigns/{campaign_id}/edit", data={"csrf_token": token}).status_code == 403
    assert rep_client.post(f"/admin/campaigns/{campaign_id}/active",
                           data={"csrf_token": token, "active": "0"}).status_code == 403
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).active


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/campaigns")
    assert response.status_code in (302, 303) and "/login" in response.location


def test_managers_manage_campaigns(app, manager_client):
    assert manager_client.get("/admin/campaigns").status_code == 200
    response = manager_client.post("/admin/campaigns/new", data=form_data(manager_client, name="Managed"))
    assert response.status_code == 303
    with app.app_context():
        assert campaign_named("Managed") is not None


# HTTP: the list

def test_the_list_page_and_its_fragment(app, admin_client):
    with app.app_context():
        expo = make_campaign(name="Expo", type="Webinar", status="In Progress", start_date=date(2026, 5, 1),
                             end_date=date(2026, 5, 3))
        make_campaign(name="Old mailing", type="Direct Mail", active=False)
        make_lead(campaign_id=expo.id)
        make_lead(campaign_id=expo.id)
        expo_id = expo.id
    page = admin_client.get("/admin/campaigns")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Campaigns</h1>" in html
    assert 'href="/admin/campaigns" aria-current="page">Campaigns</a>' in html  # the admin sub-navigation
    row = re.search(rf'<tr id="campaign-{expo_id}".*?</tr>', html, re.S).group(0)
    assert "Expo" in row and "Webinar" in row and "In Progress" in row
    assert '<td data-label="Leads">2</td>' in row
    assert 'datetime="2026-05-01"' in row and 'datetime="2026-05-03"' in row
    assert "Deactivate" in row
    old = re.search(r'<tr id="campaign-\d+" class="inactive".*?</tr>', html, re.S).group(0)
    assert "Old mailing" in old and '<td data-label="Leads">0</td>' in old and "Reactivate" in old
    assert html.index("Expo") < html.index("Old mailing")

    fragment = admin_client.get("/admin/campaigns", headers=HX)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="campaign-list"')
    assert "<html" not in body and "Expo" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_list_counts_leads_in_one_query(app, admin_client):
    """The number of statements does not grow with the number of campaigns."""
    def statements_for_the_list() -> int:
        seen = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert admin_client.get("/admin/campaigns").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        assert sum("GROUP BY leads.campaign_id" in s for s in seen) == 1
        return len(seen)

    with app.app_context():
        make_lead(campaign_id=make_campaign(name="One").id)
    few = statements_for_the_list()
    with app.app_context():
        for n in range(4):
            make_lead(campaign_id=make_campaign(name=f"More {n}").id)
    assert statements_for_the_list() == few


def test_an_empty_list_says_so(admin_client):
    assert "No campaigns yet." in admin_client.get("/admin/campaigns").get_data(as_text=True)


# HTTP: add and edit

def test_the_add_form_offers_translated_types_and_statuses(admin_client):
    response = admin_client.get("/admin/campaigns/new", headers={"Accept-Language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<form id="campaign-form"' in html
    for value in CAMPAIGN_TYPES + CAMPAIGN_STATUSES:
        assert f'value="{value}"' in html
    assert re.search(r'<input[^>]*checked[^>]*id="active"', html)  # a new campaign is active
    fragment = admin_client.get("/admin/campaigns/new", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<form id="campaign-form"') and "<html" not in fragment


def test_add_a_campaign(app, admin_client):
    response = admin_client.post("/admin/campaigns/new", data=form_data(admin_client))
    assert response.status_code == 303
    assert response.location.endswith("/admin/campaigns")
    with app.app_context():
        campaign = campaign_named("Spring Expo")
        assert (campaign.type, campaign.status, campaign.start_date, campaign.end_date, campaign.active) == (
            "Trade Show", "Planned", date(2026, 5, 1), date(2026, 5, 3), True)
    assert "Campaign Spring Expo saved." in admin_client.get("/admin/campaigns").get_data(as_text=True)


def test_add_with_htmx_answers_with_a_full_page_redirect(app, admin_client):
    data = form_data(admin_client, name="Quiet", type="", start_date="", end_date="")
    del data["active"]
    response = admin_client.post("/admin/campaigns/new", data=data, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith("/admin/campaigns")
    with app.app_context():
        campaign = campaign_named("Quiet")
        assert (campaign.type, campaign.start_date, campaign.end_date, campaign.active) == (None, None, None, False)


@pytest.mark.parametrize(("fields", "field_id", "message"), [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "x" * 81}, "name", "Field cannot be longer than 80 characters."),
    ({"name": "  spring EXPO "}, "name", "A campaign with this name already exists."),
    ({"start_date": "2026-05-03", "end_date": "2026-05-01"}, "end_date",
     "The end date cannot be before the start date."),
    ({"end_date": "not a date"}, "end_date", "Enter a valid date."),
    ({"type": "Carrier pigeon"}, "type", "Not a valid choice."),
    ({"status": "Forgotten"}, "status", "Not a valid choice."),
])
def test_invalid_input_comes_back_with_the_message_beside_the_field(app, admin_client, fields, field_id, message):
    with app.app_context():
        make_campaign(name="Spring Expo")
    fields = {"name": "Another"} | fields
    data = form_data(admin_client, **fields)
    response = admin_client.post("/admin/campaigns/new", data=data, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<form id="campaign-form"')  # swapped in place
    assert re.search(rf'<p class="field-error" id="{field_id}-error">[^<]*{re.escape(message)}', html)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Campaign)) == 1

    # Without JavaScript: the whole page, with the same message and the typed values kept.
    page = admin_client.post("/admin/campaigns/new", data=form_data(admin_client, **fields))
    assert page.status_code == 422
    page_html = page.get_data(as_text=True)
    assert "<h1>Add a campaign</h1>" in page_html and message in page_html.replace("&#39;", "'")
    assert f'name="name" required type="text" value="{fields["name"].strip()}"' in page_html


def test_edit_a_campaign(app, admin_client):
    with app.app_context():
        campaign_id = make_campaign(name="Spring Expo", start_date=date(2026, 5, 1)).id
        make_campaign(name="Webinar")
    path = f"/admin/campaigns/{campaign_id}/edit"
    page = admin_client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Edit Spring Expo</h1>" in html and 'value="2026-05-01"' in html

    taken = admin_client.post(path, data=form_data(admin_client, path, name="WEBINAR"), headers=HX)
    assert taken.status_code == 422
    assert "A campaign with this name already exists." in taken.get_data(as_text=True)
    backwards = admin_client.post(path, data=form_data(admin_client, path, end_date="2026-04-30"))
    assert backwards.status_code == 422
    assert "The end date cannot be before the start date." in backwards.get_data(as_text=True)

    saved = admin_client.post(path, data=form_data(admin_client, path, name="spring expo", status="Completed"))
    assert saved.status_code == 303
    with app.app_context():
        campaign = db.session.get(Campaign, campaign_id)
        assert (campaign.name, campaign.status) == ("spring expo", "Completed")


def test_editing_a_missing_campaign_is_404(admin_client):
    assert admin_client.get("/admin/campaigns/999/edit").status_code == 404


# HTTP: deactivate and reactivate

def test_deactivate_and_reactivate_with_htmx_swaps_the_row(app, admin_client):
    with app.app_context():
        campaign = make_campaign(name="Expo")
        make_lead(campaign_id=campaign.id)
        campaign_id = campaign.id
    path = f"/admin/campaigns/{campaign_id}/active"
    token = csrf_token(admin_client, "/admin/campaigns")
    response = admin_client.post(path, data={"csrf_token": token, "active": "0"}, headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="campaign-{campaign_id}" class="inactive"')
    assert "Reactivate" in html and '<td data-label="Leads">1</td>' in html
    assert 'hx-swap-oob="true"' in html and "Expo is no longer offered on lead forms" in html
    with app.app_context():
        assert not db.session.get(Campaign, campaign_id).active
        assert db.session.get(Campaign, campaign_id) not in lead_services.campaign_choices()

    response = admin_client.post(path, data={"csrf_token": token, "active": "1"}, headers=HX)
    assert "Deactivate" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).active


def test_deactivate_without_javascript_redirects_to_the_list(app, admin_client):
    with app.app_context():
        campaign_id = make_campaign(name="Expo").id
    token = csrf_token(admin_client, "/admin/campaigns")
    response = admin_client.post(f"/admin/campaigns/{campaign_id}/active", data={"csrf_token": token, "active": "0"})
    assert response.status_code == 303 and response.location.endswith("/admin/campaigns")
    assert "Expo is no longer offered on lead forms" in admin_client.get("/admin/campaigns").get_data(as_text=True)


def test_posts_need_the_csrf_token(app, admin_client):
    with app.app_context():
        campaign_id = make_campaign(name="Expo").id
    response = admin_client.post(f"/admin/campaigns/{campaign_id}/active", data={"active": "0"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Campaign, campaign_id).active
