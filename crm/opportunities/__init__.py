"""Opportunities: the deals a sales process moves from stage to stage until won or lost.

routes.py: the list, new and edit; record.py: the record page, its path bar and stage history;
contact_roles.py: the people involved; line_items.py: the Products card; board.py: the Kanban board.
"""

from flask import Blueprint

bp = Blueprint("opportunities", __name__)

from crm.opportunities import board, contact_roles, line_items, record, routes  # noqa: E402,F401
