"""Bulk loading for seed-demo: one transaction, the search indexes filled once at the end.

Row by row, the search triggers (crm/search_index.py) cost more than the inserts themselves: each
new lead writes some thirty trigrams into `leads_fts` as it comes. For the load, BulkLoad takes
the triggers off (SQLite) or the GIN trigram index (PostgreSQL), then indexes the new rows in one
statement and puts back exactly what it took off. SQLite and PostgreSQL both roll DDL back with
the transaction, so a failed load leaves the triggers and indexes as they were: that is why the
whole load is one transaction, committed by finish().
"""

import datetime as dt
import queue
import threading
from collections.abc import Iterator
from decimal import Decimal
from operator import itemgetter

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from crm.search_index import SEARCHABLE, fts_table

# SQLite settings for the load's connection only, put back by finish(): no fsync (a crash rolls the
# whole load back anyway) and a page cache large enough for the tables' indexes (in KiB).
SQLITE_LOAD_PRAGMAS = {"synchronous": "OFF", "cache_size": "-262144"}


def _sqlite_value(python_type: type):
    """How SQLAlchemy's SQLite types store a value of this type (its DATETIME, DATE and NUMERIC formats)."""
    if python_type is dt.datetime:
        return lambda v: None if v is None else v.isoformat(" ", "microseconds")
    if python_type is dt.date:
        return lambda v: None if v is None else v.isoformat()
    if python_type is Decimal:
        return lambda v: None if v is None else float(v)
    return None


def _columns(rows: list[dict]) -> list[str]:
    """The rows' keys but those starting with "_" (the caller's own, not columns)."""
    return [name for name in rows[0] if not name.startswith("_")]


def row_params(dialect: str, table: sa.Table, rows: list[dict]) -> list:
    """The rows (dicts with the same keys) as insert_rows() sends them to the database.

    On SQLite, SQLAlchemy's per-value bind processing costs more than SQLite's own insert: the rows
    go to the driver as tuples, their dates, times and decimals as SQLAlchemy would have stored
    them (tests/test_demo.py reads them back through the ORM). Elsewhere, the dicts themselves."""
    if dialect not in ("sqlite", "postgresql") or not rows:
        return rows
    columns = _columns(rows)
    if dialect == "postgresql":
        return [tuple(row[name] for name in columns) for row in rows]  # psycopg adapts the values itself
    converters = []
    for n, name in enumerate(columns):
        try:
            python_type = table.c[name].type.python_type
        except NotImplementedError:
            continue
        if convert := _sqlite_value(python_type):
            converters.append((n, convert))
    values = itemgetter(*columns)
    if not converters:
        return [values(row) for row in rows]
    params = []
    for row in rows:
        params_row = list(values(row))
        for n, convert in converters:
            params_row[n] = convert(params_row[n])
        params.append(tuple(params_row))
    return params


def insert_rows(session: Session, table: sa.Table, rows: list[dict], params: list | None = None) -> None:
    """INSERT the rows with one executemany; `params` are row_params() of them, if already made."""
    if not rows:
        return
    connection = session.connection()
    columns = _columns(rows)
    dialect = connection.dialect.name
    if dialect == "postgresql":
        # COPY: several times quicker than INSERTs, in the same transaction.
        if params is None:
            params = row_params(dialect, table, rows)
        with connection.connection.dbapi_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608
                for values in params:
                    copy.write_row(values)
        return
    if dialect != "sqlite":
        if len(columns) < len(rows[0]):
            rows = [{name: row[name] for name in columns} for row in rows]
        connection.execute(sa.insert(table), rows)
        return
    if params is None:
        params = row_params("sqlite", table, rows)
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608  # nosec B608
    connection.exec_driver_sql(sql, params)


_DONE = object()


def ahead(chunks: Iterator[list[dict]], dialect: str, table: sa.Table) -> Iterator[tuple[list[dict], list]]:
    """The chunks with their row_params(), made by a thread while the caller inserts the previous ones.

    The thread runs Python (the rows' generator, one at a time: the data stays the same for a seed);
    the caller mostly waits on the database, which lets go of the GIL meanwhile: on two cores,
    generating and inserting overlap. Errors of the thread are raised here."""
    app = current_app._get_current_object()
    results: queue.Queue = queue.Queue()

    def produce() -> None:
        try:
            with app.app_context():
                for chunk in chunks:
                    results.put((chunk, row_params(dialect, table, chunk)))
        except BaseException as error:  # noqa: BLE001 (handed to the consumer)
            results.put(error)
        results.put(_DONE)

    threading.Thread(target=produce, name=f"seed-demo {table.name}", daemon=True).start()
    return _consume(results)


def _consume(results: queue.Queue) -> Iterator[tuple[list[dict], list]]:
    while (item := results.get()) is not _DONE:
        if isinstance(item, BaseException):
            raise item
        yield item


