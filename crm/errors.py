"""Error pages: a page for a browser, a fragment in the message area for htmx."""

import logging
import time

from flask import Flask, g, make_response
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from crm.extensions import db, limiter
from crm.htmx import render, retarget, wants_fragment

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Check what you sent and try again.")),
    401: (_l("Sign-in required"), _l("Please sign in to see this page.")),
    403: (_l("Not allowed"), _l("You do not have permission to do this.")),
    404: (_l("Page not found"), _l("There is nothing here. The link may be wrong, or the record was removed.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("What you sent is too large. Send a smaller file or less text.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Please wait a moment and try again.")),
    500: (_l("Something went wrong"),
          _l("An unexpected error happened on our side. Nothing was saved; please try again.")),
    503: (_l("Database unavailable"),
          _l("Filon cannot reach its database right now; try again in a minute.")),
}
# The DBAPI's "cannot talk to the database" errors (server down or restarting, connection cut,
# SQLite still locked after its busy timeout): the request could not be served, nothing of it
# was stored, and the same request can succeed later. A bug (IntegrityError, ProgrammingError...)
# stays a 500.
DATABASE_GONE = (OperationalError, DisconnectionError, InterfaceError)
# Seconds a client (or a proxy, or a visitor's browser script) should wait before trying again:
# a PostgreSQL restart takes a few seconds.
RETRY_AFTER_SECONDS = 30

log = logging.getLogger(__name__)


def _error_response(code: int, title, message):
    response = render(
        "errors/error.html", "errors/_error.html", status=code,
        code=code, title=title, message=message,
    )
    if wants_fragment():
        # Swap the message into the flash area rather than the element that asked.
        retarget(response, "#messages")
    return response


def handle_http_error(error: HTTPException):
    code = error.code or 500
    title, message = MESSAGES.get(code, (_l("Not possible"), error.description))
    if error.description != type(error).description:
        # abort(code, "why") from a view: its own words say more than the generic text.
        message = error.description
    if code == 429:
        limit = limiter.current_limit
        if limit is not None:
            seconds = max(1, int(limit.reset_at - time.time()))
            message = _l(
                "Too many attempts. Please wait %(seconds)s seconds and try again.",
                seconds=seconds,
            )
    return _error_response(code, title, message)


def handle_csrf_error(error: CSRFError):
    return _error_response(
        400,
        _l("Form expired"),
        _l("This form has expired or did not come from this site. Reload the page and try again."),
    )


def handle_server_error(error: InternalServerError):
    # The request's transaction may be half done: nothing of it must be committed later.
    db.session.rollback()
    title, message = MESSAGES[500]
    return _error_response(500, title, message)


def recover_from_database_error(error: Exception) -> None:
    """Leave nothing of the failed request behind: roll its transaction back and drop the
    connections of the pool, so the next request opens a fresh one once the database is back."""
    # The first line only: the next ones hold the SQL statement and its parameters (user data).
    text = str(error).strip()
    log.warning("database unavailable: %s", text.splitlines()[0] if text else type(error).__name__)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the connection is gone: there is nothing left to roll back)
        log.debug("rollback after a database error failed", exc_info=True)
    db.session.remove()
    if db.engine.dialect.name != "sqlite":
        # SQLAlchemy invalidates the pool by itself when it recognises a disconnect; a connection it
        # did not recognise (or a half-open one) goes too. A SQLite file cannot go away: a "database
        # is locked" leaves its connections good.
        db.engine.dispose()
    # The signed-in user was loaded (or will be) from the database: the page of this error must
    # not ask it again (an expired User would refresh itself with a query). Anonymous it is.
    from crm.extensions import login_manager

    g._login_user = login_manager.anonymous_user()


def database_unavailable_response(render_page):
    """`render_page()` with status 503 and Retry-After; a plain text answer when even rendering
    needs the database (a context processor or template that queries it)."""
    try:
        response = render_page()
    except DATABASE_GONE:
        db.session.remove()
        title, message = MESSAGES[503]
        response = make_response(f"{title}\n\n{message}\n", 503, {"Content-Type": "text/plain; charset=utf-8"})
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # A proxy or a browser must not keep this answer in place of the page.
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_database_error(error: Exception):
    recover_from_database_error(error)
    title, message = MESSAGES[503]
    return database_unavailable_response(lambda: _error_response(503, title, message))


def init_app(app: Flask) -> None:
    for exception in DATABASE_GONE:
        app.register_error_handler(exception, handle_database_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(HTTPException, handle_http_error)
