"""Reports: pipeline, forecast, lead funnel, win rates, speed to lead, stage conversion, as
server-drawn SVG charts with their tables."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from crm.reports import routes  # noqa: E402,F401
