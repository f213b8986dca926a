"""Opportunities in a browser, on a phone and a desk: create the seeds' "Get Cloudy - 50 Custom Sneakers"
at Needs Analysis, watch the probability follow the stage, land on its record page, find it in the list."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, sign_in
from tests.conftest import stored
from tests.factories import make_account

pytestmark = pytest.mark.browser
NAME = "Get Cloudy - 50 Custom Sneakers"


def no_horizontal_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_create_an_opportunity_and_find_it_in_the_list(page, screen, rep, app):
    stored(app, make_account, actor=rep, name="Get Cloudy", billing_city="San Francisco")
    stored(app, make_account, actor=rep, name="Acme")
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Opportunities").click() \
        if screen == "desktop" else page.goto("/opportunities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    page.get_by_role("link", name="New opportunity").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New opportunity")

    # Refused in place: the messages beside their fields, what was typed kept.
    page.get_by_label("Opportunity name").fill(NAME)
    page.get_by_label("Amount").fill("-8000")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Choose the account.")).to_be_visible()
    expect(page.get_by_text("The amount must be a number between 0")).to_be_visible()
    expect(page.get_by_label("Opportunity name")).to_have_value(NAME)
    assert page.evaluate("window.__sameDocument === true")

    # The account typeahead.
    page.get_by_label("Account", exact=True).press_sequentially("cloudy", delay=30)
    choice = page.get_by_role("radio", name=re.compile("Get Cloudy"))
    expect(choice).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Acme"))).to_have_count(0)
    choice.check()

    # The probability follows the stage: the hint and the placeholder change with it.
    probability = page.get_by_label("Probability (%)")
    expect(probability).to_have_attribute("placeholder", "10")
    page.get_by_label("Stage", exact=True).select_option(label="Needs Analysis")
    expect(page.get_by_text("Leave blank to follow the stage (20 %).")).to_be_visible()
    expect(probability).to_have_attribute("placeholder", "20")
    expect(page.get_by_label("Stage", exact=True)).to_have_value(re.compile(r"\d+"))
    assert page.evaluate("document.getElementById('stage_id').selectedOptions[0].textContent") == "Needs Analysis"
    page.get_by_label("Amount").fill("8000")
    page.get_by_label("Close date").fill("2027-03-31")
    no_horizontal_scroll(page, screen)
    page.get_by_role("button", name="Save").click()

    # The record page.
    expect(page.get_by_text(f"Opportunity {NAME} saved.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    expect(page).to_have_url(re.compile(r"/opportunities/\d+$"))
    expect(page.locator(".record-header").get_by_role("link", name="Get Cloudy", exact=True)).to_be_visible()
    no_horizontal_scroll(page, screen)

    # The list: live search and a stage filter swap the results only, and the URL follows.
    page.goto("/opportunities")
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_role("link", name=NAME)).to_be_visible()  # "My open opportunities"
    expect(page.get_by_role("status")).to_contain_text("1 opportunity")
    expect(page.get_by_role("status")).to_contain_text("Expected revenue 1,600")
    page.get_by_label("Search opportunities").press_sequentially("zzz", delay=30)
    expect(page.get_by_text("No opportunity matches")).to_be_visible()
    page.get_by_label("Search opportunities").fill("sneakers")
    expect(page).to_have_url(re.compile(r"/opportunities\?q=sneakers$"))
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    page.get_by_label("Stage").select_option(label="Prospecting")
    expect(page).to_have_url(re.compile(r"stage=\d+"))
    expect(page.get_by_text("No opportunity matches")).to_be_visible()
    page.get_by_label("Stage").select_option(label="Needs Analysis")
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Total amount 8,000")
    assert page.evaluate("window.__sameDocument === true")
    no_horizontal_scroll(page, screen)

    # The account page lists it and offers a new one for that account.
    page.get_by_role("link", name="Get Cloudy", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get Cloudy")
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    page.get_by_role("link", name=re.compile("^New opportunity")).click()
    expect(page.get_by_role("radio", name=re.compile("Get Cloudy"))).to_be_checked()
    no_horizontal_scroll(page, screen)


def test_a_bad_close_date_filter_says_so(page, rep, app):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto("/opportunities?close_from=2027-02-30")
    expect(page.get_by_role("alert")).to_contain_text("Enter a date as YYYY-MM-DD")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")


def test_new_opportunity_without_javascript(browser, live_server, rep, app):
    """The account search is a GET of the form page; the save a plain POST answered with 303."""
    stored(app, make_account, actor=rep, name="Get Cloudy")
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, rep.email)
    page.goto("/opportunities/new")
    page.get_by_label("Account", exact=True).fill("cloudy")
    page.get_by_role("button", name="Find account").click()
    expect(page).to_have_url(re.compile(r"/opportunities/new\?q=cloudy$"))
    page.get_by_role("radio", name="Get Cloudy").check()
    page.get_by_label("Opportunity name").fill(NAME)
    page.get_by_label("Stage", exact=True).select_option(label="Closed Lost")
    page.get_by_role("button", name="Save").click()  # no loss reason: refused, the page again
    expect(page.get_by_text("Give the reason the deal was lost.")).to_be_visible()
    expect(page.get_by_label("Opportunity name")).to_have_value(NAME)
    page.get_by_label("Loss reason").select_option(label="No Budget")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    page.goto("/opportunities?view=lost")
    expect(page.get_by_role("link", name=NAME)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Expected revenue 0")
    context.close()
