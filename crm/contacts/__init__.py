"""Contacts: the people at the accounts."""

from flask import Blueprint

bp = Blueprint("contacts", __name__)

from crm.contacts import routes  # noqa: E402,F401
