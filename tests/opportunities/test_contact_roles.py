"""Contact roles on the opportunity page: find a contact of any account, add, change, remove;
at most one primary; the roles also show on each contact's page."""

import re

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import OpportunityContactRole, User
from tests.conftest import csrf_token
from tests.factories import make_account, make_contact, make_opportunity

HX = {"HX-Request": "true"}


@pytest.fixture
def people(app, rep):
    """A deal at Get Cloudy, Leung Chan there, and Lars MacMillan at Get Cloudy Canada."""
    with app.app_context():
        user = db.session.get(User, rep.id)
        cloudy = make_account(user, name="Get Cloudy")
        canada = make_account(user, name="Get Cloudy Canada")
        leung = make_contact(cloudy, user, first_name="Leung", last_name="Chan")
        lars = make_contact(canada, user, first_name="Lars", last_name="MacMillan")
        deal = make_opportunity(account=cloudy, actor=user, name="Get Cloudy - 50 Custom Sneakers")
        return {"deal": deal.id, "leung": leung.id, "lars": lars.id}


def roles(app, deal_id):
    with app.app_context():
        return [(r.contact_id, r.role, r.is_primary) for r in db.session.scalars(
            sa.select(OpportunityContactRole).where(OpportunityContactRole.opportunity_id == deal_id)
            .order_by(OpportunityContactRole.id))]


def post(client, path, data, headers=None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers or {})


def add(client, people, contact, role="Influencer", primary=False, headers=HX):
    data = {"add-contact_id": people[contact], "add-role": role}
    if primary:
        data["add-is_primary"] = "y"
    return post(client, f"/opportunities/{people['deal']}/contact-roles", data, headers)


