"""Exports: every list (with its current filters) and every report table as CSV or XLSX.

formats.py: `neutralise()` (spreadsheet formula injection), the CSV stream and the XLSX file,
and `export_rows(name, headers, rows, fmt)`, the one entry point for any table (reports use it);
lists.py: each list's columns over the list's own filtered query; routes.py: /<list>/export.<fmt>.
"""

from flask import Blueprint

from crm.exports.formats import FORMATS, export_rows, neutralise

bp = Blueprint("exports", __name__)

__all__ = ["FORMATS", "bp", "export_rows", "neutralise"]

from crm.exports import routes  # noqa: E402,F401
