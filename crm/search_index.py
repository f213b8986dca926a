"""Trigram search indexes over the `search_text` column of the searchable tables.

Table names below come from SEARCHABLE, never from input (hence the noqa: S608 on the SQL).

Every searchable record keeps a lower-cased, accent-free `search_text`; live search matches each
typed word anywhere in it. On SQLite an FTS5 table with the trigram tokenizer (`<table>_fts`,
external content: no copy of the text) serves that, kept in step by three triggers; on
PostgreSQL a GIN index with pg_trgm's operator class serves the same LIKE on the table itself.

Migrations use this module: one creates a table's index with create_index(); any later
migration that alters the table in batch mode (which on SQLite rebuilds it and so drops its
triggers) calls recreate_triggers() afterwards. Rowids survive the rebuild, so the index stays
valid.
"""

SEARCHABLE = ("leads", "accounts", "contacts", "opportunities")


def fts_table(table: str) -> str:
    return f"{table}_fts"


def pg_index(table: str) -> str:
    return f"ix_{table}_search_trgm"


# PostgreSQL-only partial indexes of migration 0015 (the lists of records not in the recycle bin).
LIVE_INDEX_PREFIX = "ix_live_"


def made_by_hand(name: str | None) -> bool:
    """Objects created here or by hand in a migration, unknown to the models (schema comparisons
    leave them out)."""
    return bool(name) and (name.startswith(LIVE_INDEX_PREFIX)
                           or any(name.startswith((fts_table(t), pg_index(t))) for t in SEARCHABLE))


def triggers(table: str) -> dict[str, str]:
    fts = fts_table(table)
    return {
        f"{fts}_insert": f"""CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN
            INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);
          END""",  # nosec B608
        f"{fts}_delete": f"""CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
          END""",  # nosec B608
        f"{fts}_update": f"""CREATE TRIGGER {fts}_update AFTER UPDATE OF search_text ON {table} BEGIN
            INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);
            INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);
          END""",  # nosec B608
    }


# Kept for migration 0003, which predates the other tables.
TRIGGERS = triggers("leads")


def recreate_triggers(op, table: str = "leads") -> None:
    """(Re)create a table's search triggers on SQLite; nothing to do on other databases."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, statement in triggers(table).items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(statement)


def create_index(op, table: str) -> None:
    """Create a table's trigram index (FTS5 + triggers on SQLite, GIN pg_trgm on PostgreSQL)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        fts = fts_table(table)
        op.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5("
                   f"search_text, content='{table}', content_rowid='id', tokenize='trigram')")
        op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # nosec B608
        recreate_triggers(op, table)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"CREATE INDEX {pg_index(table)} ON {table} USING gin (search_text gin_trgm_ops)")


def drop_index(op, table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in triggers(table):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"DROP TABLE IF EXISTS {fts_table(table)}")
    elif dialect == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {pg_index(table)}")
