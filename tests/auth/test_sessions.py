"""How long a sign-in lasts, and what ends it: the idle timeout, the absolute lifetime,
deactivation, a password change elsewhere; a new session at sign-in (no fixation); `next=`
only to this site (no open redirect)."""

import time

import pytest
from flask_login.utils import encode_cookie

from crm import config as config_module
from crm.auth.sessions import SEEN_AT, SIGNED_IN_AT
from tests.conftest import PASSWORD, csrf_token, login, make_app

HTMX = {"HX-Request": "true"}
EXPIRED = "Your session has expired. Please sign in again."
REVOKED = "You have been signed out. Please sign in again."


def stamps(client) -> tuple[int | None, int | None]:
    with client.session_transaction() as session:
        return session.get(SIGNED_IN_AT), session.get(SEEN_AT)


def backdate(client, *, signed_in: int = 0, seen: int = 0) -> None:
    """Move the session's stamps `signed_in` and `seen` seconds into the past."""
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] -= signed_in
        session[SEEN_AT] -= seen


def signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


# --- the settings ---------------------------------------------------------------------------


def test_defaults_are_two_hours_idle_and_twelve_hours_in_all(app):
    assert app.config["SESSION_IDLE_MINUTES"] == 120
    assert app.config["SESSION_LIFETIME_HOURS"] == 12
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 12 * 3600
    assert app.config["SESSION_REFRESH_EACH_REQUEST"] is False


def test_settings_come_from_the_environment(monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "15")
    monkeypatch.setenv("SESSION_LIFETIME_HOURS", "8")
    app = make_app(database_url, tmp_path)
    assert app.config["SESSION_IDLE_MINUTES"] == 15
    assert app.config["SESSION_LIFETIME_HOURS"] == 8
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600


@pytest.mark.parametrize("raw", ["0", "-5", "two", "1.5"])
def test_a_wrong_setting_stops_the_start(monkeypatch, raw):
    monkeypatch.setenv("SESSION_IDLE_MINUTES", raw)
    with pytest.raises(ValueError, match="SESSION_IDLE_MINUTES"):
        config_module.positive_int("SESSION_IDLE_MINUTES", 120)


# --- the stamps -----------------------------------------------------------------------------


def test_sign_in_stamps_the_session(rep_client):
    before = int(time.time())
    signed_in_at, seen_at = stamps(rep_client)
    assert signed_in_at == seen_at and before - 5 <= signed_in_at <= int(time.time())


def test_requests_do_not_rewrite_the_cookie_each_time(rep_client):
    # Within a minute of the last stamp, a page leaves the cookie alone: no Set-Cookie.
    assert rep_client.get("/").status_code == 200
    response = rep_client.get("/")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    backdate(rep_client, signed_in=290, seen=290)
    assert "Set-Cookie" not in rep_client.get("/").headers
    # Past 5 minutes (a tenth of the idle timeout, at most 5 minutes), the last-seen stamp moves
    # (once); the sign-in stamp does not.
    backdate(rep_client, signed_in=20, seen=20)
    old_signed_in, old_seen = stamps(rep_client)
    response = rep_client.get("/")
    assert "filon_session=" in response.headers["Set-Cookie"]
    new_signed_in, new_seen = stamps(rep_client)
    assert new_signed_in == old_signed_in and new_seen >= old_seen + 310
    assert "Set-Cookie" not in rep_client.get("/").headers


# --- the idle timeout and the absolute lifetime ---------------------------------------------


@pytest.mark.parametrize("limit", ["idle", "lifetime"])
def test_past_a_limit_a_page_sends_to_sign_in_with_a_message(rep_client, limit):
    if limit == "idle":
        backdate(rep_client, signed_in=121 * 60, seen=121 * 60)
    else:  # busy all along: seen a moment ago, signed in more than 12 hours ago
        backdate(rep_client, signed_in=12 * 3600 + 1)
    response = rep_client.get("/leads")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/leads"
    assert not signed_in(rep_client)
    page = rep_client.get(response.headers["Location"]).get_data(as_text=True)
    assert EXPIRED in page
    assert rep_client.get("/").status_code == 302  # still signed out


