"""The public Web-to-Lead endpoint, GET and POST /w2l/<key>, against good and bad input.

Every post the endpoint answers with a success (303) must be in the database (a lead, or a
submission in the quarantine or the pending queue); nothing is stored but plain text.
"""

import time

import pytest
import sqlalchemy as sa

from crm.admin import campaigns_services
from crm.assignment import services as assignment
from crm.extensions import db
from crm.models import CampaignMember, Lead, User
from crm.models.web_form import WebForm, WebFormSubmission
from crm.webforms import services
from tests.conftest import PASSWORD, login
from tests.factories import make_lead, make_user
from tests.webforms.conftest import make_web_form, rendered_token, token_for, visitor_post


def leads(app) -> list[Lead]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Lead).order_by(Lead.id)))


def submissions(app) -> list[WebFormSubmission]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(WebFormSubmission).order_by(WebFormSubmission.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def nothing_stored(app) -> bool:
    return leads(app) == [] and submissions(app) == []


# Rendering

def test_the_form_renders_standalone_and_may_be_framed_by_any_site(client, web_form):
    response = client.get(f"/w2l/{web_form.form_key}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="w2l_token"' in html and 'name="homepage"' in html
    assert 'action="/w2l/' in html and "Work email" in html
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors *" in csp and "form-action 'self'" in csp and "script-src 'self'" in csp
    assert "X-Frame-Options" not in response.headers
    # No session, no CSRF token: a visitor's browser gets no cookie from us.
    assert "Set-Cookie" not in response.headers
    assert "csrf" not in html.lower() and "<script" not in html


def test_labels_follow_the_visitors_language(client, web_form):
    html = client.get(f"/w2l/{web_form.form_key}", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(
        as_text=True)
    assert "E-mail professionnel" in html and "Nom" in html and "Work email" not in html


def test_the_other_pages_still_refuse_framing(client):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_an_unknown_or_inactive_form_is_a_404_that_can_be_framed(app, client, admin):
    assert client.get("/w2l/nope").status_code == 404
    with app.app_context():
        closed = make_web_form(db.session.get(User, admin.id), active=False)
        key = closed.form_key
    response = client.post(f"/w2l/{key}", data={"last_name": "X", "company": "Y"})
    assert response.status_code == 404
    assert "no longer accepts submissions" in response.get_data(as_text=True)
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert nothing_stored(app)


# A genuine post

def test_a_valid_post_makes_a_lead_owned_by_the_forms_creator(app, client, web_form, admin):
    response = visitor_post(client, app, web_form, phone="+33 1 23 45 67 89", description="Call me\nplease")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/w2l/{web_form.form_key}/thanks")
    assert "Set-Cookie" not in response.headers
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200 and "Thank you" in thanks.get_data(as_text=True)
    assert "frame-ancestors *" in thanks.headers["Content-Security-Policy"]
    [lead] = leads(app)
    assert (lead.last_name, lead.company, lead.email, lead.lead_source) == ("Lima", "Acme", "ana@example.com", "Web")
    assert lead.description == "Call me\nplease"
    assert lead.owner_id == admin.id and lead.created_by_id is None
    assert lead.possible_duplicate is False
    [submission] = submissions(app)
    assert submission.state == "lead" and submission.lead_id == lead.id
    assert submission.data["last_name"] == "Lima"


def test_multipart_posts_are_accepted(app, client, web_form):
    data = {"last_name": "Lima", "company": "Acme", "email": "ana@example.com",
            "w2l_token": token_for(app, web_form)}
    response = client.post(f"/w2l/{web_form.form_key}", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    assert len(leads(app)) == 1


def test_a_return_url_gets_the_visitor_and_is_allowed_by_the_csp(app, client, admin):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, admin.id), return_url="https://www.example.com:8443/merci?x=1")
        db.session.expunge(web_form)
    page = client.get(f"/w2l/{web_form.form_key}")
    assert "form-action 'self' https://www.example.com:8443;" in page.headers["Content-Security-Policy"]
    response = visitor_post(client, app, web_form)
    assert response.status_code == 303
    assert response.headers["Location"] == "https://www.example.com:8443/merci?x=1"


def test_the_lead_joins_the_forms_campaign(app, client, admin):
    with app.app_context():
        campaign = campaigns_services.create_campaign(name="Spring Expo", type=None, status="Planned",
                                                      start_date=None, end_date=None, active=True)
        web_form = make_web_form(db.session.get(User, admin.id), campaign_id=campaign.id)
        db.session.expunge(web_form)
    assert visitor_post(client, app, web_form).status_code == 303
    [lead] = leads(app)
    assert lead.campaign_id == web_form.campaign_id
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignMember)
                                 .where(CampaignMember.lead_id == lead.id)) == 1


