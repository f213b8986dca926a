"""The opportunity record page in a browser, on a phone and a desk: the probability follows the
path, key fields are edited in place, Lars MacMillan of another account joins as Influencer, and
the deal is closed lost, first without a reason (refused), then with one."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, sign_in
from tests.factories import make_account, make_contact, make_opportunity

pytestmark = pytest.mark.browser


def needs_analysis():
    from crm.extensions import db
    from crm.models import Stage

    return db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == 1, Stage.name == "Needs Analysis"))


@pytest.fixture
def sneakers(app, rep):
    """Get Cloudy - 50 Custom Sneakers at Needs Analysis; Lars MacMillan works at Get Cloudy Canada."""
    from crm.extensions import db
    from crm.models import User

    with app.app_context():
        user = db.session.get(User, rep.id)
        cloudy = make_account(user, name="Get Cloudy")
        canada = make_account(user, name="Get Cloudy Canada")
        make_contact(canada, user, first_name="Lars", last_name="MacMillan")
        make_contact(cloudy, user, first_name="Leung", last_name="Chan")
        return make_opportunity(account=cloudy, actor=user, stage=needs_analysis(),
                                name="Get Cloudy - 50 Custom Sneakers", amount="8000",
                                close_date=date(2026, 12, 31)).id


def figure(page, name: str):
    """A figure of the header (Stage, Probability (%), Expected revenue...)."""
    return page.locator(".record-header .key-fields > div").filter(has=page.locator("dt", has_text=name)).locator("dd")


def no_page_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_move_along_the_path_add_a_contact_role_and_close_lost(page, screen, rep, sneakers):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto(f"/opportunities/{sneakers}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Get Cloudy - 50 Custom Sneakers")
    path = page.get_by_role("navigation", name="Stages")
    expect(path.locator('[aria-current="step"]')).to_contain_text("Needs Analysis")
    expect(figure(page, "Probability (%)")).to_have_text("20")
    expect(page.get_by_text("Write down the customer's pains")).to_be_visible()
    no_page_scroll(page, screen)
    page.evaluate("window.__sameDocument = true")

    # Mark stage as complete (with the keyboard): the next stage becomes current, the probability
    # follows it, and the focus stays on the action button.
    page.get_by_role("button", name="Mark stage as complete").press("Enter")
    expect(path.locator('[aria-current="step"]')).to_contain_text("Value Proposition")
    expect(page.get_by_role("button", name="Mark stage as complete")).to_be_focused()
    expect(figure(page, "Probability (%)")).to_have_text("50")
    expect(figure(page, "Expected revenue")).to_have_text("4,000")
    expect(page.get_by_text("Show how the offer answers the needs found")).to_be_visible()
    expect(page.locator(".opp-history .history-table tbody tr")).to_have_count(2)

    # Select a later step: its guidance, then "Mark as current stage".
    path.get_by_role("link", name=re.compile(r"Proposal\/Price Quote")).click()
    expect(page.get_by_text("Send the quote and agree on the date")).to_be_visible()
    page.get_by_role("button", name="Mark as current stage").click()
    expect(path.locator('[aria-current="step"]')).to_contain_text("Proposal/Price Quote")
    expect(figure(page, "Probability (%)")).to_have_text("75")

    # A key field in place: a negative amount is refused beside the field, then a good one saved.
    page.get_by_role("link", name="Edit Amount").click()
    amount = page.get_by_label("Amount")
    amount.fill("-5")
    page.locator(".key-field-form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("The amount must be a number between 0")).to_be_visible()
    page.get_by_label("Amount").fill("10000")
    page.locator(".key-field-form").get_by_role("button", name="Save").click()
    expect(page.locator(".key-field-value").first).to_have_text("10,000")
    expect(figure(page, "Expected revenue")).to_have_text("7,500")
    no_page_scroll(page, screen)

    # Lars MacMillan of Get Cloudy Canada joins as Influencer, found by typing.
    page.get_by_label("Contact", exact=True).press_sequentially("macmil", delay=30)
    lars = page.get_by_role("radio", name=re.compile("Lars MacMillan"))
    expect(lars).to_be_visible()
    expect(page.get_by_role("radio", name=re.compile("Leung Chan"))).to_have_count(0)
    lars.check()
    page.get_by_label("Role", exact=True).select_option("Influencer")
    page.get_by_role("button", name="Add contact role").click()
    roles = page.locator(".role-rows")
    expect(roles.get_by_role("link", name="Lars MacMillan", exact=True)).to_be_visible()
    expect(roles).to_contain_text("Get Cloudy Canada")
    expect(roles).to_contain_text("Influencer")
    no_page_scroll(page, screen)

    # Close it lost without a reason: refused beside the select, nothing stored.
    path.get_by_role("link", name="Closed").click()
    page.get_by_role("radio", name="Closed Lost").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Give the reason the deal was lost.")).to_be_visible()
    expect(figure(page, "Stage")).to_have_text("Proposal/Price Quote")
    expect(page.get_by_role("radio", name="Closed Lost")).to_be_checked()
    # Then with a reason.
    page.get_by_label("Loss reason").select_option("Lost to Competitor")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(path.locator('[aria-current="step"]')).to_have_text("Closed Lost")
    expect(figure(page, "Stage")).to_contain_text("Lost to Competitor")
    expect(figure(page, "Probability (%)")).to_have_text("0")
    expect(page.get_by_text("Loss reason: Lost to Competitor")).to_be_visible()
    history = page.locator(".opp-history .history-table tbody tr")
    expect(history).to_have_count(4)
    expect(history.first).to_contain_text("Closed Lost")
    expect(history.first).to_contain_text(rep.name)
    assert page.evaluate("window.__sameDocument === true")
    no_page_scroll(page, screen)

    # Lars's own page lists the deal with its stage and his role.
    page.goto(f"/opportunities/{sneakers}")
    page.get_by_role("link", name="Lars MacMillan", exact=True).click()
    section = page.locator(".contact-roles")
    expect(section.get_by_role("link", name="Get Cloudy - 50 Custom Sneakers")).to_be_visible()
    expect(section).to_contain_text("Closed Lost")
    expect(section).to_contain_text("Influencer")


def test_a_probability_set_by_hand_stays_and_an_admin_edits_the_guidance(page, admin, app, sneakers):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(admin.name)
    page.goto(f"/opportunities/{sneakers}?stage=closed")
    path = page.get_by_role("navigation", name="Stages")
    # Select a step where the probability is a key field, and set it by hand.
    path.get_by_role("link", name=re.compile(r"Negotiation\/Review")).click()
    page.get_by_role("button", name="Mark as current stage").click()
    expect(figure(page, "Probability (%)")).to_have_text("90")
    page.get_by_role("link", name="Edit Probability (%)").click()
    page.get_by_label("Probability (%)").fill("101")
    page.locator(".key-field-form").get_by_role("button", name="Save").click()
    expect(page.get_by_text("The probability must be a whole number between 0 and 100.")).to_be_visible()
    page.get_by_label("Probability (%)").fill("65")
    page.locator(".key-field-form").get_by_role("button", name="Save").click()
    expect(figure(page, "Probability (%)")).to_contain_text("65")
    expect(figure(page, "Probability (%)")).to_contain_text("overridden")
    # Moving back keeps the value set by hand.
    path.get_by_role("link", name=re.compile("Value Proposition")).click()
    page.get_by_role("button", name="Mark as current stage").click()
    expect(path.locator('[aria-current="step"]')).to_contain_text("Value Proposition")
    expect(figure(page, "Probability (%)")).to_contain_text("65")

    # The admin edits the guidance in place; newlines are kept, markup is text.
    page.get_by_role("link", name="Edit Guidance for success").click()
    page.get_by_role("textbox", name="Guidance for success").fill("Show the <b>demo</b>.\nThen send the price.")
    page.locator(".path-guidance").get_by_role("button", name="Save").click()
    guidance = page.locator(".guidance-text")
    expect(guidance).to_have_text("Show the <b>demo</b>.\nThen send the price.")
    assert guidance.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-line"


def test_close_and_add_a_role_without_javascript(browser, live_server, rep, app, sneakers):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, rep.email)
    page.goto(f"/opportunities/{sneakers}")
    page.get_by_role("navigation", name="Stages").get_by_role("link", name="Closed").click()
    expect(page).to_have_url(re.compile(r"\?stage=closed$"))
    page.get_by_role("radio", name="Closed Won").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Stage set to Closed Won.")).to_be_visible()
    expect(figure(page, "Probability (%)")).to_have_text("100")
    page.get_by_label("Contact", exact=True).fill("lars")
    page.get_by_role("button", name="Find contact").click()
    page.get_by_role("radio", name=re.compile("Lars MacMillan")).check()
    page.get_by_label("Role", exact=True).select_option("Influencer")
    page.get_by_role("button", name="Add contact role").click()
    expect(page.get_by_text("Lars MacMillan added to the contact roles.")).to_be_visible()
    expect(page.locator(".role-rows")).to_contain_text("Influencer")
    context.close()
