"""The seeds' example in a browser: Aparna Bosu of Get Cloudy West, converted on a phone and a desk."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import stored
from tests.factories import make_account, make_lead

pytestmark = pytest.mark.browser
OPPORTUNITY = "Get Cloudy West - 50 Custom Stratus X11 Sneakers"


def test_convert_aparna_bosu(page, screen, app, rep):
    lead = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West",
                  title="Marketing Manager", email="aparna@gogetcloudywest.com")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remy Rep")
    page.goto(f"/leads/{lead.id}")
    page.get_by_role("link", name="Convert Aparna Bosu").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Convert Aparna Bosu")
    expect(page.get_by_label("Account name")).to_have_value("Get Cloudy West")
    name = page.get_by_label("Opportunity name")
    expect(name).to_have_value("Get Cloudy West - ")
    name.fill(OPPORTUNITY)
    page.get_by_label("Amount").fill("7500")
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_text("Aparna Bosu is converted")).to_be_visible()
    expect(page.get_by_role("link", name=OPPORTUNITY)).to_be_visible()
    expect(page.get_by_role("link", name="Get Cloudy West", exact=True)).to_be_visible()
    expect(page.get_by_text("A converted lead is read-only.")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_existing_account_offered_and_typeahead(page, app, rep):
    stored(app, make_account, actor=rep, name="Get Cloudy West")
    stored(app, make_account, actor=rep, name="Société Générale")
    lead = stored(app, make_lead, actor=rep, first_name="Leung", last_name="Chan", company="get cloudy west")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remy Rep")
    page.goto(f"/leads/{lead.id}/convert")
    match = page.get_by_role("radio", name=re.compile("^Get Cloudy West"))
    expect(match).to_be_checked()  # the existing account is offered first
    page.get_by_label("Find another account").fill("societe")
    other = page.get_by_role("radio", name="Société Générale")
    expect(other).to_be_visible()
    other.check()
    page.get_by_role("radio", name="Don't create an opportunity").check()
    page.get_by_role("button", name="Convert").click()
    expect(page.get_by_text("Leung Chan is converted: account Société Générale")).to_be_visible()
