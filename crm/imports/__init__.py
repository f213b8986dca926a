"""Lead import from CSV and XLSX files: /leads/import pages, the import-leads command, the background job."""

from flask import Blueprint

bp = Blueprint("imports", __name__)

from crm.imports import routes  # noqa: E402,F401
