"""Security headers on every route, signed in and not, and the cookies' flags."""

import pytest

from tests.conftest import PASSWORD, login
from tests.security.walk import build_records, rules, url_for_rule


def check_headers(path: str, response) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    assert "script-src" in directives or "default-src" in directives, (path, csp)
    script_src = directives.get("script-src", directives.get("default-src"))
    assert "'self'" in script_src, (path, csp)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, (path, csp)
    assert "*" not in script_src.split(), (path, csp)
    assert "object-src 'none'" in csp and "base-uri" in csp, (path, csp)
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy"), path
    ancestors = directives.get("frame-ancestors", "")
    if path.startswith("/w2l/"):
        # The embeddable public form: framable, by its own frame-ancestors.
        assert ancestors, (path, csp)
    else:
        assert ancestors == "frame-ancestors 'none'", (path, csp)
        assert headers.get("X-Frame-Options") == "DENY", path


def walk(app, client, values):
    seen = 0
    for rule in rules(app, "GET"):
        path = url_for_rule(rule, values)
        for extra in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=extra)
            response.get_data()  # a streamed export runs to its end
            assert response.status_code != 500, path
            check_headers(path, response)
            seen += 1
    return seen


def test_headers_on_every_route_signed_in(app, client, admin):
    assert login(client, admin.email, PASSWORD).status_code == 303
    values = build_records(app, admin.id)
    assert walk(app, client, values) > 100


def test_headers_on_every_route_anonymous(app, client, admin):
    values = build_records(app, admin.id)
    assert walk(app, client, values) > 100


def test_headers_on_errors(app, admin_client):
    for path in ("/no-such-page", "/leads/999999", "/static/../crm/config.py"):
        response = admin_client.get(path)
        assert response.status_code in (400, 404), path
        check_headers(path, response)


@pytest.mark.parametrize("path", ["/login", "/leads"])
def test_cookies_are_httponly_and_samesite(app, client, admin, path):
    response = login(client, admin.email, PASSWORD)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies, "signing in sets the session cookie"
    for cookie in cookies:
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags, cookie
        assert any(f.startswith("samesite=") and f != "samesite=none" for f in flags), cookie
    for cookie in client.get(path).headers.getlist("Set-Cookie"):
        flags = [part.strip().lower() for part in cookie.split(";")]
        assert "httponly" in flags and any(f.startswith("samesite=") for f in flags), cookie


def test_cookies_are_secure_over_https(app, client, admin):
    from tests.conftest import csrf_token

    token = csrf_token(client)
    response = client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token},
                           base_url="https://localhost")
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("secure" in [p.strip().lower() for p in c.split(";")] for c in cookies), cookies
    assert response.headers.get("Strict-Transport-Security", "").startswith("max-age=")
