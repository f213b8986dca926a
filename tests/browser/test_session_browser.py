"""The password rules on the profile page, on a desktop and on a 360 px phone: a common
password is refused in place with its message, a strong one is accepted; then the other
devices are signed out."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, login

pytestmark = pytest.mark.browser


def change_password(page, new: str) -> None:
    form = page.locator("#password-form")
    form.get_by_label("Current password").fill(PASSWORD)
    form.get_by_label("New password", exact=True).fill(new)
    form.get_by_label("Repeat the new password").fill(new)
    form.get_by_role("button", name="Change password").click()


def test_weak_password_refused_strong_one_accepted(page, app, rep):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.goto("/profile")
    new_password = page.locator("#password-form").get_by_label("New password", exact=True)
    expect(page.get_by_text("At least 10 characters; not a common password, your email or your name.")).to_be_visible()

    change_password(page, "Password123")
    error = page.get_by_text("This password is among the most common ones. Choose another.")
    expect(error).to_be_visible()
    # Tied to its field for screen readers, and the page is still the profile.
    expect(new_password).to_have_attribute("aria-invalid", "true")
    expect(new_password).to_have_attribute("aria-describedby", "password-error")
    assert page.url.endswith("/profile")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]

    change_password(page, "rep@example.com")
    expect(page.get_by_text("A password must not be your email address or your name.")).to_be_visible()

    change_password(page, "seven lanterns over the harbour")
    expect(page.get_by_text("Your password is changed. Other devices are signed out.")).to_be_visible()
    expect(page.locator("#password-form").get_by_text("This password is among")).to_have_count(0)
    # The new password is the one that signs in now.
    assert login(app.test_client(), rep.email, "seven lanterns over the harbour").status_code == 303
    assert login(app.test_client(), rep.email, PASSWORD).status_code == 422

    # Other devices: the password is asked again; a wrong one is answered in place.
    sessions = page.locator("#sessions-form")
    sessions.get_by_label("Current password").fill(PASSWORD)
    sessions.get_by_role("button", name="Sign out of other devices").click()
    expect(page.locator("#sessions-form").get_by_text("This is not your current password.")).to_be_visible()
    page.locator("#sessions-form").get_by_label("Current password").fill("seven lanterns over the harbour")
    page.locator("#sessions-form").get_by_role("button", name="Sign out of other devices").click()
    expect(page.get_by_text("You are signed out on every other device.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")
