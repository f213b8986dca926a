"""User administration: list, add, edit, deactivate, reset a password."""

import sqlalchemy as sa

from crm.extensions import db
from crm.models import User
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_user

NEW_PASSWORD = "another long password"


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")}, **kwargs)


def find(app, email):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.email == email))


def test_list_is_a_page_and_a_fragment(admin_client, rep):
    page = admin_client.get("/admin/users")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and "Remy Rep" in html and 'id="user-list"' in html
    fragment = admin_client.get("/admin/users", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="user-list">')
    assert "Remy Rep" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_add_a_user_who_can_then_sign_in(app, admin_client):
    response = post(admin_client, "/admin/users/new", {
        "name": "Nina New", "email": "Nina@Example.com", "role": "manager",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    user = find(app, "nina@example.com")
    assert user.name == "Nina New" and user.role == "manager" and user.active
    assert "User Nina New added." in admin_client.get("/admin/users").get_data(as_text=True)
    other = app.test_client()
    assert login(other, "nina@example.com", NEW_PASSWORD).status_code == 303


def test_add_user_errors_come_back_next_to_their_fields(app, admin_client, rep):
    response = post(admin_client, "/admin/users/new", {
        "name": "", "email": "not-an-email", "role": "boss",
        "password": "short", "confirm": "different"}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="user-form"' in body
    assert "Enter a valid email address." in body
    assert "Not a valid choice" in body
    assert "Use at least 10 characters (at most 200)." in body
    assert "The two passwords differ." in body
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 2


def test_email_must_be_unique_whatever_its_case(app, admin_client, rep):
    response = post(admin_client, "/admin/users/new", {
        "name": "Twin", "email": "REP@example.com", "role": "rep",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 422
    assert "A user with this email already exists." in response.get_data(as_text=True)


def test_edit_a_users_role(app, admin_client, rep):
    response = post(admin_client, f"/admin/users/{rep.id}/edit", {
        "name": "Remy Manager", "email": rep.email, "role": "manager"})
    assert response.status_code == 303
    user = find(app, rep.email)
    assert (user.name, user.role) == ("Remy Manager", "manager")


def test_the_last_admin_keeps_the_admin_role(app, admin_client, admin):
    response = post(admin_client, f"/admin/users/{admin.id}/edit", {
        "name": admin.name, "email": admin.email, "role": "rep"})
    assert response.status_code == 422
    assert "at least one active administrator" in response.get_data(as_text=True)
    assert find(app, admin.email).role == "admin"


def test_deactivate_with_htmx_swaps_the_row_and_signs_the_user_out(app, admin_client, rep):
    rep_browser = app.test_client()
    login(rep_browser, rep.email, PASSWORD)
    assert rep_browser.get("/").status_code == 200

    response = post(admin_client, f"/admin/users/{rep.id}/active", {"active": "0"},
                    headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith(f'<tr id="user-{rep.id}"') and "Deactivated" in body
    assert 'id="messages"' in body and 'hx-swap-oob="true"' in body  # the flash rides along
    assert "is deactivated and signed out everywhere" in body
    assert find(app, rep.email).active is False
    assert rep_browser.get("/").status_code == 302  # their session is over
    assert login(rep_browser, rep.email, PASSWORD).status_code == 422

    response = post(admin_client, f"/admin/users/{rep.id}/active", {"active": "1"})
    assert response.status_code == 303
    assert find(app, rep.email).active is True


def test_an_admin_cannot_deactivate_themselves(app, admin_client, admin):
    response = post(admin_client, f"/admin/users/{admin.id}/active", {"active": "0"})
    assert response.status_code == 403
    assert find(app, admin.email).active is True


def test_reset_password_ends_the_users_sessions(app, admin_client, rep):
    rep_browser = app.test_client()
    login(rep_browser, rep.email, PASSWORD)
    response = post(admin_client, f"/admin/users/{rep.id}/password",
                    {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert rep_browser.get("/").status_code == 302
    assert login(rep_browser, rep.email, PASSWORD).status_code == 422
    assert login(rep_browser, rep.email, NEW_PASSWORD).status_code == 303


def test_htmx_form_success_redirects_the_whole_page(admin_client, rep):
    response = post(admin_client, f"/admin/users/{rep.id}/password",
                    {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
                    headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/admin/users"


def test_users_list_pages(app, admin_client):
    with app.app_context():
        for n in range(55):
            make_user(email=f"bulk{n:02d}@example.com", name=f"Bulk {n:02d}")
    first = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="next"' in first
    second = admin_client.get("/admin/users?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second


def test_reps_and_managers_cannot_manage_users(app, client):
    stored(app, make_user, email="boss@example.com", role="manager")
    login(client, "boss@example.com", PASSWORD)
    assert client.get("/admin/users").status_code == 403
    assert post(client, "/admin/users/new", {"name": "x"}).status_code == 403
