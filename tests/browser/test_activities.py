"""Timelines (a lead's, a contact's, an account's) and 'My tasks' in a browser: swaps in place under the CSP,
on desktop and phone."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from crm.activities import services
from crm.extensions import db
from crm.models import Lead, User
from tests.browser.conftest import SCREENS, settled, sign_in, wait_until
from tests.conftest import stored
from tests.factories import make_account, make_contact, make_lead

pytestmark = pytest.mark.browser


def mark_document(page):
    """A flag that survives htmx swaps but not a full page load."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def let_the_page_check_finish(page):
    """Wait for the axe-core run the `page` fixture starts on each load. It runs beside the test: mid-request
    it would see a submit button dimmed by .htmx-request (app.css) and call it low contrast, and across a
    navigation it fails with "axe is not defined"."""
    wait_until(page, "window.__axeRun !== undefined")
    page.evaluate("window.__axeRun.then(() => true)")



def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.fixture
def lead(app):
    return stored(app, make_lead, first_name="Paula", last_name="Prospect", company="Acme Tools")


def open_timeline(page, rep, lead):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Remy Rep")
    let_the_page_check_finish(page)  # before leaving the page, or the check would run into the next one
    page.goto(f"/activities/lead/{lead.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Paula Prospect")
    let_the_page_check_finish(page)
    mark_document(page)


def test_log_a_call_appears_without_a_page_reload(page, screen, rep, lead):
    open_timeline(page, rep, lead)
    page.locator("label[for=timeline-kind-call]").click()
    form = page.locator("#call-form")
    expect(form).to_be_visible()
    expect(page.locator("#note-form")).to_be_hidden()

    form.get_by_role("button", name="Log call").click()  # nothing typed: 422, swapped in place
    expect(form.get_by_text("This field is required.")).to_be_visible()
    expect(form.get_by_label("Subject")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".activity-list")).to_have_count(0)

    form.get_by_label("Subject").fill("Discovery call")
    form.get_by_label("Details").fill("Wants 20 seats.\nCall back Friday.")
    form.get_by_role("button", name="Log call").click()
    item = page.locator(".activity-list > li").first
    expect(item).to_contain_text("Discovery call")
    expect(item).to_contain_text("Call back Friday.")
    expect(page.get_by_text("Call logged.")).to_be_visible()
    expect(page.locator("#call-form").get_by_label("Subject")).to_have_value("")  # the form is reset
    expect(page.locator("#call-form")).to_be_visible()  # and the call form stays picked
    settled(page)
    assert still_same_document(page)
    if screen == "phone":
        no_sideways_scroll(page)


def test_create_a_task_with_the_keyboard_and_tick_it_done(page, screen, rep, lead):
    open_timeline(page, rep, lead)
    page.get_by_role("radio", name="Note").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # Call, Email, Task: a radio group moves with arrows
    expect(page.get_by_role("radio", name="Task")).to_be_checked()
    form = page.locator("#task-form")
    expect(form).to_be_visible()
    form.get_by_label("Subject").fill("Send the quote")
    due = date.today() + timedelta(days=3)
    form.get_by_label("Due date").fill(due.isoformat())
    form.get_by_label("Priority").select_option("High")
    expect(form.get_by_label("Assigned to")).to_have_value(str(rep.id))  # me by default
    form.get_by_role("button", name="Create task").click()

    item = page.locator(".activity-list > li").first
    expect(item).to_contain_text("Send the quote")
    expect(item).to_contain_text("High")
    expect(item).to_contain_text("Remy Rep")
    expect(form.get_by_label("Subject")).to_have_value("")
    item.get_by_role("button", name="Mark done: Send the quote").click()
    expect(item.get_by_role("button", name="Mark not done: Send the quote")).to_be_visible()
    expect(item).to_contain_text("Done")
    expect(page.get_by_text("Task “Send the quote” done.")).to_be_visible()
    item.get_by_role("button", name="Mark not done: Send the quote").click()
    expect(item.get_by_role("button", name="Mark done: Send the quote")).to_be_visible()
    settled(page)
    assert still_same_document(page)
    if screen == "phone":
        no_sideways_scroll(page)


def test_an_event_cannot_end_before_it_starts(page, rep, lead):
    open_timeline(page, rep, lead)
    page.locator("label[for=timeline-kind-event]").click()
    form = page.locator("#event-form")
    form.get_by_label("Subject").fill("Demo")
    form.get_by_label("Starts").fill("2026-12-01T15:00")
    form.get_by_label("Ends").fill("2026-12-01T14:00")
    form.get_by_role("button", name="Create event").click()
    expect(form.get_by_text("The end cannot be before the start.")).to_be_visible()
    expect(form.get_by_label("Subject")).to_have_value("Demo")  # nothing typed is lost
    form.get_by_label("Ends").fill("2026-12-01T16:00")
    form.get_by_role("button", name="Create event").click()
    expect(page.locator(".activity-list > li").first).to_contain_text("Demo")
    settled(page)
    assert still_same_document(page)


