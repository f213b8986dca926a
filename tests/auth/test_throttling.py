"""Sign-in throttling per account and per address, with a clear message and Retry-After."""

import pytest

from tests.conftest import PASSWORD, csrf_token, login


@pytest.fixture
def app_config():
    return {"LOGIN_LIMIT_PER_ACCOUNT": "3 per minute", "LOGIN_LIMIT_PER_IP": "5 per minute"}


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, admin):
    for _ in range(3):
        assert login(client, admin.email, "wrong password!").status_code == 422
    response = login(client, admin.email, PASSWORD)  # even the right one waits now
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_data(as_text=True)
    assert "Too many attempts" in body and "seconds" in body
    assert "Traceback" not in body


def test_the_limit_is_per_account(client, admin, rep):
    for _ in range(3):
        login(client, admin.email, "wrong password!")
    assert login(client, admin.email, PASSWORD).status_code == 429
    assert login(client, rep.email, PASSWORD).status_code == 303


def test_the_limit_is_per_address_across_accounts(client):
    for n in range(5):
        assert login(client, f"guess{n}@example.com", "wrong password!").status_code == 422
    assert login(client, "guess9@example.com", "wrong password!").status_code == 429


def test_successful_sign_ins_do_not_count(client, admin):
    for _ in range(5):
        assert login(client, admin.email, PASSWORD).status_code == 303
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_throttled_htmx_request_gets_the_message_as_a_fragment(client, admin):
    for _ in range(3):
        login(client, admin.email, "wrong password!")
    response = client.post("/login", headers={"HX-Request": "true"}, data={
        "email": admin.email, "password": "x", "csrf_token": csrf_token(client)})
    assert response.status_code == 429
    assert "<html" not in response.get_data(as_text=True)
    assert response.headers["HX-Retarget"] == "#messages"
