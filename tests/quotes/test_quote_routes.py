"""The quotes pages over HTTP: list, create from an opportunity, the quote page and its htmx
fragments, line edits, details, present / accept / deny / revise, and the all-or-nothing accept."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory
from crm.models.sales import Quote, SalesOrder
from crm.sales import documents
from tests.quotes.helpers import HX, lose, new_quote, post, reload, text


def test_create_a_quote_from_the_opportunity_page(app, rep_client, deal):
    page = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    assert 'id="opp-quotes-title"' in page and "Create quote" in page and "No quotes yet." in page
    response = post(rep_client, f"/quotes/from-opportunity/{deal}")
    assert response.status_code == 303
    with app.app_context():
        quote = db.session.scalar(sa.select(Quote).where(Quote.opportunity_id == deal))
        assert (quote.status, quote.number, len(quote.lines)) == ("Draft", "Q-00001", 2)
        assert response.headers["Location"].endswith(f"/quotes/{quote.id}")
        quote_id = quote.id
    page = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    assert f'href="/quotes/{quote_id}">Q-00001</a>' in page and "€6,180.00" in page
    htmx = post(rep_client, f"/quotes/from-opportunity/{deal}", headers=HX)
    assert htmx.status_code == 204 and re.fullmatch(r"/quotes/\d+", htmx.headers["HX-Redirect"])


def test_a_closed_opportunity_gets_no_quote_and_no_button(app, rep_client, deal):
    lose(app, deal)
    response = post(rep_client, f"/quotes/from-opportunity/{deal}")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/opportunities/{deal}")
    page = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    assert "The opportunity is closed: reopen it" in page and "Create quote" not in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Quote)) == 0


def test_the_quote_page_and_its_fragment(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    response = rep_client.get(f"/quotes/{quote_id}")
    html = response.get_data(as_text=True)
    page = text(html)
    assert response.status_code == 200 and "<html" in html
    for expected in ("Q-00001", "Draft", "Get Cloudy - 50 Custom Sneakers", "Get Cloudy Consulting", "Stratus X11",
                     "STRATUS-X11", "€5,000.00", "€1,000.00", "€6,000.00", "Net total €5,150.00", "Tax €1,030.00",
                     "Total €6,180.00", "Present", "Revise"):
        assert expected in page, expected
    assert "Accept" not in page and 'name="valid_until"' in html and 'name="billing_city"' in html
    fragment = rep_client.get(f"/quotes/{quote_id}", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and f'id="quote-{quote_id}-lines"' in fragment and "€6,180.00" in fragment


def test_edit_a_line_in_place_recomputes_the_row_and_the_totals(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    line_id = reload(app, quote_id).lines[0].id
    form = rep_client.get(f"/quotes/{quote_id}/lines/{line_id}/edit", headers=HX).get_data(as_text=True)
    assert f'id="quote-line-{line_id}"' in form and 'value="50.00"' in form and "<html" not in form
    response = post(rep_client, f"/quotes/{quote_id}/lines/{line_id}",
                    {f"l{line_id}-quantity": "50", f"l{line_id}-unit_price": "100",
                     f"l{line_id}-discount_percent": "10", f"l{line_id}-tax_rate": "20"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "€4,500.00" in html and "€5,400.00" in html  # the row: net and line total
    assert f'id="quote-{quote_id}-totals"' in html and 'hx-swap-oob="true"' in html and "€5,580.00" in html
    quote = reload(app, quote_id)
    assert (quote.net_total, quote.tax_total, quote.total) == (
        Decimal("4650.00"), Decimal("930.00"), Decimal("5580.00"))
    # Without JavaScript: the form page, then a redirect to the quote.
    page = rep_client.get(f"/quotes/{quote_id}/lines/{line_id}/edit").get_data(as_text=True)
    assert "<html" in page and f'name="l{line_id}-discount_percent"' in page
    plain = post(rep_client, f"/quotes/{quote_id}/lines/{line_id}",
                 {f"l{line_id}-quantity": "1", f"l{line_id}-unit_price": "100", f"l{line_id}-discount_percent": "0",
                  f"l{line_id}-tax_rate": "0"})
    assert plain.status_code == 303 and reload(app, quote_id).net_total == Decimal("250.00")
    cancel = rep_client.get(f"/quotes/{quote_id}/lines/{line_id}", headers=HX).get_data(as_text=True)
    assert "€100.00" in cancel and "<form method=\"post\" action=\"/quotes/" in cancel


def test_french_amounts_are_read_in_french(app, client, rep, deal):
    from tests.conftest import PASSWORD, login

    with app.app_context():
        from crm.models import User

        db.session.get(User, rep.id).locale = "fr"
        db.session.commit()
    login(client, rep.email, PASSWORD)
    quote_id = new_quote(app, deal, rep.id)
    line_id = reload(app, quote_id).lines[0].id
    response = post(client, f"/quotes/{quote_id}/lines/{line_id}",
                    {f"l{line_id}-quantity": "2", f"l{line_id}-unit_price": "1 234,50",
                     f"l{line_id}-discount_percent": "0", f"l{line_id}-tax_rate": "5,5"}, headers=HX)
    assert response.status_code == 200
    line = reload(app, quote_id).lines[0]
    assert (line.unit_price, line.tax_rate, line.net_amount) == (
        Decimal("1234.50"), Decimal("5.50"), Decimal("2469.00"))
    assert "2 469,00 €" in text(response.get_data(as_text=True))


@pytest.mark.parametrize(("field", "value"), [("quantity", "0"), ("quantity", "lots"), ("unit_price", "-3"),
                                              ("discount_percent", "150"), ("tax_rate", "")])
def test_bad_line_input_comes_back_beside_the_field(app, rep_client, rep, deal, field, value):
    quote_id = new_quote(app, deal, rep.id)
    line_id = reload(app, quote_id).lines[0].id
    values = {"quantity": "5", "unit_price": "100", "discount_percent": "0", "tax_rate": "20"} | {field: value}
    for headers in (HX, {}):
        response = post(rep_client, f"/quotes/{quote_id}/lines/{line_id}",
                        {f"l{line_id}-{k}": v for k, v in values.items()}, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert f'id="l{line_id}-{field}-error"' in html and 'aria-invalid="true"' in html
    assert reload(app, quote_id).total == Decimal("6180.00")


def test_remove_a_line(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    line_id = reload(app, quote_id).lines[0].id
    response = post(rep_client, f"/quotes/{quote_id}/lines/{line_id}/delete", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Stratus X11" not in text(html).split("removed")[-1]
    assert f'id="quote-{quote_id}-lines"' in html and "€180.00" in html
    assert [line.name for line in reload(app, quote_id).lines] == ["Cirrus"]


def test_details_are_saved_and_bad_dates_refused(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    fields = {"valid_until": "2099-01-31", "shipping_city": "Paris", "billing_city": "Lyon", "notes": "Rush"}
    response = post(rep_client, f"/quotes/{quote_id}/details", fields, headers=HX)
    assert response.status_code == 200 and "Quote details saved." in response.get_data(as_text=True)
    quote = reload(app, quote_id)
    assert (str(quote.valid_until), quote.shipping_city, quote.notes) == ("2099-01-31", "Paris", "Rush")
    for bad, error in (({"valid_until": "2001-01-01"}, "valid_until"), ({"valid_until": "31/31/2031"}, "valid_until"),
                       ({"billing_city": "x" * 41}, "billing_city")):
        response = post(rep_client, f"/quotes/{quote_id}/details", bad, headers=HX)
        assert response.status_code == 422 and f'id="{error}-error"' in response.get_data(as_text=True)
    assert reload(app, quote_id).shipping_city == "Paris"


def test_present_then_deny_then_revise(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    assert post(rep_client, f"/quotes/{quote_id}/present").status_code == 303
    assert reload(app, quote_id).status == "Presented"
    page = text(rep_client.get(f"/quotes/{quote_id}").get_data(as_text=True))
    assert "Accept" in page and "Deny" in page and "Present " not in page and "Save details" not in page
    # A presented quote's lines cannot change.
    line_id = reload(app, quote_id).lines[0].id
    response = post(rep_client, f"/quotes/{quote_id}/lines/{line_id}",
                    {f"l{line_id}-quantity": "1", f"l{line_id}-unit_price": "1", f"l{line_id}-discount_percent": "0",
                     f"l{line_id}-tax_rate": "0"})
    assert response.status_code == 409 and "Only a draft quote can be changed" in response.get_data(as_text=True)
    assert post(rep_client, f"/quotes/{quote_id}/deny").status_code == 303
    assert reload(app, quote_id).status == "Denied"
    response = post(rep_client, f"/quotes/{quote_id}/revise")
    assert response.status_code == 303
    with app.app_context():
        revision = db.session.scalar(sa.select(Quote).where(Quote.revision == 1))
        assert revision.number == "Q-00001" and revision.status == "Draft"
        assert response.headers["Location"].endswith(f"/quotes/{revision.id}")


def test_revise_supersedes_the_open_quote(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id, present=True)
    response = post(rep_client, f"/quotes/{quote_id}/revise", headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] != f"/quotes/{quote_id}"
    assert reload(app, quote_id).status == "Superseded"
    page = text(rep_client.get(response.headers["HX-Redirect"]).get_data(as_text=True))
    assert "Q-00001-1" in page and "Other revisions: Q-00001 (Superseded)" in page


def test_a_draft_cannot_be_accepted(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    response = post(rep_client, f"/quotes/{quote_id}/accept", headers=HX)
    assert response.status_code == 409
    assert "Present the quote to the customer" in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == f"#quote-{quote_id}-head"
    assert reload(app, quote_id).status == "Draft"


def test_accept_wins_the_deal_supersedes_the_others_and_opens_the_order(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id, present=True)
    other_draft = new_quote(app, deal, rep.id)
    other_presented = new_quote(app, deal, rep.id, present=True)
    response = post(rep_client, f"/quotes/{quote_id}/accept", headers=HX)
    assert response.status_code == 204
    with app.app_context():
        order = db.session.scalar(sa.select(SalesOrder).where(SalesOrder.quote_id == quote_id))
        assert order is not None and order.total == Decimal("6180.00") and len(order.lines) == 2
        assert response.headers["HX-Redirect"] == f"/orders/{order.id}"
        opportunity = db.session.get(Opportunity, deal)
        assert opportunity.stage.is_won and opportunity.amount == Decimal("5150.00")
        last = db.session.scalars(sa.select(OpportunityStageHistory).where(
            OpportunityStageHistory.opportunity_id == deal).order_by(OpportunityStageHistory.id.desc())).first()
        assert last.to_stage_id == opportunity.stage_id and last.changed_by_id == rep.id
    assert reload(app, quote_id).status == "Accepted"
    assert reload(app, other_draft).status == reload(app, other_presented).status == "Superseded"
    page = text(rep_client.get(f"/quotes/{quote_id}").get_data(as_text=True))
    assert "Accepted" in page and "Order ORD-00001" in page and "Revise" not in page


def state(app, deal: int) -> dict:
    with app.app_context():
        opportunity = db.session.get(Opportunity, deal)
        return {"stage": opportunity.stage_id, "amount": opportunity.amount,
                "quotes": sorted(tuple(row) for row in db.session.execute(sa.select(Quote.id, Quote.status))),
                "history": db.session.scalar(sa.select(sa.func.count()).select_from(OpportunityStageHistory)),
                "orders": db.session.scalar(sa.select(sa.func.count()).select_from(SalesOrder))}


def test_accept_is_all_or_nothing(app, rep_client, rep, deal, monkeypatch):
    quote_id = new_quote(app, deal, rep.id, present=True)
    new_quote(app, deal, rep.id, present=True)
    new_quote(app, deal, rep.id)
    before = state(app, deal)

    def broken(*args, **kwargs):
        raise documents.AmountTooLarge()

    monkeypatch.setattr(documents, "create_order", broken)
    response = post(rep_client, f"/quotes/{quote_id}/accept")
    assert response.status_code == 409 and "The amount is too large." in response.get_data(as_text=True)
    assert state(app, deal) == before


def test_a_lost_deals_quote_cannot_be_accepted(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id, present=True)
    lose(app, deal)
    before = state(app, deal)
    for headers in (HX, {}):
        response = post(rep_client, f"/quotes/{quote_id}/accept", headers=headers)
        assert response.status_code == 409
        message = "The opportunity is closed lost: its quotes can no longer be accepted."
        assert message in response.get_data(as_text=True)
    assert reload(app, quote_id).status == "Presented" and state(app, deal) == before
    # The page offers no Accept that can only fail, and says why.
    page = rep_client.get(f"/quotes/{quote_id}").get_data(as_text=True)
    assert 'class="muted quote-lost-note"' in page and f'action="/quotes/{quote_id}/accept"' not in page


def test_the_list_filters_by_status_and_pages(app, rep_client, rep, deal):
    draft = new_quote(app, deal, rep.id)
    presented = new_quote(app, deal, rep.id, present=True)
    page = rep_client.get("/quotes").get_data(as_text=True)
    assert "<html" in page and "2 quotes" in page and "€6,180.00" in page and "Get Cloudy Consulting" in page
    fragment = rep_client.get("/quotes?status=Presented", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and f"/quotes/{presented}" in html and f"/quotes/{draft}\"" not in html
    assert fragment.headers["HX-Push-Url"] == "/quotes?status=Presented"
    assert rep_client.get("/quotes?status=Bogus&page=x").status_code == 200
    with app.app_context():
        from crm.models import User

        user = db.session.get(User, rep.id)
        opportunity = db.session.get(Opportunity, deal)
        for _ in range(50):
            documents.create_quote(opportunity, actor=user)
        db.session.commit()
    first = rep_client.get("/quotes").get_data(as_text=True)
    assert first.count('data-label="Number"') == 50 and 'rel="next"' in first
    second = rep_client.get("/quotes?page=2").get_data(as_text=True)
    assert second.count('data-label="Number"') == 2
