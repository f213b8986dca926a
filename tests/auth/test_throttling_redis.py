"""With REDIS_URL, sign-in throttling counts in Redis, so every worker and machine shares it."""

import os
import uuid

import pytest
import redis

from tests.conftest import PASSWORD, login, make_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    return REDIS_URL


def test_sign_in_attempts_are_counted_in_redis(redis_url, database_url, tmp_path, admin):
    prefix = f"filon-test-{uuid.uuid4().hex}"  # earlier runs must not count against this one
    config = {"REDIS_URL": redis_url, "LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
              "RATELIMIT_KEY_PREFIX": prefix}
    worker_a = make_app(database_url, tmp_path / "a", **config).test_client()
    worker_b = make_app(database_url, tmp_path / "b", **config).test_client()
    assert login(worker_a, admin.email, "wrong password!").status_code == 422
    assert login(worker_b, admin.email, "wrong password!").status_code == 422
    assert login(worker_a, admin.email, "wrong password!").status_code == 422
    assert login(worker_b, admin.email, PASSWORD).status_code == 429
    # The counters live in Redis (one process's memory would not be seen by another worker).
    keys = redis.Redis.from_url(redis_url).keys(f"*{prefix}*")
    assert any(b"login-account:" + admin.email.encode() in key for key in keys), keys


def test_without_redis_nothing_is_written_there(redis_url, database_url, tmp_path, admin):
    prefix = f"filon-test-{uuid.uuid4().hex}"
    client = make_app(database_url, tmp_path, REDIS_URL=None, RATELIMIT_KEY_PREFIX=prefix).test_client()
    login(client, admin.email, "wrong password!")
    assert redis.Redis.from_url(redis_url).keys(f"*{prefix}*") == []