class BulkLoad:
    """Open a transaction on the session's connection and take the search maintenance off.

    `sizes` are the rows the load will add to each table: on SQLite a table that will more than
    double also loses its secondary indexes until complete(), which builds each again in one sorted
    pass instead of a B-tree insert per row and index.
    """

    def __init__(self, session: Session, sizes: dict[str, int] | None = None):
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect.name
        self.sizes = sizes or {}
        self.pragmas: dict[str, object] = {}
        # What was taken off, by table, to be put back by complete().
        self.triggers: dict[str, list[tuple[str, str]]] = {}  # (name, sql)
        self.indexes: dict[str, list[str]] = {}
        if self.dialect == "sqlite":
            self._sqlite_start()
        elif self.dialect == "postgresql":
            self._postgresql_start()
        # The rows above these ids are the load's (read inside the transaction, after its first write).
        self.first_new_id = {table: self._max_id(table) for table in SEARCHABLE}

    def _max_id(self, table: str) -> int:
        return self.connection.scalar(sa.text(f"SELECT max(id) FROM {table}")) or 0  # noqa: S608 (SEARCHABLE)  # nosec B608

    def _sqlite_start(self) -> None:
        if self.connection.connection.dbapi_connection.in_transaction:
            self.session.commit()  # the owners just created, say: foreign_keys only changes outside one
            self.connection = self.session.connection()
        # The PRAGMAs are this connection's: finish() puts them back on it.
        self.dbapi_connection = self.connection.connection.dbapi_connection
        # Foreign keys are checked by the seed's own construction (every id comes from a row it just
        # inserted or read); SQLite's check of each would cost a lookup per key and row.
        self.pragmas["foreign_keys"] = self.connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        self.connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        for name, value in SQLITE_LOAD_PRAGMAS.items():
            self.pragmas[name] = self.connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            self.connection.exec_driver_sql(f"PRAGMA {name}={value}")
        # pysqlite opens its transaction at the first write, not at DDL: write nothing, to open it,
        # so that the triggers are dropped inside the transaction (and come back with a rollback).
        self.connection.exec_driver_sql("UPDATE users SET id = id WHERE 0")
        if not self.dbapi_connection.in_transaction:
            raise RuntimeError("seed-demo needs a transaction around its load")
        names = [f"{fts_table(t)}_{event}" for t in SEARCHABLE for event in ("insert", "delete", "update")]
        rows = self.connection.execute(
            sa.text("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN :names")
            .bindparams(sa.bindparam("names", expanding=True)), {"names": names}).all()
        for name, table, sql in rows:
            self.connection.exec_driver_sql(f"DROP TRIGGER {name}")
            self.triggers.setdefault(table, []).append((name, sql))
        for table, adding in self.sizes.items():
            present = self.connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (our tables)  # nosec B608
            if adding <= present:
                continue
            indexes = self.connection.execute(
                sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :table"
                        " AND sql IS NOT NULL"), {"table": table}).all()  # sql is NULL for a key's own index
            for name, sql in indexes:
                self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
                self.indexes.setdefault(table, []).append(sql)

    def _postgresql_start(self) -> None:
        # The indexes of a table that will more than double, the trigram one included; not those
        # of its constraints (primary key, unique).
        for table, adding in self.sizes.items():
            present = self.connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (our tables)  # nosec B608
            if adding <= present:
                continue
            indexes = self.connection.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = :table AND indexname NOT IN"
                " (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass))"),
                {"table": table}).all()
            for name, sql in indexes:
                self.connection.exec_driver_sql(f'DROP INDEX "{name}"')
                self.indexes.setdefault(table, []).append(sql)

    def index_search(self, table: str) -> None:
        """Index the table's rows inserted since the last call for search: what its insert trigger would
        have done, for all of them at once. Called after each chunk, SQLite's work on it overlaps the
        generation of the next (see ahead())."""
        if f"{fts_table(table)}_insert" not in dict(self.triggers.get(table, ())):
            return  # its trigger is on (or there is none): nothing to catch up
        last = self.first_new_id[table]
        self.first_new_id[table] = self._max_id(table)
        if self.first_new_id[table] > last:
            fts = fts_table(table)
            self.connection.execute(sa.text(
                f"INSERT INTO {fts}(rowid, search_text) SELECT id, search_text FROM {table} WHERE id > :last"),  # noqa: S608  # nosec B608
                {"last": last})

    def complete(self, tables) -> None:
        """The tables' load is over: build their indexes again, index their last rows for search, put
        their triggers back."""
        for table in tables:
            for sql in self.indexes.pop(table, []):
                self.connection.exec_driver_sql(sql)
            self.index_search(table)
            for _, sql in self.triggers.pop(table, []):
                self.connection.exec_driver_sql(sql)

    def finish(self) -> None:
        """Complete every table, commit, restore the PRAGMAs."""
        self.complete(list(self.indexes) + list(self.triggers))
        self.session.commit()
        self._restore_pragmas()
        if self.dialect == "postgresql":
            # The planner's statistics: without them, PostgreSQL plans the lists of a book it just
            # grew tenfold as if it were empty (autovacuum would catch up, minutes later).
            self.session.execute(sa.text("ANALYZE"))
            self.session.commit()

    def abort(self) -> None:
        self.session.rollback()
        self._restore_pragmas()

    def _restore_pragmas(self) -> None:
        if not self.pragmas:
            return
        # On the very connection they were set on, back in the pool by now (outside any transaction).
        cursor = self.dbapi_connection.cursor()
        for name, value in self.pragmas.items():
            cursor.execute(f"PRAGMA {name}={int(value)}")
        cursor.close()
        self.pragmas = {}
