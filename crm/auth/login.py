"""Flask-Login wiring: how a session finds its user, and what an anonymous request gets."""

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin

from crm.auth import sessions
from crm.extensions import db, login_manager
from crm.htmx import wants_fragment
from crm.models import EndedSession, User


class Anonymous(AnonymousUserMixin):
    locale = None
    role = None
    is_admin = False


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user by the token kept in the session, while the session is within its limits.

    Past the idle timeout or the absolute lifetime, when the token was replaced (password
    changed, user deactivated) or when this session was signed out, the session is emptied: the
    request goes on signed out, so a page sends the browser to the sign-in page, where the
    message says why.
    """
    if sessions.expired():
        sessions.end_expired()
        return None
    # One query: the user of the token, unless this session was signed out (a copied cookie).
    ended = sa.select(EndedSession.session_id).where(EndedSession.session_id == sessions.session_id())
    user = db.session.scalar(sa.select(User).where(User.session_token == session_token, ~ended.exists()))
    if user is None or not user.active:
        sessions.end_revoked()
        return None
    sessions.touch()
    return user


def return_path() -> str | None:
    """Where to come back after signing in: this page, or for a fragment or a form post the page
    that asked for it (a GET of a POST-only or fragment URL would not show the user's page)."""
    this = request.full_path.rstrip("?") if request.method == "GET" else None
    if this and not wants_fragment():
        return this
    page = urlsplit(request.headers.get("HX-Current-URL") or request.referrer or "")
    if page.netloc != request.host or not page.path.startswith("/"):
        return this
    return page.path + ("?" + page.query if page.query else "")


@login_manager.unauthorized_handler
def unauthorized():
    """Send the browser to the sign-in page; for htmx, a full redirect rather than a swap."""
    target = url_for("auth.login", next=return_path())
    if wants_fragment():
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def init_login(app: Flask) -> None:
    login_manager.anonymous_user = Anonymous
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    sessions.init_app(app)
