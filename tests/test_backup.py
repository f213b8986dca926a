"""`flask backup` and `flask restore`: consistent copies of a live database, safe restores."""

import os
import shutil
import sqlite3
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa

from crm import backup
from crm.extensions import db
from crm.models import Lead, User
from tests.conftest import TEST_DATABASE_URL
from tests.factories import make_lead, make_user

ON_POSTGRESQL = bool(TEST_DATABASE_URL) and TEST_DATABASE_URL.startswith("postgresql")
sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="SQLite backups: TEST_DATABASE_URL is set")
PG_TOOLS = ("pg_dump", "pg_restore", "psql")
postgresql_only = pytest.mark.skipif(
    not ON_POSTGRESQL or not all(shutil.which(tool) for tool in PG_TOOLS),
    reason="PostgreSQL backups need TEST_DATABASE_URL=postgresql+psycopg://... and pg_dump, pg_restore and psql"
           " on the PATH")


def run(app, *args):
    return app.test_cli_runner().invoke(args=[str(a) for a in args])


def database_file(app) -> Path:
    with app.app_context():
        path = Path(db.engine.url.database)
        db.engine.dispose()  # the restore needs the only connection to the file
    return path


def seed(app, leads: int = 3) -> list[int]:
    with app.app_context():
        owner = make_user(email="owner@example.com", name="Olga Owner")
        # Company and email of our own: the factory's default ones carry a session-wide counter,
        # whose digits a search for "kept 1" would also find (it matches each word anywhere).
        ids = [make_lead(owner, last_name=f"Kept {n}", company="Acme Tools", email=f"kept{n}@example.org").id
               for n in range(leads)]
        db.session.remove()
        db.engine.dispose()
    return ids


def lead_names(app) -> list[str]:
    with app.app_context():
        names = db.session.scalars(sa.select(Lead.last_name).order_by(Lead.id)).all()
        db.session.remove()
        db.engine.dispose()
    return names


def delete_leads(app, ids) -> None:
    with app.app_context():
        db.session.execute(sa.delete(Lead).where(Lead.id.in_(ids)))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


# -- SQLite ------------------------------------------------------------------------------------


@sqlite_only
def test_backup_of_a_live_database_has_what_was_committed_and_nothing_else(app, tmp_path):
    seed(app, leads=2)
    live = database_file(app)
    # A worker that committed without a checkpoint (its rows are only in the -wal file)...
    worker = sqlite3.connect(live)
    worker.execute("PRAGMA wal_autocheckpoint=0")
    worker.execute("UPDATE users SET name = 'Committed in WAL' WHERE email = 'owner@example.com'")
    worker.commit()
    assert os.path.getsize(f"{live}-wal") > 0
    # ...and another one in the middle of a write transaction.
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE users SET name = 'Not committed' WHERE email = 'owner@example.com'")
    try:
        result = run(app, "backup", tmp_path / "nightly.sqlite3")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        worker.close()
    assert result.exit_code == 0, result.output
    assert f"Backup written to {tmp_path / 'nightly.sqlite3'}" in result.output
    assert "users 1, leads 2" in result.output
    copy = sqlite3.connect(tmp_path / "nightly.sqlite3")
    try:
        assert copy.execute("SELECT name FROM users").fetchall() == [("Committed in WAL",)]
        assert copy.execute("SELECT count(*) FROM leads").fetchone() == (2,)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file, no -wal
    finally:
        copy.close()
    assert not (tmp_path / "nightly.sqlite3-wal").exists()
    # Customer data: readable by its owner only.
    assert stat.S_IMODE((tmp_path / "nightly.sqlite3").stat().st_mode) == 0o600


@sqlite_only
def test_backup_into_a_directory_names_the_file_after_the_date(app, tmp_path):
    (tmp_path / "backups").mkdir()
    result = run(app, "backup", tmp_path / "backups")
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "backups").iterdir()
    assert written.name.startswith("filon-") and written.suffix == ".sqlite3"


@sqlite_only
def test_backup_fails_with_an_exit_code(app, tmp_path):
    result = run(app, "backup", tmp_path / "missing" / "b.sqlite3")
    assert result.exit_code == 1 and "does not exist" in result.output
    assert run(app, "backup", database_file(app)).exit_code == 1  # never over the database itself


