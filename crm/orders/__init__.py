"""Sales orders: made when a quote is accepted; fulfilled into an invoice or cancelled.

routes.py: the list, the record page, fulfil, cancel, print and PDF.
"""

from flask import Blueprint

bp = Blueprint("orders", __name__)

from crm.orders import routes  # noqa: E402,F401
