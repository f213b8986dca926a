"""The web forms pages at /forms: who may see them, setting up a form, its embed code, and the
spam quarantine and pending queue (full pages and htmx fragments)."""

import html as html_lib
import re

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Lead, User
from crm.models.web_form import WebForm, WebFormSubmission
from crm.webforms import services
from crm.webforms.services import AVAILABLE_FIELDS
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_user
from tests.webforms.conftest import make_web_form, visitor_post

HX = {"HX-Request": "true"}


@pytest.fixture
def manager(app):
    return stored(app, make_user, email="manager@example.com", name="Mona Manager", role="manager")


@pytest.fixture
def manager_client(client, manager):
    assert login(client, manager.email, PASSWORD).status_code == 303
    return client


def settings_data(client, **overrides) -> dict:
    """What the browser posts from the settings form: every row's labels, ticked boxes only."""
    data = {"csrf_token": csrf_token(client, "/forms/new"), "name": "Contact us", "lead_source": "Web",
            "campaign_id": "", "return_url": "", "daily_cap": "500", "active": "y"}
    for name in AVAILABLE_FIELDS:
        english, french = services.default_labels(name)
        data[f"row_{name}-label_en"], data[f"row_{name}-label_fr"] = english, french
    return data | overrides


def checked(html: str, field_id: str) -> bool:
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
    return " checked" in tag


URLS = ["/forms", "/forms/new", "/forms/submissions?state=spam", "/forms/submissions?state=pending"]


@pytest.mark.parametrize("url", URLS)
def test_reps_may_not_manage_web_forms(rep_client, url):
    assert rep_client.get(url).status_code == 403


@pytest.mark.parametrize("url", URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("url", URLS)
def test_managers_and_admins_may(manager_client, url):
    assert manager_client.get(url).status_code == 200


def test_the_nav_links_to_web_forms_for_managers_only(app, manager_client):
    assert 'href="/forms"' in manager_client.get("/").get_data(as_text=True)
    rep_client = app.test_client()
    with app.app_context():
        rep = make_user(role="rep")
    login(rep_client, rep.email, PASSWORD)
    assert 'href="/forms"' not in rep_client.get("/").get_data(as_text=True)


def test_set_up_a_form(app, manager_client, manager):
    response = manager_client.post("/forms/new", data=settings_data(
        manager_client, **{"row_email-shown": "y", "row_email-required": "y", "row_email-label_fr": "Courriel",
                           "row_phone-shown": "y", "return_url": "https://example.com/thanks"}))
    assert response.status_code == 303
    with app.app_context():
        web_form = db.session.scalar(sa.select(WebForm))
        assert response.headers["Location"] == f"/forms/{web_form.id}"
        assert [f["name"] for f in web_form.fields] == ["last_name", "company", "email", "phone"]
        assert web_form.fields[2] == {"name": "email", "required": True, "label_en": "Email",
                                      "label_fr": "Courriel"}
        assert web_form.fields[0]["required"] and web_form.fields[1]["required"]
        assert (web_form.daily_cap, web_form.active, web_form.lead_source) == (500, True, "Web")
        assert web_form.created_by_id == manager.id and len(web_form.form_key) >= 20


def test_the_new_form_page_offers_a_cap_of_500_and_the_usual_fields(manager_client):
    html = manager_client.get("/forms/new").get_data(as_text=True)
    assert re.search(r'name="daily_cap"[^>]*value="500"', html)
    assert checked(html, "row_email-shown") and not checked(html, "row_email-required")
    assert not checked(html, "row_website-shown")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "/thanks", "ftp://example.com", "https://user:pw@example.com",
                                 "https://example.com/a b", "https://example.com/\"'><script>"])
def test_the_return_url_must_be_an_absolute_http_address(app, manager_client, url):
    response = manager_client.post("/forms/new", data=settings_data(manager_client, return_url=url))
    assert response.status_code == 422
    assert "Enter a full web address starting with http:// or https://." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebForm)) == 0


def test_invalid_settings_come_back_as_a_fragment_for_htmx(manager_client):
    response = manager_client.post("/forms/new", headers=HX, data=settings_data(manager_client, name="",
                                                                               daily_cap="0"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="web-form-form"' in html
    assert "Enter a name." in html and "Enter a number between 1 and 100,000." in html


def test_edit_a_form(app, manager_client, manager):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, manager.id))
        form_id = web_form.id
    page = manager_client.get(f"/forms/{form_id}/edit").get_data(as_text=True)
    assert 'value="Work email"' in page and checked(page, "row_email-required")
    response = manager_client.post(f"/forms/{form_id}/edit", data=settings_data(
        manager_client, name="Renamed", daily_cap="20", active="", **{"row_website-shown": "y"}))
    assert response.status_code == 303
    with app.app_context():
        web_form = db.session.get(WebForm, form_id)
        assert (web_form.name, web_form.daily_cap, web_form.active) == ("Renamed", 20, False)
        assert [f["name"] for f in web_form.fields] == ["last_name", "company", "website"]


