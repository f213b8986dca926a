"""The seeds' deal: Get Cloudy Consulting buys 50 Stratus X11 custom sneakers and Cirrus runners."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Stage, User
from crm.models.sales import OpportunityLineItem, Product
from crm.sales import money
from tests.factories import make_account, make_opportunity


def stage_named(name: str) -> Stage:
    return db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == 1, Stage.name == name))


def make_deal(user: User, *, name: str = "Get Cloudy - 50 Custom Sneakers",
              account_name: str = "Get Cloudy Consulting"):
    """An open opportunity with two lines: 50 × 100.00 (Stratus X11) and 1 × 150.00 (Cirrus), VAT 20 %."""
    account = make_account(user, name=account_name, billing_street="1 Cloud Street", billing_city="Lyon",
                           billing_postal_code="69001", billing_country="France")
    opportunity = make_opportunity(account=account, actor=user, name=name, stage=stage_named("Needs Analysis"))
    products = []
    for code, product_name in (("STRATUS-X11", "Stratus X11"), ("CIRRUS", "Cirrus")):
        product = db.session.scalar(sa.select(Product).where(Product.code == code))
        if product is None:
            product = Product(code=code, name=product_name, tax_rate=Decimal("20"))
            db.session.add(product)
            db.session.flush()
        products.append(product)
    for position, (product, quantity, price) in enumerate(
            zip(products, ("50", "1"), ("100.00", "150.00"), strict=True)):
        db.session.add(OpportunityLineItem(
            opportunity_id=opportunity.id, position=position, product_id=product.id, product_code=product.code,
            name=product.name, quantity=Decimal(quantity), unit_price=Decimal(price), list_price=Decimal(price),
            discount_percent=Decimal("0"), net_amount=money.line_net(quantity, price)))
    db.session.commit()
    return opportunity


@pytest.fixture
def deal(app, rep):
    """The rep's deal, by id."""
    with app.app_context():
        return make_deal(db.session.get(User, rep.id)).id
