"""The sales flow above the opportunity's path (crm/sales/flow.py): Qualify, Develop, Propose,
Close, Fulfil, each done from the records the deal has, with the link to the record."""

from decimal import Decimal

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Stage
from crm.models.sales import OpportunityLineItem
from crm.sales import documents, money
from crm.sales.flow import flow_context
from tests.factories import make_account, make_lead, make_opportunity, make_user


def states(opportunity) -> dict:
    return {step.key: step.state for step in flow_context(opportunity)["flow"]}


def links(opportunity) -> dict:
    return {step.key: (step.link_text, step.link_url) for step in flow_context(opportunity)["flow"]}


def add_line(opportunity, quantity="30", price="120.00", discount="10"):
    db.session.add(OpportunityLineItem(opportunity_id=opportunity.id, name="Stratus X11", quantity=Decimal(quantity),
                                       unit_price=Decimal(price), discount_percent=Decimal(discount),
                                       net_amount=money.line_net(quantity, price, discount)))
    db.session.flush()


def test_the_flow_follows_the_deal_from_lead_to_invoice(app):
    with app.test_request_context():
        rep = make_user()
        opportunity = make_opportunity(make_account(rep, name="Get Cloudy Consulting"), actor=rep,
                                       name="Get Cloudy - 50 Custom Sneakers")
        lead = make_lead(rep, first_name="Leung", last_name="Chan")
        lead.converted_opportunity_id = opportunity.id
        db.session.flush()
        assert states(opportunity) == {"qualify": "done", "develop": "current", "propose": "", "close": "",
                                       "fulfil": ""}
        assert links(opportunity)["qualify"] == ("Leung Chan", f"/leads/{lead.id}")

        add_line(opportunity)
        assert states(opportunity)["develop"] == "done" and states(opportunity)["propose"] == "current"
        assert links(opportunity)["develop"][0] == "1 product"

        quote = documents.create_quote(opportunity, actor=rep)
        # A draft quote is linked but not yet proposed.
        assert states(opportunity)["propose"] == "current"
        assert links(opportunity)["propose"] == ("Q-00001 · Draft", f"/quotes/{quote.id}")
        documents.present_quote(quote)
        assert states(opportunity)["propose"] == "done" and states(opportunity)["close"] == "current"

        order = documents.accept_quote(quote, actor=rep)
        assert states(opportunity)["close"] == "done" and states(opportunity)["fulfil"] == "current"
        assert links(opportunity)["close"] == ("ORD-00001 · Open", f"/orders/{order.id}")

        invoice = documents.fulfil_order(order, actor=rep)
        assert set(states(opportunity).values()) == {"done"}
        assert links(opportunity)["fulfil"] == ("INV-00001 · Draft", f"/invoices/{invoice.id}")


def test_a_lost_deal_stops_the_flow_at_close(app):
    with app.test_request_context():
        rep = make_user()
        opportunity = make_opportunity(make_account(rep), actor=rep)
        lost = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == opportunity.pipeline_id,
                                                        Stage.is_closed, ~Stage.is_won))
        opportunity.stage = lost
        db.session.flush()
        assert states(opportunity) == {"qualify": "done", "develop": "", "propose": "", "close": "lost", "fulfil": ""}


def test_a_deal_won_by_hand_skips_the_steps_it_did_not_take(app):
    with app.test_request_context():
        rep = make_user()
        opportunity = make_opportunity(make_account(rep), actor=rep)
        opportunity.stage = documents.won_stage(opportunity)
        db.session.flush()
        assert states(opportunity) == {"qualify": "done", "develop": "skipped", "propose": "skipped",
                                       "close": "done", "fulfil": "current"}
