"""Live search shared by every list: each typed word must appear in the record's search_text.

Words of three letters or more are looked up in the table's trigram index (crm/search_index.py):
on SQLite the `<table>_fts` FTS5 table, as phrases; on PostgreSQL pg_trgm serves the LIKE itself.
Shorter words filter with a plain LIKE. autoescape makes a typed % or _ a plain character.
"""

import sqlalchemy as sa

from crm.extensions import db
from crm.models import fold
from crm.search_index import fts_table

MAX_QUERY = 200
MAX_TOKENS = 8


def search_tokens(q: str) -> list[str]:
    # A NUL ends an FTS5 phrase early ("unterminated string") and PostgreSQL refuses it in text:
    # it separates words like a space.
    return fold(q[:MAX_QUERY].replace("\x00", " ")).split()[:MAX_TOKENS]


def search(query: sa.Select, model, q: str) -> sa.Select:
    """Narrow `query` (a select of `model`) to the records matching every word of `q`."""
    tokens = search_tokens(q)
    indexed = [t for t in tokens if len(t) >= 3]
    if indexed and db.session.get_bind().dialect.name == "sqlite":
        fts = fts_table(model.__tablename__)
        phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)
        # A CTE: when a list asks for its rows and its count in one statement, SQLite runs
        # the match once (a CTE used twice is materialized).
        matches = sa.select(sa.column("rowid")).select_from(sa.table(fts)).where(
            sa.text(f"{fts} MATCH :phrases").bindparams(phrases=phrases)).cte(f"{fts}_matches")
        query = query.where(model.id.in_(sa.select(matches.c.rowid)))
        tokens = [t for t in tokens if len(t) < 3]
    for token in tokens:
        query = query.where(model.search_text.contains(token, autoescape=True))
    return query
