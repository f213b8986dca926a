"""The app factory: configuration, SQLite settings, security headers and error pages."""

import os
import stat

import pytest

from crm.config import database_url, secret_key
from crm.extensions import db


@pytest.mark.parametrize("raw,expected", [
    ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
    ("postgresql://u@h:5432/db", "postgresql+psycopg://u@h:5432/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
])
def test_database_url_goes_through_psycopg3(raw, expected, tmp_path):
    assert database_url(raw, tmp_path) == expected


def test_database_url_defaults_to_sqlite_in_instance(tmp_path):
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'filon.sqlite3'}"


def test_secret_key_is_generated_once_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) == 64
    assert secret_key(tmp_path) == first
    mode = stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode)
    assert mode == 0o600


def test_secret_key_from_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert secret_key(tmp_path) == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(app, app_ctx):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite-only settings; this run is on PostgreSQL")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_security_headers_on_every_response(client):
    for path in ("/login", "/healthz", "/does-not-exist"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_load_htmx_from_our_own_static_files(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the CSP would block it
    assert client.get("/static/vendor/htmx.min.js").status_code == 200


@pytest.mark.parametrize("path,status,text", [
    ("/no/such/page", 404, "Page not found"),
    ("/admin/users/999999/edit", 404, "Page not found"),
])
def test_error_pages_are_pages_or_fragments(admin_client, path, status, text):
    page = admin_client.get(path)
    assert page.status_code == status
    assert "<html" in page.get_data(as_text=True) and text in page.get_data(as_text=True)
    fragment = admin_client.get(path, headers={"HX-Request": "true"})
    assert fragment.status_code == status
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and text in body
    assert fragment.headers["HX-Retarget"] == "#messages"
    assert "HX-Request" in fragment.headers["Vary"]


def test_403_for_a_rep_on_admin_pages(rep_client):
    response = rep_client.get("/admin/users")
    assert response.status_code == 403
    assert "You do not have permission" in response.get_data(as_text=True)


def test_405_has_a_page(client):
    response = client.put("/login")
    assert response.status_code == 405
    assert "Method not allowed" in response.get_data(as_text=True)


def test_413_for_an_oversized_body(client):
    response = client.post("/login", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_post_without_csrf_token_is_refused_with_a_message(admin_client):
    response = admin_client.post("/profile/preferences", data={"locale": "fr"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


def test_post_with_a_stale_csrf_token_is_refused(client, admin):
    from tests.conftest import PASSWORD

    response = client.post("/login", data={
        "email": admin.email, "password": PASSWORD,
        "csrf_token": "IjAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAi.ZZZZZZ.forged"})
    assert response.status_code == 400
    assert "Form expired" in response.get_data(as_text=True)


def test_500_shows_a_page_without_a_stack_trace(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Something went wrong" in body
    assert "secret internals" not in body and "Traceback" not in body
