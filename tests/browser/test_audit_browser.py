"""The audit trail in a browser, on a desk and a 360 px phone: a lead's field history on its
record page, and the admin's audit log with the sign-in in it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import stored
from tests.factories import make_lead

pytestmark = pytest.mark.browser


def test_field_history_on_the_record_and_the_sign_in_in_the_audit_log(app, page, screen, admin, rep):
    lead = stored(app, make_lead, actor=admin, first_name="Aparna", last_name="Bosu", company="Get Cloudy West")
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(admin.name)

    page.goto(f"/leads/{lead.id}/edit")
    page.get_by_label("Status").select_option(label="Working - Contacted")
    page.get_by_label("Owner", exact=True).select_option(label=rep.name)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aparna Bosu")

    history = page.locator("#field-history")
    expect(history.get_by_role("heading", name="Field history")).to_be_visible()
    history.scroll_into_view_if_needed()
    rows = history.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(history).to_contain_text("Working - Contacted")
    expect(history).to_contain_text("Open - Not Contacted")
    expect(history).to_contain_text(rep.name)
    # Each change names who made it (the admin), on a desk's table as on a phone's cards.
    expect(rows.first).to_contain_text(admin.name)
    if screen == "phone":
        # The table's rows become cards: no sideways scrolling at 360 px.
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert rows.first.locator("td").first.evaluate("td => getComputedStyle(td).display") == "block"

    page.goto("/admin/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    sign_ins = page.locator("#audit-list tr.audit-event[data-kind='sign_in']")
    expect(sign_ins).to_have_count(1)
    expect(sign_ins.first).to_contain_text(admin.email)
    # The filter swaps only the list (htmx) and the address bar follows.
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("User").select_option(label=f"{rep.name} ({rep.email})")
    expect(page).to_have_url(re.compile(rf"actor={rep.id}"))
    expect(page.get_by_text("No events match.")).to_be_visible()
    page.get_by_label("User").select_option(label="Anyone")
    expect(sign_ins).to_have_count(1)
    page.get_by_label("Event").select_option(label="Settings change")
    expect(page).to_have_url(re.compile(r"kind=settings"))
    expect(page.get_by_text("No events match.")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
