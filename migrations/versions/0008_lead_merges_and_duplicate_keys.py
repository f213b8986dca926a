"""lead merges and duplicate keys: each lead's folded last name and company key (the block
duplicates are looked for in, filled here for the existing leads), the record of lead merges
(for undo), and indexes on the E.164 phones of leads and contacts

No table is rebuilt: only new tables and plain indexes, so the search triggers stay as they are.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 08:38:35.037274

"""
import sqlalchemy as sa
from alembic import op

from crm.models.merge import match_key_values

# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade():
    keys = op.create_table(
        'lead_match_keys',
        sa.Column('lead_id', sa.Integer(), nullable=False),
        sa.Column('name_key', sa.String(length=80), nullable=False),
        sa.Column('company_key', sa.String(length=255), server_default='', nullable=False),
        sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_lead_match_keys_lead_id_leads'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('lead_id', name=op.f('pk_lead_match_keys')),
    )
    op.create_index('ix_lead_match_keys_block', 'lead_match_keys', ['name_key', 'company_key'], unique=False)
    op.create_table(
        'lead_merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survivor_id', sa.Integer(), nullable=False),
        sa.Column('merged_ids', sa.JSON(), nullable=False),
        sa.Column('snapshot', sa.JSON(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_lead_merges_actor_id_users')),
        sa.ForeignKeyConstraint(['survivor_id'], ['leads.id'], name=op.f('fk_lead_merges_survivor_id_leads'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_lead_merges_undone_by_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_merges')),
    )
    op.create_index('ix_lead_merges_survivor', 'lead_merges', ['survivor_id', 'created_at'], unique=False)
    op.create_index('ix_contacts_mobile_e164', 'contacts', ['mobile_e164'], unique=False)
    op.create_index('ix_contacts_phone_e164', 'contacts', ['phone_e164'], unique=False)
    op.create_index('ix_leads_mobile_e164', 'leads', ['mobile_e164'], unique=False)
    op.create_index('ix_leads_phone_e164', 'leads', ['phone_e164'], unique=False)

    # The existing leads get their keys now, so that matching finds them from the start.
    bind = op.get_bind()
    leads = sa.table('leads', sa.column('id', sa.Integer), sa.column('last_name', sa.String),
                     sa.column('company', sa.String))
    rows = bind.execute(sa.select(leads.c.id, leads.c.last_name, leads.c.company).order_by(leads.c.id)).all()
    for start in range(0, len(rows), CHUNK):
        bind.execute(keys.insert(), [{'lead_id': r.id, **match_key_values(r.last_name, r.company)}
                                     for r in rows[start:start + CHUNK]])


def downgrade():
    op.drop_index('ix_leads_phone_e164', table_name='leads')
    op.drop_index('ix_leads_mobile_e164', table_name='leads')
    op.drop_index('ix_contacts_phone_e164', table_name='contacts')
    op.drop_index('ix_contacts_mobile_e164', table_name='contacts')
    op.drop_index('ix_lead_merges_survivor', table_name='lead_merges')
    op.drop_table('lead_merges')
    op.drop_index('ix_lead_match_keys_block', table_name='lead_match_keys')
    op.drop_table('lead_match_keys')
