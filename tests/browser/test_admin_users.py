"""Users administration in a browser: htmx swaps under the strict CSP, on desktop and phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
NEW_PASSWORD = "a long new password"


def mark_document(page):
    """A flag that survives htmx swaps but not a full page load."""
    page.evaluate("window.__sameDocument = true")


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def test_add_user_errors_swap_in_place_then_save(page, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/users/new")
    mark_document(page)
    page.get_by_label("Name").fill("Nina New")
    page.get_by_label("Email").fill("nina-at-example")
    page.get_by_label("Role").select_option("manager")
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Repeat the new password").fill("short")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_text("Use at least 10 characters (at most 200).")).to_be_visible()
    assert still_same_document(page)  # htmx swapped the form; nothing reloaded
    expect(page.get_by_label("Name")).to_have_value("Nina New")  # nothing typed is lost
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Email").fill("nina@example.com")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/users$"))
    expect(page.get_by_text("User Nina New added.")).to_be_visible()
    expect(page.get_by_role("cell", name="nina@example.com")).to_be_visible()


def test_deactivate_swaps_the_row(page, screen, admin, rep):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/users")
    mark_document(page)
    row = page.locator(f"#user-{rep.id}")
    expect(row).to_contain_text("Active")
    row.get_by_role("button", name="Deactivate Remy Rep").click()
    expect(row).to_contain_text("Deactivated")
    expect(page.get_by_text("Remy Rep is deactivated and signed out everywhere.")).to_be_visible()
    assert still_same_document(page)
    row.get_by_role("button", name="Reactivate Remy Rep").click()
    expect(row).to_contain_text("Active")
    if screen == "phone":
        # Rows become cards: the header row is hidden, each cell carries its label.
        expect(page.locator("thead")).to_have_css("position", "absolute")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_switch_to_french_from_the_profile(page, rep):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Remy Rep")
    page.goto("/profile")
    page.get_by_label("Language").select_option("fr")
    page.locator("#preferences-form").get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon profil")
    expect(page.get_by_text("Vos préférences sont enregistrées.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
