"""Leads: the list, capture, the record page with its status path, the board, the recycle bin."""

from flask import Blueprint

bp = Blueprint("leads", __name__)

from crm.leads import board, bulk, convert, duplicates_routes, routes  # noqa: E402,F401
