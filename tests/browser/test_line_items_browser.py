"""The Products card in a browser, on a phone and a desk: two products added to Get Cloudy -
50 Custom Sneakers, one changed in place, one removed; the header amount follows each change
without a reload, and the amount key field becomes read-only."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import SCREENS, settled, sign_in
from tests.factories import make_account, make_opportunity

pytestmark = pytest.mark.browser


@pytest.fixture
def sneakers(app, rep):
    """The deal (amount 8000 typed, amount a key field of its stage) and the standard book's
    Stratus X11 (120.00) and Cirrus (95.50)."""
    from crm.extensions import db
    from crm.models import Stage, User
    from tests.sales.test_line_items import make_catalog

    with app.app_context():
        user = db.session.get(User, rep.id)
        stage = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == 1, Stage.name == "Needs Analysis"))
        stage.key_fields = ["amount", *[name for name in stage.key_fields if name != "amount"]][:4]
        db.session.commit()
        make_catalog()
        return make_opportunity(account=make_account(user, name="Get Cloudy Consulting"), actor=user, stage=stage,
                                name="Get Cloudy - 50 Custom Sneakers", amount="8000").id


def figure(page, name: str):
    return page.locator(".record-header .key-fields > div").filter(has=page.locator("dt", has_text=name)).locator("dd")



def no_page_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_add_change_and_remove_products(page, screen, rep, sneakers):
    sign_in(page, rep.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text(rep.name)
    page.goto(f"/opportunities/{sneakers}")
    expect(figure(page, "Amount")).to_have_text("8,000")
    card = page.locator(".opp-line-items")
    expect(card).to_contain_text("Price book: Standard (EUR)")
    expect(card).to_contain_text("No products yet.")
    no_page_scroll(page, screen)
    page.evaluate("window.__sameDocument = true")
    add = page.locator("#line-item-add")

    # A quantity of 0 is refused beside the field.
    add.get_by_label("Product").select_option(label="Stratus X11 (STRATUS-X11) · €120.00")
    add.get_by_label("Quantity").fill("0")
    add.get_by_role("button", name="Add product").click()
    expect(page.get_by_text("The quantity must be a number greater than 0")).to_be_visible()
    expect(figure(page, "Amount")).to_have_text("8,000")

    # 30 Stratus X11 less 10 %: the line, the total and the header say 3,240.
    add = page.locator("#line-item-add")
    add.get_by_label("Quantity").fill("30")
    add.get_by_label("Discount (%)").fill("10")
    add.get_by_role("button", name="Add product").click()
    rows = card.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Stratus X11")
    expect(rows.first).to_contain_text("€3,240.00")
    expect(figure(page, "Amount")).to_have_text("3,240")
    # The amount key field reloads itself: read-only now, computed from the products.
    amount_field = page.locator(".key-field").filter(has_text="Amount")
    expect(amount_field).to_contain_text("Computed from the products")
    expect(amount_field).to_contain_text("3,240")
    expect(page.get_by_role("link", name="Edit Amount")).to_have_count(0)
    # The price book can no longer change.
    expect(page.get_by_label("Price book")).to_have_count(0)

    # 20 Cirrus at the book's price: 1,910.00; the total is 5,150.00.
    add = page.locator("#line-item-add")
    add.get_by_label("Product").select_option(label="Cirrus (CIRRUS) · €95.50")
    add.get_by_label("Quantity").fill("20")
    add.get_by_role("button", name="Add product").click()
    expect(rows).to_have_count(2)
    expect(card.locator(".line-total")).to_contain_text("€5,150.00")
    expect(figure(page, "Amount")).to_have_text("5,150")
    expect(add.get_by_label("Quantity")).to_have_value("")  # the add form starts afresh
    no_page_scroll(page, screen)

    # Change Stratus X11 in place: 40 at 120.00 less 10 % = 4,320.00; Cancel first brings the row back.
    page.get_by_role("link", name="Change Stratus X11").click()
    editing = card.locator("tr.editing")
    expect(editing.get_by_label("Quantity")).to_be_focused()
    # htmx wires the new row's links after the swap settles: a click before that follows the
    # plain href (the same page's anchor) instead of Cancel's hx-get.
    settled(page)
    editing.get_by_role("link", name="Cancel").click()
    expect(card.locator("tr.editing")).to_have_count(0)
    page.get_by_role("link", name="Change Stratus X11").click()
    editing = card.locator("tr.editing")
    expect(editing.get_by_label("Quantity")).to_be_focused()
    settled(page)  # htmx focuses Quantity as it settles: typing before can land in the wrong field
    editing.get_by_label("Quantity").fill("40")
    editing.get_by_label("Unit price").fill("-1")
    editing.get_by_role("button", name="Save").click()
    expect(card.locator("tr.editing")).to_contain_text("The unit price must be a number of 0 or more")
    settled(page)
    card.locator("tr.editing").get_by_label("Unit price").fill("120")
    card.locator("tr.editing").get_by_role("button", name="Save").click()
    expect(card.locator("tr.editing")).to_have_count(0)
    expect(rows.first).to_contain_text("€4,320.00")
    expect(card.locator(".line-total")).to_contain_text("€6,230.00")
    expect(figure(page, "Amount")).to_have_text("6,230")
    expect(amount_field).to_contain_text("6,230")
    no_page_scroll(page, screen)

    # Remove Cirrus (after a confirmation): the amount is Stratus X11's alone.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Remove Cirrus").click()
    expect(rows).to_have_count(1)
    expect(figure(page, "Amount")).to_have_text("4,320")
    expect(page.get_by_text("Cirrus removed from the products.")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")
    no_page_scroll(page, screen)


def test_add_and_remove_without_javascript(browser, live_server, rep, sneakers):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, rep.email)
    page.goto(f"/opportunities/{sneakers}")
    add = page.locator("#line-item-add")
    add.get_by_label("Product").select_option(label="Cirrus (CIRRUS) · €95.50")
    add.get_by_label("Quantity").fill("2")
    add.get_by_role("button", name="Add product").click()
    expect(page.get_by_text("Cirrus added to the products.")).to_be_visible()
    expect(figure(page, "Amount")).to_have_text("191")
    page.get_by_role("link", name="Change Cirrus").click()
    page.locator("tr.editing").get_by_label("Quantity").fill("3")
    page.locator("tr.editing").get_by_role("button", name="Save").click()
    expect(figure(page, "Amount")).to_have_text("286.5")
    page.get_by_role("button", name="Remove Cirrus").click()
    expect(page.get_by_text("Cirrus removed from the products.")).to_be_visible()
    expect(figure(page, "Amount")).to_have_text("0")
    expect(page.locator(".opp-line-items")).to_contain_text("No products yet.")
    context.close()