def test_the_form_page_shows_the_embed_code_escaped(app, manager_client, manager):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, manager.id), name='<script>alert("x")</script>')
        form_id, key = web_form.id, web_form.form_key
    response = manager_client.get(f"/forms/{form_id}")
    html = response.get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    snippet = html_lib.unescape(re.search(r'<textarea id="snippet-plain"[^>]*>(.*?)</textarea>', html, re.S).group(1))
    # An absolute action: the snippet posts from the company's own site.
    assert f'action="http://localhost/w2l/{key}"' in snippet
    assert 'name="w2l_token"' in snippet and 'name="homepage"' in snippet and "<div hidden>" in snippet
    assert "<script" not in snippet.replace('&lt;script&gt;', '')
    assert 'for="w2l-email"' in snippet and "Work email *" in snippet
    iframe = html_lib.unescape(re.search(r'<textarea id="snippet-iframe"[^>]*>(.*?)</textarea>', html, re.S).group(1))
    assert iframe.startswith(f'<iframe src="http://localhost/w2l/{key}"')
    assert "js/webforms.js" in html and 'data-copy-target="snippet-plain"' in html
    french = manager_client.get(f"/forms/{form_id}?lang=fr").get_data(as_text=True)
    assert "E-mail professionnel *" in html_lib.unescape(french)


def test_the_list_page_and_its_fragment(app, manager_client, manager):
    with app.app_context():
        make_web_form(db.session.get(User, manager.id), name="Pricing page")
    page = manager_client.get("/forms").get_data(as_text=True)
    assert "<html" in page and "Pricing page" in page and "0 / 500" in page
    fragment = manager_client.get("/forms", headers=HX)
    assert "<html" not in fragment.get_data(as_text=True) and 'id="web-form-list"' in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


@pytest.fixture
def quarantined(app, manager):
    """A web form and a post that its honeypot caught (an HTML payload in it)."""
    with app.app_context():
        web_form = make_web_form(db.session.get(User, manager.id))
        db.session.expunge(web_form)
    visitor_post(app.test_client(), app, web_form, homepage="x", company="<img src=x onerror=alert(1)>")
    with app.app_context():
        return db.session.scalar(sa.select(WebFormSubmission.id))


def test_the_quarantine_lists_what_was_caught_escaped(manager_client, quarantined):
    html = manager_client.get("/forms/submissions?state=spam").get_data(as_text=True)
    assert "Hidden field filled in" in html and "Lima" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Nothing to review." in manager_client.get("/forms/submissions?state=pending").get_data(as_text=True)
    assert manager_client.get("/forms/submissions?state=lead").status_code == 404


def test_release_from_the_quarantine(app, manager_client, manager, quarantined):
    response = manager_client.post(f"/forms/submissions/{quarantined}/release",
                                   data={"csrf_token": csrf_token(manager_client, "/forms")})
    assert response.status_code == 303 and response.headers["Location"] == "/forms/submissions?state=spam"
    page = manager_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Lead Ana Lima created." in page and "Nothing to review." in page
    with app.app_context():
        lead = db.session.scalar(sa.select(Lead))
        assert lead.company == "<img src=x onerror=alert(1)>" and lead.owner_id == manager.id
        assert db.session.get(WebFormSubmission, quarantined).decided_by_id == manager.id
    # Twice: told, nothing more created.
    again = manager_client.post(f"/forms/submissions/{quarantined}/release",
                                data={"csrf_token": csrf_token(manager_client, "/forms")}, follow_redirects=True)
    assert "This submission was already handled." in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 1


def test_discard_with_htmx_answers_with_the_list(app, manager_client, quarantined):
    response = manager_client.post(f"/forms/submissions/{quarantined}/discard", headers=HX,
                                   data={"csrf_token": csrf_token(manager_client, "/forms")})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="submission-list"' in html and "Nothing to review." in html
    assert "Submission discarded." in html  # the flash, out of band
    with app.app_context():
        assert db.session.get(WebFormSubmission, quarantined).state == "discarded"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_release_needs_a_csrf_token(manager_client, quarantined):
    assert manager_client.post(f"/forms/submissions/{quarantined}/release").status_code == 400


def test_a_kept_post_that_no_longer_makes_a_valid_lead_is_not_released(app, manager_client, quarantined):
    with app.app_context():
        submission = db.session.get(WebFormSubmission, quarantined)
        submission.data = {**submission.data, "email": "not an email"}
        db.session.commit()
    page = manager_client.post(f"/forms/submissions/{quarantined}/release", follow_redirects=True,
                               data={"csrf_token": csrf_token(manager_client, "/forms")}).get_data(as_text=True)
    assert "cannot become a lead" in page
    with app.app_context():
        assert db.session.get(WebFormSubmission, quarantined).state == "spam"


def test_the_quarantine_fragment_for_htmx(manager_client, quarantined):
    response = manager_client.get("/forms/submissions?state=spam", headers=HX)
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'id="submission-list"' in html
    assert "HX-Request" in response.headers["Vary"]
