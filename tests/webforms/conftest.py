"""Web-to-Lead fixtures: a stored form, and helpers that post to it as a visitor's browser would."""

import re
import time

import pytest

from crm.extensions import db
from crm.models.web_form import WebForm
from crm.webforms import services
from tests.conftest import stored
from tests.factories import make_user

FIELDS = [
    {"name": "first_name", "required": False},
    {"name": "last_name", "required": True},
    {"name": "company", "required": True},
    {"name": "email", "required": True, "label_en": "Work email", "label_fr": "E-mail professionnel"},
    {"name": "phone", "required": False},
    {"name": "description", "required": False},
]


@pytest.fixture
def app_config():
    # Generous by default: only the burst test meets the limit.
    return {"W2L_LIMIT_PER_IP": "1000 per minute"}


def make_web_form(actor=None, fields=None, **overrides):
    """A web form created by `actor` (default: a new manager), through the real service."""
    actor = actor or make_user(role="manager")
    data = {"name": "Contact us", "lead_source": "Web", "campaign_id": None, "return_url": None,
            "daily_cap": 500, "active": True} | overrides
    web_form = services.save_form(None, data, fields or FIELDS, actor=actor)
    db.session.commit()
    db.session.refresh(web_form)
    return web_form


@pytest.fixture
def web_form(app, admin):
    with app.app_context():
        owner = db.session.get(type(admin), admin.id)
        return stored(app, make_web_form, actor=owner)


def token_for(app, web_form: WebForm, age: float = 60) -> str:
    """The token a form rendered `age` seconds ago carried."""
    with app.test_request_context():
        return services.issue_token(web_form, now=time.time() - age)


def rendered_token(html: str) -> str:
    match = re.search(r'name="w2l_token" value="([^"]+)"', html)
    assert match, "no token in the form"
    return match.group(1)


def visitor_post(client, app, web_form, token=None, **fields):
    """Post the form as a person who took a minute to fill it in."""
    data = {"first_name": "Ana", "last_name": "Lima", "company": "Acme", "email": "ana@example.com",
            "w2l_token": token or token_for(app, web_form)} | fields
    return client.post(f"/w2l/{web_form.form_key}", data={k: v for k, v in data.items() if v is not None})
