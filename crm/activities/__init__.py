"""Activities: notes, logged calls and emails, tasks and events on a record's timeline."""

from flask import Blueprint

bp = Blueprint("activities", __name__)

from crm.activities import routes, services  # noqa: E402,F401

# "My tasks" links each task to its record, on the home page and wherever else it is shown.
bp.add_app_template_global(services.activity_record_url, "activity_record_url")
bp.add_app_template_global(services.record_url, "record_page_url")
