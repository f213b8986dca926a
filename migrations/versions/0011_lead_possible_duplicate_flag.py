"""leads that arrive unattended (web form, import) are flagged as possible duplicates

A web-to-lead post or an imported row that looks like a stored lead or contact is kept, never
rejected, and flagged so that a person checks it. Existing leads get False. The leads table is
rebuilt by the batch mode on SQLite only on downgrade; its search triggers are recreated then.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24 10:30:00

"""
import sqlalchemy as sa
from alembic import op

from crm.search_index import recreate_triggers

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (no table rebuild): SQLite and PostgreSQL both take it with a default.
    op.add_column('leads', sa.Column('possible_duplicate', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))


def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_column('possible_duplicate')
    recreate_triggers(op, "leads")