def test_the_typeahead_finds_contacts_of_any_account(rep_client, people):
    response = rep_client.get(f"/opportunities/{people['deal']}/contact-roles/lookup?contact_q=macmil", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f'name="add-contact_id" value="{people["lars"]}"' in html and "Get Cloudy Canada" in html
    assert "Leung" not in html
    nothing = rep_client.get(f"/opportunities/{people['deal']}/contact-roles/lookup?contact_q=zzz", headers=HX)
    assert "No contact matches" in nothing.get_data(as_text=True)
    # Without JavaScript the search reloads the record page with the matches in the add form.
    page = rep_client.get(f"/opportunities/{people['deal']}?contact_q=lars").get_data(as_text=True)
    assert "<html" in page and f'name="add-contact_id" value="{people["lars"]}"' in page


def test_add_a_contact_of_another_account_as_influencer(app, rep_client, people):
    response = add(rep_client, people, "lars")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Retarget"] == f"#opp-{people['deal']}-contact-roles"
    assert "Lars MacMillan" in html and "Influencer" in html and "Get Cloudy Canada" in html
    assert roles(app, people["deal"]) == [(people["lars"], "Influencer", False)]
    assert 'selected value="Influencer"' not in html  # the add form starts afresh
    # Without JavaScript: a redirect back to the page.
    response = add(rep_client, people, "leung", role="Decision Maker", primary=True, headers={})
    assert response.status_code == 303
    assert roles(app, people["deal"])[1] == (people["leung"], "Decision Maker", True)
    page = rep_client.get(f"/opportunities/{people['deal']}").get_data(as_text=True)
    section = page[page.index("Contact roles"):]
    # The primary one comes first, with its badge.
    assert section.index("Leung Chan") < section.index("Lars MacMillan") and "Primary" in section


def test_a_second_primary_or_the_same_contact_twice_is_refused(app, rep_client, people):
    add(rep_client, people, "leung", role="Decision Maker", primary=True)
    for headers in (HX, {}):
        response = add(rep_client, people, "lars", primary=True, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Leung Chan is already the primary contact. Unmark them first." in html
        assert ("<html" in html) == (headers == {})
    response = add(rep_client, people, "leung", role="Evaluator")
    assert response.status_code == 422 and "already has a role" in response.get_data(as_text=True)
    response = post(rep_client, f"/opportunities/{people['deal']}/contact-roles", {"add-role": "Other"}, HX)
    assert response.status_code == 422 and "Choose the contact." in response.get_data(as_text=True)
    response = add(rep_client, people, "lars", role="")
    assert response.status_code == 422 and "Choose a role." in response.get_data(as_text=True)
    assert roles(app, people["deal"]) == [(people["leung"], "Decision Maker", True)]


def test_change_a_role_in_place_and_a_second_primary_is_refused(app, rep_client, people):
    add(rep_client, people, "leung", role="Decision Maker", primary=True)
    add(rep_client, people, "lars")
    lars_role = next(r for r in _role_ids(app, people["deal"]) if r[1] == people["lars"])[0]
    form = rep_client.get(f"/opportunities/{people['deal']}/contact-roles/{lars_role}/edit", headers=HX)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and html.startswith(f'<li id="contact-role-{lars_role}"')
    assert f'name="cr{lars_role}-role"' in html and '<option selected value="Influencer">' in html
    page = rep_client.get(f"/opportunities/{people['deal']}/contact-roles/{lars_role}/edit").get_data(as_text=True)
    assert "<html" in page and f'name="cr{lars_role}-role"' in page
    url = f"/opportunities/{people['deal']}/contact-roles/{lars_role}"
    response = post(rep_client, url, {f"cr{lars_role}-role": "Economic Buyer", f"cr{lars_role}-is_primary": "y"}, HX)
    assert response.status_code == 422
    assert "Leung Chan is already the primary contact" in response.get_data(as_text=True)
    assert roles(app, people["deal"])[1] == (people["lars"], "Influencer", False)
    response = post(rep_client, url, {f"cr{lars_role}-role": "Economic Buyer"}, HX)
    assert response.status_code == 200 and "Economic Buyer" in response.get_data(as_text=True)
    assert roles(app, people["deal"])[1] == (people["lars"], "Economic Buyer", False)
    cancel = rep_client.get(url, headers=HX).get_data(as_text=True)
    assert cancel.startswith(f'<li id="contact-role-{lars_role}"') and "Change" in cancel


def test_remove_a_contact_role(app, rep_client, people):
    add(rep_client, people, "lars")
    role_id = _role_ids(app, people["deal"])[0][0]
    response = post(rep_client, f"/opportunities/{people['deal']}/contact-roles/{role_id}/delete", {}, HX)
    assert response.status_code == 200 and "No contact roles yet." in response.get_data(as_text=True)
    assert roles(app, people["deal"]) == []
    assert post(rep_client, f"/opportunities/{people['deal']}/contact-roles/{role_id}/delete", {}).status_code == 404


def test_a_role_of_another_opportunity_is_404(app, rep_client, rep, people):
    add(rep_client, people, "lars")
    role_id = _role_ids(app, people["deal"])[0][0]
    with app.app_context():
        other = make_opportunity(actor=db.session.get(User, rep.id)).id
    assert rep_client.get(f"/opportunities/{other}/contact-roles/{role_id}/edit").status_code == 404
    assert post(rep_client, f"/opportunities/{other}/contact-roles/{role_id}/delete", {}).status_code == 404
    assert len(roles(app, people["deal"])) == 1


def test_the_contact_page_lists_the_opportunities_with_stage_role_and_primary(app, rep_client, people):
    add(rep_client, people, "lars", role="Influencer", primary=True)
    html = rep_client.get(f"/contacts/{people['lars']}").get_data(as_text=True)
    section = html[html.index(">Opportunities<"):]
    assert f'href="/opportunities/{people["deal"]}"' in section
    assert "Get Cloudy - 50 Custom Sneakers" in section and "Influencer" in section and "Primary" in section
    assert re.search(r"Prospecting", section)


def _role_ids(app, deal_id):
    with app.app_context():
        return [(r.id, r.contact_id) for r in db.session.scalars(
            sa.select(OpportunityContactRole).where(OpportunityContactRole.opportunity_id == deal_id)
            .order_by(OpportunityContactRole.id))]
