"""Document numbers with no gaps: Q-00001, ORD-00001, INV-00001.

The counter row is bumped with UPDATE ... RETURNING inside the caller's transaction: PostgreSQL
holds the row lock and SQLite the write lock until it commits, so two documents never share a
number, and a transaction that rolls back gives its number back (the next one reuses it).
"""

import sqlalchemy as sa

from crm.extensions import db
from crm.models.sales import DocumentCounter

PREFIXES = {"quote": "Q", "order": "ORD", "invoice": "INV"}


def next_number(kind: str) -> str:
    """The next number of `kind` (quote, order or invoice), taken in the current transaction."""
    last = db.session.execute(
        sa.update(DocumentCounter).where(DocumentCounter.kind == kind)
        .values(last_number=DocumentCounter.last_number + 1).returning(DocumentCounter.last_number)
        .execution_options(synchronize_session=False)).scalar_one()
    return f"{PREFIXES[kind]}-{last:05d}"