@sqlite_only
def test_restore_brings_back_what_was_deleted(app, tmp_path):
    ids = seed(app, leads=3)
    assert run(app, "backup", tmp_path / "b.sqlite3").exit_code == 0
    delete_leads(app, ids[:2])
    assert lead_names(app) == ["Kept 2"]
    database_file(app)

    result = run(app, "restore", "--yes", tmp_path / "b.sqlite3")
    assert result.exit_code == 0, result.output
    assert "Schema revision" in result.output and ": current." in result.output
    assert lead_names(app) == ["Kept 0", "Kept 1", "Kept 2"]
    # The database it replaced is kept beside it, with the deletion.
    [kept] = database_file(app).parent.glob("*.before-restore-*")
    assert sqlite3.connect(kept).execute("SELECT count(*) FROM leads").fetchone() == (1,)


@sqlite_only
def test_restore_asks_first(app, tmp_path):
    ids = seed(app, leads=1)
    assert run(app, "backup", tmp_path / "b.sqlite3").exit_code == 0
    delete_leads(app, ids)
    database_file(app)
    result = app.test_cli_runner().invoke(args=["restore", str(tmp_path / "b.sqlite3")], input="n\n")
    assert result.exit_code == 1 and "Replace everything" in result.output
    assert lead_names(app) == []


@sqlite_only
def test_restore_refuses_what_is_not_a_filon_backup(app, tmp_path):
    seed(app, leads=1)
    text = tmp_path / "notes.txt"
    text.write_text("not a database")
    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(backup.SQLITE_MAGIC + b"\0" * 200)
    database_file(app)

    for path, message in ((text, "not a Filon backup"), (other, "not a Filon backup"),
                          (damaged, "not a Filon backup")):
        result = run(app, "restore", "--yes", path)
        assert result.exit_code == 1, result.output
        assert message in result.output
    missing = run(app, "restore", "--yes", tmp_path / "nothing-here.sqlite3")
    assert missing.exit_code == 2 and "does not exist" in missing.output
    assert lead_names(app) == ["Kept 0"]
    assert not list(tmp_path.glob(".*.tmp")) and not list(database_file(app).parent.glob(".*.tmp"))


@sqlite_only
def test_restore_refuses_a_backup_of_a_newer_version(app, tmp_path):
    assert run(app, "backup", tmp_path / "b.sqlite3").exit_code == 0
    with sqlite3.connect(tmp_path / "b.sqlite3") as con:
        con.execute("UPDATE alembic_version SET version_num = '9999'")
    result = run(app, "restore", "--yes", tmp_path / "b.sqlite3")
    assert result.exit_code == 1 and "newer version of Filon" in result.output


@sqlite_only
def test_restore_refuses_while_the_app_has_the_database_open(app, tmp_path):
    ids = seed(app, leads=2)
    assert run(app, "backup", tmp_path / "b.sqlite3").exit_code == 0
    delete_leads(app, ids)
    live = database_file(app)
    worker = sqlite3.connect(live)  # a gunicorn worker's pooled connection
    worker.execute("SELECT count(*) FROM leads").fetchone()
    try:
        result = run(app, "restore", "--yes", tmp_path / "b.sqlite3")
    finally:
        worker.close()
    assert result.exit_code == 1 and "in use: stop the app" in result.output
    assert lead_names(app) == []


@sqlite_only
def test_an_older_backup_restores_and_upgrades_to_head(app, tmp_path):
    """A backup taken before the latest migrations comes back as it was; `db upgrade` finishes it."""
    from flask_migrate import downgrade, upgrade

    seed(app, leads=2)
    with app.app_context():
        db.engine.dispose()
        downgrade(revision="0014")
        db.engine.dispose()
    assert run(app, "backup", tmp_path / "old.sqlite3").exit_code == 0
    with app.app_context():
        upgrade()
        db.engine.dispose()
    database_file(app)
    result = run(app, "restore", "--yes", tmp_path / "old.sqlite3")
    assert result.exit_code == 0, result.output
    assert "0014 is older" in result.output and "flask --app app db upgrade" in result.output
    with app.app_context():
        upgrade()
        db.engine.dispose()
    assert lead_names(app) == ["Kept 0", "Kept 1"]


def test_restore_refuses_a_backup_of_the_other_kind_of_database(app, tmp_path):
    dump = tmp_path / "b.dump"
    dump.write_bytes(backup.PG_MAGIC + b"\0" * 64)
    sqlite_file = tmp_path / "b.sqlite3"
    sqlite_file.write_bytes(backup.SQLITE_MAGIC + b"\0" * 64)
    result = run(app, "restore", "--yes", sqlite_file if ON_POSTGRESQL else dump)
    assert result.exit_code == 1 and "restore it into a database of the same kind" in result.output


# -- PostgreSQL --------------------------------------------------------------------------------


