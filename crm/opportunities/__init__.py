"""Opportunities: the deals a sales process moves from stage to stage until won or lost."""

from flask import Blueprint

bp = Blueprint("opportunities", __name__)

from crm.opportunities import routes  # noqa: E402,F401
