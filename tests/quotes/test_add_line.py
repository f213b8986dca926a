"""Adding a product of the quote's price book to a draft quote: the service (price, tax rate,
rounding, position) and the page (the form, the htmx card with the header total out of band,
bad input beside its field, a closed quote refused)."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import User
from crm.models.sales import OpportunityLineItem, PriceBook, PriceBookEntry, Product
from crm.sales import documents, quote_lines
from tests.quotes.helpers import HX, new_quote, post, reload, text


def add_product(code: str, name: str, price: str, *, tax_rate: str = "20", book_id: int | None = None,
                active: bool = True) -> int:
    """A product with a price in the book (the standard one unless another is named)."""
    product = Product(code=code, name=name, tax_rate=Decimal(tax_rate), active=active)
    db.session.add(product)
    db.session.flush()
    book_id = book_id or db.session.scalar(sa.select(PriceBook.id).where(PriceBook.is_standard))
    db.session.add(PriceBookEntry(price_book_id=book_id, product_id=product.id, unit_price=Decimal(price)))
    db.session.commit()
    return product.id


@pytest.fixture
def laces(app):
    """Custom laces at 2.45 in the standard book, VAT 5.5 %."""
    with app.app_context():
        return add_product("LACE-C", "Custom laces", "2.45", tax_rate="5.5")


def test_the_service_adds_the_product_at_the_books_price_with_its_tax_rate(app_ctx, rep, laces):
    from tests.quotes.conftest import make_deal

    user = db.session.get(User, rep.id)
    quote = documents.create_quote(make_deal(user), actor=user)
    line = quote_lines.add_quote_line(quote, product_id=laces, quantity="7", discount_percent="")
    # 7 × 2.45 = 17.15; tax 5.5 % = 0.94325, rounded once, half up: 0.94.
    assert (line.unit_price, line.discount_percent, line.tax_rate) == (Decimal("2.45"), Decimal("0"), Decimal("5.50"))
    assert (line.net_amount, line.tax_amount, line.product_code) == (Decimal("17.15"), Decimal("0.94"), "LACE-C")
    assert [other.name for other in quote.lines] == ["Stratus X11", "Cirrus", "Custom laces"]
    assert line.position > max(other.position for other in quote.lines[:2])
    assert (quote.net_total, quote.tax_total, quote.total) == (
        Decimal("5167.15"), Decimal("1030.94"), Decimal("6198.09"))
    # A typed price and discount win over the book's: 10 × 3.00 − 15 % = 25.50.
    typed = quote_lines.add_quote_line(quote, product_id=laces, quantity="10", unit_price="3", discount_percent="15")
    assert (typed.unit_price, typed.net_amount) == (Decimal("3.00"), Decimal("25.50"))


def test_the_service_refuses_what_the_book_does_not_sell(app_ctx, rep):
    from tests.quotes.conftest import make_deal

    user = db.session.get(User, rep.id)
    quote = documents.create_quote(make_deal(user), actor=user)
    other_book = PriceBook(name="Export", currency="USD")
    db.session.add(other_book)
    db.session.flush()
    elsewhere = add_product("EXP-1", "Export only", "9.00", book_id=other_book.id)
    retired = add_product("OLD-1", "Retired", "9.00", active=False)
    for product_id in (elsewhere, retired, None, 999999):
        with pytest.raises(quote_lines.InvalidLineValue) as refused:
            quote_lines.add_quote_line(quote, product_id=product_id, quantity="1")
        assert refused.value.field == "product_id"
    quote.status = "Presented"
    with pytest.raises(documents.QuoteNotDraft):
        quote_lines.add_quote_line(quote, product_id=elsewhere, quantity="1")


def test_add_a_product_in_place(app, rep_client, rep, deal, laces):
    quote_id = new_quote(app, deal, rep.id)
    page = rep_client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert 'id="quote-line-add"' in page and f'hx-post="/quotes/{quote_id}/lines"' in page
    assert "Custom laces (LACE-C) · €2.45" in page
    response = post(rep_client, f"/quotes/{quote_id}/lines",
                    {"add-product_id": str(laces), "add-quantity": "7", "add-unit_price": "",
                     "add-discount_percent": ""}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith("<section") and f'id="quote-{quote_id}-lines"' in html
    assert "Custom laces" in text(html) and "€17.15" in html and "€0.94" in html
    assert "Total €6,198.09" in text(html)
    # The header's total follows out of band; the flash says what happened.
    assert f'<span id="quote-{quote_id}-head-total" hx-swap-oob="true">€6,198.09</span>' in html
    assert "Custom laces added to the quote." in html
    # The form comes back empty, for the next product.
    assert 'name="add-quantity" type="text" value=""' in html or 'name="add-quantity" type="text">' in html
    quote = reload(app, quote_id)
    assert [line.name for line in quote.lines] == ["Stratus X11", "Cirrus", "Custom laces"]
    assert quote.total == Decimal("6198.09")
    with app.app_context():  # the opportunity's own products do not change until the quote is accepted
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OpportunityLineItem)
                                 .where(OpportunityLineItem.opportunity_id == deal)) == 2


def test_without_javascript_the_add_redirects_to_the_quote(app, rep_client, rep, deal, laces):
    quote_id = new_quote(app, deal, rep.id)
    response = post(rep_client, f"/quotes/{quote_id}/lines",
                    {"add-product_id": str(laces), "add-quantity": "2", "add-unit_price": "2.00",
                     "add-discount_percent": "0"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/quotes/{quote_id}")
    line = reload(app, quote_id).lines[-1]
    assert (line.name, line.quantity, line.unit_price, line.net_amount) == (
        "Custom laces", Decimal("2.00"), Decimal("2.00"), Decimal("4.00"))


@pytest.mark.parametrize(("field", "values"), [
    ("product_id", {"add-product_id": ""}),
    ("quantity", {"add-quantity": "0"}),
    ("quantity", {"add-quantity": "lots"}),
    ("unit_price", {"add-unit_price": "-1"}),
    ("discount_percent", {"add-discount_percent": "120"}),
])
def test_bad_input_comes_back_beside_its_field_and_nothing_is_added(app, rep_client, rep, deal, laces, field, values):
    quote_id = new_quote(app, deal, rep.id)
    data = {"add-product_id": str(laces), "add-quantity": "3", "add-unit_price": "",
            "add-discount_percent": ""} | values
    for headers in (HX, {}):
        response = post(rep_client, f"/quotes/{quote_id}/lines", data, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert f'id="add-{field}-error"' in html and 'aria-invalid="true"' in html
        assert ("<html" in html) is (headers == {})
        if field != "product_id":  # what was typed stays, to be corrected
            assert f'value="{values[f"add-{field}"]}"' in html
    quote = reload(app, quote_id)
    assert len(quote.lines) == 2 and quote.total == Decimal("6180.00")


def test_a_presented_quote_takes_no_product(app, rep_client, rep, deal, laces):
    quote_id = new_quote(app, deal, rep.id, present=True)
    assert 'id="quote-line-add"' not in rep_client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    response = post(rep_client, f"/quotes/{quote_id}/lines",
                    {"add-product_id": str(laces), "add-quantity": "1"}, headers=HX)
    assert response.status_code == 409 and "Only a draft quote can be changed" in text(response.get_data(as_text=True))
    assert len(reload(app, quote_id).lines) == 2


def test_changing_or_removing_a_line_updates_the_header_total(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    first, second = (line.id for line in reload(app, quote_id).lines)
    saved = post(rep_client, f"/quotes/{quote_id}/lines/{first}",
                 {f"l{first}-quantity": "1", f"l{first}-unit_price": "100", f"l{first}-discount_percent": "0",
                  f"l{first}-tax_rate": "20"}, headers=HX).get_data(as_text=True)
    # 100 + 150 = 250 net, 50 tax: 300.00.
    assert f'<span id="quote-{quote_id}-head-total" hx-swap-oob="true">€300.00</span>' in saved
    removed = post(rep_client, f"/quotes/{quote_id}/lines/{second}/delete", headers=HX).get_data(as_text=True)
    assert f'<span id="quote-{quote_id}-head-total" hx-swap-oob="true">€120.00</span>' in removed
    # The full page has the header total once, never a stray out-of-band copy.
    page = rep_client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert page.count(f'id="quote-{quote_id}-head-total"') == 1 and "hx-swap-oob" not in page


def test_accepting_the_quote_orders_the_added_product_and_the_deal_follows(app_ctx, rep, laces):
    """The quote is what the customer said yes to: its added line reaches the order, and the
    opportunity's products and amount become the quote's."""
    from tests.quotes.conftest import make_deal

    user = db.session.get(User, rep.id)
    opportunity = make_deal(user)
    quote = documents.create_quote(opportunity, actor=user)
    quote_lines.add_quote_line(quote, product_id=laces, quantity="7")
    documents.present_quote(quote)
    order = documents.accept_quote(quote, actor=user)
    db.session.commit()
    assert [line.name for line in order.lines] == ["Stratus X11", "Cirrus", "Custom laces"]
    assert order.total == Decimal("6198.09")
    names = db.session.scalars(sa.select(OpportunityLineItem.name).where(
        OpportunityLineItem.opportunity_id == opportunity.id).order_by(OpportunityLineItem.position))
    assert list(names) == ["Stratus X11", "Cirrus", "Custom laces"]
    assert opportunity.amount == Decimal("5167.15")
