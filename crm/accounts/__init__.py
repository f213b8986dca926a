"""Accounts: the companies Filon sells to."""

from flask import Blueprint

bp = Blueprint("accounts", __name__)

from crm.accounts import lookup, routes  # noqa: E402,F401
