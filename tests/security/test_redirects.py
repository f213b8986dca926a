"""Open redirects: no return parameter, form field or header sends the browser to another site.
(The sign-in page's next= has its own tests in tests/auth.)"""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Lead, User
from crm.models.web_form import WebForm
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import make_lead
from tests.security.walk import build_records, rules, url_for_rule

HOSTILE_TARGETS = [
    "https://evil.example/", "http://evil.example", "//evil.example", "///evil.example", "/\\evil.example",
    "\\\\evil.example", "/\t/evil.example", "/%2F%2Fevil.example", "https:evil.example", "javascript:alert(1)",
    "/leads@evil.example", "/leads\\@evil.example", "//evil.example/leads", "/leads/../..//evil.example",
    " //evil.example", "\n//evil.example", "http://localhost@evil.example/", "data:text/html,x",
]
RETURN_PARAMS = ("next", "return_url", "return_to", "back", "redirect", "url", "continue", "came_from")


def off_site(location: str | None) -> bool:
    """True when a browser following `location` from http://localhost/ would leave the site."""
    if not location:
        return False
    cleaned = "".join(c for c in location if c not in "\t\r\n").strip().replace("\\", "/")
    if cleaned.startswith("//"):
        cleaned = "//" + cleaned.lstrip("/")  # browsers read ///host as //host
    parts = urlsplit(cleaned)
    if parts.scheme and (parts.scheme not in ("http", "https") or not parts.netloc):
        return True  # javascript:, data:, or https:host (read as https://host)
    return bool(parts.netloc) and parts.hostname != "localhost"


def test_off_site_detects_the_tricks():
    assert all(off_site(t) for t in HOSTILE_TARGETS if not t.startswith(("/leads", "/%2F", "/leads/..")))
    assert not off_site("/leads?page=2") and not off_site("http://localhost/leads")


@pytest.mark.parametrize("target", HOSTILE_TARGETS)
def test_change_owner_next_stays_on_the_site(app, admin, admin_client, target):
    with app.app_context():
        lead = make_lead(actor=db.session.get(User, admin.id))
    token = csrf_token(admin_client, "/leads")
    for data in ({"next": target, "target": f"user:{admin.id}", "lead_ids": str(lead.id)},
                 {"next": target, "target": "nonsense"}, {"next": target}):
        for headers in ({}, {"HX-Request": "true"}):
            response = admin_client.post("/leads/change-owner", data={"csrf_token": token, **data}, headers=headers)
            assert response.status_code in (204, 303), response.status_code
            location = response.headers.get("Location") or response.headers.get("HX-Redirect")
            assert location and not off_site(location), location
            assert location.startswith("/leads") or location.startswith("http://localhost/leads"), location


@pytest.mark.parametrize("referrer", ["https://evil.example/leads", "http://localhost//evil.example/x",
                                      "http://localhost/\\evil.example", "javascript:alert(1)//localhost/"])
def test_activity_posts_return_only_to_our_pages(app, admin, admin_client, referrer):
    values = build_records(app, admin.id)
    token = csrf_token(admin_client, "/leads")
    response = admin_client.post(f"/activities/lead/{values['lead_id']}/note",
                                 data={"csrf_token": token, "subject": "Called", "body": "x"},
                                 headers={"Referer": referrer})
    assert response.status_code in (303, 422), response.status_code
    assert not off_site(response.headers.get("Location")), response.headers.get("Location")


@pytest.mark.parametrize("return_url", ["javascript:alert(1)", "//evil.example", "/thanks", "ftp://evil.example",
                                        "https://user@evil.example", "data:text/html,x", "http://evil.example/\"><x>",
                                        "https://evil.example\\@good.example", "https:evil.example"])
def test_web_form_return_url_must_be_a_full_http_address(app, admin, admin_client, return_url):
    token = csrf_token(admin_client, "/forms/new")
    response = admin_client.post("/forms/new", data={"csrf_token": token, "name": "Contact", "daily_cap": "500",
                                                      "return_url": return_url, "active": "y"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebForm)) == 0


def test_w2l_redirects_only_to_the_stored_return_url(app, admin):
    from tests.webforms.conftest import make_web_form, visitor_post

    with app.app_context():
        web_form = make_web_form(actor=db.session.get(User, admin.id), return_url="https://www.example.com/thanks")
        db.session.expunge(web_form)
    client = app.test_client()
    response = client.post(f"/w2l/{web_form.form_key}?return_url=https://evil.example&next=//evil.example",
                           data={"return_url": "https://evil.example", "next": "//evil.example"})
    assert not off_site(response.headers.get("Location"))
    for extra in ({"return_url": "https://evil.example"}, {"next": "//evil.example"}):
        response = visitor_post(client, app, web_form, **extra)
        assert response.status_code == 303
        assert response.headers["Location"] == "https://www.example.com/thanks"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) >= 1


def test_no_get_route_redirects_off_site(app, client, admin):
    """Every GET route, signed in and not, with every usual return parameter set to another site."""
    values = build_records(app, admin.id)
    for signed_in in (False, True):
        if signed_in:
            assert login(client, admin.email, PASSWORD).status_code == 303
        for rule in rules(app, "GET"):
            path = url_for_rule(rule, values)
            for target in ("//evil.example", "https://evil.example"):
                response = client.get(path, query_string={name: target for name in RETURN_PARAMS})
                response.get_data()
                assert not off_site(response.headers.get("Location")), (path, response.headers.get("Location"))
                assert not off_site(response.headers.get("HX-Redirect")), path
