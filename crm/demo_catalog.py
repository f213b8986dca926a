"""seed-demo's product catalog: Cloud Kicks' sneakers (the seeds' company) in the standard price
book, so that a demo opportunity can be given products, quoted, ordered and invoiced."""

from decimal import Decimal

import sqlalchemy as sa

from crm.extensions import db
from crm.models.sales import PriceBook, PriceBookEntry, Product

# code, name, family, VAT rate %, standard price
CATALOG = (
    ("STX11", "Stratus X11 custom sneaker", "Sneakers", "20", "120.00"),
    ("CIR-RUN", "Cirrus runner", "Sneakers", "20", "95.50"),
    ("NIMB-TR", "Nimbus trail shoe", "Sneakers", "20", "134.90"),
    ("CUMU-K", "Cumulus kids sneaker", "Kids", "5.5", "59.00"),
    ("LACE-PK", "Coloured laces (pack of 10)", "Accessories", "20", "12.50"),
    ("INSOLE", "Memory-foam insole", "Accessories", "20", "18.00"),
    ("LOGO-EMB", "Logo embroidery (per pair)", "Services", "20", "7.25"),
    ("DESIGN", "Custom design session", "Services", "20", "450.00"),
)


def seed_catalog() -> int:
    """Add the catalog's products that are missing (matched by code) with their standard price.
    Return how many were added."""
    book = db.session.scalar(sa.select(PriceBook).where(PriceBook.is_standard))
    known = set(db.session.scalars(sa.select(Product.code)))
    added = 0
    for code, name, family, rate, price in CATALOG:
        if code in known:
            continue
        product = Product(code=code, name=name, family=family, tax_rate=Decimal(rate))
        db.session.add(product)
        if book is not None:
            db.session.add(PriceBookEntry(price_book=book, product=product, unit_price=Decimal(price)))
        added += 1
    db.session.flush()
    return added
