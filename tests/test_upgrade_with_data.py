"""An upgrade never loses data: a database at every revision, with rows in every table, upgraded
to head keeps every row and every value.

The revisions come from migrations/versions (base to head), so a new migration is covered the day
it is added. The rows are made from the schema as it was at that revision (reflected), not from
today's models: a value for every column, type-appropriate, respecting the foreign keys and the
check constraints. SQLite by default; PostgreSQL with TEST_DATABASE_URL (its schema is dropped
and rebuilt, as tests/conftest.py does, and left at head afterwards).
"""

import datetime as dt
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from crm.extensions import db
from crm.search_index import made_by_hand
from tests.conftest import TEST_DATABASE_URL, make_app

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
REVISIONS = [script.revision for script in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))]
# Values a migration rewrites on purpose: the folded search text (0010 adds the account's name).
# Besides, a migration may fill an empty value (0006 gives the shipped stages their guidance):
# only a value that was there and changed counts as lost.
REWRITTEN = {"search_text"}


def test_the_revisions_run_from_base_to_head():
    script = ScriptDirectory(str(MIGRATIONS))
    assert REVISIONS[0] == "0001" and [REVISIONS[-1]] == list(script.get_heads())
    assert len(REVISIONS) == len(list(MIGRATIONS.glob("versions/*.py")))


# -- rows from a reflected schema --------------------------------------------------------------


def data_tables(conn) -> list[sa.Table]:
    names = [name for name in sa.inspect(conn).get_table_names()
             if name != "alembic_version" and not made_by_hand(name) and not name.startswith("sqlite_")]
    metadata = sa.MetaData()
    metadata.reflect(conn, only=names)
    return list(metadata.sorted_tables)


def check_rules(conn, table: sa.Table) -> tuple[dict[str, str], set[str], bool]:
    """From the table's check constraints: the allowed values of `col IN (...)` columns, the
    columns to leave NULL for `(a IS NULL) <> (b IS NULL)`, and whether it is a one-row table."""
    choices, nulls, single_row = {}, set(), False
    for check in sa.inspect(conn).get_check_constraints(table.name):
        text = check["sqltext"]
        # "role IN ('admin', ...)", which PostgreSQL spells "(role)::text = ANY (ARRAY['admin'::...".
        if match := re.search(r"(\w+)\)?(?:::\w+)?\s*(?:IN\s*\(|=\s*ANY\s*\(+ARRAY\[\(?)\s*'([^']*)'", text):
            choices[match.group(1)] = match.group(2)
        if match := re.search(r"\((\w+) IS NULL\)\s*<>\s*\((\w+) IS NULL\)", text):
            nulls.add(match.group(2))
        if re.fullmatch(r"\(?id = 1\)?", text.strip()):
            single_row = True
    return choices, nulls, single_row


def value_for(table: sa.Table, column: sa.Column, n: int, choices: dict[str, str]):
    if column.name in choices:
        return choices[column.name]
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False  # True would meet the partial unique indexes ("one default status")
    if isinstance(kind, sa.DateTime):
        return dt.datetime(2025, 3, 14, 9, 26, n)
    if isinstance(kind, sa.Date):
        return dt.date(2025, 3, 14)
    if isinstance(kind, sa.JSON):
        return []
    if isinstance(kind, sa.Numeric) and not isinstance(kind, sa.Float):
        return Decimal("7.00") if kind.scale else 7
    if isinstance(kind, (sa.Integer, sa.Float)):
        return 7  # within every range check (probability 0-100, counts >= 0, daily cap > 0)
    if isinstance(kind, sa.LargeBinary):
        return b"\x00kept"
    if isinstance(kind, (sa.String, sa.Text)):
        if "email" in column.name:
            text = f"kept{n}.{table.name}@example.com"
        elif "phone" in column.name or column.name.endswith("_e164"):
            text = f"+3314000{n:04d}"
        else:
            text = f"Kept {table.name}.{column.name} {n}"
        return text[:kind.length] if getattr(kind, "length", None) else text
    raise AssertionError(f"no sample value for {table.name}.{column.name} ({kind!r})")


def is_generated_id(table: sa.Table, column: sa.Column) -> bool:
    return (column.primary_key and len(table.primary_key.columns) == 1 and isinstance(column.type, sa.Integer)
            and not column.foreign_keys)


