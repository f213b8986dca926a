"""The catalog in a browser, at 1280 and 360 px: add a product, price it in the standard book, edit the
price in place, import a CSV of three rows."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.catalog import services
from crm.extensions import db
from crm.models.sales import PriceBook
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_product_price_and_import(page, screen, app, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/products")
    expect(page.get_by_role("heading", level=1)).to_have_text("Products")
    expect(page.get_by_text("No products yet.")).to_be_visible()

    # Add a product: a bad tax rate comes back beside its field, in place.
    page.get_by_role("link", name="Add a product").click()
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Code").fill("STX11")
    page.get_by_label("Name").fill("Stratus X11")
    page.get_by_label("Family").fill("Sneakers")
    page.get_by_label("Default tax rate (%)").fill("120")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#tax_rate-error")).to_contain_text("between 0 and 100")
    assert page.evaluate("window.__sameDocument === true")
    expect(page.get_by_label("Code")).to_have_value("STX11")
    if screen == "phone":
        assert no_horizontal_scroll(page)
    page.get_by_label("Default tax rate (%)").fill("20,5")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/admin/products$"))
    expect(page.get_by_text("Product STX11 saved.")).to_be_visible()
    row = page.locator("#product-list tr", has_text="STX11")
    expect(row.locator("td[data-label='Tax rate']")).to_have_text("20.5 %")
    if screen == "phone":
        expect(page.locator("#product-list thead")).to_have_css("position", "absolute")
        assert no_horizontal_scroll(page)

    # Live search narrows the list without leaving the page.
    page.get_by_label("Search products").fill("zzz")
    expect(page.get_by_text("No product matches.")).to_be_visible()
    page.get_by_label("Search products").fill("stx")
    expect(page.locator("#product-list tr", has_text="STX11")).to_be_visible()

    # Price it in the standard book.
    page.get_by_role("link", name="Price books").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Price books")
    if screen == "phone":
        assert no_horizontal_scroll(page)
    page.get_by_role("link", name="Standard", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Standard")
    page.get_by_label("Product", exact=True).select_option(label="STX11 · Stratus X11")
    page.get_by_label("Unit price").fill("89.90")
    page.get_by_role("button", name="Add the price").click()
    entry = page.locator("#price-book-entries tbody tr", has_text="STX11")
    expect(entry.locator("td[data-label='Unit price']")).to_have_text("€89.90")
    expect(page.get_by_text("Every active product already has a price in this book.")).to_be_visible()

    # Edit the price in its row.
    page.evaluate("window.__sameDocument = true")
    entry.get_by_role("link", name="Edit the price STX11").click()
    price = page.locator("#price-book-entries tr.editing input[name$='price']")
    expect(price).to_have_value("89.90")
    price.fill("-4")
    page.locator("#price-book-entries tr.editing").get_by_role("button", name="Save").click()
    expect(page.locator("#price-book-entries tr.editing .field-error")).to_contain_text("0 or more")
    page.locator("#price-book-entries tr.editing input[name$='price']").fill("99.5")
    page.locator("#price-book-entries tr.editing").get_by_role("button", name="Save").click()
    expect(entry.locator("td[data-label='Unit price']")).to_have_text("€99.50")
    expect(page.locator("#price-book-entries tr.editing")).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true")
    if screen == "phone":
        assert no_horizontal_scroll(page)
    with app.app_context():
        book = db.session.scalar(sa.select(PriceBook).where(PriceBook.is_standard))
        assert services.entry_of(book, services.product_by_code("STX11")).unit_price == Decimal("99.50")

    # Import three rows: one update, one new product, one refused.
    page.goto("/admin/products/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import products")
    csv = ("Code produit;Nom;Famille;Taux de TVA;Prix\r\n"
           "STX11;;;20;95,00\r\nCIR1;Cirrus été;Course;5,5;65\r\nBAD;Bad;;vingt;\r\n")
    page.locator("#file").set_input_files(files=[{"name": "produits.csv", "mimeType": "text/csv",
                                                  "buffer": csv.encode("cp1252")}])
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-created")).to_have_text("1")
    expect(page.locator("#import-updated")).to_have_text("1")
    expect(page.locator("#import-rejected")).to_have_text("1")
    rejected = page.locator("#import-report tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td[data-label='Line']")).to_have_text("4")
    expect(rejected.locator("td[data-label='Reason']")).to_contain_text("tax rate")
    if screen == "phone":
        assert no_horizontal_scroll(page)
    with app.app_context():
        cirrus = services.product_by_code("CIR1")
        assert (cirrus.name, cirrus.tax_rate) == ("Cirrus été", Decimal("5.50"))
        book = db.session.scalar(sa.select(PriceBook).where(PriceBook.is_standard))
        assert services.entry_of(book, services.product_by_code("STX11")).unit_price == Decimal("95.00")
        assert services.product_by_code("BAD") is None
    page.get_by_role("link", name="See the products").click()
    expect(page.locator("#product-list tr", has_text="CIR1")).to_be_visible()
