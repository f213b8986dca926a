"""The password rules (crm/auth/passwords.py), wherever a password is set: the profile, the
admin's new-user and reset pages, and `flask create-user`."""

import pytest
import sqlalchemy as sa

from crm.auth import passwords
from crm.auth.passwords import PASSWORD_MAX, PASSWORD_MIN, common_passwords, password_problem
from crm.extensions import db
from crm.models import User
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_user

STRONG = "plum orchard at dusk"
COMMON = "QwertyUiop"  # "qwertyuiop" is on the list: compared case-insensitively
TOO_SHORT = "Use at least 10 characters (at most 200)."
IS_COMMON = "This password is among the most common ones. Choose another."
IS_PERSONAL = "A password must not be your email address or your name."


# --- the list and the rules ---------------------------------------------------------------


def test_the_shipped_list_holds_the_10000_most_common_passwords():
    header = passwords.COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("#") and "zxcvbn 4.5.0" in header and "MIT License" in header
    common = common_passwords()
    assert isinstance(common, frozenset) and len(common) == 10_000
    assert {"123456", "password", "qwertyuiop", "1q2w3e4r5t"} <= common
    assert not any(p.startswith("#") for p in common)  # the header is not a password
    assert common_passwords() is common  # read once per process


@pytest.mark.parametrize("password,problem", [
    ("", TOO_SHORT),
    ("x" * (PASSWORD_MIN - 1), TOO_SHORT),
    ("x" * (PASSWORD_MAX + 1), TOO_SHORT),
    ("1234567890", IS_COMMON),
    ("PASSWORD123", IS_COMMON),
    (" qwertyuiop ", IS_COMMON),  # surrounding spaces do not make it another password
    ("Jane.Doe.Smith@Example.com", IS_PERSONAL),
    ("jane.doe.12", None),
    ("JANE.DOE12", None),
    ("Jane Q. Doe", None),
    ("JANE Q. DOE-SMITH", IS_PERSONAL),
    ("jane q. doe-smith", IS_PERSONAL),
    ("jane.doe.smith", IS_PERSONAL),  # the email's part before the @
])
def test_password_problem(app_ctx, password, problem):
    assert password_problem(password, email="jane.doe.smith@example.com", name="Jane Q. Doe-Smith") == problem


@pytest.mark.parametrize("password", [
    "x" * PASSWORD_MIN,
    "a passphrase of exactly sixty-four characters, spaces included!!"[:64],
    "p" * PASSWORD_MAX,
    "mot de passe très sûr ☃ 日本語",  # any Unicode character
    "  leading and trailing spaces  ",
])
def test_long_and_unicode_passwords_are_accepted(app_ctx, password):
    assert password_problem(password, email="jane@example.com", name="Jane") is None


def test_messages_are_translated(app):
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert password_problem("short") == "Utilisez au moins 10 caractères (au plus 200)."
        assert password_problem("qwertyuiop") == (
            "Ce mot de passe fait partie des plus courants. Choisissez-en un autre.")


# --- the profile page -----------------------------------------------------------------------


def change_own(client, password, **headers):
    return client.post("/profile/password", headers=headers, data={
        "current_password": PASSWORD, "password": password, "confirm": password,
        "csrf_token": csrf_token(client, "/profile")})


@pytest.mark.parametrize("weak,message", [
    (COMMON, IS_COMMON), ("short", TOO_SHORT), ("REP@example.com", IS_PERSONAL), ("remy rep", TOO_SHORT),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_profile_refuses_a_weak_password(app, rep_client, rep, weak, message, htmx):
    response = change_own(rep_client, weak, **({"HX-Request": "true"} if htmx else {}))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert ("<html" in body) is not htmx
    # Nothing changed: the old password still signs in, the session goes on.
    assert rep_client.get("/").status_code == 200
    assert login(app.test_client(), rep.email, PASSWORD).status_code == 303


def test_profile_refuses_ones_own_name(app, client):
    user = stored(app, make_user, email="kim@example.com", name="Kimberly Long-Name")
    login(client, user.email, PASSWORD)
    response = change_own(client, "kimberly long-name")
    assert response.status_code == 422 and IS_PERSONAL in response.get_data(as_text=True)


def test_profile_accepts_a_64_character_password(app, rep_client, rep):
    long_password = "correct horse battery staple " * 2 + "123456"
    assert len(long_password) == 64
    response = change_own(rep_client, long_password)
    assert response.status_code == 303
    assert login(app.test_client(), rep.email, long_password).status_code == 303


def test_profile_shows_the_rules(rep_client):
    html = rep_client.get("/profile").get_data(as_text=True)
    assert "At least 10 characters; not a common password, your email or your name." in html


# --- the admin pages ------------------------------------------------------------------------


def admin_post(client, path, data, **headers):
    return client.post(path, headers=headers, data={**data, "csrf_token": csrf_token(client, "/admin/users")})


@pytest.mark.parametrize("password,message", [
    (COMMON, IS_COMMON), ("short", TOO_SHORT), ("nina@example.com", IS_PERSONAL),
    ("NINA NOVAKOVA", IS_PERSONAL),
])
def test_new_user_needs_a_good_password(app, admin_client, password, message):
    response = admin_post(admin_client, "/admin/users/new", {
        "name": "Nina Novakova", "email": "nina@example.com", "role": "rep",
        "password": password, "confirm": password}, **{"HX-Request": "true"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "nina@example.com")) is None


def test_new_user_with_a_good_password(app, admin_client):
    response = admin_post(admin_client, "/admin/users/new", {
        "name": "Nina Novakova", "email": "nina@example.com", "role": "rep",
        "password": STRONG, "confirm": STRONG})
    assert response.status_code == 303
    assert login(app.test_client(), "nina@example.com", STRONG).status_code == 303


@pytest.mark.parametrize("password,message", [(COMMON, IS_COMMON), ("rep@example.com", IS_PERSONAL)])
def test_reset_password_needs_a_good_password(app, admin_client, rep, password, message):
    response = admin_post(admin_client, f"/admin/users/{rep.id}/password",
                          {"password": password, "confirm": password})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert login(app.test_client(), rep.email, PASSWORD).status_code == 303  # unchanged


def test_reset_password_compares_with_that_user_not_the_admin(app, admin_client, admin, rep):
    # The admin's own email is a fine password for the rep (a poor one, but not theirs).
    response = admin_post(admin_client, f"/admin/users/{rep.id}/password",
                          {"password": admin.email, "confirm": admin.email})
    assert response.status_code == 303
    assert login(app.test_client(), rep.email, admin.email).status_code == 303


# --- flask create-user ----------------------------------------------------------------------


@pytest.mark.parametrize("args,message", [
    (["sam@example.com", "--password", "short"], TOO_SHORT),
    (["sam@example.com", "--password", "password123"], IS_COMMON),
    (["sam@example.com", "--password", "SAM@example.com"], IS_PERSONAL),
    (["samantha.j@example.com", "--password", "Samantha.J"], IS_PERSONAL),
    (["sam@example.com", "--password", "Samantha Jones", "--name", "Samantha Jones"], IS_PERSONAL),
])
def test_create_user_command_applies_the_rules(app, args, message):
    result = app.test_cli_runner().invoke(args=["create-user", *args])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_create_user_command_accepts_a_good_password(app):
    result = app.test_cli_runner().invoke(args=["create-user", "sam@example.com", "--password", STRONG])
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), "sam@example.com", STRONG).status_code == 303
