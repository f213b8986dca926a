"""Quotes: the list, the quote page (lines edited in place while Draft), its actions (present,
accept, deny, revise), the printable page and the PDF. Rules live in crm/sales/documents.py and
crm/sales/quote_lines.py; printing in crm/sales/printing.py."""

from flask import Blueprint

bp = Blueprint("quotes", __name__)

from crm.quotes import routes  # noqa: E402,F401
