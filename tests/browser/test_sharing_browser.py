"""Private sharing in a browser, on a desk and on a 360 px phone: the admin switches the org to
private on the Sharing admin page; a rep then no longer lists the other rep's lead, and its URL
answers the 404 page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, check_accessibility, sign_in
from tests.sharing.world import OTHER_LEAD, OWN_LEAD, build_world

pytestmark = pytest.mark.browser


def new_page(browser, live_server, screen_name, errors: list):
    """A page of its own context: the rep's 404 is expected, and the browser logs it as an error."""
    context = browser.new_context(base_url=live_server, **SCREENS[screen_name])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_admin_goes_private_and_a_rep_loses_the_other_reps_lead(browser, live_server, app, screen_name):
    with app.app_context():
        world = build_world()

    admin_errors, violations = [], []
    admin_context, admin = new_page(browser, live_server, screen_name, admin_errors)
    sign_in(admin, "admin@example.com")
    admin.wait_for_url(lambda url: "/login" not in url)
    admin.goto("/admin/sharing")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Sharing")
    public = admin.get_by_role("radio", name=re.compile(r"^Public"))
    private = admin.get_by_role("radio", name=re.compile(r"^Private"))
    expect(public).to_be_checked()
    assert fits_the_screen(admin)
    check_accessibility(admin, violations)
    private.check()
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Sharing is now private")).to_be_visible()
    expect(admin.get_by_role("radio", name=re.compile(r"^Private"))).to_be_checked()
    check_accessibility(admin, violations)
    admin_context.close()
    assert not admin_errors, admin_errors
    assert not violations, violations

    rep_errors = []
    rep_context, rep = new_page(browser, live_server, screen_name, rep_errors)
    sign_in(rep, "rep@example.com")
    rep.wait_for_url(lambda url: "/login" not in url)
    rep.goto("/leads?view=all")
    expect(rep.locator("main").get_by_text(OWN_LEAD).first).to_be_visible()
    expect(rep.get_by_text(OTHER_LEAD)).to_have_count(0)
    # The live search finds nothing of the other rep's either.
    search = rep.get_by_role("searchbox").first
    with rep.expect_response(re.compile(r"/leads\?")):
        search.fill(OTHER_LEAD[:-3])
    expect(rep.get_by_text(OTHER_LEAD)).to_have_count(0)
    assert fits_the_screen(rep)

    answer = rep.goto(f"/leads/{world.other_lead}")
    assert answer.status == 404
    expect(rep.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(rep.get_by_text(OTHER_LEAD)).to_have_count(0)
    assert fits_the_screen(rep)
    rep_context.close()
    # The only error logged is the browser's note of the 404 itself.
    assert all("404" in error for error in rep_errors), rep_errors
