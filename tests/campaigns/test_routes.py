"""Campaign pages over HTTP: list, record page, members added, changed and removed; permissions.

Permissions: every signed-in user sees campaigns, adds members and changes their status; only
admins and managers remove a member (403 for a rep).
"""

import re

import pytest
import sqlalchemy as sa

from crm.admin import campaigns_services
from crm.campaigns import services
from crm.extensions import db
from crm.models import CampaignMember
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_contact, make_lead, make_user

HX = {"HX-Request": "true"}


def make_campaign(name="Spring Expo", **fields):
    campaign = campaigns_services.create_campaign(name=name, **fields)
    db.session.commit()
    db.session.refresh(campaign)
    return campaign


def member_rows(app, campaign_id) -> list[tuple]:
    with app.app_context():
        return [tuple(row) for row in db.session.execute(
            sa.select(CampaignMember.lead_id, CampaignMember.contact_id, CampaignMember.status)
            .where(CampaignMember.campaign_id == campaign_id).order_by(CampaignMember.id))]


@pytest.fixture
def campaign(app):
    return stored(app, make_campaign, type="Webinar")


@pytest.fixture
def lead(app):
    return stored(app, make_lead, first_name="Grace", last_name="Hopper", company="Navy Labs")


def add_membership(app, campaign, **kwargs) -> int:
    with app.app_context():
        from crm.models import Campaign

        member = services.add_member(db.session.get(Campaign, campaign.id), **kwargs)
        db.session.commit()
        return member.id


def attach(app, campaign, lead, status="Sent") -> int:
    with app.app_context():
        from crm.models import Campaign, Lead

        member = services.add_member(db.session.get(Campaign, campaign.id), lead=db.session.get(Lead, lead.id),
                                     status=status)
        db.session.commit()
        return member.id


# Access