def insert_rows(conn) -> dict[str, int]:
    """A row in every table (two in the main ones), each column filled; how many were added."""
    inserted: dict[str, dict] = {}  # table -> the first row's primary key values, for references
    added = {}
    for table in data_tables(conn):
        choices, nulls, single_row = check_rules(conn, table)
        if single_row and conn.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            continue  # one-row settings table the migration filled: it is checked as it is
        rows = 2 if table.name in ("users", "leads", "accounts", "contacts", "opportunities") else 1
        for n in range(1, rows + 1):
            values = {}
            for column in table.columns:
                if is_generated_id(table, column) or column.name in nulls:
                    continue
                if column.foreign_keys:
                    [fk] = column.foreign_keys
                    target = fk.column
                    if target.table.name == table.name:
                        values[column.name] = None  # a self-reference (manager): left empty
                        continue
                    if target.table.name in inserted:
                        values[column.name] = inserted[target.table.name][target.name]
                    else:  # a table filled by the migrations (statuses, stages): its first row
                        values[column.name] = conn.execute(
                            sa.select(target).order_by(target).limit(1)).scalar()
                    if values[column.name] is None and not column.nullable:
                        raise AssertionError(f"nothing for {table.name}.{column.name} to refer to")
                    continue
                if column.primary_key and not isinstance(column.type, sa.Integer):
                    values[column.name] = f"{table.name[:20]}-{n}"
                    continue
                values[column.name] = value_for(table, column, n, choices)
            result = conn.execute(table.insert().values(values))
            if n == 1:
                inserted[table.name] = {**values, **dict(zip(
                    [c.name for c in table.primary_key.columns], result.inserted_primary_key, strict=True))}
        added[table.name] = rows
    return added


def snapshot(conn) -> dict[str, dict[tuple, dict]]:
    """Every row of every data table, by primary key."""
    rows = {}
    for table in data_tables(conn):
        key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
        rows[table.name] = {tuple(row[k] for k in key): dict(row)
                            for row in conn.execute(table.select()).mappings()}
    return rows


# -- databases at a revision -------------------------------------------------------------------


@pytest.fixture(scope="module")
def at_revision(tmp_path_factory):
    """A function giving a fresh database URL upgraded to a revision (and no further)."""
    tmp = tmp_path_factory.mktemp("revisions")
    if TEST_DATABASE_URL:
        def reset(revision: str) -> str:
            engine = sa.create_engine(TEST_DATABASE_URL)
            with engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
            engine.dispose()
            migrate(TEST_DATABASE_URL, tmp, revision)
            return TEST_DATABASE_URL

        yield reset
        reset("heads")  # the other tests' schema, as tests/conftest.py built it
        return

    # SQLite: one walk from base to head, a copy of the file at each revision.
    live = tmp / "walk.sqlite3"
    templates = {}
    app = make_app(f"sqlite:///{live}", tmp)
    with app.app_context():
        for revision in REVISIONS:
            upgrade(revision=revision)
            db.engine.dispose()  # the last connection out folds the -wal into the file
            templates[revision] = tmp / f"at-{revision}.sqlite3"
            shutil.copyfile(live, templates[revision])

    def copy(revision: str) -> str:
        path = tmp / f"test-{revision}.sqlite3"
        shutil.copyfile(templates[revision], path)
        return f"sqlite:///{path}"

    yield copy


def migrate(url: str, tmp, revision: str) -> None:
    app = make_app(url, tmp)
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()


@pytest.mark.parametrize("revision", REVISIONS)
def test_upgrading_from_each_revision_keeps_every_row(revision, at_revision, tmp_path):
    url = at_revision(revision)
    app = make_app(url, tmp_path)
    with app.app_context():
        with db.engine.begin() as conn:
            added = insert_rows(conn)
            before = snapshot(conn)
        assert added.get("users") == 2  # every revision has users; the rows really went in
        db.engine.dispose()

        upgrade()

        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == REVISIONS[-1]
            after = snapshot(conn)
        db.engine.dispose()

    for table, rows in before.items():
        assert table in after, f"{table} is gone after upgrading from {revision}"
        missing = set(rows) - set(after[table])
        assert not missing, f"{table}: rows {sorted(missing)[:5]} lost upgrading from {revision}"
        for key, row in rows.items():
            changed = {column: (value, after[table][key].get(column)) for column, value in row.items()
                       if column in after[table][key] and column not in REWRITTEN
                       and value is not None and after[table][key][column] != value}
            assert not changed, f"{table} {key}: values changed upgrading from {revision}: {changed}"

    # The user and lead as the app sees them at head, through today's models.
    from crm.models import Lead, User

    with app.app_context():
        emails = db.session.scalars(sa.select(User.email).order_by(User.id)).all()
        assert emails == ["kept1.users@example.com", "kept2.users@example.com"]
        if "leads" in before:
            leads = db.session.scalars(sa.select(Lead).order_by(Lead.id)).all()
            assert [(lead.last_name, lead.email) for lead in leads] == [
                ("Kept leads.last_name 1", "kept1.leads@example.com"),
                ("Kept leads.last_name 2", "kept2.leads@example.com")]
        db.session.remove()
        db.engine.dispose()
