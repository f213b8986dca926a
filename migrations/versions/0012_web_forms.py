"""web-to-lead forms, their submissions, spam quarantine and pending queue

A web form's accepted posts are all kept in web_form_submissions: the lead they created, or the
posted fields held in the spam quarantine or the over-the-daily-cap queue until released.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 10:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_key', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('lead_source', sa.String(length=80), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('return_url', sa.String(length=2000), nullable=True),
    sa.Column('daily_cap', sa.Integer(), server_default='500', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('daily_cap > 0', name=op.f('ck_web_forms_daily_cap_positive')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_web_forms_campaign_id_campaigns'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_web_forms_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_forms')),
    sa.UniqueConstraint('form_key', name=op.f('uq_web_forms_form_key'))
    )
    op.create_table('web_form_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('lead', 'spam', 'pending', 'released', 'discarded')",
                       name=op.f('ck_web_form_submissions_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_web_form_submissions_decided_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_id'], ['web_forms.id'], name=op.f('fk_web_form_submissions_form_id_web_forms'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_web_form_submissions_lead_id_leads'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_form_submissions')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_web_form_submissions_dedupe_key'))
    )
    op.create_index('ix_web_form_submissions_form_state_created', 'web_form_submissions',
                    ['form_id', 'state', 'created_at'], unique=False)
    op.create_index('ix_web_form_submissions_state_created', 'web_form_submissions',
                    ['state', 'created_at'], unique=False)


def downgrade():
    op.drop_table('web_form_submissions')
    op.drop_table('web_forms')
