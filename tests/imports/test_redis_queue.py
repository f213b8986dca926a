"""With REDIS_URL, starting an import pushes it on a Redis list and a worker (another app, as on
another machine) takes it from there at once; a job whose push was lost is found in the table."""

import os
import uuid

import pytest
import redis
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import jobs
from crm.models.lead_import import LeadImport
from tests.conftest import make_app
from tests.factories import make_user
from tests.imports.conftest import start

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_config():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis answers at {REDIS_URL}")
    key = f"filon-test-imports-{uuid.uuid4().hex}"
    yield {"REDIS_URL": REDIS_URL, "IMPORT_QUEUE_KEY": key}
    redis.Redis.from_url(REDIS_URL).delete(key)


def test_a_worker_on_another_machine_takes_the_pushed_job(redis_config, database_url, tmp_path):
    web = make_app(database_url, tmp_path / "web", **redis_config)
    worker = make_app(database_url, tmp_path / "worker", **redis_config)
    with web.app_context():
        imp = start(b"Last name,Company\nHopper,Navy\n", make_user())
        jobs.notify(imp.id)
        import_id = imp.id
        db.session.remove()
    client = redis.Redis.from_url(REDIS_URL)
    assert client.lrange(redis_config["IMPORT_QUEUE_KEY"], 0, -1) == [str(import_id).encode()]
    jobs.run_worker(worker, once=True)
    assert client.llen(redis_config["IMPORT_QUEUE_KEY"]) == 0
    with web.app_context():
        assert db.session.get(LeadImport, import_id).state == "done"
        assert db.session.scalar(sa.text("SELECT count(*) FROM leads")) == 1
        db.session.remove()
        db.engine.dispose()
    with worker.app_context():
        db.engine.dispose()


def test_a_lost_push_is_found_in_the_table(redis_config, database_url, tmp_path):
    app = make_app(database_url, tmp_path / "one", **redis_config)
    with app.app_context():
        imp = start(b"Last name,Company\nHopper,Navy\n", make_user())  # never pushed
        import_id = imp.id
        db.session.remove()
    jobs.run_worker(app, once=True, poll=1)
    with app.app_context():
        assert db.session.get(LeadImport, import_id).state == "done"
        db.session.remove()
        db.engine.dispose()
