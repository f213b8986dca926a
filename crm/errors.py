"""Error pages: a page for a browser, a fragment in the message area for htmx."""

import time

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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
}


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


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.register_error_handler(HTTPException, handle_http_error)