def test_assignment_rules_and_the_default_owner_come_first(app, client, web_form):
    with app.app_context():
        french_rep = make_user(name="Fanny France")
        default = make_user(name="Dora Default")
        assignment.create_rule(name="France", country="France", owner_user_id=french_rep.id)
        assignment.set_default_owner(default)
        db.session.commit()
        french_id, default_id = french_rep.id, default.id
    fields = [*web_form.fields, {"name": "country", "required": False}]
    with app.app_context():
        stored_form = db.session.get(WebForm, web_form.id)
        services.save_form(stored_form, {}, fields, actor=stored_form.created_by)
        db.session.commit()
    visitor_post(client, app, web_form, country="France")
    visitor_post(client, app, web_form, country="Spain", email="other@example.com")
    first, second = leads(app)
    assert first.owner_id == french_id and first.assignment_rule_id is not None
    assert second.owner_id == default_id


def test_a_lookalike_is_flagged_never_rejected(app, client, web_form):
    with app.app_context():
        make_lead(first_name="Ana", last_name="Lima", company="Acme", email="ana@example.com")
    assert visitor_post(client, app, web_form).status_code == 303
    old, new = leads(app)
    assert new.possible_duplicate is True and old.possible_duplicate is False


# Bad input: told, nothing stored

def test_missing_required_fields_come_back_with_messages(app, client, web_form):
    response = visitor_post(client, app, web_form, last_name="", company=None, email="   ", first_name="Ana")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the last name." in html and "Enter the company." in html and "This field is required." in html
    assert 'value="Ana"' in html  # what the visitor typed is kept
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert nothing_stored(app)


def test_overlong_fields_are_refused(app, client, web_form):
    response = visitor_post(client, app, web_form, last_name="L" * 81, company="C" * 256, description="d" * 32001)
    assert response.status_code == 422
    assert "Field cannot be longer than 80 characters." in response.get_data(as_text=True)
    assert nothing_stored(app)


def test_invalid_values_are_refused_like_on_the_lead_form(app, client, web_form):
    response = visitor_post(client, app, web_form, email="<script>@x", phone="javascript:alert(1)")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter a valid email address." in html and "Use digits, spaces and + ( ) - . / only." in html
    assert "<script>@x" not in html and "&lt;script&gt;@x" in html
    assert nothing_stored(app)


PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b>Bold</b> &amp; <a href=\"javascript:alert(1)\">link</a>",
    "Robert'); DROP TABLE leads;--",
    "{{ 7*7 }} {% raw %}",
    "=HYPERLINK(\"http://evil\")",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_and_script_payloads_are_stored_as_plain_text_and_shown_escaped(app, client, web_form, admin,
                                                                             payload):
    response = visitor_post(client, app, web_form, last_name=payload[:80], company=payload,
                            description=payload, first_name=payload[:40])
    assert response.status_code == 303
    [lead] = leads(app)
    assert lead.company == payload and lead.description == payload
    # The lead's record page shows the text, escaped.
    login(client, admin.email, PASSWORD)
    html = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert payload not in html or "<" not in payload
    if "<script>" in payload:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_control_characters_are_never_stored(app, client, web_form):
    response = visitor_post(client, app, web_form, last_name="Li\x00ma\x1b", company="Ac\x7fme\u0085",
                            description="line 1\r\nline\t2")
    assert response.status_code == 303
    [lead] = leads(app)
    assert (lead.last_name, lead.company, lead.description) == ("Lima", "Acme", "line 1\r\nline\t2")
    assert "\x00" not in str(submissions(app)[0].data)


@pytest.mark.parametrize("content_type, body", [
    ("application/json", '{"last_name": "Lima", "company": "Acme"}'),
    ("text/plain", "last_name=Lima&company=Acme"),
    ("application/xml", "<lead><last_name>Lima</last_name></lead>"),
    (None, "last_name=Lima&company=Acme"),
])
def test_a_wrong_content_type_is_refused_with_a_message(app, client, web_form, content_type, body):
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(f"/w2l/{web_form.form_key}", data=body, headers=headers)
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.get_data(as_text=True)
    assert nothing_stored(app)


@pytest.mark.parametrize("size", [2 * 1024 * 1024 + 1, 100 * 1024])
def test_a_large_body_is_refused_with_413(app, client, web_form, size):
    token = token_for(app, web_form)
    body = f"w2l_token={token}&last_name=Lima&company=Acme&description=" + "a" * size
    response = client.post(f"/w2l/{web_form.form_key}", data=body,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "too long" in html and "Traceback" not in html
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]
    assert nothing_stored(app)


def test_a_post_not_from_the_rendered_form_is_a_400_with_the_form_again(app, client, web_form):
    response = visitor_post(client, app, web_form, token="forged")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "could not be checked" in html and 'value="Lima"' in html
    rendered_token(html)  # a fresh token to send it again
    assert nothing_stored(app)


def test_a_token_of_another_form_is_refused(app, client, web_form, admin):
    with app.app_context():
        other = make_web_form(db.session.get(User, admin.id), name="Other")
        db.session.expunge(other)
    response = visitor_post(client, app, web_form, token=token_for(app, other))
    assert response.status_code == 400
    assert nothing_stored(app)


def test_no_csrf_token_and_no_session_are_needed(app, web_form):
    client = app.test_client(use_cookies=False)
    response = visitor_post(client, app, web_form)
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    assert len(leads(app)) == 1


# Spam: quarantined, never lost

