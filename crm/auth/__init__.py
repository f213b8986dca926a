"""Sign-in, sign-out and each user's own settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from crm.auth import routes  # noqa: E402,F401
from crm.auth.login import init_login  # noqa: E402,F401
