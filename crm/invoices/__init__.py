"""Invoices: made when an order is fulfilled; Draft (dates and tax rates editable), Sent, Paid.

routes.py: the list, the record page, the in-place edits, send, paid, print and PDF.
"""

from flask import Blueprint

bp = Blueprint("invoices", __name__)

from crm.invoices import routes  # noqa: E402,F401
