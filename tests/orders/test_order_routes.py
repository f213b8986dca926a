"""The orders pages: list (narrowed, filtered, paged), record page and its htmx fragment,
fulfil (→ the invoice), cancel, wrong states (409) and private sharing (404)."""

import re

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import User
from crm.models.sales import Invoice, SalesOrder
from tests.conftest import csrf_token
from tests.factories import make_user
from tests.orders.helpers import make_order
from tests.sharing.world import set_mode

HX = {"HX-Request": "true"}


def order_of(app, user_id: int, **fields) -> int:
    with app.app_context():
        return make_order(actor=db.session.get(User, user_id), rates=("20", "5.5"), **fields).id


def invoice_count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(Invoice))


def status_of(app, order_id: int) -> str:
    with app.app_context():
        return db.session.get(SalesOrder, order_id).status


def post(client, path, headers=None, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers or {})


def test_the_order_page_and_its_fragment(app, rep_client, rep):
    order_id = order_of(app, rep.id, name="Get Cloudy - 50 Custom Sneakers")
    page = rep_client.get(f"/orders/{order_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and "ORD-00001" in html and "Get Cloudy - 50 Custom Sneakers" in html
    assert "Stratus X11" in html and "Cirrus" in html
    assert "€3,240.00" in html and "€648.00" in html and "€105.05" in html and "€5,903.05" in html
    assert "5.5 %" in html and "20 %" in html
    assert f'action="/orders/{order_id}/fulfil"' in html and f'action="/orders/{order_id}/cancel"' in html
    assert "hx-confirm=" in html
    with app.app_context():
        quote_id = db.session.get(SalesOrder, order_id).quote_id
    assert f'href="/quotes/{quote_id}"' in html  # the accepted quote
    fragment = rep_client.get(f"/orders/{order_id}", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and f'id="order-{order_id}"' in fragment and "€5,903.05" in fragment


def test_fulfil_lands_on_the_invoice(app, rep_client, rep):
    order_id = order_of(app, rep.id)
    response = post(rep_client, f"/orders/{order_id}/fulfil")
    assert response.status_code == 303
    with app.app_context():
        invoice = db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order_id))
        assert invoice.number == "INV-00001"
        assert invoice.total == db.session.get(SalesOrder, order_id).total
        assert response.headers["Location"].endswith(f"/invoices/{invoice.id}")
    page = rep_client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "INV-00001" in page and "/fulfil" not in page and "/cancel" not in page
    # Fulfilling twice is refused: 409 with the reason, still one invoice.
    again = post(rep_client, f"/orders/{order_id}/fulfil")
    assert again.status_code == 409
    assert "Only an open order can be fulfilled or cancelled." in again.get_data(as_text=True)
    hx_again = post(rep_client, f"/orders/{order_id}/fulfil", headers=HX)
    assert hx_again.status_code == 409 and "Only an open order" in hx_again.get_data(as_text=True)
    assert invoice_count(app) == 1


def test_fulfil_with_htmx_redirects(app, rep_client, rep):
    order_id = order_of(app, rep.id)
    response = post(rep_client, f"/orders/{order_id}/fulfil", headers=HX)
    assert response.status_code == 204
    assert re.fullmatch(r"/invoices/\d+", response.headers["HX-Redirect"])


def test_cancel(app, rep_client, rep):
    order_id = order_of(app, rep.id)
    response = post(rep_client, f"/orders/{order_id}/cancel")
    assert response.status_code == 303 and status_of(app, order_id) == "Cancelled"
    page = rep_client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Cancelled" in page and "/fulfil" not in page
    assert post(rep_client, f"/orders/{order_id}/fulfil").status_code == 409
    assert post(rep_client, f"/orders/{order_id}/cancel").status_code == 409
    assert invoice_count(app) == 0 and status_of(app, order_id) == "Cancelled"


