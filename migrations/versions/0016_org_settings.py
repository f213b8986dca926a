"""Organisation settings: the one row that holds the sharing model (public or private)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-24 17:25:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('org_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('sharing', sa.String(length=10), server_default='public', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_org_settings_single_row')),
    sa.CheckConstraint("sharing IN ('public', 'private')", name=op.f('ck_org_settings_sharing')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_org_settings_updated_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_settings'))
    )
    # The one settings row: sharing stays public (SPEC's default) until an admin changes it.
    op.execute("INSERT INTO org_settings (id, sharing) VALUES (1, 'public')")


def downgrade():
    op.drop_table('org_settings')
