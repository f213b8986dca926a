"""XSS through the real channels: the record forms, the public Web-to-Lead form (stored), and
query strings echoed into pages (reflected)."""

from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Account, Lead, User
from crm.webforms.services import AVAILABLE_FIELDS
from tests.conftest import csrf_token
from tests.security.html_checks import live_markup, text_of
from tests.security.payloads import MARKER, TEMPLATE_EVALUATED, XSS
from tests.webforms.conftest import make_web_form, visitor_post

FORM_PAYLOADS = [p for p in XSS if not p.lower().lstrip().startswith(("javascript:", "data:"))][::3]
LINK_PAYLOADS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>x()</script>",
                 "vbscript:msgbox(1)", "java\tscript:alert(1)", "javascript://example.com/%0aalert(1)"]
LEAD_TEXT = ("first_name", "last_name", "company", "title", "street", "city", "state", "postal_code", "country",
             "description")


def assert_safe(client, paths, payload):
    shown = False
    for path in paths:
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            html = response.get_data(as_text=True)
            assert live_markup(html) == [], (path, headers)
            if evaluated := TEMPLATE_EVALUATED.get(payload):
                assert evaluated not in html, path
            shown |= MARKER in text_of(html)
    assert shown


def lead_data(payload: str, token: str, **extra) -> dict:
    data = {name: payload[:40] if name in ("first_name", "city") else payload[:20] if name == "postal_code"
            else payload for name in LEAD_TEXT}
    return {**data, "email": "ana@example.com", "csrf_token": token, "confirm_duplicate": "1", **extra}


@pytest.mark.parametrize("payload", FORM_PAYLOADS)
def test_lead_form_payloads_render_as_text(app, admin, admin_client, payload):
    token = csrf_token(admin_client, "/leads/new")
    response = admin_client.post("/leads/new", data=lead_data(payload, token))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        lead_id = db.session.scalar(sa.select(Lead.id))
    assert_safe(admin_client, ["/leads", f"/leads?q={MARKER}&view=all", f"/leads/{lead_id}", "/leads/board",
                               f"/leads/{lead_id}/convert", f"/leads/{lead_id}/edit"], payload)


@pytest.mark.parametrize("website", LINK_PAYLOADS)
def test_forms_refuse_script_links(app, admin, admin_client, website):
    """Refused, or read as a bare domain (https://vbscript:msgbox(1) is an https address): never
    stored with a script scheme, never shown as a script link."""
    token = csrf_token(admin_client, "/leads/new")
    lead = admin_client.post("/leads/new", data=lead_data("Lima", token, website=website))
    account = admin_client.post("/accounts/new", data={"name": "Acme", "website": website, "csrf_token": token})
    assert lead.status_code in (303, 422) and account.status_code in (303, 422)
    if website.lower().lstrip().startswith(("javascript:", "data:")):
        assert lead.status_code == account.status_code == 422
    with app.app_context():
        stored = [*db.session.scalars(sa.select(Lead.website)), *db.session.scalars(sa.select(Account.website))]
        lead_id, account_id = db.session.scalar(sa.select(Lead.id)), db.session.scalar(sa.select(Account.id))
    assert all(urlsplit(url).scheme in ("http", "https") for url in stored), stored
    for path in ([f"/leads/{lead_id}"] if lead_id else []) + ([f"/accounts/{account_id}"] if account_id else []):
        assert live_markup(admin_client.get(path).get_data(as_text=True)) == [], path


def every_field_form(app, admin):
    with app.app_context():
        owner = db.session.get(User, admin.id)
        web_form = make_web_form(actor=owner, fields=[{"name": n, "required": False} for n in AVAILABLE_FIELDS])
        db.session.expunge(web_form)
        return web_form


@pytest.mark.parametrize("payload", FORM_PAYLOADS)
def test_web_to_lead_payloads_render_as_text(app, admin, admin_client, payload):
    web_form = every_field_form(app, admin)
    anonymous = app.test_client()
    not_text = ("email", "phone", "mobile", "website", "salutation", "industry", "employees", "annual_revenue")
    short = {"first_name": 40, "city": 40, "postal_code": 20}
    fields = {name: payload[:short.get(name, 1000)] for name in AVAILABLE_FIELDS if name not in not_text}
    response = visitor_post(anonymous, app, web_form, **fields, email="ana@example.com")
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    with app.app_context():
        lead_id = db.session.scalar(sa.select(Lead.id))
    paths = ["/forms/submissions?state=spam", "/forms/submissions?state=pending", f"/forms/{web_form.id}"]
    if lead_id:
        paths += ["/leads?view=all", f"/leads/{lead_id}", f"/leads/{lead_id}/convert", "/leads/board"]
    assert_safe(admin_client, paths, payload)


@pytest.mark.parametrize("website", LINK_PAYLOADS)
def test_web_to_lead_refuses_script_links(app, admin, website):
    web_form = every_field_form(app, admin)
    anonymous = app.test_client()
    response = visitor_post(anonymous, app, web_form, website=website)
    assert response.status_code in (303, 422)
    if website.lower().lstrip().startswith(("javascript:", "data:")):
        assert response.status_code == 422
    assert live_markup(response.get_data(as_text=True)) == []
    with app.app_context():
        stored = list(db.session.scalars(sa.select(Lead.website)))
    assert all(urlsplit(url).scheme in ("http", "https") for url in stored), stored


@pytest.mark.parametrize("payload", XSS[::2])
def test_web_to_lead_refusal_page_echoes_values_as_text(app, admin, payload):
    web_form = every_field_form(app, admin)
    anonymous = app.test_client()
    response = visitor_post(anonymous, app, web_form, first_name=payload, company=payload, email=payload)
    assert response.status_code in (400, 422)
    assert live_markup(response.get_data(as_text=True)) == []


REFLECTED = ["/leads?q={p}", "/accounts?q={p}", "/contacts?q={p}", "/opportunities?q={p}", "/leads?source={p}",
             "/leads?rating={p}", "/leads?created_from={p}", "/opportunities?close_from={p}",
             "/opportunities?forecast={p}", "/reports/pipeline?period=custom&from={p}&to={p}",
             "/reports/leads?owner={p}", "/accounts/lookup?q={p}", "/contacts/new?account_q={p}",
             "/opportunities/new?q={p}", "/leads/board?q={p}", "/leads/duplicates?after={p}"]


@pytest.mark.parametrize("payload", XSS)
def test_reflected_query_strings(app, admin, admin_client, payload):
    from urllib.parse import quote

    for template in REFLECTED:
        path = template.format(p=quote(payload, safe=""))
        for headers in ({}, {"HX-Request": "true"}):
            response = admin_client.get(path, headers=headers)
            assert response.status_code in (200, 400, 404, 422), (path, response.status_code)
            assert live_markup(response.get_data(as_text=True)) == [], path
    for path in (f"/login?next={quote(payload, safe='')}", f"/w2l/nope?lang={quote(payload, safe='')}"):
        response = app.test_client().get(path)
        assert live_markup(response.get_data(as_text=True)) == [], path
