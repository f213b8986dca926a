"""lead imports run as background jobs, saved mappings, undo

Four new tables, nothing else touched: lead_imports (the file, its mapping and options, the job's
state, counters and checkpoint), lead_import_records (what each import created or updated, for
undo and rollback), lead_import_rejections (the refused rows and why), lead_import_mappings.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24 10:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'lead_imports',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.Column('file_format', sa.String(length=10), nullable=False),
        sa.Column('encoding', sa.String(length=20), nullable=True),
        sa.Column('delimiter', sa.String(length=4), nullable=True),
        sa.Column('headers', sa.JSON(), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.Column('options', sa.JSON(), nullable=False),
        sa.Column('state', sa.String(length=20), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('processed', sa.Integer(), nullable=False),
        sa.Column('imported', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.Integer(), nullable=False),
        sa.Column('checkpoint', sa.Integer(), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=True),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_lead_imports_created_by_id_users'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_lead_imports_undone_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_imports')),
    )
    op.create_index('ix_lead_imports_state', 'lead_imports', ['state', 'id'], unique=False)
    op.create_index('ix_lead_imports_created_by', 'lead_imports', ['created_by_id', 'created_at'], unique=False)

    op.create_table(
        'lead_import_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('previous', sa.JSON(), nullable=True),
        sa.Column('campaign_member_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['import_id'], ['lead_imports.id'],
                                name=op.f('fk_lead_import_records_import_id_lead_imports'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_import_records_lead_id_leads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_import_records')),
    )
    op.create_index('ix_lead_import_records_import', 'lead_import_records', ['import_id', 'action'], unique=False)
    op.create_index(op.f('ix_lead_import_records_lead_id'), 'lead_import_records', ['lead_id'], unique=False)

    op.create_table(
        'lead_import_rejections',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('row_number', sa.Integer(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['lead_imports.id'],
                                name=op.f('fk_lead_import_rejections_import_id_lead_imports'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_import_rejections')),
    )
    op.create_index('ix_lead_import_rejections_import', 'lead_import_rejections', ['import_id', 'row_number'],
                    unique=False)

    op.create_table(
        'lead_import_mappings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id'],
                                name=op.f('fk_lead_import_mappings_created_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_import_mappings')),
        sa.UniqueConstraint('name', name=op.f('uq_lead_import_mappings_name')),
    )


def downgrade():
    op.drop_table('lead_import_mappings')
    op.drop_index('ix_lead_import_rejections_import', table_name='lead_import_rejections')
    op.drop_table('lead_import_rejections')
    op.drop_index(op.f('ix_lead_import_records_lead_id'), table_name='lead_import_records')
    op.drop_index('ix_lead_import_records_import', table_name='lead_import_records')
    op.drop_table('lead_import_records')
    op.drop_index('ix_lead_imports_created_by', table_name='lead_imports')
    op.drop_index('ix_lead_imports_state', table_name='lead_imports')
    op.drop_table('lead_imports')