def test_my_tasks_shows_an_overdue_task_marked_and_ticks_it_in_place(app, page, screen, rep, lead):
    with app.app_context():
        me = db.session.get(User, rep.id)
        on_lead = db.session.get(Lead, lead.id)
        late = services.add_activity(on_lead, "task", {"subject": "Call Paula back",
                                                        "due_date": date.today() - timedelta(days=2)}, actor=me)
        services.add_activity(on_lead, "task", {"subject": "Prepare the demo", "due_date": date.today()}, actor=me)
        db.session.commit()
        late_id = late.id
    sign_in(page, rep.email)
    panel = page.get_by_role("region", name="My tasks")
    expect(panel).to_be_visible()
    let_the_page_check_finish(page)
    first = panel.get_by_role("listitem").first
    expect(first).to_contain_text("Call Paula back")
    expect(first).to_contain_text("Overdue")
    expect(panel.get_by_role("listitem").nth(1)).to_contain_text("Today")
    expect(first.get_by_role("link", name="Call Paula back")).to_have_attribute("href", f"/leads/{lead.id}")
    mark_document(page)
    first.get_by_role("button", name="Mark done: Call Paula back").click()
    expect(page.locator(f"#my-task-{late_id}")).to_have_class("my-task is-done")
    expect(first.get_by_role("button", name="Mark not done: Call Paula back")).to_be_visible()
    settled(page)
    assert still_same_document(page)
    if screen == "phone":
        no_sideways_scroll(page)
    page.reload()
    expect(panel.get_by_role("listitem")).to_have_count(1)  # done tasks leave the list
    let_the_page_check_finish(page)


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_log_a_call_and_tick_a_task_without_javascript(browser, live_server, rep, lead, size):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS[size])
    page = context.new_page()
    sign_in(page, rep.email)
    page.goto(f"/activities/lead/{lead.id}")
    page.locator("label[for=timeline-kind-call]").click()  # the kind picker is CSS only
    form = page.locator("#call-form")
    expect(form).to_be_visible()
    form.get_by_label("Subject").fill("Called from the fair")
    form.get_by_role("button", name="Log call").click()  # a full page POST, then 303 back
    expect(page).to_have_url(f"{live_server}/activities/lead/{lead.id}#timeline")
    expect(page.get_by_text("Call logged.")).to_be_visible()
    expect(page.locator(".activity-list > li").first).to_contain_text("Called from the fair")

    page.locator("label[for=timeline-kind-task]").click()
    page.locator("#task-form").get_by_label("Subject").fill("Follow up")
    page.locator("#task-form").get_by_role("button", name="Create task").click()
    page.get_by_role("button", name="Mark done: Follow up").click()
    expect(page.get_by_text("Task “Follow up” done.")).to_be_visible()
    expect(page.get_by_role("button", name="Mark not done: Follow up")).to_be_visible()
    context.close()


def test_the_timeline_works_inside_the_lead_record_page(page, screen, rep, lead):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Remy Rep")
    let_the_page_check_finish(page)  # before leaving the page, or the check would run into the next one
    page.goto(f"/leads/{lead.id}")
    timeline = page.locator("#timeline")
    expect(timeline).to_be_visible()
    let_the_page_check_finish(page)
    mark_document(page)
    timeline.locator("#note-form").get_by_label("Subject").fill("Met at the trade show")
    timeline.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .activity-list > li").first).to_contain_text("Met at the trade show")
    expect(page.get_by_text("Note added.")).to_be_visible()
    settled(page)
    assert still_same_document(page)
    if screen == "phone":
        no_sideways_scroll(page)


def test_a_contacts_task_shows_and_ticks_on_its_accounts_timeline(app, page, screen, rep):
    with app.app_context():
        account = make_account(name="Acme Tools")
        contact = make_contact(account, first_name="Carla", last_name="Contact")
        account_id, contact_id = account.id, contact.id
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Remy Rep")
    let_the_page_check_finish(page)
    page.goto(f"/activities/contact/{contact_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Carla Contact")
    let_the_page_check_finish(page)
    mark_document(page)
    page.locator("label[for=timeline-kind-task]").click()
    form = page.locator("#task-form")
    form.get_by_label("Subject").fill("Call Carla back")
    form.get_by_role("button", name="Create task").click()
    expect(page.locator(".activity-list > li").first).to_contain_text("Call Carla back")
    settled(page)
    assert still_same_document(page)

    page.goto(f"/activities/account/{account_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Tools")
    let_the_page_check_finish(page)
    mark_document(page)
    item = page.locator(".activity-list > li").first
    expect(item.get_by_role("link", name="Carla Contact")).to_have_attribute("href", f"/contacts/{contact_id}")
    item.get_by_role("button", name="Mark done: Call Carla back").click()
    expect(item.get_by_role("button", name="Mark not done: Call Carla back")).to_be_visible()
    expect(item.get_by_role("link", name="Carla Contact")).to_be_visible()  # still says whom it is about
    settled(page)
    assert still_same_document(page)
    if screen == "phone":
        no_sideways_scroll(page)
