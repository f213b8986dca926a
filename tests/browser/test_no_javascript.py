"""With JavaScript off, the same forms still work as plain HTML forms, and the menu stays open."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_sign_in_and_add_a_user_without_javascript(browser, live_server, admin, size):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS[size])
    page = context.new_page()
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    # No script, so no Menu button: the navigation is simply shown.
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    page.goto("/admin/users/new")
    page.get_by_label("Name").fill("Olga")
    page.get_by_label("Email").fill("olga@")
    page.get_by_role("button", name="Save").click()  # a full page POST, answered with 422
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Olga")
    context.close()
