"""The catalog: products, price books and their prices, and the CSV import of products. Admins only;
registered under /admin."""

from flask import Blueprint

bp = Blueprint("catalog", __name__)

from crm.catalog import routes  # noqa: E402,F401
