"""opportunities are found by their account's name too

The search text of every opportunity is rewritten as Opportunity.refresh_derived now makes it:
name, next step and the account's name. The search index follows through its triggers
(SQLite) or its expression index (PostgreSQL). Data only; downgrade writes it back without the
account's name.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24 09:20:00

"""
import sqlalchemy as sa
from alembic import op

from crm.models.lead import fold

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 5000


def _rewrite(with_account: bool) -> None:
    conn = op.get_bind()
    opportunities = sa.table("opportunities", sa.column("id", sa.Integer), sa.column("name", sa.String),
                             sa.column("next_step", sa.String), sa.column("account_id", sa.Integer),
                             sa.column("search_text", sa.Text))
    accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("name", sa.String))
    update = (opportunities.update().where(opportunities.c.id == sa.bindparam("row_id"))
              .values(search_text=sa.bindparam("text")))
    last_id = 0
    while True:
        rows = conn.execute(
            sa.select(opportunities.c.id, opportunities.c.name, opportunities.c.next_step, accounts.c.name)
            .join(accounts, accounts.c.id == opportunities.c.account_id)
            .where(opportunities.c.id > last_id).order_by(opportunities.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(update, [
            {"row_id": row[0],
             "text": fold(" ".join(p for p in (row[1], row[2], row[3] if with_account else None) if p))}
            for row in rows])
        last_id = rows[-1][0]


def upgrade():
    _rewrite(with_account=True)


def downgrade():
    _rewrite(with_account=False)
