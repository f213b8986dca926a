"""lead search index (FTS5 trigram on SQLite, pg_trgm on PostgreSQL) and sort indexes

Live search matches every typed word anywhere in leads.search_text (LIKE '%word%'). Without an
index that reads all 100,000 rows on every keystroke; a trigram index answers from the words'
three-letter pieces instead.

SQLite: leads_fts is an FTS5 table with the trigram tokenizer over leads.search_text (external
content: it stores no copy of the text), kept in step by three triggers. FTS5's trigram index
also serves LIKE. NOTE: an Alembic batch migration of `leads` on SQLite recreates the table and
drops these triggers: call crm.search_index.recreate_triggers(op) after any such migration.

PostgreSQL: a GIN index with pg_trgm's operator class serves the same LIKE on leads itself.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 05:15:00
"""
from alembic import op

from crm.search_index import TRIGGERS, recreate_triggers

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table("leads") as batch_op:
        # The default list (most recently updated first), overall and per owner, without a sort.
        batch_op.create_index("ix_leads_updated", ["deleted_at", "updated_at", "id"])
        batch_op.create_index("ix_leads_owner_updated", ["deleted_at", "owner_id", "updated_at", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE leads_fts USING fts5("
                   "search_text, content='leads', content_rowid='id', tokenize='trigram')")
        op.execute("INSERT INTO leads_fts(leads_fts) VALUES ('rebuild')")
        recreate_triggers(op)
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_leads_search_trgm ON leads USING gin (search_text gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS leads_fts")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_leads_search_trgm")
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index("ix_leads_owner_updated")
        batch_op.drop_index("ix_leads_updated")
