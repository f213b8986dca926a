"""Campaigns in a browser, on a desk and a 360 px phone: open a campaign from the main nav, add a
lead found by typing, mark it Sent in place (the figures follow), and see it in the lead's history."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import CampaignMember
from tests.browser.conftest import sign_in
from tests.factories import make_lead

pytestmark = pytest.mark.browser


@pytest.fixture
def expo(app):
    from crm.admin import campaigns_services

    with app.app_context():
        campaign = campaigns_services.create_campaign(name="Spring Expo", type="Trade Show", status="In Progress")
        make_lead(first_name="Grace", last_name="Hopper", company="Navy Labs")
        db.session.commit()
        return campaign.id


def figure(page, key: str):
    return page.locator(f'#campaign-figures dd[data-figure="{key}"]')


def no_horizontal_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_add_a_lead_change_its_status_and_see_it_on_the_lead(page, screen, app, rep, expo):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    if screen == "phone":
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Campaigns").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Campaigns")
    page.get_by_role("link", name="Spring Expo").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spring Expo")
    expect(page.get_by_text("No members yet.")).to_be_visible()
    expect(figure(page, "members")).to_have_text("0")
    no_horizontal_scroll(page, screen)

    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Lead or contact").fill("hopp")
    page.get_by_role("radio", name=re.compile("Grace Hopper")).check()
    page.get_by_label("Status", exact=True).select_option("Responded")
    page.get_by_role("button", name="Add to campaign").click()
    expect(page.get_by_text("Grace Hopper added to the campaign.")).to_be_visible()
    row = page.locator("#member-list tbody tr", has_text="Grace Hopper")
    expect(row).to_have_count(1)
    expect(figure(page, "members")).to_have_text("1")
    expect(figure(page, "responded")).to_have_text("1")
    assert page.evaluate("window.__sameDocument === true")  # swapped in place, no reload
    no_horizontal_scroll(page, screen)

    # Change the status in place: the row swaps itself and the figures follow.
    select = page.get_by_label("Status of Grace Hopper")
    if screen == "phone":
        box = select.bounding_box()
        assert box["height"] >= 44
    # htmx binds the new row's change trigger when it settles: wait for that, as a person would.
    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping")).to_have_count(0)
    select.select_option("Sent")
    expect(figure(page, "responded")).to_have_text("0")
    expect(page.get_by_label("Status of Grace Hopper")).to_have_value("Sent")
    with app.app_context():
        assert db.session.scalars(sa.select(CampaignMember.status)).all() == ["Sent"]
    assert page.evaluate("window.__sameDocument === true")

    row.get_by_role("link", name="Grace Hopper").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grace Hopper")
    history = page.get_by_role("region", name="Campaign history")
    expect(history.get_by_role("link", name="Spring Expo")).to_be_visible()
    expect(history).to_contain_text("Sent")
    no_horizontal_scroll(page, screen)
    history.get_by_role("link", name="Spring Expo").click()
    expect(page).to_have_url(re.compile(rf"/campaigns/{expo}$"))
