"""Administration: users, lead statuses, picklists, campaigns and pipelines (later: rules, forms)."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from crm.admin import assignment, audit, campaigns, lead_settings, pipelines, routes, sharing  # noqa: E402,F401
