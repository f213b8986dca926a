"""a user can have a manager: managers see their team's dashboard

users.manager_id, a nullable self-reference (ON DELETE SET NULL) with its index. SQLite rebuilds
`users` (batch mode; env.py turns foreign keys off meanwhile, so nothing that refers to a user
is cascaded away); `users` has no triggers to put back.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 10:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('manager_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_users_manager_id', ['manager_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_users_manager_id_users'), 'users', ['manager_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_users_manager_id_users'), type_='foreignkey')
        batch_op.drop_index('ix_users_manager_id')
        batch_op.drop_column('manager_id')