@pytest.mark.parametrize("path", ["/campaigns", "/campaigns/1", "/campaigns/1/lookup?member_q=x"])
def test_signed_out_users_are_sent_to_sign_in(client, campaign, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_campaign_is_404(rep_client):
    assert rep_client.get("/campaigns/999").status_code == 404


def test_the_nav_links_to_campaigns(rep_client):
    html = rep_client.get("/campaigns").get_data(as_text=True)
    assert 'href="/campaigns" aria-current="page">Campaigns</a>' in html


# The list

def test_list_shows_campaigns_with_member_counts(app, rep_client, campaign, lead):
    attach(app, campaign, lead)
    stored(app, make_campaign, name="Empty Fair")
    page = rep_client.get("/campaigns")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert f'href="/campaigns/{campaign.id}">Spring Expo</a>' in html
    assert re.search(r'data-label="Members">1</td>', html)
    assert re.search(r'data-label="Members">0</td>', html)
    fragment = rep_client.get("/campaigns", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True) and 'id="campaign-list"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_admin_list_links_to_the_record_page(app, admin_client, campaign):
    html = admin_client.get("/admin/campaigns").get_data(as_text=True)
    assert f'href="/campaigns/{campaign.id}">Spring Expo</a>' in html


# The record page

def test_record_page_shows_figures_and_members(app, rep_client, campaign, lead):
    attach(app, campaign, lead, status="Sent")
    contact = stored(app, make_contact, first_name="Ada", last_name="Lovelace")
    add_membership(app, campaign, contact=contact)
    page = rep_client.get(f"/campaigns/{campaign.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert '<dd data-figure="members">2</dd>' in html and '<dd data-figure="responded">1</dd>' in html
    assert f'href="/leads/{lead.id}">Grace Hopper</a>' in html
    assert f'href="/contacts/{contact.id}">Ada Lovelace</a>' in html
    assert '<option value="Sent" selected>Sent</option>' in html
    # A rep does not get the remove button.
    assert "Remove" not in html


def test_members_are_paged_and_the_page_fragment_is_the_list(app, rep_client, campaign):
    with app.app_context():
        from crm.models import Campaign

        stored_campaign = db.session.get(Campaign, campaign.id)
        leads = [make_lead(last_name=f"Member {n:02d}") for n in range(51)]
        for lead in leads:
            services.add_member(stored_campaign, lead=lead)
        db.session.commit()
    first = rep_client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert first.count('class="member-status') == 50
    assert f'href="/campaigns/{campaign.id}?page=2"' in first
    second = rep_client.get(f"/campaigns/{campaign.id}?page=2", headers=HX)
    html = second.get_data(as_text=True)
    assert "<html" not in html
    assert 'id="member-list"' in html and html.count('class="member-status') == 1
    assert "Member 00" in html  # the oldest comes last


def test_lookup_offers_leads_and_contacts(app, rep_client, campaign, lead):
    stored(app, make_contact, first_name="Grace", last_name="Kelly")
    response = rep_client.get(f"/campaigns/{campaign.id}/lookup?member_q=grace", headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="member-results"' in html
    assert f'value="lead:{lead.id}"' in html and "Grace Kelly" in html
    # Without JavaScript the record page itself shows the matches.
    page = rep_client.get(f"/campaigns/{campaign.id}?member_q=hopper").get_data(as_text=True)
    assert "<html" in page and f'value="lead:{lead.id}"' in page


# Adding members

def test_add_a_lead_plain_post_redirects(app, rep_client, campaign, lead):
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members", data={
        "csrf_token": token, "add-member": f"lead:{lead.id}", "add-status": "Sent"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/campaigns/{campaign.id}#members-title")
    assert member_rows(app, campaign.id) == [(lead.id, None, "Sent")]


def test_add_a_contact_with_htmx_answers_the_section_and_figures(app, rep_client, campaign):
    contact = stored(app, make_contact, first_name="Ada", last_name="Lovelace")
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members", headers=HX, data={
        "csrf_token": token, "add-member": f"contact:{contact.id}", "add-status": "Responded"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="campaign-members"' in html and f'href="/contacts/{contact.id}">Ada Lovelace</a>' in html
    assert re.search(r'<section id="campaign-figures"[^>]*hx-swap-oob="true"', html)
    assert '<dd data-figure="members">1</dd>' in html
    assert "Ada Lovelace added to the campaign." in html
    assert member_rows(app, campaign.id) == [(None, contact.id, "Responded")]


@pytest.mark.parametrize(("member", "status", "message"), [
    ("", "Sent", "Find a lead or contact, then pick one."),
    ("lead:abc", "Sent", "Find a lead or contact, then pick one."),
    ("lead:99999", "Sent", "does not exist"),
    ("{lead}", "Bounced", "Not a valid choice"),
])
def test_bad_input_is_refused_with_422_and_nothing_stored(app, rep_client, campaign, lead, member, status, message):
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    for headers in ({}, HX):
        response = rep_client.post(f"/campaigns/{campaign.id}/members", headers=headers, data={
            "csrf_token": token, "add-member": member.format(lead=f"lead:{lead.id}"), "add-status": status})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
        assert ("<html" in response.get_data(as_text=True)) == (not headers)
    assert member_rows(app, campaign.id) == []


def test_a_member_twice_is_refused(app, rep_client, campaign, lead):
    attach(app, campaign, lead)
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members", headers=HX, data={
        "csrf_token": token, "add-member": f"lead:{lead.id}", "add-status": "Responded"})
    assert response.status_code == 422
    assert "Grace Hopper is already a member of this campaign." in response.get_data(as_text=True)
    assert f'value="lead:{lead.id}" checked' in response.get_data(as_text=True)  # the pick stays on offer
    assert member_rows(app, campaign.id) == [(lead.id, None, "Sent")]


def test_post_without_csrf_is_400_and_stores_nothing(app, rep_client, campaign, lead):
    response = rep_client.post(f"/campaigns/{campaign.id}/members", data={"add-member": f"lead:{lead.id}"})
    assert response.status_code == 400
    assert member_rows(app, campaign.id) == []


# Status

def test_change_status_with_htmx_answers_the_row_and_figures(app, rep_client, campaign, lead):
    member_id = attach(app, campaign, lead, status="Sent")
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members/{member_id}/status", headers=HX,
                               data={"csrf_token": token, f"m{member_id}-status": "Responded"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith(f'<tr id="member-{member_id}"')
    assert '<option value="Responded" selected>Responded</option>' in html
    assert 'hx-swap-oob="true"' in html and '<dd data-figure="responded">1</dd>' in html
    assert member_rows(app, campaign.id) == [(lead.id, None, "Responded")]


def test_change_status_plain_post_redirects(app, rep_client, campaign, lead):
    member_id = attach(app, campaign, lead, status="Responded")
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members/{member_id}/status",
                               data={"csrf_token": token, f"m{member_id}-status": "Sent"})
    assert response.status_code == 303
    assert member_rows(app, campaign.id) == [(lead.id, None, "Sent")]


def test_unknown_status_is_422_and_unchanged(app, rep_client, campaign, lead):
    member_id = attach(app, campaign, lead, status="Sent")
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    for headers in ({}, HX):
        response = rep_client.post(f"/campaigns/{campaign.id}/members/{member_id}/status", headers=headers,
                                   data={"csrf_token": token, f"m{member_id}-status": "Bounced"})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "Not a valid choice" in html
        assert f'aria-describedby="member-{member_id}-error"' in html
    assert member_rows(app, campaign.id) == [(lead.id, None, "Sent")]


def test_a_member_of_another_campaign_is_404(app, rep_client, campaign, lead):
    other = stored(app, make_campaign, name="Other")
    member_id = attach(app, other, lead)
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members/{member_id}/status",
                               data={"csrf_token": token, f"m{member_id}-status": "Responded"})
    assert response.status_code == 404
    assert member_rows(app, other.id) == [(lead.id, None, "Sent")]


