"""leads: statuses, picklists, leads, activities, recently viewed; default statuses and values

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 04:34:19
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lead_statuses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_closed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_converted', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_statuses')),
    sa.UniqueConstraint('label', name=op.f('uq_lead_statuses_label'))
    )
    with op.batch_alter_table('lead_statuses', schema=None) as batch_op:
        batch_op.create_index('uq_lead_statuses_one_converted', ['is_converted'], unique=True, sqlite_where=sa.text('is_converted'), postgresql_where=sa.text('is_converted'))
        batch_op.create_index('uq_lead_statuses_one_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('picklist_values',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('picklist', sa.String(length=30), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_picklist_values')),
    sa.UniqueConstraint('picklist', 'label', name='uq_picklist_values_picklist_label')
    )
    with op.batch_alter_table('picklist_values', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_picklist_values_picklist'), ['picklist'], unique=False)

    op.create_table('leads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('salutation', sa.String(length=10), nullable=True),
    sa.Column('first_name', sa.String(length=40), nullable=True),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('company', sa.String(length=255), nullable=True),
    sa.Column('title', sa.String(length=128), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('mobile', sa.String(length=40), nullable=True),
    sa.Column('mobile_e164', sa.String(length=20), nullable=True),
    sa.Column('website', sa.String(length=255), nullable=True),
    sa.Column('street', sa.String(length=255), nullable=True),
    sa.Column('city', sa.String(length=40), nullable=True),
    sa.Column('state', sa.String(length=80), nullable=True),
    sa.Column('postal_code', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=80), nullable=True),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.Column('annual_revenue', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('lead_source', sa.String(length=80), nullable=True),
    sa.Column('rating', sa.String(length=80), nullable=True),
    sa.Column('status_id', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('converted_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('annual_revenue IS NULL OR annual_revenue >= 0', name=op.f('ck_leads_annual_revenue')),
    sa.CheckConstraint('employees IS NULL OR employees >= 0', name=op.f('ck_leads_employees')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_leads_created_by_id_users')),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['users.id'], name=op.f('fk_leads_deleted_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_leads_owner_id_users')),
    sa.ForeignKeyConstraint(['status_id'], ['lead_statuses.id'], name=op.f('fk_leads_status_id_lead_statuses')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_leads_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_leads'))
    )
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.create_index('ix_leads_company', ['deleted_at', 'company', 'id'], unique=False)
        batch_op.create_index('ix_leads_created_at', ['deleted_at', 'created_at'], unique=False)
        batch_op.create_index('ix_leads_deleted_at', ['deleted_at'], unique=False)
        batch_op.create_index('ix_leads_email', ['email'], unique=False)
        batch_op.create_index('ix_leads_last_name', ['deleted_at', 'last_name', 'first_name', 'id'], unique=False)
        batch_op.create_index('ix_leads_lead_source', ['deleted_at', 'lead_source'], unique=False)
        batch_op.create_index('ix_leads_owner_status', ['deleted_at', 'owner_id', 'status_id'], unique=False)
        batch_op.create_index('ix_leads_rating', ['deleted_at', 'rating'], unique=False)
        batch_op.create_index('ix_leads_status_updated', ['deleted_at', 'status_id', 'updated_at'], unique=False)

    op.create_table('recent_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('viewed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_recent_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recent_views')),
    sa.UniqueConstraint('user_id', 'record_type', 'record_id', name='uq_recent_views_record')
    )
    with op.batch_alter_table('recent_views', schema=None) as batch_op:
        batch_op.create_index('ix_recent_views_user_viewed', ['user_id', 'record_type', 'viewed_at'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('priority', sa.String(length=10), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('done', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=True),
    sa.Column('starts_at', sa.DateTime(), nullable=True),
    sa.Column('ends_at', sa.DateTime(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('note', 'call', 'email', 'task', 'event')", name=op.f('ck_activities_kind')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_activities_assignee_id_users')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_activities_created_by_id_users')),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_activities_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_assignee_open', ['assignee_id', 'done', 'due_date'], unique=False)
        batch_op.create_index('ix_activities_lead_created', ['lead_id', 'created_at'], unique=False)

    # The SPEC's statuses, in order; exactly one is the converted one.
    statuses = sa.table('lead_statuses', sa.column('label'), sa.column('position'),
                        sa.column('is_default'), sa.column('is_closed'), sa.column('is_converted'))
    op.bulk_insert(statuses, [
        {'label': 'Open - Not Contacted', 'position': 1, 'is_default': True, 'is_closed': False, 'is_converted': False},
        {'label': 'Working - Contacted', 'position': 2, 'is_default': False, 'is_closed': False, 'is_converted': False},
        {'label': 'Closed - Converted', 'position': 3, 'is_default': False, 'is_closed': True, 'is_converted': True},
        {'label': 'Closed - Not Converted', 'position': 4, 'is_default': False, 'is_closed': True, 'is_converted': False},
    ])
    values = sa.table('picklist_values', sa.column('picklist'), sa.column('label'), sa.column('position'),
                      sa.column('active'))
    defaults = {
        'lead_source': ['Web', 'Phone Inquiry', 'Partner Referral', 'Purchased List', 'Trade Show',
                        'Word of mouth', 'Other'],
        'industry': ['Agriculture', 'Apparel', 'Banking', 'Consulting', 'Education', 'Electronics',
                     'Energy', 'Finance', 'Healthcare', 'Hospitality', 'Manufacturing', 'Media',
                     'Retail', 'Technology', 'Telecommunications', 'Transportation', 'Other'],
        'rating': ['Hot', 'Warm', 'Cold'],
    }
    op.bulk_insert(values, [
        {'picklist': picklist, 'label': label, 'position': n, 'active': True}
        for picklist, labels in defaults.items() for n, label in enumerate(labels, 1)
    ])


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_lead_created')
        batch_op.drop_index('ix_activities_assignee_open')

    op.drop_table('activities')
    with op.batch_alter_table('recent_views', schema=None) as batch_op:
        batch_op.drop_index('ix_recent_views_user_viewed')

    op.drop_table('recent_views')
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_index('ix_leads_status_updated')
        batch_op.drop_index('ix_leads_rating')
        batch_op.drop_index('ix_leads_owner_status')
        batch_op.drop_index('ix_leads_lead_source')
        batch_op.drop_index('ix_leads_last_name')
        batch_op.drop_index('ix_leads_email')
        batch_op.drop_index('ix_leads_deleted_at')
        batch_op.drop_index('ix_leads_created_at')
        batch_op.drop_index('ix_leads_company')

    op.drop_table('leads')
    with op.batch_alter_table('picklist_values', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_picklist_values_picklist'))

    op.drop_table('picklist_values')
    with op.batch_alter_table('lead_statuses', schema=None) as batch_op:
        batch_op.drop_index('uq_lead_statuses_one_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))
        batch_op.drop_index('uq_lead_statuses_one_converted', sqlite_where=sa.text('is_converted'), postgresql_where=sa.text('is_converted'))

    op.drop_table('lead_statuses')
