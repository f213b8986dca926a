"""Quotes in a browser, on a phone and a desk: create a quote from the Get Cloudy deal, change a
line's discount in place and watch the totals follow, add a product of the price book, present
it, accept it (confirmed), and land on the new order's page; no sideways scroll at 360 px."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settled, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def deal(app, rep):
    from crm.extensions import db
    from crm.models import User
    from tests.quotes.conftest import make_deal

    with app.app_context():
        return make_deal(db.session.get(User, rep.id)).id


def no_page_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.fixture
def laces(app):
    from tests.quotes.test_add_line import add_product

    with app.app_context():
        return add_product("LACE-C", "Custom laces", "2.45", tax_rate="5.5")


def test_create_edit_present_accept(page, screen, rep, deal, laces):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto(f"/opportunities/{deal}")
    card = page.locator(f"#opp-{deal}-quotes")
    expect(card).to_contain_text("No quotes yet.")
    card.get_by_role("button", name="Create quote").click()

    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Q-00001")
    expect(page.locator(".quote-status").first).to_have_text("Draft")
    totals = page.locator("[id$='-totals']")
    expect(totals.locator(".total-total")).to_have_text("€6,180.00")
    no_page_scroll(page, screen)

    # Edit the Stratus X11 line's discount in place: the row and the totals change, no reload.
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("link", name="Edit Stratus X11").click()
    # The form takes the focus (autofocus on Quantity) once swapped in: wait for it before typing.
    row_form = page.locator("form.quote-line-form")
    expect(row_form.get_by_label("Quantity")).to_be_focused()
    settled(page)  # htmx focuses Quantity again as it settles: typing earlier can land there
    discount = row_form.get_by_label("Discount (%)")
    expect(discount).to_have_value("0.00")
    discount.fill("10")
    page.get_by_role("button", name="Save Stratus X11").click()
    row = page.locator("tr.quote-line", has_text="Stratus X11")
    expect(row.locator(".quote-line-net")).to_have_text("€4,500.00")
    expect(row.locator(".quote-line-total")).to_have_text("€5,400.00")
    expect(totals.locator(".total-net")).to_have_text("€4,650.00")
    expect(totals.locator(".total-total")).to_have_text("€5,580.00")
    assert page.evaluate("window.__sameDocument === true")
    no_page_scroll(page, screen)

    # A bad value comes back beside its field.
    page.get_by_role("link", name="Edit Cirrus").click()
    expect(row_form.get_by_label("Quantity")).to_be_focused()
    settled(page)
    row_form.get_by_label("Quantity").fill("-2")
    page.get_by_role("button", name="Save Cirrus").click()
    expect(page.get_by_text("Enter a quantity above 0 with at most two decimals.")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("tr.quote-line", has_text="Cirrus").locator(".quote-line-total")).to_have_text("€180.00")

    # Add a product of the price book: without a quantity it is refused beside the field; then
    # 7 laces at the book's 2.45 with 5.5 % VAT join the lines, and both totals follow in place.
    adder = page.locator("#quote-line-add")
    adder.get_by_label("Product").select_option(label="Custom laces (LACE-C) · €2.45")
    adder.get_by_role("button", name="Add product").click()
    expect(page.locator("#add-quantity-error")).to_have_text("Enter a quantity above 0 with at most two decimals.")
    expect(page.locator("#quote-line-add").get_by_label("Product")).to_have_value(str(laces))
    page.locator("#quote-line-add").get_by_label("Quantity").fill("7")
    page.locator("#quote-line-add").get_by_role("button", name="Add product").click()
    laces_row = page.locator("tr.quote-line", has_text="Custom laces")
    expect(laces_row.locator(".quote-line-total")).to_have_text("€18.09")  # 17.15 + 0.94
    expect(totals.locator(".total-total")).to_have_text("€5,598.09")
    expect(page.locator(".quote-head-total")).to_have_text("€5,598.09")
    expect(page.locator("#quote-line-add").get_by_label("Quantity")).to_have_value("")
    assert page.evaluate("window.__sameDocument === true")
    no_page_scroll(page, screen)

    # Present, then accept (hx-confirm asks first): the order's page.
    page.get_by_role("button", name="Present").click()
    expect(page.locator(".quote-status").first).to_have_text("Presented")
    expect(page.get_by_role("link", name="Edit Stratus X11")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept").click()
    expect(page).to_have_url(re.compile(r"/(orders|quotes)/\d+$"))
    expect(page.get_by_text("ORD-00001").first).to_be_visible()
    expect(page.get_by_text("Custom laces").first).to_be_visible()  # the added product was ordered
    no_page_scroll(page, screen)

    # The printable page: no app chrome, the accepted lines, no sideways scroll on a phone.
    page.goto("/quotes/1/print")
    expect(page.get_by_role("heading", level=1)).to_have_text("Quote Q-00001")
    expect(page.locator(".doc-totals .grand dd")).to_have_text("€5,598.09")
    expect(page.locator(".main-nav")).to_have_count(0)
    no_page_scroll(page, screen)
