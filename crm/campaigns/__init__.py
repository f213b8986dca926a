"""Campaigns for everyone signed in: the list, and the record page with members and their status.

Administration (adding, editing, deactivating campaigns) stays in crm/admin/campaigns.py.
"""

from flask import Blueprint

bp = Blueprint("campaigns", __name__)

from crm.campaigns import routes  # noqa: E402,F401
