"""Security headers and cookies applied to every response."""

from urllib.parse import urlsplit

from flask import Flask, abort, request
from werkzeug.routing import IntegerConverter

# No inline script and no eval: htmx runs from a file, its config sits in a <meta> tag,
# and its indicator styles are switched off there (they would be an inline <style>).
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def add_security_headers(response):
    """Default headers; a view that needs another policy (an embeddable form) sets its own."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # A view that lets other sites frame it (the public Web-to-Lead form) says so in its own
    # CSP's frame-ancestors; X-Frame-Options would overrule it in older browsers.
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


class SecureCookiesOverHttps:
    """WSGI middleware: mark every cookie Secure when the request came over https.

    Flask's and Flask-Login's Secure flags are static settings; this follows the request, so
    the same deployment works on plain http on a laptop and behind an https proxy.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_response_secure(status, headers, exc_info=None):
            headers = [
                (name, value + "; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_response_secure)


class RecordIdConverter(IntegerConverter):
    """`<int:...>` in every route: at most 9 digits. A larger id would overflow the database's
    integer (a 500 instead of a 404), and no record has one."""

    regex = r"\d{1,9}"


def web_url(value: str | None) -> str | None:
    """`value` when it is an http(s) address, else None: a stored website becomes a link only
    then. The forms and the import already refuse other schemes; this holds for any stored value
    (a javascript: or data: link would run on click)."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


# Cleans its own fields (and must keep its smaller body limit, set in the view, before the body is read).
NUL_CHECKED_ELSEWHERE = {"webforms.public_post"}


def refuse_nul_bytes():
    """400 for a NUL byte in the query string or a posted form: no field holds one, SQLite's
    full-text search and PostgreSQL refuse one in a query (a 500 otherwise)."""
    sources = [request.args]
    if request.method == "POST" and request.endpoint not in NUL_CHECKED_ELSEWHERE:
        sources.append(request.form)
    for source in sources:
        for key, values in source.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                abort(400)


def init_app(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)
    app.add_template_filter(web_url)
    # Before the blueprints are registered: their rules take the converter of this map.
    app.url_map.converters["int"] = RecordIdConverter
    app.after_request(add_security_headers)
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)
