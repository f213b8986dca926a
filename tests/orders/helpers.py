"""Test data for orders and invoices: an opportunity with two product lines, quoted, presented
and accepted (the real services), which makes its order.

The lines (hand-checked): 20 × Stratus X11 at 162.00 = 3240.00 and 20 × Cirrus at 95.50 = 1910.00,
net 5150.00. At 20 % and 5.5 %: tax 648.00 + 105.05 = 753.05, total 5903.05.
"""

import itertools
from decimal import Decimal

from crm.extensions import db
from crm.models.sales import OpportunityLineItem, Product
from crm.sales import documents, money
from tests.factories import make_opportunity, make_user

_seq = itertools.count(1)
LINES = (("Stratus X11", Decimal("20"), Decimal("162.00")), ("Cirrus", Decimal("20"), Decimal("95.50")))


def make_order(actor=None, rates=("0", "0"), opportunity=None, **opportunity_fields):
    """An open order (inside an app context) for a new opportunity owned by `actor`."""
    actor = actor or make_user()
    opportunity = opportunity or make_opportunity(actor=actor, **opportunity_fields)
    n = next(_seq)
    for position, ((name, quantity, price), rate) in enumerate(zip(LINES, rates, strict=True)):
        product = Product(code=f"{name[:3].upper()}-{n}-{position}", name=name, tax_rate=Decimal(rate))
        db.session.add(product)
        db.session.flush()
        db.session.add(OpportunityLineItem(
            opportunity_id=opportunity.id, position=position, product_id=product.id, product_code=product.code,
            name=name, quantity=quantity, unit_price=price, discount_percent=Decimal("0"),
            net_amount=money.line_net(quantity, price)))
    db.session.flush()
    quote = documents.create_quote(opportunity, actor=actor)
    documents.present_quote(quote)
    order = documents.accept_quote(quote, actor=actor)
    db.session.commit()
    return order


def make_invoice(actor=None, rates=("0", "0"), **fields):
    """A draft invoice: an order made as above, fulfilled."""
    actor = actor or make_user()
    order = make_order(actor=actor, rates=rates, **fields)
    invoice = documents.fulfil_order(order, actor=actor)
    db.session.commit()
    return invoice