def test_a_filled_honeypot_goes_to_the_quarantine(app, client, web_form):
    response = visitor_post(client, app, web_form, homepage="http://spam.example")
    # Answered like any post: a robot learns nothing.
    assert response.status_code == 303 and response.headers["Location"].endswith("/thanks")
    assert leads(app) == []
    [submission] = submissions(app)
    assert (submission.state, submission.reason) == ("spam", "honeypot")
    assert submission.data == {"first_name": "Ana", "last_name": "Lima", "company": "Acme",
                               "email": "ana@example.com"}


def test_a_post_made_too_fast_goes_to_the_quarantine(app, client, web_form):
    token = rendered_token(client.get(f"/w2l/{web_form.form_key}").get_data(as_text=True))
    response = visitor_post(client, app, web_form, token=token)
    assert response.status_code == 303
    assert leads(app) == []
    [submission] = submissions(app)
    assert (submission.state, submission.reason) == ("spam", "too_fast")


def test_a_quarantined_post_is_released_into_a_lead(app, client, web_form, admin):
    visitor_post(client, app, web_form, homepage="autofilled")
    with app.app_context():
        submission = db.session.scalar(sa.select(WebFormSubmission))
        services.release(submission, actor=db.session.get(User, admin.id))
        db.session.commit()
    [lead] = leads(app)
    assert lead.last_name == "Lima" and lead.owner_id == admin.id and lead.lead_source == "Web"
    [submission] = submissions(app)
    assert (submission.state, submission.lead_id, submission.decided_by_id) == ("released", lead.id, admin.id)
    with app.app_context(), pytest.raises(services.NotReleasable):
        services.release(db.session.get(WebFormSubmission, submission.id), actor=db.session.get(User, admin.id))


# Retries, floods, the daily cap

def test_a_retried_post_is_stored_once(app, client, web_form):
    token = token_for(app, web_form)
    first = visitor_post(client, app, web_form, token=token)
    again = visitor_post(client, app, web_form, token=token)
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    assert len(leads(app)) == 1 and len(submissions(app)) == 1
    # The same token with other details is another post, and kept too.
    assert visitor_post(client, app, web_form, token=token, last_name="Other").status_code == 303
    assert len(leads(app)) == 2


@pytest.mark.parametrize("app_config", [{"W2L_LIMIT_PER_IP": "5 per minute"}])
def test_a_burst_over_the_rate_limit_is_refused_and_every_accepted_post_is_kept(app, client, web_form):
    answers = [visitor_post(client, app, web_form, last_name=f"Burst {n}") for n in range(12)]
    codes = [a.status_code for a in answers]
    assert codes == [303] * 5 + [429] * 7
    refused = answers[-1]
    assert int(refused.headers["Retry-After"]) > 0
    assert "Too many submissions" in refused.get_data(as_text=True)
    assert "frame-ancestors *" in refused.headers["Content-Security-Policy"]
    assert sorted(lead.last_name for lead in leads(app)) == [f"Burst {n}" for n in range(5)]
    # Another address is not held back.
    other = client.post(f"/w2l/{web_form.form_key}", environ_base={"REMOTE_ADDR": "10.0.0.9"},
                        data={"last_name": "Other", "company": "Acme", "email": "o@example.com",
                              "w2l_token": token_for(app, web_form)})
    assert other.status_code == 303


def test_posts_over_the_daily_cap_wait_in_the_pending_queue(app, client, admin):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, admin.id), daily_cap=2)
        db.session.expunge(web_form)
    for n in range(4):
        assert visitor_post(client, app, web_form, last_name=f"Cap {n}").status_code == 303
    assert [lead.last_name for lead in leads(app)] == ["Cap 0", "Cap 1"]
    states = [(s.state, s.reason) for s in submissions(app)]
    assert states == [("lead", None), ("lead", None), ("pending", "daily_cap"), ("pending", "daily_cap")]
    with app.app_context():
        pending = db.session.scalars(sa.select(WebFormSubmission).where(WebFormSubmission.state == "pending")).all()
        for submission in pending:
            services.release(submission, actor=db.session.get(User, admin.id))
        db.session.commit()
    assert [lead.last_name for lead in leads(app)] == ["Cap 0", "Cap 1", "Cap 2", "Cap 3"]


def test_the_pasted_snippets_token_is_accepted_without_a_wait(app, client, web_form):
    with app.test_request_context():
        token = services.snippet_token(web_form)
    assert visitor_post(client, app, web_form, token=token).status_code == 303
    assert visitor_post(client, app, web_form, token=token).status_code == 303  # a retry
    second = visitor_post(client, app, web_form, token=token, last_name="Second", email="b@example.com")
    assert second.status_code == 303
    assert [lead.last_name for lead in leads(app)] == ["Lima", "Second"]


def test_a_token_from_the_rendered_form_works_after_a_wait(app, client, web_form):
    token = rendered_token(client.get(f"/w2l/{web_form.form_key}").get_data(as_text=True))
    with app.app_context():
        payload = services._serializer().loads(token)
    assert payload["k"] == web_form.form_key and payload["n"] and abs(payload["t"] - time.time()) < 5
