"""PostgreSQL: partial indexes for the lists of live records (not in the recycle bin)

Every list filters `deleted_at IS NULL` and sorts (leads by last update, deals by close date, board
columns by last update). SQLite reads `deleted_at IS NULL` on the first column of an index as an
equality and walks the rest in order; PostgreSQL does not, so on a book of 100,000 leads it read
and sorted the whole table for each page. These partial indexes (WHERE deleted_at IS NULL) give it
the order directly. Nothing changes on SQLite, where the existing indexes serve. The models do not
declare them (a partial index exists on one database only): crm.search_index.made_by_hand names them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-24 15:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")
INDEXES = [
    ("ix_live_leads_updated", "leads", ["updated_at", "id"]),
    ("ix_live_leads_owner_updated", "leads", ["owner_id", "updated_at", "id"]),
    ("ix_live_opportunities_close", "opportunities", ["close_date", "id"]),
    ("ix_live_opportunities_owner_close", "opportunities", ["owner_id", "close_date", "id"]),
    ("ix_live_opportunities_stage_updated", "opportunities", ["stage_id", "updated_at", "id"]),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, postgresql_where=LIVE)


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _columns in INDEXES:
        op.drop_index(name, table_name=table)
