"""Administration: users, lead statuses and picklists (later: pipelines, rules, forms)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from crm.admin import campaigns, lead_settings, routes  # noqa: E402,F401
