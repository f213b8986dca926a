"""The one place that decides between a full page and an HTMX fragment.

htmx-flask gives us ``request.htmx``; response headers are set directly here because its
``make_response(reswap=...)`` rejects ``afterbegin`` and ``beforebegin`` (a typo in its list).
"""

from flask import Response, make_response, redirect, render_template, session
from htmx_flask import request


def wants_fragment() -> bool:
    """True for an htmx request that expects a fragment: not boosted, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(page: str, fragment: str, /, status: int = 200, **context) -> Response:
    """Render the fragment for htmx, the page otherwise, from the same context."""
    if wants_fragment():
        html = render_template(fragment, **context)
        if session.get("_flashes"):
            # Messages flashed by this request ride along as an out-of-band swap.
            html += render_template("_messages.html", oob=True)
    else:
        html = render_template(page, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")
    return response


def retarget(response: Response, target: str, swap: str = "innerHTML") -> Response:
    """Send an htmx response somewhere other than the element that asked for it."""
    response.headers["HX-Retarget"] = target
    response.headers["HX-Reswap"] = swap
    return response


def redirect_after_post(location: str) -> Response:
    """After a successful POST: 303 for a browser form, a full-page HX-Redirect for htmx."""
    if wants_fragment():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)
