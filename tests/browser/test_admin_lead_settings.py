"""Lead statuses and picklists in a browser: htmx swaps, focus, phone layout, no JavaScript."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Lead, LeadStatus
from tests.browser.conftest import SCREENS, sign_in
from tests.conftest import stored
from tests.factories import make_lead

pytestmark = pytest.mark.browser


def mark_document(page):
    """A flag that survives htmx swaps but not a full page load."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def status_labels(page) -> list[str]:
    return page.locator("#lead-status-list td.label").all_inner_texts()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_add_a_status_move_it_up_and_make_it_the_default(page, screen, app, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/lead-statuses")
    nav = page.get_by_role("navigation", name="Administration")
    expect(nav.get_by_role("link", name="Lead statuses")).to_have_attribute("aria-current", "page")
    mark_document(page)

    page.get_by_label("Label").fill("Qualified")
    page.get_by_role("button", name="Add the status").click()
    expect(page.get_by_text("Status Qualified added.")).to_be_visible()
    expect(page.get_by_label("Label")).to_have_value("")  # a fresh form for the next one
    assert status_labels(page)[-1] == "Qualified"

    # Keyboard only: the focus stays on the button after the list is swapped.
    move_up = page.get_by_role("button", name="Move Qualified up")
    move_up.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Qualified moved up.")).to_be_visible()
    expect(page.locator("#lead-status-list td.label").nth(4)).to_have_text("Closed - Not Converted")
    assert status_labels(page)[2:] == ["Closed - Converted", "Qualified", "Closed - Not Converted"]
    expect(page.get_by_role("button", name="Move Qualified up")).to_be_focused()

    page.get_by_role("button", name="Make default Qualified").click()
    expect(page.get_by_text("New leads now start as Qualified.")).to_be_visible()
    row = page.locator("#lead-status-list tr", has_text="Qualified")
    expect(row.locator("td[data-label='Default']")).to_have_text("Yes")
    expect(page.get_by_role("button", name="Make default Open - Not Contacted")).to_be_visible()
    assert still_same_document(page)  # every step was an htmx swap
    with app.app_context():
        defaults = db.session.scalars(sa.select(LeadStatus.label).where(LeadStatus.is_default)).all()
    assert defaults == ["Qualified"]

    if screen == "phone":
        # Rows become cards: the header row is hidden, each cell carries its label.
        expect(page.locator("#lead-status-list thead")).to_have_css("position", "absolute")
        assert no_horizontal_scroll(page)
        box = page.get_by_role("button", name="Move Qualified down").bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44


def test_a_status_in_use_is_not_deleted(page, app, admin):
    stored(app, make_lead, status="Working - Contacted")
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/lead-statuses")
    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
    page.get_by_role("button", name="Delete Working - Contacted").click()
    expect(page.get_by_text("Working - Contacted cannot be deleted: 1 lead is in this status.")).to_be_visible()
    assert "Working - Contacted" in status_labels(page)


def test_rename_a_rating_and_the_lead_keeps_it(page, screen, app, admin):
    lead = stored(app, make_lead, rating="Hot")
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/picklists")
    page.get_by_role("link", name="Rating").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rating")
    row = page.locator("#picklist-list tr", has_text="Hot")
    expect(row.locator("td[data-label='Leads']")).to_have_text("1")

    page.get_by_role("link", name="Rename Hot").click()
    expect(page.get_by_text("1 lead has this value: it will get the new label.")).to_be_visible()
    page.get_by_label("Label").fill("warm")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("This list already has this value.")).to_be_visible()
    expect(page.get_by_label("Label")).to_have_value("warm")  # swapped in place, typed value kept
    page.get_by_label("Label").fill("Very hot")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/picklists/rating$"))
    expect(page.get_by_text("Value Very hot saved.")).to_be_visible()
    renamed = page.locator("#picklist-list tr", has_text="Very hot")
    expect(renamed.locator("td[data-label='Leads']")).to_have_text("1")  # the lead went along
    with app.app_context():
        assert db.session.get(Lead, lead.id).rating == "Very hot"
    if screen == "phone":
        assert no_horizontal_scroll(page)


def test_deactivate_a_value_keeps_the_focus(page, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/picklists/rating")
    page.get_by_role("button", name="Deactivate Warm").click()
    expect(page.get_by_text("Warm is no longer offered on lead forms")).to_be_visible()
    reactivate = page.get_by_role("button", name="Reactivate Warm")
    expect(reactivate).to_be_focused()
    expect(page.locator("#picklist-list tr", has_text="Warm")).to_contain_text("Inactive")


def test_move_a_status_without_javascript(browser, live_server, admin):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/lead-statuses")
    page.get_by_role("button", name="Move Closed - Not Converted up").click()  # a plain POST, then 303
    expect(page).to_have_url(re.compile(r"/admin/lead-statuses$"))
    expect(page.get_by_text("Closed - Not Converted moved up.")).to_be_visible()
    assert status_labels(page)[2:] == ["Closed - Not Converted", "Closed - Converted"]
    page.get_by_label("Label").fill("Working - contacted")
    page.get_by_role("button", name="Add the status").click()  # 422: the whole page with the error
    expect(page.get_by_text("A status with this label already exists.")).to_be_visible()
    expect(page.get_by_label("Label")).to_have_value("Working - contacted")
    context.close()
