"""Leads in a browser, on a phone and a desk: capture, live search, status path, delete and undo."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def signed_in(page, user):
    sign_in(page, user.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(user.name)


def mark_document(page):
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_capture_find_qualify_delete_and_undo(page, screen, rep):
    signed_in(page, rep)
    page.goto("/leads/new")
    # Quick capture: the card's fields first, the rest folded away.
    expect(page.get_by_text("More fields")).to_be_visible()
    expect(page.get_by_label("Title")).to_be_hidden()
    assert page.get_by_label("Email").get_attribute("type") == "email"
    assert page.get_by_label("Phone", exact=True).get_attribute("type") == "tel"
    page.get_by_label("First name").fill("Aparna")
    page.get_by_label("Last name").fill("Bosu")
    page.get_by_label("Company").fill("Get Cloudy West")
    page.get_by_label("Email").fill("aparna@gogetcloudywest")
    page.get_by_role("button", name="Save & new").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()  # rejected, swapped in place
    expect(page.get_by_label("Company")).to_have_value("Get Cloudy West")
    page.get_by_label("Email").fill("aparna@gogetcloudywest.com")
    page.get_by_label("Phone", exact=True).fill("+1 415 555 0132")
    page.get_by_role("button", name="Save & new").click()
    expect(page.get_by_text("Lead Aparna Bosu saved. Ready for the next one.")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("")

    # Live search: only the results swap, and the URL follows.
    page.goto("/leads")
    mark_document(page)
    page.get_by_label("Search leads").press_sequentially("aparna b", delay=30)
    expect(page).to_have_url(re.compile(r"/leads\?q=aparna(\+|%20)b$"))
    expect(page.get_by_role("link", name="Aparna Bosu")).to_be_visible()
    page.get_by_label("Search leads").fill("zzz-nobody")
    expect(page.get_by_text("No lead matches")).to_be_visible()
    assert still_same_document(page)
    page.get_by_label("Search leads").fill("BOSU")
    page.get_by_role("link", name="Aparna Bosu").click()

    # The status path: a click sets the status, the header follows, nothing reloads.
    expect(page.get_by_role("heading", level=1)).to_have_text("Aparna Bosu")
    mark_document(page)
    path = page.get_by_role("navigation", name="Lead status")
    path.get_by_role("button", name="Working - Contacted").click()
    expect(path.get_by_role("button", name=re.compile("Working - Contacted"))).to_have_attribute("aria-current", "step")
    expect(page.locator(".status-value")).to_have_text("Working - Contacted")
    assert still_same_document(page)
    expect(path.get_by_role("link", name="Closed - Converted")).to_have_attribute("href", re.compile(r"/convert$"))

    # A mis-tap on Delete loses nothing: Undo is right there.
    page.get_by_role("button", name="Delete Aparna Bosu").click()
    expect(page.get_by_text("Aparna Bosu moved to the recycle bin.")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("Lead Aparna Bosu restored.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aparna Bosu")
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_back_button_restores_the_previous_search(page, rep, app):
    from tests.conftest import stored
    from tests.factories import make_lead

    stored(app, make_lead, actor=rep, first_name="Hélène", last_name="Lefèvre")
    stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu")
    signed_in(page, rep)
    page.goto("/leads")
    page.get_by_label("Search leads").fill("lefevre")
    expect(page).to_have_url(re.compile(r"q=lefevre"))
    expect(page.get_by_role("link", name="Hélène Lefèvre")).to_be_visible()
    expect(page.get_by_role("link", name="Aparna Bosu")).to_be_hidden()
    page.get_by_label("Search leads").fill("bosu")
    expect(page).to_have_url(re.compile(r"q=bosu"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=lefevre"))
    expect(page.get_by_role("link", name="Hélène Lefèvre")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Search leads")).to_have_value("lefevre")
    expect(page.get_by_role("link", name="Aparna Bosu")).to_be_hidden()
