"""Lead import from CSV and XLSX files: /leads/import pages, the import-leads command, the background job."""

from flask import Blueprint

# cli_group=None: `flask import-leads` and `flask import-worker`, not `flask imports ...`.
bp = Blueprint("imports", __name__, cli_group=None)

from crm.imports import cli, routes  # noqa: E402,F401
