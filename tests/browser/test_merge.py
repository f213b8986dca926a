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
    page.get_by_role("link", name="Duplicates", exact=True).click()
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


def test_a_lead_that_is_a_stored_contact_is_converted_into_it(page, screen, app, rep):
    from tests.factories import make_account, make_contact

    with app.app_context():
        actor = db.session.get(User, rep.id)
        account = make_account(actor, name="Get Cloudy West")
        contact = make_contact(account, actor, first_name="Aparna", last_name="Bosu", email="aparna@gcw.example")
        lead = make_lead(actor, first_name="Aparna", last_name="Bosu", company="GCW", email="aparna@gcw.example")
        lead.possible_duplicate = True  # as a web form or an import would have flagged it
        db.session.commit()
        lead_id, contact_id = lead.id, contact.id
    sign_in(page, rep.email)
    page.goto(f"/leads/{lead_id}")
    expect(page.get_by_role("heading", name="Possible duplicate")).to_be_visible()
    page.goto("/leads/duplicates")
    page.get_by_role("link", name="Lead and contact").click()
    expect(page.get_by_role("link", name="Lead and contact")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Same email")).to_be_visible()
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name=re.compile("^Convert into this contact")).click()
    expect(page.get_by_role("radio", name=re.compile("Get Cloudy West"))).to_be_checked()
    expect(page.locator(f'input[name="contact_id"][value="{contact_id}"]')).to_be_checked()
    page.locator('input[name="opportunity_id"][value="none"]').check()
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_text("is converted")).to_be_visible()
    with app.app_context():
        converted = db.session.get(Lead, lead_id)
        assert converted.converted_contact_id == contact_id


def test_change_owner_of_ticked_leads(page, screen, app, rep):
    from tests.factories import make_user

    with app.app_context():
        actor = db.session.get(User, rep.id)
        ana = make_user(name="Ana Lopez")
        ids = [make_lead(actor, first_name="Booth", last_name=f"Trade show {i}").id for i in range(3)]
        ana_id = ana.id
    sign_in(page, rep.email)
    page.goto("/leads?view=all&q=trade+show")
    expect(page.get_by_text("3 leads")).to_be_visible()
    page.get_by_role("checkbox", name="Tick Booth Trade show 0").check()
    page.get_by_role("checkbox", name="Tick Booth Trade show 2").check()
    page.get_by_label("Change owner of the ticked leads").select_option(label="Ana Lopez")
    page.get_by_role("button", name="Change owner").click()
    expect(page.get_by_text("2 leads changed owner.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/leads\?.*q=trade"))
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    else:
        # The header box ticks every row of the page (desktop: the phone layout hides the header).
        page.get_by_role("checkbox", name="Tick every lead of this page").check()
        expect(page.get_by_role("checkbox", name="Tick Booth Trade show 1")).to_be_checked()
    with app.app_context():
        assert [db.session.get(Lead, i).owner_id for i in ids] == [ana_id, rep.id, ana_id]
