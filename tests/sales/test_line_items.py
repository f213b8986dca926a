"""An opportunity's line items (crm/sales/line_items.py): the amount is the lines' sum, exact to
the cent; the price book's price by default; bad input refused with its message; closed deals
and price book changes with lines refused."""

import os
import threading
import time
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, Stage, User
from crm.models.sales import OpportunityLineItem, PriceBook, PriceBookEntry, Product
from crm.opportunities import services as opportunities
from crm.sales import line_items as service
from crm.sales.documents import AmountTooLarge, standard_price_book
from tests.factories import make_account, make_opportunity, make_user


def make_catalog() -> dict:
    """Stratus X11 (120.00) and Cirrus (95.50) in the standard book; Nimbus retired; an export
    book in USD (Stratus X11 at 130.00) and an inactive book."""
    standard = standard_price_book()
    export = PriceBook(name="Export", currency="USD")
    old = PriceBook(name="Old prices", currency="EUR", active=False)
    stratus = Product(code="STRATUS-X11", name="Stratus X11", tax_rate=Decimal("20"))
    cirrus = Product(code="CIRRUS", name="Cirrus", tax_rate=Decimal("20"))
    nimbus = Product(code="NIMBUS", name="Nimbus", active=False)
    db.session.add_all([export, old, stratus, cirrus, nimbus])
    db.session.flush()
    db.session.add_all([
        PriceBookEntry(price_book_id=standard.id, product_id=stratus.id, unit_price=Decimal("120.00")),
        PriceBookEntry(price_book_id=standard.id, product_id=cirrus.id, unit_price=Decimal("95.50")),
        PriceBookEntry(price_book_id=standard.id, product_id=nimbus.id, unit_price=Decimal("10.00")),
        PriceBookEntry(price_book_id=export.id, product_id=stratus.id, unit_price=Decimal("130.00")),
    ])
    db.session.commit()
    return {"standard": standard.id, "export": export.id, "old": old.id, "stratus": stratus.id,
            "cirrus": cirrus.id, "nimbus": nimbus.id}


@pytest.fixture
def deal(app_ctx):
    user = make_user()
    opportunity = make_opportunity(account=make_account(user, name="Get Cloudy Consulting"), actor=user,
                                   name="Get Cloudy - 50 Custom Sneakers", amount="8000")
    return {"opportunity": opportunity, "user": user, **make_catalog()}


def amount_of(opportunity_id: int) -> Decimal:
    db.session.expire_all()
    return db.session.get(Opportunity, opportunity_id).amount


