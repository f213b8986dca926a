"""Backups: `flask --app app backup PATH` and `flask --app app restore PATH`.

SQLite: the online backup API copies a consistent snapshot while gunicorn keeps serving (WAL lets
the app write during the copy); the backup is one self-contained file (journal mode DELETE, no
-wal beside it). A restore refuses while another connection has the database open, and swaps the
file in with one rename.

PostgreSQL: `pg_dump --format=custom`, and a restore that runs the dump through psql as ONE
transaction: if anything fails the database is left as it was. The connection settings come from
the app's database URL; the password goes to the tools through PGPASSWORD, never on a command
line (which `ps` shows to every user of the machine).

A backup from an older version of Filon restores as it was: `flask --app app db upgrade` then
brings it to the current schema.
"""

import os
import shutil
import sqlite3
import subprocess  # nosec B404  # runs pg_dump/pg_restore/psql by path, never a shell
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from crm.extensions import db
from crm.search_index import made_by_hand

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"  # the first bytes of pg_dump's custom format
# Shown when a backup is written, in this order (the other tables are counted in the total).
MAIN_TABLES = ("users", "leads", "accounts", "contacts", "opportunities", "activities", "campaigns")


class BackupError(click.ClickException):
    """A backup or restore that cannot go on: the message says why; the exit code is 1."""


# -- shared ------------------------------------------------------------------------------------


def script_directory() -> ScriptDirectory:
    return ScriptDirectory(current_app.extensions["migrate"].directory)


def check_revision(revision: str | None, path: Path) -> None:
    """Refuse a file without Filon's migration stamp, or one made by a newer Filon."""
    if not revision:
        raise BackupError(f"{path} is not a Filon backup (it has no alembic_version).")
    known = {script.revision for script in script_directory().walk_revisions()}
    if revision not in known:
        raise BackupError(f"{path} was made by a newer version of Filon (schema revision {revision}):"
                          " upgrade Filon first, then restore it.")


def upgrade_hint(revision: str) -> str:
    heads = script_directory().get_heads()
    if revision in heads:
        return f"Schema revision {revision}: current."
    return (f"Schema revision {revision} is older than this version of Filon ({', '.join(heads)}):"
            " run `flask --app app db upgrade` before starting the app.")


