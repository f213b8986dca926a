"""How long a sign-in lasts: an idle timeout and an absolute lifetime.

The session is Flask's signed cookie. At sign-in it gets two stamps (Unix seconds): when the
user signed in and when they were last seen. Every request that loads the user checks both
against SESSION_IDLE_MINUTES and SESSION_LIFETIME_HOURS (crm/config.py); past either, the
session is emptied and the user lands on the sign-in page. The stamps are signed with the
rest of the cookie, so a client cannot move them; a cookie copied before the limit is refused
after it like any other. Each sign-in also gets a random id: signing out lists it as ended, so
a copy of the cookie taken before the sign-out is refused too (other sessions of the same user
go on).

"Keep me signed in" makes the cookie outlive the browser (Max-Age = the absolute lifetime)
instead of setting Flask-Login's separate remember cookie, which carries no sign-in time and
would bring a session back past the lifetime.
"""

import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app, flash, request, session
from flask_babel import gettext as _

from crm.extensions import db
from crm.models.user import EndedSession, new_session_id, utcnow

SIGNED_IN_AT = "_signed_in_at"
SEEN_AT = "_seen_at"
# This sign-in's random id: signing out lists it in ended_sessions (crm.models.user.EndedSession).
SESSION_ID = "_sid"
# The last-seen stamp moves at most every tenth of the idle timeout, 5 minutes at most (so the
# idle timeout may come up to that much late): re-signing the cookie and sending a new
# Set-Cookie on every request would cost each request, and every client that keeps no cookies.
SEEN_RESOLUTION_MAX = 300


def now() -> int:
    return int(time.time())


def start(*, remember: bool) -> None:
    """Stamp a session that has just been given a user (after session.clear() and login_user)."""
    session[SIGNED_IN_AT] = session[SEEN_AT] = now()
    session[SESSION_ID] = new_session_id()
    session.permanent = remember


def expired() -> bool:
    """True when the session has no stamps (made before them) or is past either limit."""
    signed_in_at, seen_at = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int) or not session_id():
        return True
    config = current_app.config
    moment = now()
    return (moment - seen_at > config["SESSION_IDLE_MINUTES"] * 60
            or moment - signed_in_at > config["SESSION_LIFETIME_HOURS"] * 3600)


def session_id() -> str | None:
    value = session.get(SESSION_ID)
    return value if isinstance(value, str) else None


def record_sign_out() -> None:
    """List this session's id as ended (the caller commits), and forget the ids of sessions
    that have passed the lifetime since: their cookies are refused by their stamps anyway."""
    if sid := session_id():
        db.session.add(EndedSession(session_id=sid))
        horizon = utcnow() - timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"])
        db.session.execute(sa.delete(EndedSession).where(EndedSession.ended_at < horizon))


def touch() -> None:
    """Note that the user is active; the cookie is rewritten only when the stamp is old enough."""
    resolution = min(SEEN_RESOLUTION_MAX, current_app.config["SESSION_IDLE_MINUTES"] * 6)
    if now() - session.get(SEEN_AT, 0) >= resolution:
        session[SEEN_AT] = now()


def end(message: str) -> None:
    """Empty the session (the user is signed out) and leave `message` for the sign-in page."""
    legacy_remember_cookie = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
    session.clear()
    if legacy_remember_cookie:
        # Flask-Login deletes its remember cookie after the request, and does not read it now.
        session["_remember"] = "clear"
    flash(message, "info")


def end_expired() -> None:
    end(_("Your session has expired. Please sign in again."))


def end_revoked() -> None:
    end(_("You have been signed out. Please sign in again."))


def init_app(app: Flask) -> None:
    # Flask refuses a session cookie older than this even before our stamps are read.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])
