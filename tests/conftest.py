"""Fixtures: a fresh app and database per test, built by the real migrations.

SQLite (default): the migrations run once per session into a template file that each test
copies. PostgreSQL (TEST_DATABASE_URL=postgresql+psycopg://...): the migrations run once into
a clean schema; after each test every table is emptied and the rows the migrations seeded
(default statuses, picklists) are put back.
"""

import os
import re
import shutil

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from crm import create_app
from crm.extensions import db

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "BOOTSTRAP_ADMIN": False,
    "REDIS_URL": None,
}


def make_app(database_url: str, tmp_path, **config):
    return create_app({
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        **config,
    })


def migrate_to_head(database_url: str, tmp_path) -> None:
    app = make_app(database_url, tmp_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogs():
    """Compile the translation catalogs when a .po is newer than its .mo (make test does too)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (Path(__file__).parent.parent / "crm" / "translations").glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate once: a template SQLite file, or the PostgreSQL test schema."""
    tmp = tmp_path_factory.mktemp("template")
    if TEST_DATABASE_URL:
        engine = sa.create_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        migrate_to_head(TEST_DATABASE_URL, tmp)
        _snapshot_seeded_rows(tmp)
        return TEST_DATABASE_URL
    path = tmp / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}", tmp)
    return path


_SEEDED: dict[str, list[dict]] = {}


def _snapshot_seeded_rows(tmp) -> None:
    app = make_app(TEST_DATABASE_URL, tmp)
    with app.app_context(), db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in conn.execute(table.select())]
            if rows:
                _SEEDED[table.name] = rows
        db.engine.dispose()


def _empty_all_tables(app) -> None:
    with app.app_context():
        tables = db.metadata.sorted_tables
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
            for table in tables:
                if rows := _SEEDED.get(table.name):
                    conn.execute(table.insert(), rows)
                    if "id" not in table.c:
                        continue  # keyed by name (document_counters): no sequence
                    # Keep the id sequence past the seeded ids.
                    # Table names come from our own metadata, not from input.
                    sql = f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))"  # noqa: S608,E501
                    conn.execute(sa.text(sql))


@pytest.fixture
def database_url(database_template, tmp_path):
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    path = tmp_path / "filon.sqlite3"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize) to change settings for its app."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    """A fresh app and database. No app context stays pushed: requests made by the test
    client must each get their own, as in production (else `g`, and with it the CSRF token
    and the signed-in user, would leak from one request into the next)."""
    app = make_app(database_url, tmp_path, **app_config)
    yield app
    if TEST_DATABASE_URL:
        _empty_all_tables(app)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token a page hands to the browser (its <meta name="csrf-token">)."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, email: str, password: str, **extra):
    return client.post("/login", data={
        "email": email, "password": password, "csrf_token": csrf_token(client), **extra,
    })


PASSWORD = "correct horse battery"


@pytest.fixture
def app_ctx(app):
    """An app context for tests that call services or query the database directly."""
    with app.app_context():
        yield
        db.session.remove()


def stored(app, factory, **fields):
    """Store a record through a factory and hand it back detached, its columns loaded."""
    with app.app_context():
        record = factory(**fields)
        db.session.expunge(record)
        return record


@pytest.fixture
def admin(app):
    from tests.factories import make_user

    return stored(app, make_user, email="admin@example.com", name="Ada Admin", role="admin")


@pytest.fixture
def rep(app):
    from tests.factories import make_user

    return stored(app, make_user, email="rep@example.com", name="Remy Rep", role="rep")


@pytest.fixture
def admin_client(client, admin):
    response = login(client, admin.email, PASSWORD)
    assert response.status_code == 303
    return client


@pytest.fixture
def rep_client(client, rep):
    response = login(client, rep.email, PASSWORD)
    assert response.status_code == 303
    return client