def human_size(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def default_name(url: sa.URL) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"filon-{stamp}.{'sqlite3' if url.get_backend_name() == 'sqlite' else 'dump'}"


def temp_beside(target: Path) -> Path:
    """A temporary name in the target's directory, so that os.replace is one atomic rename."""
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def fsync_dir(directory: Path) -> None:
    """Make a rename durable: a crash right after it must not bring the old file back."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def sniff(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    return None


def database_kind(url: sa.URL) -> str:
    kind = url.get_backend_name()
    if kind not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {kind} databases are not supported (SQLite and PostgreSQL are).")
    return kind


# -- SQLite ------------------------------------------------------------------------------------


def sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"the database is not a SQLite file ({url.database or 'in memory'}).")
    return Path(url.database)


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_summary(con: sqlite3.Connection) -> tuple[str | None, dict[str, int]]:
    """The migration revision and the row count of every table of a SQLite database."""
    names = [row[0] for row in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    revision = None
    if "alembic_version" in names:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    # Names come from sqlite_master, quoted as identifiers; the search index's tables are not
    # the user's data.
    counts = {name: con.execute("SELECT count(*) FROM " + quote_identifier(name)).fetchone()[0]  # noqa: S608  # nosec B608
              for name in names if name != "alembic_version" and not made_by_hand(name)}
    return revision, counts


def backup_sqlite(source: Path, target: Path) -> tuple[str | None, dict[str, int]]:
    if not source.exists():
        raise BackupError(f"the database file {source} does not exist.")
    if target.exists() and target.resolve() == source.resolve():
        raise BackupError("the backup cannot be written over the database itself.")
    tmp = temp_beside(target)
    src = sqlite3.connect(source, timeout=30)
    try:
        dst = sqlite3.connect(tmp)
        try:
            # pages=-1: one step, one read transaction, so one consistent snapshot of every
            # committed transaction (those still in the -wal file included); writers go on.
            src.backup(dst, pages=-1)
            # One self-contained file: no -wal beside the copy.
            dst.execute("PRAGMA journal_mode=DELETE")
            if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError("the copy does not pass SQLite's integrity check; nothing was written.")
            summary = sqlite_summary(dst)
        finally:
            dst.close()
        os.chmod(tmp, 0o600)  # customer data and password hashes: for the owner's eyes only
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    except sqlite3.Error as error:
        raise BackupError(f"the backup failed: {error}") from error
    finally:
        src.close()
        tmp.unlink(missing_ok=True)
    return summary


def ensure_sqlite_unused(target: Path) -> None:
    """Refuse while another connection (a gunicorn worker, a shell) has the database open.

    Leaving WAL mode needs the only connection to the file: a connection that has read in WAL
    mode holds a lock on its -shm until it closes. Best effort: a process that opens the file
    between this check and the rename keeps writing to the old file.
    """
    con = sqlite3.connect(target, timeout=0)
    try:
        mode = con.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
    except sqlite3.OperationalError:
        mode = None
    finally:
        con.close()
    if mode != "delete":
        raise BackupError(f"{target} is in use: stop the app (gunicorn, `flask run`) and every other"
                          " process that has it open, then restore again.")


def restore_sqlite(backup: Path, target: Path) -> tuple[str, Path | None]:
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} of the database does not exist.")
    tmp = temp_beside(target)
    try:
        # Check a copy: opening the backup itself could change it (a hot journal is rolled back).
        shutil.copyfile(backup, tmp)
        con = sqlite3.connect(tmp)
        try:
            if con.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(f"{backup} is damaged (SQLite's integrity check fails).")
            con.execute("PRAGMA journal_mode=DELETE")
            revision, _ = sqlite_summary(con)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup} is not a Filon backup ({error}).") from error
        finally:
            con.close()
        check_revision(revision, backup)
        kept = None
        if target.exists():
            ensure_sqlite_unused(target)
            # The database being replaced stays beside it, in case the wrong file was restored.
            kept = target.with_name(f"{target.name}.before-restore-{datetime.now(UTC):%Y%m%d-%H%M%S}")
            try:
                os.link(target, kept)
            except OSError:
                shutil.copy2(target, kept)
        # A -wal left beside the target would be replayed into the restored file.
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return revision, kept


# -- PostgreSQL --------------------------------------------------------------------------------


def libpq_connection(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the tools' --dbname, and their environment (the password).

    postgresql+psycopg://user:secret@host:5432/filon?sslmode=require becomes
    "host='host' port='5432' user='user' dbname='filon' sslmode='require'" and PGPASSWORD=secret.
    """
    params = {"host": url.host, "port": url.port, "user": url.username, "dbname": url.database}
    for key, value in url.query.items():  # psycopg hands these to libpq as they are
        params[key] = value if isinstance(value, str) else value[-1]

    def quote(value) -> str:
        return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"

    conninfo = " ".join(f"{key}={quote(value)}" for key, value in params.items() if value not in (None, ""))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return conninfo, env


def pg_tool(name: str) -> str:
    path = shutil.which(name)
    if not path:
        raise BackupError(f"{name} was not found: install the PostgreSQL client tools (Debian: postgresql-client),"
                          " of the server's major version or newer.")
    return path


def run_tool(args: list[str], env: dict[str, str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603  # a list of args, no shell
    if result.returncode != 0:
        raise BackupError(f"{what} failed (exit code {result.returncode}):\n{result.stderr.strip()}")
    return result


def dump_summary(dump: Path, env: dict[str, str]) -> tuple[str | None, int]:
    """The migration revision recorded in a custom-format dump, and how many tables it holds."""
    listing = run_tool([pg_tool("pg_restore"), "--list", str(dump)], env, "pg_restore --list").stdout
    tables = sum(1 for line in listing.splitlines() if " TABLE DATA " in line)
    if not any(" TABLE DATA " in line and line.split()[-2:-1] == ["alembic_version"]
               for line in listing.splitlines()):
        return None, tables
    data = run_tool([pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(dump)],
                    env, "pg_restore").stdout
    lines = data.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and n + 1 < len(lines):
            value = lines[n + 1]
            return (None if value == "\\." else value.split("\t")[0]), tables
    return None, tables


def backup_postgresql(url: sa.URL, target: Path) -> tuple[str | None, int]:
    conninfo, env = libpq_connection(url)
    tmp = temp_beside(target)
    try:
        run_tool([pg_tool("pg_dump"), "--format=custom", "--no-password", f"--file={tmp}", f"--dbname={conninfo}"],
                 env, "pg_dump")
        os.chmod(tmp, 0o600)
        summary = dump_summary(tmp, env)
        os.replace(tmp, target)
        fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    return summary


def other_sessions() -> list[str]:
    """Who else is connected to the database (gunicorn workers, psql...)."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT coalesce(nullif(application_name, ''), host(client_addr), 'local') FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"))
        names = [row[0] for row in rows]
    db.engine.dispose()
    return names


# Tables a newer schema added would survive `pg_restore --clean` (it drops only what the dump
# holds) and break the `db upgrade` that follows a restore of an older backup: drop them all.
DROP_ALL_TABLES = """
DO $$DECLARE t record; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', t.tablename);
  END LOOP;
END$$;
"""


def restore_postgresql(url: sa.URL, backup: Path) -> str:
    conninfo, env = libpq_connection(url)
    revision, _ = dump_summary(backup, env)
    check_revision(revision, backup)
    restore = [pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
               "--file=-", str(backup)]
    psql = [pg_tool("psql"), "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1", "--no-password",
            f"--dbname={conninfo}"]
    # pg_restore writes the SQL, psql runs it in one transaction that we commit only when all of
    # it came through: on any failure (a truncated archive, an error in psql) psql ends without
    # COMMIT and PostgreSQL rolls everything back.
    with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
        reader = subprocess.Popen(restore, stdout=subprocess.PIPE, stderr=restore_err, env=env)  # noqa: S603  # nosec B603
        writer = subprocess.Popen(psql, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,  # noqa: S603  # nosec B603
                                  stderr=psql_err, env=env)
        try:
            writer.stdin.write(b"BEGIN;\n" + DROP_ALL_TABLES.encode())
            shutil.copyfileobj(reader.stdout, writer.stdin)
            reader_code = reader.wait()
            if reader_code == 0:
                writer.stdin.write(b"COMMIT;\n")
        except BrokenPipeError:
            pass  # psql stopped at an error: its exit code and message say which
        finally:
            reader.stdout.close()
            try:
                writer.stdin.close()
            except BrokenPipeError:
                pass
            reader_code, writer_code = reader.wait(), writer.wait()
        for code, err, tool in ((reader_code, restore_err, "pg_restore"), (writer_code, psql_err, "psql")):
            if code != 0:
                err.seek(0)
                raise BackupError(f"the restore failed in {tool} (exit code {code}); the database was left"
                                  f" as it was:\n{err.read().decode(errors='replace').strip()}")
    return revision


# -- commands ----------------------------------------------------------------------------------


def os_errors(function, *args):
    """A missing directory, a full disk, a permission: a message and exit code 1, no traceback."""
    try:
        return function(*args)
    except OSError as error:
        raise BackupError(str(error)) from error


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent backup of the database to PATH while the app keeps running.

    SQLite: a copy of the database file (SQLite's online backup). PostgreSQL: a pg_dump archive
    (custom format). PATH may be a directory: the file is then named after the date and time.
    """
    url = db.engine.url
    kind = database_kind(url)
    target = path / default_name(url) if path.is_dir() else path
    if not target.parent.is_dir():
        raise BackupError(f"the directory {target.parent} does not exist.")
    if kind == "sqlite":
        revision, counts = os_errors(backup_sqlite, sqlite_file(url), target)
        shown = ", ".join(f"{name} {counts[name]}" for name in MAIN_TABLES if name in counts)
        details = f"{len(counts)} tables, {sum(counts.values())} rows ({shown})"
    else:
        revision, tables = os_errors(backup_postgresql, url, target)
        details = f"{tables} tables"
    click.echo(f"Backup written to {target}: {human_size(target.stat().st_size)}, {details},"
               f" schema revision {revision}.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="PostgreSQL: restore even while other sessions are connected to the database.")
@with_appcontext
def restore_command(path: Path, yes: bool, force: bool) -> None:
    """Replace the whole database with the backup at PATH. Stop the app first.

    The backup must come from `flask backup` of the same kind of database. A backup from an older
    version of Filon is restored as it was: run `flask --app app db upgrade` afterwards.
    """
    url = db.engine.url
    kind = database_kind(url)
    made_from = sniff(path)
    if made_from is None:
        raise BackupError(f"{path} is not a Filon backup (neither a SQLite file nor a pg_dump archive).")
    if made_from != kind:
        raise BackupError(f"{path} is a {made_from} backup but the database is {kind}:"
                          " restore it into a database of the same kind.")
    # Our own pooled connections would count as "in use".
    db.engine.dispose()
    if kind == "sqlite" and sqlite_file(url).exists():
        ensure_sqlite_unused(sqlite_file(url))  # fail before asking; checked again before the swap
    if kind == "postgresql" and not force and (sessions := other_sessions()):
        raise BackupError(f"{len(sessions)} other session(s) are connected to the database"
                          f" ({', '.join(sorted(set(sessions)))}): stop the app first, or pass --force.")
    where = sqlite_file(url) if kind == "sqlite" else url.render_as_string(hide_password=True)
    if not yes:
        click.confirm(f"Replace everything in {where} with {path}?", abort=True)
    if kind == "sqlite":
        revision, kept = os_errors(restore_sqlite, path, sqlite_file(url))
        if kept:
            click.echo(f"The database it replaced is kept as {kept} (delete it when all is well).")
    else:
        revision = os_errors(restore_postgresql, url, path)
    click.echo(f"Restored {path} into {where}. {upgrade_hint(revision)}")
