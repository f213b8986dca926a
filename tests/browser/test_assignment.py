"""Lead assignment in a browser: an admin adds a rule to a queue, a rep's new lead goes to it, a member takes it."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.assignment import services
from crm.extensions import db
from crm.models import Lead, Queue, User
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def big_enough(locator) -> bool:
    box = locator.bounding_box()
    return box["width"] >= 44 and box["height"] >= 44


def test_rule_to_a_queue_then_a_member_takes_the_lead(page, screen, app, admin, rep):
    with app.app_context():
        paris = services.create_queue(name="Paris")
        services.add_member(paris, db.session.get(User, rep.id))
        db.session.commit()

    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/assignment-rules")
    nav = page.get_by_role("navigation", name="Administration")
    expect(nav.get_by_role("link", name="Assignment rules")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No rules yet")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    form = page.locator("#rule-form")
    form.get_by_label("Rule name").fill("France")
    form.get_by_label("Country").fill("France")
    # Both a user and a queue: 422, the message beside the user field, nothing stored.
    form.get_by_label("Assign to user").select_option(label="Ada Admin")
    form.get_by_label("Or to queue").select_option(label="Paris")
    form.get_by_role("button", name="Add the rule").click()
    expect(page.locator("#owner_user_id-error")).to_have_text("Choose a user or a queue, not both.")
    expect(page.locator("#rule-form").get_by_label("Rule name")).to_have_value("France")
    with app.app_context():
        assert services.rules() == []
    page.locator("#rule-form").get_by_label("Assign to user").select_option(label="—")
    page.locator("#rule-form").get_by_role("button", name="Add the rule").click()
    row = page.locator("#rule-list tr", has_text="France")
    expect(row.locator("td[data-label='Assign to']")).to_have_text("Queue Paris")
    expect(row.locator("td[data-label='Criteria']")).to_have_text("Country = France")
    expect(page.get_by_text("Rule France saved.")).to_be_visible()
    expect(page.locator("#rule-form").get_by_label("Rule name")).to_have_value("")
    assert page.evaluate("window.__sameDocument === true")
    if screen == "phone":
        assert no_horizontal_scroll(page)
        assert big_enough(page.get_by_role("button", name="Move France up"))
        assert big_enough(page.get_by_role("link", name="Edit France"))

    # The queue's page: its members, reached from the rules page.
    page.get_by_role("link", name="Queues", exact=True).click()
    page.get_by_role("link", name="Open Paris").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Queue Paris")
    expect(page.locator(".member-list")).to_contain_text("Remy Rep")
    expect(nav.get_by_role("link", name="Assignment rules")).to_have_attribute("aria-current", "true")
    if screen == "phone":
        assert no_horizontal_scroll(page)
        assert big_enough(page.get_by_role("button", name="Remove Remy Rep"))

    page.context.clear_cookies()
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Remy Rep")
    page.goto("/leads/new")
    page.get_by_label("Last name").fill("Lefèvre")
    page.get_by_label("Company").fill("Société Générale")
    page.get_by_text("More fields").click()
    page.get_by_label("Country", exact=True).fill("france")
    page.get_by_label("Assign using active rules").check()
    if screen == "phone":
        assert no_horizontal_scroll(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/leads/\d+$"))
    expect(page.get_by_text("The rule France gave the lead to the queue Paris.")).to_be_visible()
    summary = page.locator(".lead-summary")
    expect(summary.locator(".owner-value")).to_contain_text("Queue Paris")
    expect(summary.locator(".assignment-rule")).to_have_text("France")
    with app.app_context():
        lead = db.session.scalar(sa.select(Lead).where(Lead.last_name == "Lefèvre"))
        assert (lead.owner_id, lead.queue.name) == (None, "Paris")

    take = page.get_by_role("button", name="Take Lefèvre")
    if screen == "phone":
        assert big_enough(take)
        assert no_horizontal_scroll(page)
    page.evaluate("window.__sameDocument = true")
    take.click()
    expect(summary.locator(".owner-value")).to_have_text("Remy Rep")
    expect(page.get_by_text("You now own Lefèvre.")).to_be_visible()
    expect(page.get_by_role("button", name="Take Lefèvre")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true")
    with app.app_context():
        lead = db.session.scalar(sa.select(Lead).where(Lead.last_name == "Lefèvre"))
        assert (lead.owner_id, lead.queue_id) == (rep.id, None)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Queue)) == 1
