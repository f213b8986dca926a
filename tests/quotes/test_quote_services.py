"""The quote line services (crm/sales/quote_lines.py) and the quote flow rules they lean on."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, User
from crm.models.sales import Quote, SalesOrder
from crm.sales import documents, money, quote_lines
from tests.factories import make_user
from tests.quotes.conftest import make_deal


@pytest.fixture
def seller(app_ctx):
    return make_user(role="rep")


@pytest.fixture
def quote(seller):
    return documents.create_quote(make_deal(seller), actor=seller)


def test_editing_a_line_recomputes_the_line_and_the_totals(quote):
    line = quote.lines[0]  # 50 × 100.00, VAT 20 %
    quote_lines.update_quote_line(quote, line, quantity="40", unit_price="99.99", discount_percent="12.5",
                                  tax_rate="5.5")
    assert line.net_amount == money.line_net("40", "99.99", "12.5") == Decimal("3499.65")
    assert line.tax_amount == money.line_tax(line.net_amount, "5.5") == Decimal("192.48")
    assert quote.net_total == Decimal("3499.65") + Decimal("150.00")
    assert quote.tax_total == Decimal("192.48") + Decimal("30.00")
    assert quote.total == quote.net_total + quote.tax_total


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", "0"), ("quantity", "-1"), ("quantity", "abc"), ("quantity", ""), ("quantity", "1.234"),
    ("unit_price", "-0.01"), ("unit_price", "1e400"), ("discount_percent", "100.01"), ("discount_percent", "-5"),
    ("tax_rate", "101"), ("tax_rate", "NaN"), ("quantity", "99999999999"),
])
def test_bad_line_values_are_refused_and_nothing_changes(quote, field, value):
    line = quote.lines[0]
    values = {"quantity": "50", "unit_price": "100", "discount_percent": "0", "tax_rate": "20"} | {field: value}
    with pytest.raises(quote_lines.InvalidLineValue) as error:
        quote_lines.update_quote_line(quote, line, **values)
    assert error.value.field == field and str(error.value.message)
    assert line.net_amount == Decimal("5000.00") and quote.total == Decimal("6180.00")


def test_a_line_of_a_non_draft_quote_cannot_change_or_go(quote):
    documents.present_quote(quote)
    with pytest.raises(documents.QuoteNotDraft):
        quote_lines.update_quote_line(quote, quote.lines[0], quantity="1", unit_price="1", discount_percent="0",
                                      tax_rate="0")
    with pytest.raises(documents.QuoteNotDraft):
        quote_lines.remove_quote_line(quote, quote.lines[0])
    with pytest.raises(documents.QuoteNotDraft):
        quote_lines.update_quote_details(quote, valid_until=None)


def test_removing_a_line_updates_the_totals(quote):
    quote_lines.remove_quote_line(quote, quote.lines[0])
    db.session.expire_all()
    quote = db.session.get(Quote, quote.id)
    assert [line.name for line in quote.lines] == ["Cirrus"]
    assert (quote.net_total, quote.tax_total, quote.total) == (Decimal("150.00"), Decimal("30.00"), Decimal("180.00"))


def test_details_keep_valid_until_addresses_and_notes(quote):
    today = date(2026, 11, 24)
    quote_lines.update_quote_details(quote, valid_until=today + timedelta(days=10),
                                     addresses={"shipping_city": " Paris ", "billing_city": "Lyon"},
                                     notes="Delivery in March", today=today)
    assert quote.valid_until == date(2026, 12, 4) and quote.shipping_city == "Paris"
    assert quote.billing_street is None and quote.notes == "Delivery in March"
    with pytest.raises(quote_lines.ValidUntilInPast):
        quote_lines.update_quote_details(quote, valid_until=today - timedelta(days=1), today=today)
    with pytest.raises(quote_lines.ValueTooLong):
        quote_lines.update_quote_details(quote, valid_until=None, addresses={"billing_city": "x" * 41}, today=today)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quantity=st.decimals(min_value="0.01", max_value="100000", places=2),
       price=st.decimals(min_value="0", max_value="1000000", places=2),
       discount=st.decimals(min_value="0", max_value="100", places=2),
       rate=st.decimals(min_value="0", max_value="100", places=2))
def test_stored_amounts_equal_the_money_functions_for_any_values(quote, quantity, price, discount, rate):
    line = quote.lines[0]
    quote_lines.update_quote_line(quote, line, quantity=str(quantity), unit_price=str(price),
                                  discount_percent=str(discount), tax_rate=str(rate))
    db.session.expire_all()
    stored = db.session.get(Quote, quote.id)
    first = stored.lines[0]
    assert first.net_amount == money.line_net(quantity, price, discount)
    assert first.tax_amount == money.line_tax(first.net_amount, rate)
    assert stored.net_total == sum(line.net_amount for line in stored.lines)
    assert stored.tax_total == sum(line.tax_amount for line in stored.lines)
    assert stored.total == stored.net_total + stored.tax_total


def test_revising_keeps_the_number_bumps_the_revision_and_supersedes(seller, quote):
    revision = documents.revise_quote(quote, actor=seller)
    again = documents.revise_quote(revision, actor=seller)
    assert (revision.number, revision.revision, again.revision) == (quote.number, 1, 2)
    assert (quote.status, revision.status, again.status) == ("Superseded", "Superseded", "Draft")
    assert [line.net_amount for line in again.lines] == [line.net_amount for line in quote.lines]


def test_accepting_wins_the_deal_through_the_path_and_supersedes_the_rest(seller, quote):
    opportunity = db.session.get(Opportunity, quote.opportunity_id)
    other = documents.create_quote(opportunity, actor=seller)
    quote_lines.update_quote_line(quote, quote.lines[0], quantity="50", unit_price="100", discount_percent="10",
                                  tax_rate="20")
    documents.present_quote(quote)
    order = documents.accept_quote(quote, actor=seller)
    db.session.commit()
    assert isinstance(order, SalesOrder) and order.quote_id == quote.id and order.total == quote.total
    assert opportunity.stage.is_won and opportunity.amount == quote.net_total == Decimal("4650.00")
    assert other.status == "Superseded" and quote.status == "Accepted"
    rows = db.session.scalars(sa.select(OpportunityStageHistory).where(
        OpportunityStageHistory.opportunity_id == opportunity.id).order_by(OpportunityStageHistory.id)).all()
    assert rows[-1].to_stage_id == opportunity.stage_id


def test_a_draft_or_a_lost_deals_quote_cannot_be_accepted(seller, quote):
    with pytest.raises(documents.QuoteNotPresented):
        documents.accept_quote(quote, actor=seller)
    documents.present_quote(quote)
    db.session.commit()
    opportunity = db.session.get(Opportunity, quote.opportunity_id)
    from crm.models import Stage

    lost = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id, Stage.is_closed,
                                                    ~Stage.is_won))
    opportunity.stage_id = lost.id
    db.session.commit()
    with pytest.raises(documents.OpportunityLost):
        documents.accept_quote(quote, actor=db.session.get(User, seller.id))
    db.session.rollback()
    assert db.session.get(Quote, quote.id).status == "Presented"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesOrder)) == 0
