"""Duplicates in a browser, desk and 360 px phone: find the pair, compare, merge, see the activity moved, undo."""

import re

import pytest
from playwright.sync_api import expect

from crm.activities.services import add_activity
from crm.extensions import db
from crm.models import Lead, User
from tests.browser.conftest import sign_in
from tests.conftest import stored
from tests.factories import make_lead

pytestmark = pytest.mark.browser


def test_find_compare_merge_and_undo(page, screen, app, rep):
    kept = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West",
                  email="aparna@gogetcloudywest.com", phone="+1 650 253 0000")
    other = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West Inc.",
                   email="aparna@gogetcloudywest.com", phone="+1 415 555 0132")
    with app.app_context():
        add_activity(db.session.get(Lead, other.id), "call", {"subject": "Call from the trade show"},
                     actor=db.session.get(User, rep.id))
        db.session.commit()
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remy Rep")
    page.goto("/leads")
    page.get_by_role("link", name="Duplicates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Duplicates")
    expect(page.get_by_text("Same email")).to_be_visible()
    page.get_by_role("link", name=re.compile("^Compare and merge")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merge leads")
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    expect(page.get_by_role("radio", name=re.compile(r"\+1 650 253 0000"))).to_be_checked()
    page.get_by_role("radio", name=re.compile(r"\+1 415 555 0132")).check()  # the other lead's phone
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Merged")
    expect(page.get_by_text("Activities moved: 1")).to_be_visible()
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Open Aparna Bosu").click()
    expect(page).to_have_url(re.compile(f"/leads/{kept.id}$"))
    expect(page.get_by_text("Call from the trade show")).to_be_visible()
    expect(page.get_by_text("+1 415 555 0132").first).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Undo merge").click()
    expect(page.get_by_text("Merge undone")).to_be_visible()
    expect(page).to_have_url(re.compile(f"/leads/{kept.id}$"))
    expect(page.get_by_text("Call from the trade show")).to_have_count(0)
    with app.app_context():
        assert db.session.get(Lead, other.id).deleted_at is None
        assert db.session.get(Lead, kept.id).phone == "+1 650 253 0000"
