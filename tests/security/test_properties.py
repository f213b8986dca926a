"""Property-based tests (hypothesis): the lead form, the convert form and the public Web-to-Lead
form take any text, of any length, in any field, and answer with a page (stored or refused),
never a 500. Modest example counts keep the suite fast; deadline=None because a request's time
varies with the machine."""

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.models import Lead, User
from crm.webforms.services import AVAILABLE_FIELDS
from tests.conftest import csrf_token
from tests.factories import make_lead
from tests.webforms.conftest import make_web_form, token_for

SETTINGS = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])
# Any Unicode text (Hypothesis leaves out lone surrogates, which no browser can send in UTF-8),
# short, or very long; and the odd values a form field meets.
ANY_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(max_size=8).map(lambda s: s * 4000),
    st.sampled_from(["", " ", "\x00", "0", "-1", "1e309", "NaN", "9" * 40, "2024-02-30", "None", "%", "'", "\\",
                     "﻿", "\u202e", "😀" * 300, "a" * 40_001]),
)


def values_for(names, draw_from):
    return st.fixed_dictionaries({name: draw_from for name in names})


LEAD_FIELDS = ("salutation", "first_name", "last_name", "company", "title", "email", "phone", "mobile", "website",
               "status", "owner", "rating", "lead_source", "campaign_id", "industry", "annual_revenue", "employees",
               "street", "city", "state", "postal_code", "country", "description", "confirm_duplicate",
               "assign_using_rules")


@SETTINGS
@given(data=values_for(LEAD_FIELDS, ANY_TEXT))
def test_lead_form_never_fails(app, admin_client, data):
    token = csrf_token(admin_client, "/leads/new")
    response = admin_client.post("/leads/new", data={**data, "csrf_token": token})
    assert response.status_code in (200, 303, 400, 413, 422), response.status_code


@pytest.fixture
def lead_id(app, admin):
    with app.app_context():
        return make_lead(actor=db.session.get(User, admin.id)).id


CONVERT_FIELDS = ("account_id", "account_name", "contact_id", "opportunity_id", "opportunity_name", "amount",
                  "close_date", "contact_role", "owner", "no_opportunity", "create_opportunity")


@SETTINGS
@given(data=values_for(CONVERT_FIELDS, ANY_TEXT))
def test_convert_form_never_fails(app, admin_client, lead_id, data):
    token = csrf_token(admin_client, "/leads")
    response = admin_client.post(f"/leads/{lead_id}/convert", data={**data, "csrf_token": token})
    assert response.status_code in (200, 303, 400, 404, 409, 413, 422), response.status_code
    for headers in ({"HX-Request": "true"},):
        response = admin_client.post(f"/leads/{lead_id}/convert", data={**data, "csrf_token": token},
                                     headers=headers)
        assert response.status_code in (200, 204, 303, 400, 404, 409, 413, 422), response.status_code


@pytest.fixture
def open_form(app, admin):
    with app.app_context():
        web_form = make_web_form(actor=db.session.get(User, admin.id),
                                 fields=[{"name": n, "required": n == "email"} for n in AVAILABLE_FIELDS])
        db.session.expunge(web_form)
        return web_form


@pytest.fixture
def app_config():
    return {"W2L_LIMIT_PER_IP": "100000 per minute"}


@SETTINGS
@given(data=values_for((*AVAILABLE_FIELDS, "website_url", "extra"), ANY_TEXT))
def test_web_to_lead_never_fails(app, open_form, data):
    client = app.test_client()
    response = client.post(f"/w2l/{open_form.form_key}", data={**data, "w2l_token": token_for(app, open_form)})
    assert response.status_code in (303, 400, 413, 422, 429), response.status_code
    if response.status_code == 303:
        with app.app_context():
            # Stored whole or not at all: every lead has its required fields.
            assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead).where(
                sa.or_(Lead.last_name.is_(None), Lead.last_name == ""))) == 0
