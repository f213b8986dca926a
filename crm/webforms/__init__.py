"""Web-to-Lead forms: the admin pages at /forms and the public form at /w2l/<key>."""

from flask import Blueprint

bp = Blueprint("webforms", __name__)

from crm.webforms import routes  # noqa: E402,F401
