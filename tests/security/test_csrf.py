"""CSRF: every state-changing route refuses a post without the form's token, and changes nothing.

The other tests run with TESTING, where Flask-WTF still checks tokens; this module turns the check
on explicitly so that it holds whatever the shared test settings say.
"""

import hashlib

import pytest
import sqlalchemy as sa

from crm.extensions import db
from tests.conftest import PASSWORD, csrf_token, login
from tests.security.walk import build_records, rules, url_for_rule
from tests.webforms.conftest import token_for, visitor_post

STATE_CHANGING = ("POST", "PUT", "PATCH", "DELETE")
# Routes that take posts without the session's CSRF token, and why. Nothing else may be here.
EXEMPT = {
    # The public Web-to-Lead form is posted from other sites by visitors without a session: it
    # carries its own signed, timed w2l_token instead (test_w2l_post_without_its_token_is_refused).
    "webforms.public_post",
}


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True, "W2L_LIMIT_PER_IP": "1000 per minute"}


def database_digest(app) -> str:
    """A hash of every row of every table: equal digests, nothing changed."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            digest.update(f"{table.name}:{sorted(map(repr, rows))}".encode())
        db.session.remove()
    return digest.hexdigest()


def state_changing_rules(app):
    found = {}
    for method in STATE_CHANGING:
        for rule in rules(app, method):
            found.setdefault(rule.endpoint, (rule, method))
    return list(found.values())


def test_the_url_map_has_state_changing_routes(app):
    assert len(state_changing_rules(app)) > 50


def test_every_state_changing_route_refuses_a_post_without_token(app, client, admin):
    assert login(client, admin.email, PASSWORD).status_code == 303
    values = build_records(app, admin.id)
    before = database_digest(app)
    refused, exempt = [], []
    for rule, method in state_changing_rules(app):
        if rule.endpoint in EXEMPT:
            exempt.append(rule.endpoint)
            continue
        path = url_for_rule(rule, values)
        for headers in ({}, {"HX-Request": "true"}):
            response = client.open(path, method=method, data={"name": "x", "subject": "x"}, headers=headers)
            assert response.status_code == 400, (rule.endpoint, path, response.status_code)
            assert "did not come from this site" in response.get_data(as_text=True) or headers
        # A token from another session is refused too.
        response = client.open(path, method=method, data={"csrf_token": "forged." + "x" * 40})
        assert response.status_code == 400, (rule.endpoint, path)
        refused.append(rule.endpoint)
    assert exempt == sorted(EXEMPT)
    assert "auth.logout" in refused and "leads.delete" in refused and "admin.set_active" in refused
    assert database_digest(app) == before
    # Still signed in: the refused logout did not sign the admin out.
    assert client.get("/leads").status_code == 200


def test_the_same_post_with_the_token_is_accepted(app, client, admin):
    """The refusals above come from the missing token, not from a broken route."""
    assert login(client, admin.email, PASSWORD).status_code == 303
    values = build_records(app, admin.id)
    token = csrf_token(client, "/leads")
    response = client.post(f"/leads/{values['lead_id']}/delete", data={"csrf_token": token})
    assert response.status_code in (302, 303)


def test_sign_in_and_sign_out_need_the_token(app, client, admin):
    response = client.post("/login", data={"email": admin.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/leads").status_code == 302  # not signed in
    assert login(client, admin.email, PASSWORD).status_code == 303
    assert client.post("/logout").status_code == 400
    assert client.get("/leads").status_code == 200


def test_w2l_post_without_its_token_is_refused(app, client, admin):
    from crm.models import Lead
    from crm.models.web_form import WebForm

    values = build_records(app, admin.id)
    with app.app_context():
        web_form = db.session.scalar(sa.select(WebForm).where(WebForm.form_key == values["key"]))
        db.session.expunge(web_form)

    def leads():
        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(Lead))

    count = leads()
    for token in ("", "garbage", token_for(app, web_form, age=60)[:-4] + "AAAA"):
        data = {"first_name": "Ana", "last_name": "Lima", "company": "Acme", "email": "ana@example.com"}
        if token:
            data["w2l_token"] = token
        response = client.post(f"/w2l/{web_form.form_key}", data=data)
        assert response.status_code == 400, token
    assert leads() == count
    # A token of another form is refused as well.
    with app.app_context():
        from crm.models import User
        from tests.webforms.conftest import make_web_form

        other = make_web_form(actor=db.session.get(User, admin.id), name="Other")
        db.session.expunge(other)
    response = visitor_post(client, app, web_form, token=token_for(app, other))
    assert response.status_code == 400
    assert leads() == count
    # And the real token is accepted: the refusals came from the token.
    assert visitor_post(client, app, web_form).status_code == 303
