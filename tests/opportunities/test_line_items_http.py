"""The Products card of the opportunity page over HTTP: add, change in place, remove, the price
book; the page and the htmx fragments; the amount locked while lines exist (edit form, key
field); bad input beside its field (422); a closed deal (409); private sharing (404)."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm import sharing
from crm.extensions import db
from crm.models import KEY_FIELDS, Opportunity, Stage, User
from crm.models.sales import OpportunityLineItem
from crm.opportunities import services as opportunities
from tests.conftest import csrf_token
from tests.factories import make_account, make_opportunity, make_user
from tests.sales.test_line_items import make_catalog

HX = {"HX-Request": "true"}


@pytest.fixture
def deal(app, rep):
    """Get Cloudy - 50 Custom Sneakers (amount 8000, typed), owned by the rep, with the amount as a
    key field of its stage; Stratus X11 (120.00) and Cirrus (95.50) in the standard book."""
    with app.app_context():
        user = db.session.get(User, rep.id)
        opportunity = make_opportunity(account=make_account(user, name="Get Cloudy Consulting"), actor=user,
                                       name="Get Cloudy - 50 Custom Sneakers", amount="8000")
        stage = db.session.get(Stage, opportunity.stage_id)
        stage.key_fields = ["amount", *[name for name in stage.key_fields if name != "amount"]][:4]
        db.session.commit()
        return {"id": opportunity.id, **make_catalog()}


def post(client, path, data, headers=None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers or {})


def add(client, deal, product="stratus", quantity="30", price="", discount="", headers=HX):
    return post(client, f"/opportunities/{deal['id']}/line-items", {
        "line-product_id": deal[product] if product in deal else product, "line-quantity": quantity,
        "line-unit_price": price, "line-discount_percent": discount}, headers)


def lines(app, deal):
    with app.app_context():
        return [(item.name, item.quantity, item.unit_price, item.discount_percent, item.net_amount)
                for item in db.session.scalars(sa.select(OpportunityLineItem).where(
                    OpportunityLineItem.opportunity_id == deal["id"]).order_by(OpportunityLineItem.id))]


def amount(app, deal) -> Decimal:
    with app.app_context():
        return db.session.get(Opportunity, deal["id"]).amount


def item_ids(app, deal) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OpportunityLineItem.id).where(
            OpportunityLineItem.opportunity_id == deal["id"]).order_by(OpportunityLineItem.id)))


def test_the_page_shows_the_card_and_the_products_of_the_book(rep_client, deal):
    html = rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    card = html[html.index(f'id="opp-{deal["id"]}-line-items"'):]
    assert "Price book: Standard (EUR)" in card and "No products yet." in card
    # Only active products of the book, with their price; the price book can still change.
    assert "Stratus X11 (STRATUS-X11) · €120.00" in card and "Cirrus (CIRRUS) · €95.50" in card
    assert "Nimbus" not in card
    assert 'name="book-price_book_id"' in card and "Export (USD)" in card and "Old prices" not in card


def test_add_two_lines_the_amount_is_their_sum(app, rep_client, deal):
    response = add(rep_client, deal, "stratus", "30", discount="10")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert response.headers["HX-Retarget"] == f"#opp-{deal['id']}-line-items"
    assert response.headers["HX-Trigger"] == "opp-lines-changed"
    # The card, the header figures and the field history (out of band).
    assert "€3,240.00" in html and f'id="opp-{deal["id"]}-figures" class="key-fields" hx-swap-oob="true"' in html
    assert 'id="field-history"' in html and "3,240" in html[html.index("-figures"):]
    # The price book form is gone with the first line.
    assert 'name="book-price_book_id"' not in html
    response = add(rep_client, deal, "cirrus", "20", headers={})  # without JavaScript
    assert response.status_code == 303 and response.headers["Location"].endswith(
        f"/opportunities/{deal['id']}#line-items-title")
    assert lines(app, deal) == [
        ("Stratus X11", Decimal("30.00"), Decimal("120.00"), Decimal("10.00"), Decimal("3240.00")),
        ("Cirrus", Decimal("20.00"), Decimal("95.50"), Decimal("0.00"), Decimal("1910.00"))]
    assert amount(app, deal) == Decimal("5150.00")
    page = rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    assert "Cirrus added to the products." in page
    card = page[page.index(f'id="opp-{deal["id"]}-line-items"'):]
    assert re.search(r"Total</strong> <span[^>]*>€5,150.00</span>", card)


def test_a_changed_price_shows_the_list_price(app, rep_client, deal):
    add(rep_client, deal, "stratus", "2", price="99.90")
    html = rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    assert "€99.90" in html and "list price €120.00" in html
    assert amount(app, deal) == Decimal("199.80")


def test_edit_a_line_in_place(app, rep_client, deal):
    add(rep_client, deal, "stratus", "30", discount="10")
    add(rep_client, deal, "cirrus", "20")
    stratus = item_ids(app, deal)[0]
    base = f"/opportunities/{deal['id']}/line-items/{stratus}"
    form = rep_client.get(f"{base}/edit", headers=HX).get_data(as_text=True)
    assert form.startswith("{#") is False and f'<tr id="line-item-{stratus}" class="editing">' in form
    assert 'value="30.00"' in form and "<html" not in form
    # Cancel brings the row back.
    row = rep_client.get(base, headers=HX).get_data(as_text=True)
    assert f'<tr id="line-item-{stratus}">' in row and "Change" in row
    response = post(rep_client, base, {f"li{stratus}-quantity": "40", f"li{stratus}-unit_price": "120",
                                       f"li{stratus}-discount_percent": "10"}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["HX-Retarget"] == f"#opp-{deal['id']}-line-items"
    assert "€4,320.00" in html and "€6,230.00" in html  # the line and the total
    assert amount(app, deal) == Decimal("6230.00")
    # Without JavaScript: the edit page keeps the row's form in view, saving redirects.
    page = rep_client.get(f"{base}/edit").get_data(as_text=True)
    assert "<html" in page and f'name="li{stratus}-quantity"' in page
    response = post(rep_client, base, {f"li{stratus}-quantity": "1", f"li{stratus}-unit_price": "120",
                                       f"li{stratus}-discount_percent": ""})
    assert response.status_code == 303 and amount(app, deal) == Decimal("2030.00")


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"line-quantity": "0"}, "line-quantity", "The quantity must be a number greater than 0"),
    ({"line-quantity": "abc"}, "line-quantity", "The quantity must be a number greater than 0"),
    ({"line-quantity": ""}, "line-quantity", "Enter the quantity."),
    ({"line-discount_percent": "150"}, "line-discount_percent", "The discount must be a number between 0 and 100"),
    ({"line-unit_price": "-3"}, "line-unit_price", "The unit price must be a number of 0 or more"),
    ({"line-product_id": "999999"}, "line-product_id", "Choose a product of the opportunity's price book."),
    ({"line-product_id": ""}, "line-product_id", "Choose a product."),
    ({"line-product_id": "abc"}, "line-product_id", "Choose a product."),
])
def test_bad_input_comes_back_beside_its_field(app, rep_client, deal, fields, field, message):
    data = {"line-product_id": deal["stratus"], "line-quantity": "1", "line-unit_price": "",
            "line-discount_percent": ""} | fields
    for headers in (HX, {}):
        response = post(rep_client, f"/opportunities/{deal['id']}/line-items", data, headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert re.search(rf'<p class="field-error" id="{field}-error">{re.escape(message)}', html), html[-3000:]
        assert ("<html" in html) == (not headers)
    assert lines(app, deal) == [] and amount(app, deal) == Decimal("8000.00")


def test_bad_input_on_edit_keeps_the_row_form(app, rep_client, deal):
    add(rep_client, deal, "stratus", "3")
    stratus = item_ids(app, deal)[0]
    response = post(rep_client, f"/opportunities/{deal['id']}/line-items/{stratus}", {
        f"li{stratus}-quantity": "2.555", f"li{stratus}-unit_price": "120", f"li{stratus}-discount_percent": "0"}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and f'<tr id="line-item-{stratus}" class="editing">' in html
    assert "The quantity must be a number greater than 0" in html and 'value="2.555"' in html
    assert amount(app, deal) == Decimal("360.00")


def test_remove_the_lines_then_the_amount_is_typeable_again(app, rep_client, deal):
    add(rep_client, deal, "stratus", "30", discount="10")
    add(rep_client, deal, "cirrus", "20")
    stratus, cirrus = item_ids(app, deal)
    html = rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    assert "Remove Stratus X11 from the products?" in html  # hx-confirm
    response = post(rep_client, f"/opportunities/{deal['id']}/line-items/{cirrus}/delete", {}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="line-item-{cirrus}"' not in html and "€3,240.00" in html
    assert "Cirrus removed from the products." in html
    assert amount(app, deal) == Decimal("3240.00")
    response = post(rep_client, f"/opportunities/{deal['id']}/line-items/{stratus}/delete", {})
    assert response.status_code == 303 and amount(app, deal) == Decimal("0.00") and lines(app, deal) == []
    # Typeable again: the edit form has the input, and the key field its Edit button.
    form = rep_client.get(f"/opportunities/{deal['id']}/edit").get_data(as_text=True)
    assert 'name="amount"' in form and "Computed from the products" not in form
    response = post(rep_client, f"/opportunities/{deal['id']}/fields/amount", {"kf-amount": "7500"}, HX)
    assert response.status_code == 200 and amount(app, deal) == Decimal("7500.00")


def test_the_amount_is_locked_while_lines_exist(app, rep_client, deal):
    add(rep_client, deal, "cirrus", "2")
    # The edit form shows it read-only, and a submitted amount is ignored.
    form = rep_client.get(f"/opportunities/{deal['id']}/edit").get_data(as_text=True)
    assert 'name="amount"' not in form and "Computed from the products" in form and "191" in form
    with app.app_context():
        opportunity = db.session.get(Opportunity, deal["id"])
        data = {"name": "Get Cloudy - 60 Custom Sneakers", "account_id": opportunity.account_id,
                "stage_id": opportunity.stage_id, "owner_id": opportunity.owner_id, "amount": "99999",
                "close_date": "", "probability": "", "loss_reason": "", "lead_source": "", "next_step": "",
                "description": ""}
    response = post(rep_client, f"/opportunities/{deal['id']}/edit", data)
    assert response.status_code == 303
    with app.app_context():
        opportunity = db.session.get(Opportunity, deal["id"])
        assert (opportunity.name, opportunity.amount) == ("Get Cloudy - 60 Custom Sneakers", Decimal("191.00"))
    # The key field on the path: read-only, with the hint, and a POST is refused (422).
    page = rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    field = page[page.index(f'id="opp-{deal["id"]}-field-amount"'):]
    field = field[:field.index("</li>")]
    assert "Computed from the products" in field and "fields/amount/edit" not in field
    assert 'hx-trigger="opp-lines-changed from:body"' in field
    edit = rep_client.get(f"/opportunities/{deal['id']}/fields/amount/edit", headers=HX).get_data(as_text=True)
    assert 'name="kf-amount"' not in edit and "Computed from the products" in edit
    for headers in (HX, {}):
        response = post(rep_client, f"/opportunities/{deal['id']}/fields/amount", {"kf-amount": "5"}, headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert '<p class="field-error" id="kf-amount-error">Computed from the products' in html
    assert amount(app, deal) == Decimal("191.00")


def test_the_price_book_changes_only_without_lines(app, rep_client, deal):
    response = post(rep_client, f"/opportunities/{deal['id']}/price-book", {"book-price_book_id": deal["old"]}, HX)
    assert response.status_code == 422 and "Choose an active price book." in response.get_data(as_text=True)
    response = post(rep_client, f"/opportunities/{deal['id']}/price-book", {"book-price_book_id": deal["export"]}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Price book: Export (USD)" in html
    assert "Stratus X11 (STRATUS-X11) · $130.00" in html and "Cirrus" not in html.split("field-history")[0]
    add(rep_client, deal, "stratus", "2")
    assert amount(app, deal) == Decimal("260.00")
    assert "$260.00" in rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    response = post(rep_client, f"/opportunities/{deal['id']}/price-book", {"book-price_book_id": deal["standard"]})
    assert response.status_code == 422 and "Remove the products before changing the price book." in \
        response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Opportunity, deal["id"]).price_book_id == deal["export"]


def test_a_closed_deal_shows_its_lines_read_only_and_refuses_changes(app, rep_client, deal):
    add(rep_client, deal, "stratus", "2")
    (item,) = item_ids(app, deal)
    with app.app_context():
        opportunity = db.session.get(Opportunity, deal["id"])
        won = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id, Stage.is_won))
        opportunities.change_stage(opportunity, won, actor=db.session.get(User, opportunity.owner_id))
        db.session.commit()
    page = rep_client.get(f"/opportunities/{deal['id']}").get_data(as_text=True)
    card = page[page.index(f'id="opp-{deal["id"]}-line-items"'):]
    card = card[:card.index("</section>")]
    assert "Stratus X11" in card and "reopen it on its path to change its products" in card
    assert "line-items/" not in card and 'name="line-quantity"' not in card
    base = f"/opportunities/{deal['id']}"
    for path, data in ((f"{base}/line-items", {"line-product_id": deal["cirrus"], "line-quantity": "1"}),
                       (f"{base}/line-items/{item}", {f"li{item}-quantity": "5", f"li{item}-unit_price": "1"}),
                       (f"{base}/line-items/{item}/delete", {}),
                       (f"{base}/price-book", {"book-price_book_id": deal["export"]})):
        for headers in (HX, {}):
            response = post(rep_client, path, data, headers)
            assert response.status_code == 409, path
            assert "reopen it on its path to change its products" in response.get_data(as_text=True)
    assert rep_client.get(f"{base}/line-items/{item}/edit", headers=HX).status_code == 409
    assert lines(app, deal) == [("Stratus X11", Decimal("2.00"), Decimal("120.00"), Decimal("0.00"),
                                 Decimal("240.00"))]


def test_a_line_of_another_opportunity_is_not_found(app, rep_client, deal, rep):
    add(rep_client, deal, "stratus", "2")
    (item,) = item_ids(app, deal)
    with app.app_context():
        other = make_opportunity(actor=db.session.get(User, rep.id)).id
    assert rep_client.get(f"/opportunities/{other}/line-items/{item}/edit").status_code == 404
    assert post(rep_client, f"/opportunities/{other}/line-items/{item}/delete", {}).status_code == 404
    assert len(lines(app, deal)) == 1


def test_a_rep_in_private_mode_gets_404_on_another_reps_deal(app, client, deal):
    with app.app_context():
        admin = make_user(role="admin")
        sharing.set_sharing("private", admin)
        make_user(email="other@example.com", role="rep")
        db.session.commit()
    from tests.conftest import PASSWORD, login

    assert login(client, "other@example.com", PASSWORD).status_code == 303
    base = f"/opportunities/{deal['id']}"
    assert client.get(base).status_code == 404
    assert add(client, deal, "stratus", "1").status_code == 404
    assert add(client, deal, "stratus", "1", headers={}).status_code == 404
    assert post(client, f"{base}/price-book", {"book-price_book_id": deal["export"]}).status_code == 404
    with app.app_context():
        db.session.add(OpportunityLineItem(opportunity_id=deal["id"], name="Stratus X11", quantity=1,
                                           unit_price=1, net_amount=1))
        db.session.commit()
    (item,) = item_ids(app, deal)
    assert client.get(f"{base}/line-items/{item}").status_code == 404
    assert client.get(f"{base}/line-items/{item}/edit").status_code == 404
    assert post(client, f"{base}/line-items/{item}", {f"li{item}-quantity": "9", f"li{item}-unit_price": "9"}
                ).status_code == 404
    assert post(client, f"{base}/line-items/{item}/delete", {}).status_code == 404
    assert len(lines(app, deal)) == 1


def test_amount_is_a_key_field(deal):
    assert "amount" in KEY_FIELDS
