"""The home page and /healthz."""

import pytest

from crm import create_app
from tests.conftest import BASE_CONFIG


def test_healthz_needs_no_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "version": "0.1.0"}


def test_healthz_says_when_the_database_is_unreachable(tmp_path):
    # A SQLite path inside a folder that does not exist cannot be opened.
    app = create_app({**BASE_CONFIG, "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/missing/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert response.json["status"] == "error"


def test_home_greets_the_user_and_shows_admin_links_to_admins(admin_client):
    html = admin_client.get("/").get_data(as_text=True)
    assert "Hello, Ada Admin" in html
    assert 'href="/admin/users"' in html


def test_home_hides_admin_links_from_reps(rep_client):
    html = rep_client.get("/").get_data(as_text=True)
    assert "Hello, Remy Rep" in html
    assert 'href="/admin/users"' not in html


@pytest.mark.parametrize("path", ["/", "/profile", "/admin/users", "/admin/users/new"])
def test_every_page_needs_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
