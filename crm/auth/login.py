"""Flask-Login wiring: how a session finds its user, and what an anonymous request gets."""

import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin

from crm.extensions import db, login_manager
from crm.htmx import wants_fragment
from crm.models import User


class Anonymous(AnonymousUserMixin):
    locale = None
    role = None
    is_admin = False


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user by the token kept in the session; inactive users are signed out."""
    user = db.session.scalar(sa.select(User).where(User.session_token == session_token))
    return user if user is not None and user.active else None


@login_manager.unauthorized_handler
def unauthorized():
    """Send the browser to the sign-in page; for htmx, a full redirect rather than a swap."""
    target = url_for("auth.login", next=request.full_path.rstrip("?"))
    if wants_fragment():
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def init_login(app: Flask) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
