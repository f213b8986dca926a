"""The home page (each user's dashboard, or their team's) and the health check."""

from flask import Blueprint

bp = Blueprint("home", __name__)

from crm.home import routes  # noqa: E402,F401