# Removing

def test_a_rep_may_not_remove_a_member(app, rep_client, campaign, lead):
    member_id = attach(app, campaign, lead)
    token = csrf_token(rep_client, f"/campaigns/{campaign.id}")
    response = rep_client.post(f"/campaigns/{campaign.id}/members/{member_id}/delete", data={"csrf_token": token})
    assert response.status_code == 403
    assert member_rows(app, campaign.id) == [(lead.id, None, "Sent")]


def test_a_manager_removes_a_member_with_htmx(app, client, campaign, lead):
    manager = stored(app, make_user, email="manager@example.com", role="manager")
    assert login(client, manager.email, PASSWORD).status_code == 303
    member_id = attach(app, campaign, lead)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "Remove Grace Hopper from the campaign?" in page
    token = csrf_token(client, f"/campaigns/{campaign.id}")
    response = client.post(f"/campaigns/{campaign.id}/members/{member_id}/delete", headers=HX,
                           data={"csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<tr" not in html
    assert '<dd data-figure="members">0</dd>' in html and "Grace Hopper removed from the campaign." in html
    assert member_rows(app, campaign.id) == []


def test_an_admin_removes_a_member_without_javascript(app, admin_client, campaign, lead):
    member_id = attach(app, campaign, lead)
    token = csrf_token(admin_client, f"/campaigns/{campaign.id}")
    response = admin_client.post(f"/campaigns/{campaign.id}/members/{member_id}/delete", data={"csrf_token": token})
    assert response.status_code == 303
    assert member_rows(app, campaign.id) == []


# History on the lead and contact pages, and the lead form hook

def test_lead_page_shows_its_campaign_history(app, rep_client, campaign, lead):
    attach(app, campaign, lead, status="Sent")
    html = rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    section = html[html.index('id="campaign-history-title"'):]
    assert f'href="/campaigns/{campaign.id}">Spring Expo</a>' in section
    assert '<span class="badge">Sent</span>' in section


def test_contact_page_shows_its_campaign_history(app, rep_client, campaign):
    contact = stored(app, make_contact)
    add_membership(app, campaign, contact=contact)
    html = rep_client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    section = html[html.index('id="campaign-history-title"'):]
    assert f'href="/campaigns/{campaign.id}">Spring Expo</a>' in section and "Responded" in section
    empty = rep_client.get(f"/contacts/{stored(app, make_contact).id}").get_data(as_text=True)
    assert "Not a member of any campaign yet." in empty


def test_creating_a_lead_with_a_campaign_on_the_form_makes_it_a_member(app, rep_client, campaign):
    token = csrf_token(rep_client, "/leads/new")
    response = rep_client.post("/leads/new", data={
        "csrf_token": token, "last_name": "Turing", "company": "Bletchley", "campaign_id": str(campaign.id)})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    rows = member_rows(app, campaign.id)
    assert len(rows) == 1 and rows[0][2] == "Responded"
