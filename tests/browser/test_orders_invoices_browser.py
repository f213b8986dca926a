"""Orders and invoices in a browser, on a desk and on a phone (360 px, no sideways scroll): open the
Get Cloudy order, fulfil it, land on its draft invoice, change a line's tax rate in place (a bad
rate first: refused beside the field), send the invoice and mark it paid."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import settled, sign_in
from tests.factories import make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def order(app, rep):
    from crm.extensions import db
    from crm.models import User
    from tests.orders.helpers import make_order

    with app.app_context():
        user = db.session.get(User, rep.id)
        account = make_account(user, name="Get Cloudy Consulting", billing_city="Lyon")
        from tests.factories import make_opportunity

        opportunity = make_opportunity(account=account, actor=user, name="Get Cloudy - 50 Custom Sneakers")
        return make_order(actor=user, opportunity=opportunity).id


def no_page_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360



def line_row(page, name: str):
    return page.locator("tr[id^=invoice-line-]").filter(has_text=name)


def test_fulfil_an_order_and_take_its_invoice_to_paid(page, screen, rep, order):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto("/orders")
    expect(page.get_by_role("heading", level=1, name="Orders")).to_be_visible()
    no_page_scroll(page, screen)
    page.get_by_role("link", name="ORD-00001").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("ORD-00001")
    expect(page.locator(".record-header")).to_contain_text("Open")
    expect(page.get_by_role("link", name="Get Cloudy - 50 Custom Sneakers")).to_be_visible()
    expect(page.locator(".document-totals")).to_contain_text("€5,150.00")
    no_page_scroll(page, screen)

    page.get_by_role("button", name="Fulfil and invoice").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-00001")
    expect(page.locator(".record-header .badge")).to_have_text("Draft")
    expect(page.locator("#messages")).to_contain_text("invoice INV-00001 drafted")
    no_page_scroll(page, screen)
    page.evaluate("window.__sameDocument = true")

    # The Stratus X11 line at 20 %: a bad rate first, refused beside the field.
    line_row(page, "Stratus X11").get_by_role("link", name=re.compile("Change")).click()
    rate = page.get_by_label("Tax rate (%) of Stratus X11")
    expect(rate).to_be_visible()
    settled(page)
    rate.fill("120")
    line_row(page, "Stratus X11").get_by_role("button", name=re.compile("Save")).click()
    expect(line_row(page, "Stratus X11").locator(".field-error")).to_contain_text("between 0 and 100")
    settled(page)
    no_page_scroll(page, screen)
    page.get_by_label("Tax rate (%) of Stratus X11").fill("20")
    line_row(page, "Stratus X11").get_by_role("button", name=re.compile("Save")).click()
    expect(line_row(page, "Stratus X11")).to_contain_text("€648.00")
    settled(page)
    expect(page.locator(".document-totals")).to_contain_text("€5,798.00")
    # The Cirrus line at 5,5 % (typed the French way).
    line_row(page, "Cirrus").get_by_role("link", name=re.compile("Change")).click()
    expect(page.get_by_label("Tax rate (%) of Cirrus")).to_be_visible()
    settled(page)
    page.get_by_label("Tax rate (%) of Cirrus").fill("5,5")
    page.get_by_label("Tax rate (%) of Cirrus").press("Enter")
    expect(line_row(page, "Cirrus")).to_contain_text("€105.05")
    expect(page.locator(".document-totals")).to_contain_text("€753.05")
    expect(page.locator(".document-totals")).to_contain_text("€5,903.05")
    assert page.evaluate("window.__sameDocument === true")  # edited in place, no reload
    no_page_scroll(page, screen)

    page.once("dialog", lambda dialog: dialog.accept())  # hx-confirm asks first
    page.get_by_role("button", name="Mark as sent").click()
    expect(page.locator(".record-header .badge")).to_have_text("Sent")
    expect(page.get_by_role("link", name=re.compile("Change"))).to_have_count(0)
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.locator(".record-header .badge")).to_have_text("Paid")
    expect(page.locator(".document-totals")).to_contain_text("€5,903.05")
    no_page_scroll(page, screen)

    page.goto("/invoices?status=Paid")
    expect(page.get_by_role("link", name="INV-00001")).to_be_visible()
    no_page_scroll(page, screen)