@pytest.mark.parametrize("limit", ["idle", "lifetime"])
def test_past_a_limit_an_htmx_request_gets_a_full_redirect(rep_client, limit):
    if limit == "idle":
        backdate(rep_client, signed_in=121 * 60, seen=121 * 60)
    else:
        backdate(rep_client, signed_in=12 * 3600 + 1)
    response = rep_client.get("/leads", headers={**HTMX, "HX-Current-URL": "http://localhost/leads?q=acme"})
    assert response.status_code == 401
    # Back to the page the user was on, not to the fragment's URL.
    assert response.headers["HX-Redirect"] == "/login?next=/leads?q%3Dacme"
    assert not signed_in(rep_client)
    assert EXPIRED in rep_client.get("/login").get_data(as_text=True)


def test_an_htmx_post_after_the_limit_changes_nothing(app, rep_client, rep):
    token = csrf_token(rep_client, "/profile")
    backdate(rep_client, signed_in=121 * 60, seen=121 * 60)
    response = rep_client.post("/profile/preferences", data={"locale": "fr", "csrf_token": token},
                               headers={**HTMX, "HX-Current-URL": "http://localhost/profile"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/profile"
    from crm.extensions import db
    from crm.models import User
    with app.app_context():
        assert db.session.get(User, rep.id).locale is None


def test_within_the_limits_the_session_goes_on(rep_client):
    backdate(rep_client, signed_in=12 * 3600 - 60, seen=119 * 60)
    assert rep_client.get("/leads").status_code == 200
    # Activity moved the last-seen stamp: the idle clock starts again.
    assert int(time.time()) - stamps(rep_client)[1] < 60
    backdate(rep_client, seen=119 * 60)
    assert rep_client.get("/leads").status_code == 200


@pytest.mark.parametrize("app_config", [{"SESSION_IDLE_MINUTES": 5}])
def test_the_idle_setting_is_applied(rep_client):
    backdate(rep_client, seen=4 * 60)
    assert rep_client.get("/").status_code == 200
    # The stamp moved (a tenth of 5 minutes had passed): 4 more minutes are fine again.
    assert int(time.time()) - stamps(rep_client)[1] < 60
    backdate(rep_client, seen=4 * 60)
    assert rep_client.get("/").status_code == 200
    backdate(rep_client, seen=6 * 60)
    assert rep_client.get("/").status_code == 302


@pytest.mark.parametrize("app_config", [{"SESSION_LIFETIME_HOURS": 1}])
def test_the_lifetime_setting_is_applied(rep_client):
    backdate(rep_client, signed_in=59 * 60)
    assert rep_client.get("/").status_code == 200
    backdate(rep_client, signed_in=2 * 60)
    assert rep_client.get("/").status_code == 302


def test_keep_me_signed_in_does_not_outlive_the_lifetime(client, rep):
    login(client, rep.email, PASSWORD, remember="y")
    assert client.get("/").status_code == 200
    backdate(client, signed_in=12 * 3600 + 1)
    assert client.get("/").status_code == 302
    assert not signed_in(client)


def test_the_sign_in_page_says_how_long_keep_me_signed_in_lasts(client):
    assert "Up to 12 hours on this device, even with the browser closed." in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"SESSION_LIFETIME_HOURS": 1}])
def test_the_sign_in_page_follows_the_setting(client):
    assert "Up to 1 hour on this device, even with the browser closed." in client.get("/login").get_data(as_text=True)


def test_a_session_without_stamps_is_not_signed_in(rep_client, rep):
    # A session made before the stamps existed, or forged without them (it would need the key).
    with rep_client.session_transaction() as session:
        del session[SIGNED_IN_AT], session[SEEN_AT]
    assert rep_client.get("/").status_code == 302
    assert not signed_in(rep_client)


def test_an_old_remember_cookie_signs_nobody_in_and_is_deleted(app, client, rep):
    # Filon used to set Flask-Login's remember cookie: it carries no sign-in time.
    with app.test_request_context():
        value = encode_cookie(rep.session_token)
    client.set_cookie("filon_remember", value)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.get_cookie("filon_remember") is None
    assert client.get("/").status_code == 302


# --- what ends a session at its next request ------------------------------------------------


def sign_in_new_client(app, email):
    other = app.test_client()
    assert login(other, email, PASSWORD).status_code == 303
    return other


