"""Contacts in a browser, on a phone and a desk: add one through the account typeahead, find it, open it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, sign_in
from tests.conftest import stored
from tests.factories import make_account

pytestmark = pytest.mark.browser


def test_create_find_and_open_a_contact(page, screen, rep, app):
    stored(app, make_account, actor=rep, name="Get Cloudy West", billing_city="San Francisco")
    stored(app, make_account, actor=rep, name="Société Générale")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto("/contacts/new")
    page.get_by_label("Last name").fill("Lefèvre")
    page.get_by_label("First name").fill("Hélène")
    page.get_by_label("Email").fill("helene@")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Save").click()
    # Rejected in place: both errors beside their fields, what was typed kept.
    expect(page.get_by_text("Choose the account.")).to_be_visible()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Lefèvre")
    assert page.evaluate("window.__sameDocument === true")

    # The typeahead: type part of the name (no accent), pick the match.
    page.get_by_label("Account", exact=True).press_sequentially("societe", delay=30)
    choice = page.get_by_role("radio", name=re.compile("Société Générale"))
    expect(choice).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Get Cloudy West"))).to_have_count(0)
    choice.check()
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_label("Email").fill("Helene@SocGen.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Contact Hélène Lefèvre saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hélène Lefèvre")
    expect(page.get_by_role("link", name="Société Générale")).to_have_attribute("href", re.compile(r"^/accounts/\d+$"))

    # Live search: only the results swap, and the URL follows.
    page.goto("/contacts")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Search contacts").press_sequentially("helene lef", delay=30)
    expect(page).to_have_url(re.compile(r"/contacts\?q=helene(\+|%20)lef$"))
    expect(page.get_by_role("link", name="Hélène Lefèvre")).to_be_visible()
    page.get_by_label("Search contacts").fill("zzz-nobody")
    expect(page.get_by_text("No contact matches")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
    page.get_by_label("Search contacts").fill("LEFEVRE")
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("link", name="Hélène Lefèvre").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hélène Lefèvre")
    expect(page.locator(".record-header").get_by_role("link", name="helene@socgen.example")).to_be_visible()
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_new_contact_from_an_account_link_is_preselected(page, rep, app):
    account = stored(app, make_account, actor=rep, name="Get Cloudy West")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto(f"/contacts/new?account_id={account.id}")
    expect(page.get_by_role("radio", name="Get Cloudy West")).to_be_checked()
    page.get_by_label("Last name").press("End")
    page.get_by_label("Last name").fill("Bosu")
    page.get_by_label("Last name").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bosu")


def test_account_search_and_save_without_javascript(browser, live_server, rep, app):
    stored(app, make_account, actor=rep, name="Get Cloudy West")
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, rep.email)
    page.goto("/contacts/new")
    page.get_by_label("Account", exact=True).fill("cloudy")
    page.get_by_role("button", name="Find account").click()  # a GET of this page with the matches
    expect(page).to_have_url(re.compile(r"/contacts/new\?q=cloudy$"))
    page.get_by_role("radio", name="Get Cloudy West").check()
    page.get_by_label("Last name").fill("Bosu")
    page.get_by_role("button", name="Save").click()  # a plain POST, answered with 303
    expect(page.get_by_role("heading", level=1)).to_have_text("Bosu")
    expect(page.get_by_role("link", name="Get Cloudy West")).to_be_visible()
    context.close()