def test_actions_need_a_csrf_token(app, rep_client, rep):
    order_id = order_of(app, rep.id)
    assert rep_client.post(f"/orders/{order_id}/fulfil").status_code == 400
    assert status_of(app, order_id) == "Open"


def test_the_list_filters_and_its_fragment(app, rep_client, rep):
    open_id = order_of(app, rep.id, name="Alpha sneakers")
    cancelled_id = order_of(app, rep.id, name="Beta runners")
    post(rep_client, f"/orders/{cancelled_id}/cancel")
    page = rep_client.get("/orders").get_data(as_text=True)
    assert "Alpha sneakers" in page and "Beta runners" in page and "€5,903.05" in page
    assert f"/orders/{open_id}" in page
    filtered = rep_client.get("/orders?status=Cancelled").get_data(as_text=True)
    assert "Beta runners" in filtered and "Alpha sneakers" not in filtered
    fragment = rep_client.get("/orders?status=Open", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and 'id="order-list"' in html and "Alpha sneakers" in html and "Beta runners" not in html
    assert fragment.headers["HX-Push-Url"] == "/orders?status=Open"
    # An unknown status is ignored, a silly page number too.
    unknown = rep_client.get("/orders?status=Nope").get_data(as_text=True)
    assert "Alpha sneakers" in unknown and "Beta runners" in unknown
    assert rep_client.get("/orders?page=99999999999").status_code == 200


def test_the_list_pages_by_50(app, rep_client, rep):
    with app.app_context():
        user = db.session.get(User, rep.id)
        order = make_order(actor=user)
        for n in range(50):
            copy = SalesOrder(number=f"ORD-9{n:04d}", name=f"Copy {n}", currency="EUR",
                              opportunity_id=order.opportunity_id, account_id=order.account_id)
            db.session.add(copy)
        db.session.commit()
    first = rep_client.get("/orders").get_data(as_text=True)
    assert 'rel="next"' in first and first.count("/orders/") >= 50
    second = rep_client.get("/orders?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.fixture
def private(app, rep):
    """Private sharing, and an order (fulfilled: with its invoice) of another rep."""
    with app.app_context():
        make_user(email="chief@example.com", role="admin")  # set_mode's actor
        other = make_user(email="other@example.com", role="rep")
        order = make_order(actor=other)
        from crm.sales import documents

        invoice = documents.fulfil_order(order, actor=other)
        mine = make_order(actor=db.session.get(User, rep.id), name="Mine sneakers")
        db.session.commit()
        set_mode("private")
        return {"order": order.id, "invoice": invoice.id, "mine": mine.id, "other_name": order.name,
                "line": invoice.lines[0].id}


def test_a_rep_in_private_mode_gets_404_on_another_reps_order(app, rep_client, private):
    order_id = private["order"]
    for headers in ({}, HX):
        for path in (f"/orders/{order_id}", f"/orders/{order_id}/print", f"/orders/{order_id}.pdf"):
            assert rep_client.get(path, headers=headers).status_code == 404, path
        for path in (f"/orders/{order_id}/fulfil", f"/orders/{order_id}/cancel"):
            assert post(rep_client, path, headers=headers).status_code == 404, path
    page = rep_client.get("/orders").get_data(as_text=True)
    assert "Mine sneakers" in page and private["other_name"] not in page
    assert rep_client.get(f"/orders/{private['mine']}").status_code == 200
    assert status_of(app, order_id) == "Fulfilled"


def test_a_manager_sees_every_order_in_private_mode(app, client, private):
    from tests.conftest import login

    with app.app_context():
        make_user(email="boss@example.com", role="manager")
    login(client, "boss@example.com", "correct horse battery")
    assert client.get(f"/orders/{private['order']}").status_code == 200
    assert private["other_name"] in client.get("/orders").get_data(as_text=True)


def test_missing_order_is_404(rep_client):
    assert rep_client.get("/orders/999999").status_code == 404