def test_deactivation_ends_the_users_sessions_at_their_next_request(app, admin, rep):
    page_session = sign_in_new_client(app, rep.email)
    fragment_session = sign_in_new_client(app, rep.email)
    assert page_session.get("/leads").status_code == 200
    admin_session = sign_in_new_client(app, admin.email)
    response = admin_session.post(f"/admin/users/{rep.id}/active", data={
        "active": "0", "csrf_token": csrf_token(admin_session, "/admin/users")})
    assert response.status_code == 303
    # A full page: to the sign-in page, saying why.
    response = page_session.get("/leads")
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/leads"
    assert REVOKED in page_session.get("/login").get_data(as_text=True)
    # An htmx fragment: a full-page redirect, not a swap of the sign-in form into the list.
    response = fragment_session.get("/leads", headers=HTMX)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    # And the cookie the user still holds stays refused, even after reactivation would not help
    # it: the token it carries was replaced.
    assert fragment_session.get("/").status_code == 302


def copy_of(app, client):
    """Another client holding a copy of `client`'s session cookie (a stolen cookie)."""
    thief = app.test_client()
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    return thief


def test_signing_out_ends_this_session_even_for_a_copy_of_its_cookie(app, rep):
    """Sessions are signed cookies: emptying the browser's copy is not enough (ASVS 3.3.1)."""
    from crm.extensions import db
    from crm.models import EndedSession

    browser = sign_in_new_client(app, rep.email)
    other_device = sign_in_new_client(app, rep.email)
    thief, thief_htmx = copy_of(app, browser), copy_of(app, browser)
    assert thief.get("/leads").status_code == 200
    response = browser.post("/logout", data={"csrf_token": csrf_token(browser, "/leads")})
    assert response.status_code == 303
    # The copy is refused: a page goes to the sign-in page, a fragment gets a full redirect.
    response = thief.get("/leads")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    response = thief_htmx.get("/leads", headers=HTMX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    # The user's other sessions go on, and a new sign-in works.
    assert other_device.get("/leads").status_code == 200
    assert sign_in_new_client(app, rep.email).get("/leads").status_code == 200
    with app.app_context():
        assert db.session.query(EndedSession).count() == 1


def test_signing_out_forgets_sessions_older_than_the_lifetime(app, rep):
    from datetime import timedelta

    from crm.extensions import db
    from crm.models import EndedSession
    from crm.models.user import utcnow

    with app.app_context():
        old = utcnow() - timedelta(hours=app.config["SESSION_LIFETIME_HOURS"], minutes=1)
        db.session.add_all([EndedSession(session_id="old", ended_at=old),
                            EndedSession(session_id="recent", ended_at=utcnow() - timedelta(hours=1))])
        db.session.commit()
    browser = sign_in_new_client(app, rep.email)
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/leads")})
    with app.app_context():
        kept = {row.session_id for row in db.session.query(EndedSession)}
    assert "old" not in kept and "recent" in kept and len(kept) == 2


def test_a_reactivated_user_signs_in_afresh(app, admin, rep):
    rep_session = sign_in_new_client(app, rep.email)
    with rep_session.session_transaction() as session:
        old_cookie_session = dict(session)
    admin_session = sign_in_new_client(app, admin.email)
    for active in ("0", "1"):
        admin_session.post(f"/admin/users/{rep.id}/active", data={
            "active": active, "csrf_token": csrf_token(admin_session, "/admin/users")})
    # The session from before the deactivation does not come back with the reactivation.
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(old_cookie_session)
    assert replay.get("/").status_code == 302
    assert login(app.test_client(), rep.email, PASSWORD).status_code == 303


def test_password_change_ends_other_sessions_and_keeps_this_one(app, rep_client, rep):
    other = sign_in_new_client(app, rep.email)
    signed_in_at = stamps(rep_client)[0]
    new = "an entirely new passphrase"
    response = rep_client.post("/profile/password", headers=HTMX, data={
        "current_password": PASSWORD, "password": new, "confirm": new,
        "csrf_token": csrf_token(rep_client, "/profile")})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/profile"
    assert rep_client.get("/profile").status_code == 200
    # Changing the password does not stretch the absolute lifetime of this session.
    assert stamps(rep_client)[0] == signed_in_at
    response = other.get("/leads", headers=HTMX)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
    assert other.get("/").status_code == 302


def sign_out_others(client, password, **headers):
    return client.post("/profile/sessions", headers=headers, data={
        "others-current_password": password, "others-csrf_token": csrf_token(client, "/profile")})


@pytest.mark.parametrize("htmx", [False, True])
def test_sign_out_of_other_devices(app, rep_client, rep, htmx):
    other = sign_in_new_client(app, rep.email)
    response = sign_out_others(rep_client, PASSWORD, **(HTMX if htmx else {}))
    if htmx:
        assert response.status_code == 204 and response.headers["HX-Redirect"] == "/profile"
    else:
        assert response.status_code == 303 and response.headers["Location"] == "/profile"
    assert "You are signed out on every other device." in rep_client.get("/profile").get_data(as_text=True)
    assert other.get("/").status_code == 302
    assert REVOKED in other.get("/login").get_data(as_text=True)
    # The password is unchanged.
    assert login(app.test_client(), rep.email, PASSWORD).status_code == 303


def test_sign_out_of_other_devices_asks_for_the_password(app, rep_client, rep):
    other = sign_in_new_client(app, rep.email)
    response = sign_out_others(rep_client, "not my password", **HTMX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="sessions-form"' in body
    assert "This is not your current password." in body
    assert other.get("/").status_code == 200  # nothing ended
    # Without JavaScript the whole profile comes back, every form on it.
    page = sign_out_others(rep_client, "").get_data(as_text=True)
    assert 'id="sessions-form"' in page and 'id="password-form"' in page
    assert page.count('id="others-current_password"') == 1 and page.count('id="current_password"') == 1


# --- session fixation -----------------------------------------------------------------------


def test_a_cookie_from_before_sign_in_is_not_signed_in_after(app, rep):
    # The attacker gets a session cookie from the sign-in page...
    attacker = app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie("filon_session").value
    # ...and makes the victim's browser use it (a cookie set on a sibling domain, say).
    victim = app.test_client()
    victim.set_cookie("filon_session", planted)
    assert login(victim, rep.email, PASSWORD).status_code == 303
    issued = victim.get_cookie("filon_session").value
    assert issued != planted
    assert victim.get("/").status_code == 200
    # The planted cookie was never signed in, and still is not.
    replay = app.test_client()
    replay.set_cookie("filon_session", planted)
    assert replay.get("/").status_code == 302
    assert replay.get("/leads", headers=HTMX).status_code == 401


def test_sign_in_drops_what_the_old_session_held(client, rep):
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["_user_id"] = "a guessed token"
        session[SIGNED_IN_AT] = session[SEEN_AT] = int(time.time()) + 10**6
    login(client, rep.email, PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"] == rep.session_token
        assert session[SIGNED_IN_AT] <= int(time.time())


# --- open redirect --------------------------------------------------------------------------


@pytest.mark.parametrize("raw_next", [
    "//evil.example/",
    "///evil.example/",
    "https://evil.example/",
    "HTTPS://evil.example/",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "%2F%2Fevil.example",  # decoded once: //evil.example
    "%2F%5Cevil.example",  # /\evil.example
    "/%09/evil.example",  # a tab, which browsers drop: //evil.example
    "/%0A/evil.example",  # a newline, the same (and it must not break the Location header)
    "/%0D%0ALocation:%20https://evil.example",
    "%252F%252Fevil.example",  # double-encoded: decoded once, not a path
    "javascript:alert(1)",
    "JaVaScRiPt%3Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%20//evil.example",
    "evil.example",
])
def test_next_never_leaves_the_site(client, rep, raw_next):
    token = csrf_token(client)
    response = client.post(f"/login?next={raw_next}",
                           data={"email": rep.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("raw_next,expected", [
    ("/leads", "/leads"),
    ("/leads/%3Fq%3Dacme%26page%3D2", "/leads/?q=acme&page=2"),
    ("%2Fleads%2F", "/leads/"),
    ("/leads/%2F%2Fevil.example", "/leads///evil.example"),  # a path on this site
])
def test_next_follows_paths_of_this_site(client, rep, raw_next, expected):
    token = csrf_token(client)
    response = client.post(f"/login?next={raw_next}",
                           data={"email": rep.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == expected


def test_the_login_form_keeps_next_escaped(client):
    html = client.get('/login?next=/leads"><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)" not in html
