"""Campaigns in a browser: add one, see it offered on the lead form, deactivate it; phone layout, no JavaScript."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.admin import campaigns_services as services
from crm.extensions import db
from crm.models import Campaign
from tests.browser.conftest import SCREENS, sign_in
from tests.conftest import stored

pytestmark = pytest.mark.browser


def make_campaign(**fields) -> Campaign:
    campaign = services.create_campaign(**fields)
    db.session.commit()
    return campaign


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_add_a_campaign_and_pick_it_on_a_new_lead(page, screen, app, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/campaigns")
    nav = page.get_by_role("navigation", name="Administration")
    expect(nav.get_by_role("link", name="Campaigns")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No campaigns yet.")).to_be_visible()

    page.get_by_role("link", name="Add a campaign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a campaign")
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Name").fill("Spring Expo")
    page.get_by_label("Type").select_option(label="Webinar")
    page.get_by_label("Status").select_option(label="In Progress")
    page.get_by_label("Start date").fill("2026-05-03")
    page.get_by_label("End date").fill("2026-05-01")
    page.get_by_role("button", name="Save").click()
    # 422: the form swaps itself in place, the message beside the end date, typed values kept.
    error = page.locator("#end_date-error")
    expect(error).to_have_text("The end date cannot be before the start date.")
    expect(page.get_by_label("End date")).to_have_attribute("aria-describedby", "end_date-error")
    expect(page.get_by_label("Name")).to_have_value("Spring Expo")
    assert page.evaluate("window.__sameDocument === true")

    page.get_by_label("End date").fill("2026-05-05")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/campaigns$"))
    expect(page.get_by_text("Campaign Spring Expo saved.")).to_be_visible()
    row = page.locator("#campaign-list tr", has_text="Spring Expo")
    expect(row.locator("td[data-label='Type']")).to_have_text("Webinar")
    expect(row.locator("td[data-label='Status']")).to_have_text("In Progress")
    expect(row.locator("td[data-label='Leads']")).to_have_text("0")
    with app.app_context():
        campaign = db.session.scalar(sa.select(Campaign).where(Campaign.name == "Spring Expo"))
        assert (campaign.start_date, campaign.end_date, campaign.active) == (date(2026, 5, 3), date(2026, 5, 5), True)

    if screen == "phone":
        # Rows become cards: the header row is hidden, each cell carries its label.
        expect(page.locator("#campaign-list thead")).to_have_css("position", "absolute")
        assert no_horizontal_scroll(page)
        for control in (page.get_by_role("button", name="Deactivate Spring Expo"),
                        page.get_by_role("link", name="Edit Spring Expo")):
            box = control.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44

    page.goto("/leads/new")
    page.get_by_text("More fields").click()
    campaign_select = page.get_by_label("Campaign", exact=True)
    expect(campaign_select).to_be_visible()
    expect(campaign_select.locator("option", has_text="Spring Expo")).to_have_count(1)
    if screen == "phone":
        assert no_horizontal_scroll(page)


def test_edit_a_campaign_with_a_taken_name(page, screen, app, admin):
    stored(app, make_campaign, name="Spring Expo")
    stored(app, make_campaign, name="Autumn Webinar", type="Webinar")
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/campaigns")
    page.get_by_role("link", name="Edit Autumn Webinar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Autumn Webinar")
    page.get_by_label("Name").fill("spring expo")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#name-error")).to_have_text("A campaign with this name already exists.")
    page.get_by_label("Name").fill("Autumn Webinar 2026")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/campaigns$"))
    expect(page.get_by_text("Campaign Autumn Webinar 2026 saved.")).to_be_visible()
    if screen == "phone":
        assert no_horizontal_scroll(page)


def test_deactivate_swaps_the_row_keeps_the_focus_and_the_lead_form_stops_offering_it(page, app, admin):
    stored(app, make_campaign, name="Old Mailing", type="Direct Mail")
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/campaigns")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Deactivate Old Mailing").click()
    expect(page.get_by_text("Old Mailing is no longer offered on lead forms")).to_be_visible()
    reactivate = page.get_by_role("button", name="Reactivate Old Mailing")
    expect(reactivate).to_be_focused()
    expect(page.locator("#campaign-list tr", has_text="Old Mailing")).to_contain_text("Inactive")
    assert page.evaluate("window.__sameDocument === true")  # an htmx swap, not a reload

    page.goto("/leads/new")
    page.get_by_text("More fields").click()
    expect(page.get_by_label("Campaign", exact=True).locator("option", has_text="Old Mailing")).to_have_count(0)


def test_campaigns_without_javascript(browser, live_server, app, admin):
    stored(app, make_campaign, name="Spring Expo")
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/campaigns")
    page.get_by_role("button", name="Deactivate Spring Expo").click()  # a plain POST, then 303
    expect(page).to_have_url(re.compile(r"/admin/campaigns$"))
    expect(page.get_by_text("Spring Expo is no longer offered on lead forms")).to_be_visible()
    expect(page.get_by_role("button", name="Reactivate Spring Expo")).to_be_visible()

    page.get_by_role("link", name="Add a campaign").click()
    page.get_by_label("Name").fill("SPRING EXPO")
    page.get_by_role("button", name="Save").click()  # 422: the whole page with the error
    expect(page.get_by_text("A campaign with this name already exists.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("SPRING EXPO")
    page.get_by_label("Name").fill("Summer Expo")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/campaigns$"))
    expect(page.get_by_text("Campaign Summer Expo saved.")).to_be_visible()
    context.close()