def test_the_password_goes_to_the_tools_by_environment_never_on_the_command_line():
    url = sa.make_url("postgresql+psycopg://filon:s3cr'et @db.example.com:6543/crm?sslmode=require")
    conninfo, env = backup.libpq_connection(url)
    assert conninfo == ("host='db.example.com' port='6543' user='filon' dbname='crm' sslmode='require'")
    assert "s3cr" not in conninfo
    assert env["PGPASSWORD"] == "s3cr'et "
    local, _ = backup.libpq_connection(sa.make_url("postgresql+psycopg:///crm?host=/run/postgresql"))
    assert local == "host='/run/postgresql' dbname='crm'"


@postgresql_only
def test_postgresql_backup_and_restore_round_trip(app, tmp_path):
    ids = seed(app, leads=3)
    result = run(app, "backup", tmp_path / "b.dump")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b.dump").read_bytes().startswith(backup.PG_MAGIC)
    assert stat.S_IMODE((tmp_path / "b.dump").stat().st_mode) == 0o600
    delete_leads(app, ids[:2])
    with app.app_context():
        make_user(email="later@example.com")
        db.session.remove()
        db.engine.dispose()

    result = run(app, "restore", "--yes", tmp_path / "b.dump")
    assert result.exit_code == 0, result.output
    assert ": current." in result.output
    assert lead_names(app) == ["Kept 0", "Kept 1", "Kept 2"]
    with app.app_context():
        assert db.session.scalars(sa.select(User.email)).all() == ["owner@example.com"]
        # The search index came back with the rows.
        from crm.leads import queries
        owner = db.session.scalar(sa.select(User))
        found = queries.lead_page(queries.LeadFilters(q="kept 1", view="all"), owner).items
        assert [row.id for row in found] == [ids[1]]
        db.session.remove()
        db.engine.dispose()


@postgresql_only
def test_postgresql_restore_is_all_or_nothing(app, tmp_path, monkeypatch):
    ids = seed(app, leads=2)
    assert run(app, "backup", tmp_path / "b.dump").exit_code == 0
    delete_leads(app, ids[:1])
    # psql stops at an error after the old tables were dropped: the transaction rolls back.
    monkeypatch.setattr(backup, "DROP_ALL_TABLES", backup.DROP_ALL_TABLES + "SELECT 1/0;\n")
    result = run(app, "restore", "--yes", tmp_path / "b.dump")
    assert result.exit_code == 1 and "the restore failed in psql" in result.output
    assert "division by zero" in result.output
    assert lead_names(app) == ["Kept 1"]
    monkeypatch.undo()

    # pg_restore dies half-way: what it wrote is never committed.
    real = shutil.which("pg_restore")
    fake = tmp_path / "pg_restore"
    # A shell script standing in for pg_restore (its SQL is a fixed string, not built from input).
    fake.write_text(f'#!/bin/sh\ncase "$*" in *--clean*) echo "DELETE FROM leads;"; exit 1;; esac\n'  # noqa: S608
                    f'exec {real} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(backup, "pg_tool", lambda name: str(fake) if name == "pg_restore" else shutil.which(name))
    result = run(app, "restore", "--yes", tmp_path / "b.dump")
    assert result.exit_code == 1 and "the restore failed in pg_restore" in result.output
    assert lead_names(app) == ["Kept 1"]


@postgresql_only
def test_postgresql_restore_refuses_while_others_are_connected(app, tmp_path):
    seed(app, leads=1)
    assert run(app, "backup", tmp_path / "b.dump").exit_code == 0
    other = sa.create_engine(TEST_DATABASE_URL, connect_args={"application_name": "gunicorn-worker"})
    try:
        with other.connect():
            result = run(app, "restore", "--yes", tmp_path / "b.dump")
    finally:
        other.dispose()
    assert result.exit_code == 1 and "gunicorn-worker" in result.output and "--force" in result.output


@postgresql_only
def test_postgresql_restore_refuses_what_is_not_a_filon_backup(app, tmp_path):
    engine = sa.create_engine(TEST_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS backup_probe (x int)"))
    engine.dispose()
    try:
        other_dump = tmp_path / "other.dump"
        url, env = backup.libpq_connection(sa.make_url(TEST_DATABASE_URL))
        backup.run_tool([shutil.which("pg_dump"), "--format=custom", f"--file={other_dump}",
                         "--table=backup_probe", f"--dbname={url}"], env, "pg_dump")
        result = run(app, "restore", "--yes", other_dump)
        assert result.exit_code == 1 and "not a Filon backup" in result.output
    finally:
        engine = sa.create_engine(TEST_DATABASE_URL)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS backup_probe"))
        engine.dispose()
