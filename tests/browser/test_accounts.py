"""Accounts in a browser, on a phone and a desk: create with a parent, live search, record page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import stored
from tests.factories import make_account

pytestmark = pytest.mark.browser


def test_create_find_and_open_an_account(page, screen, rep, app):
    stored(app, make_account, actor=rep, name="Société Générale", billing_city="Paris")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto("/accounts/new")
    page.get_by_label("Account name").fill("Get Cloudy West")
    page.get_by_label("Website").fill("javascript:alert(1)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a web address starting with http:// or https://.")).to_be_visible()
    expect(page.get_by_label("Account name")).to_have_value("Get Cloudy West")  # swapped in place
    page.get_by_label("Website").fill("gogetcloudywest.com")
    page.get_by_label("Phone").fill("+1 415 555 0132")
    # The parent account comes from the typeahead, as a radio button.
    page.get_by_label("Find a parent account").press_sequentially("societe", delay=30)
    page.get_by_label(re.compile("Société Générale")).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get Cloudy West")
    expect(page.get_by_text("Account Get Cloudy West saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Société Générale")).to_be_visible()

    # Live search: only the results swap, and the URL follows.
    page.goto("/accounts?view=all")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Search accounts").press_sequentially("cloudy w", delay=30)
    expect(page).to_have_url(re.compile(r"/accounts\?q=cloudy(\+|%20)w&view=all$"))
    expect(page.get_by_role("link", name="Get Cloudy West")).to_be_visible()
    expect(page.get_by_role("link", name="Société Générale")).to_have_count(0)
    page.get_by_label("Search accounts").fill("zzz-nobody")
    expect(page.get_by_text("No account matches")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
    page.get_by_label("Search accounts").fill("CLOUDY")
    page.get_by_role("link", name="Get Cloudy West").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Get Cloudy West")
    expect(page.get_by_role("heading", name=re.compile("^Contacts"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("^Opportunities"))).to_be_visible()
    expect(page.get_by_role("link", name="+1 415 555 0132")).to_have_attribute("href", "tel:+14155550132")
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.goto("/accounts?view=all")
        expect(page.get_by_role("link", name="Get Cloudy West")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