def test_add_edit_remove_rolls_the_amount_up_exactly(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    assert opportunity.price_book_id is None
    stratus = service.add_line_item(opportunity, product_id=deal["stratus"], quantity="30", discount_percent="10",
                                    actor=user)
    # The first line sets the opportunity's price book (the standard one) and its price.
    assert opportunity.price_book_id == deal["standard"]
    assert (stratus.unit_price, stratus.list_price, stratus.net_amount) == (
        Decimal("120.00"), Decimal("120.00"), Decimal("3240.00"))
    assert (stratus.product_code, stratus.name, stratus.position) == ("STRATUS-X11", "Stratus X11", 1)
    assert opportunity.amount == Decimal("3240.00")
    cirrus = service.add_line_item(opportunity, product_id=deal["cirrus"], quantity=Decimal("20"), actor=user)
    db.session.commit()
    assert cirrus.net_amount == Decimal("1910.00") and cirrus.position == 2
    assert amount_of(opportunity.id) == Decimal("5150.00")
    # Edit: 30 × 110.00 − 10 % = 2970.00; the list price stays 120.00.
    stratus = db.session.get(OpportunityLineItem, stratus.id)
    service.update_line_item(stratus, quantity="30", unit_price="110", discount_percent="10", actor=user)
    db.session.commit()
    assert stratus.net_amount == Decimal("2970.00") and stratus.list_price == Decimal("120.00")
    assert amount_of(opportunity.id) == Decimal("4880.00")
    service.remove_line_item(db.session.get(OpportunityLineItem, cirrus.id), actor=user)
    db.session.commit()
    assert amount_of(opportunity.id) == Decimal("2970.00")
    # The last line gone, the amount stays at 0 and can be typed again.
    service.remove_line_item(db.session.get(OpportunityLineItem, stratus.id), actor=user)
    db.session.commit()
    opportunity = db.session.get(Opportunity, opportunity.id)
    assert opportunity.amount == Decimal("0.00") and not service.has_line_items(opportunity)
    opportunities.update_opportunity(opportunity, actor=user, amount="7000")
    assert opportunity.amount == Decimal("7000.00")


def test_rounding_is_once_per_line_half_up(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    # 0.5 × 95.50 less 30 % = 33.425 → 33.43 (half up, not to even); 0.5 × 120.00 less 0.01 % = 59.994 → 59.99
    service.add_line_item(opportunity, product_id=deal["cirrus"], quantity="0.5", discount_percent="30", actor=user)
    service.add_line_item(opportunity, product_id=deal["stratus"], quantity="0.5", discount_percent="0.01",
                          actor=user)
    assert [item.net_amount for item in service.line_items(opportunity)] == [Decimal("33.43"), Decimal("59.99")]
    assert opportunity.amount == Decimal("93.42")


def test_the_typed_amount_is_ignored_while_lines_exist(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    service.add_line_item(opportunity, product_id=deal["cirrus"], quantity="2", unit_price="100", actor=user)
    opportunities.update_opportunity(opportunity, actor=user, amount="99999", name="Renamed")
    db.session.commit()
    opportunity = db.session.get(Opportunity, opportunity.id)
    assert opportunity.amount == Decimal("200.00") and opportunity.name == "Renamed"


@pytest.mark.parametrize(("fields", "error"), [
    ({"quantity": "0"}, service.InvalidQuantity),
    ({"quantity": "-1"}, service.InvalidQuantity),
    ({"quantity": "abc"}, service.InvalidQuantity),
    ({"quantity": ""}, service.InvalidQuantity),
    ({"quantity": "1.555"}, service.InvalidQuantity),
    ({"quantity": "NaN"}, service.InvalidQuantity),
    ({"quantity": "1e30"}, service.InvalidQuantity),
    ({"unit_price": "-5"}, service.InvalidUnitPrice),
    ({"unit_price": "ten"}, service.InvalidUnitPrice),
    ({"discount_percent": "150"}, service.InvalidDiscount),
    ({"discount_percent": "-1"}, service.InvalidDiscount),
    ({"discount_percent": "x"}, service.InvalidDiscount),
    ({"quantity": "9999999999.99", "unit_price": "9999999999999999.99"}, AmountTooLarge),
])
def test_bad_input_is_refused_with_its_message(deal, fields, error):
    opportunity, user = deal["opportunity"], deal["user"]
    arguments = {"quantity": "1", "unit_price": None, "discount_percent": "0"} | fields
    with pytest.raises(error) as raised:
        service.add_line_item(opportunity, product_id=deal["stratus"], actor=user, **arguments)
    assert str(raised.value) == str(error.message)
    db.session.rollback()
    assert not service.has_line_items(opportunity) and amount_of(opportunity.id) == Decimal("8000.00")


def test_a_sum_too_large_is_refused(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    service.add_line_item(opportunity, product_id=deal["stratus"], quantity="9999999999.99",
                          unit_price="900000.00", actor=user)
    with pytest.raises(AmountTooLarge):
        service.add_line_item(opportunity, product_id=deal["stratus"], quantity="9999999999.99",
                              unit_price="900000.00", actor=user)


def test_french_notation_is_read(app, deal):
    opportunity, user = deal["opportunity"], deal["user"]
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        from flask_babel import refresh
        refresh()
        item = service.add_line_item(opportunity, product_id=deal["stratus"], quantity="2,5",
                                     unit_price="1 234,50", discount_percent="12,5", actor=user)
    assert (item.quantity, item.unit_price, item.discount_percent) == (
        Decimal("2.50"), Decimal("1234.50"), Decimal("12.50"))
    assert item.net_amount == Decimal("2700.47")  # 2.5 × 1234.50 × 0.875 = 2700.46875


def test_only_active_products_of_the_price_book(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    assert [product.name for _, product in service.book_entries(deal["standard"])] == ["Cirrus", "Stratus X11"]
    for product_id in (deal["nimbus"], 999999):
        with pytest.raises(service.ProductNotInBook):
            service.add_line_item(opportunity, product_id=product_id, quantity="1", actor=user)
    # An inactive entry is not offered either.
    db.session.execute(sa.update(PriceBookEntry).where(PriceBookEntry.product_id == deal["cirrus"])
                       .values(active=False))
    with pytest.raises(service.ProductNotInBook):
        service.add_line_item(opportunity, product_id=deal["cirrus"], quantity="1", actor=user)


def test_the_price_book_changes_only_without_lines(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    export = db.session.get(PriceBook, deal["export"])
    with pytest.raises(service.PriceBookInactive):
        service.set_price_book(opportunity, db.session.get(PriceBook, deal["old"]), actor=user)
    service.set_price_book(opportunity, export, actor=user)
    assert opportunity.price_book_id == deal["export"]
    # The export book's price; Cirrus is not in it.
    item = service.add_line_item(opportunity, product_id=deal["stratus"], quantity="1", actor=user)
    assert item.unit_price == Decimal("130.00")
    with pytest.raises(service.ProductNotInBook):
        service.add_line_item(opportunity, product_id=deal["cirrus"], quantity="1", actor=user)
    with pytest.raises(service.LinesExist):
        service.set_price_book(opportunity, db.session.get(PriceBook, deal["standard"]), actor=user)
    assert opportunity.price_book_id == deal["export"]


def test_a_closed_opportunity_keeps_its_lines(deal):
    opportunity, user = deal["opportunity"], deal["user"]
    item = service.add_line_item(opportunity, product_id=deal["stratus"], quantity="2", actor=user)
    won = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id, Stage.is_won))
    opportunities.change_stage(opportunity, won, actor=user)
    db.session.commit()
    for attempt in (
        lambda: service.add_line_item(opportunity, product_id=deal["cirrus"], quantity="1", actor=user),
        lambda: service.update_line_item(item, quantity="5", unit_price="1", discount_percent="0", actor=user),
        lambda: service.remove_line_item(item, actor=user),
        lambda: service.set_price_book(opportunity, db.session.get(PriceBook, deal["export"]), actor=user),
    ):
        with pytest.raises(service.LinesLocked):
            attempt()
        db.session.rollback()
    assert amount_of(opportunity.id) == Decimal("240.00") and len(service.line_items(opportunity)) == 1


def test_changes_record_who_and_when(deal):
    opportunity = deal["opportunity"]
    other = make_user()
    service.add_line_item(opportunity, product_id=deal["stratus"], quantity="1", actor=db.session.get(User, other.id))
    db.session.commit()
    assert db.session.get(Opportunity, opportunity.id).updated_by_id == other.id


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="row locks: PostgreSQL only")
def test_two_people_adding_lines_at_once_both_count(app, deal):
    """The second add waits for the first one's transaction (the opportunity's row is claimed
    first), then counts its line: the amount is the sum of both."""
    opportunity_id, user_id = deal["opportunity"].id, deal["user"].id
    products = {"first": deal["stratus"], "second": deal["cirrus"]}
    first_added, errors = threading.Event(), []

    def add(which: str):
        try:
            with app.app_context():
                if which == "second":
                    first_added.wait(5)
                service.add_line_item(db.session.get(Opportunity, opportunity_id), product_id=products[which],
                                      quantity="1", actor=db.session.get(User, user_id))
                if which == "first":
                    first_added.set()
                    time.sleep(0.5)  # the second add is waiting on the row meanwhile
                db.session.commit()
                db.session.remove()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    # The book chosen already: the first write of an add is then its line, not the opportunity.
    service.set_price_book(deal["opportunity"], db.session.get(PriceBook, deal["standard"]), actor=deal["user"])
    db.session.commit()
    db.session.remove()
    threads = [threading.Thread(target=add, args=(which,)) for which in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert amount_of(opportunity_id) == Decimal("215.50")  # 120.00 + 95.50
