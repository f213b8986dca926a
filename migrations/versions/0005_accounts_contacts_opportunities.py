"""accounts, contacts, pipelines and stages, opportunities, contact roles, campaign members;
what a converted lead became; activities on accounts, contacts and opportunities

The default pipeline holds the SPEC's stages and probabilities. The leads table is rebuilt by
the batch mode on SQLite: its search triggers are recreated after it (crm/search_index.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 05:22:09.659153

"""
import sqlalchemy as sa
from alembic import op

from crm.search_index import create_index, drop_index, recreate_triggers


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pipelines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pipelines')),
    sa.UniqueConstraint('name', name=op.f('uq_pipelines_name'))
    )
    with op.batch_alter_table('pipelines', schema=None) as batch_op:
        batch_op.create_index('uq_pipelines_one_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.create_table('accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('name_key', sa.String(length=255), server_default='', nullable=False),
    sa.Column('website', sa.String(length=255), nullable=True),
    sa.Column('domain', sa.String(length=255), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('industry', sa.String(length=80), nullable=True),
    sa.Column('billing_street', sa.String(length=255), nullable=True),
    sa.Column('billing_city', sa.String(length=40), nullable=True),
    sa.Column('billing_state', sa.String(length=80), nullable=True),
    sa.Column('billing_postal_code', sa.String(length=20), nullable=True),
    sa.Column('billing_country', sa.String(length=80), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_accounts_created_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_accounts_owner_id_users')),
    sa.ForeignKeyConstraint(['parent_id'], ['accounts.id'], name=op.f('fk_accounts_parent_id_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_accounts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_domain'), ['domain'], unique=False)
        batch_op.create_index('ix_accounts_name', ['deleted_at', 'name', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_name_key'), ['name_key'], unique=False)
        batch_op.create_index('ix_accounts_owner_updated', ['deleted_at', 'owner_id', 'updated_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_accounts_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index('ix_accounts_updated', ['deleted_at', 'updated_at', 'id'], unique=False)

    op.create_table('stages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('forecast_category', sa.String(length=20), nullable=False),
    sa.Column('is_closed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('is_won', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('guidance', sa.String(length=1000), nullable=True),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_stages_probability')),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], name=op.f('fk_stages_pipeline_id_pipelines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stages')),
    sa.UniqueConstraint('pipeline_id', 'name', name='uq_stages_pipeline_name')
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('salutation', sa.String(length=10), nullable=True),
    sa.Column('first_name', sa.String(length=40), nullable=True),
    sa.Column('last_name', sa.String(length=80), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=True),
    sa.Column('mobile', sa.String(length=40), nullable=True),
    sa.Column('mobile_e164', sa.String(length=20), nullable=True),
    sa.Column('mailing_street', sa.String(length=255), nullable=True),
    sa.Column('mailing_city', sa.String(length=40), nullable=True),
    sa.Column('mailing_state', sa.String(length=80), nullable=True),
    sa.Column('mailing_postal_code', sa.String(length=20), nullable=True),
    sa.Column('mailing_country', sa.String(length=80), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('lead_source', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_contacts_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_contacts_created_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_contacts_owner_id_users')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_contacts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_account', ['account_id', 'last_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_contacts_email'), ['email'], unique=False)
        batch_op.create_index('ix_contacts_name', ['deleted_at', 'last_name', 'first_name', 'id'], unique=False)
        batch_op.create_index('ix_contacts_owner_updated', ['deleted_at', 'owner_id', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_contacts_updated', ['deleted_at', 'updated_at', 'id'], unique=False)

    op.create_table('opportunities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('pipeline_id', sa.Integer(), nullable=False),
    sa.Column('stage_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('probability_overridden', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('lead_source', sa.String(length=80), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('next_step', sa.String(length=255), nullable=True),
    sa.Column('loss_reason', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('search_text', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('amount IS NULL OR amount >= 0', name=op.f('ck_opportunities_amount')),
    sa.CheckConstraint('probability BETWEEN 0 AND 100', name=op.f('ck_opportunities_probability')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_opportunities_account_id_accounts')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_opportunities_campaign_id_campaigns'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_opportunities_created_by_id_users')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_opportunities_owner_id_users')),
    sa.ForeignKeyConstraint(['pipeline_id'], ['pipelines.id'], name=op.f('fk_opportunities_pipeline_id_pipelines')),
    sa.ForeignKeyConstraint(['stage_id'], ['stages.id'], name=op.f('fk_opportunities_stage_id_stages')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_opportunities_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunities'))
    )
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.create_index('ix_opportunities_account', ['account_id', 'deleted_at'], unique=False)
        batch_op.create_index('ix_opportunities_close_date', ['deleted_at', 'close_date', 'id'], unique=False)
        batch_op.create_index('ix_opportunities_owner_close', ['deleted_at', 'owner_id', 'close_date'], unique=False)
        batch_op.create_index('ix_opportunities_stage_updated', ['deleted_at', 'stage_id', 'updated_at', 'id'], unique=False)

    op.create_table('opportunity_contact_roles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('is_primary', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_opportunity_contact_roles_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_contact_roles_opportunity_id_opportunities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_contact_roles')),
    sa.UniqueConstraint('opportunity_id', 'contact_id', name='uq_opportunity_contact_roles_pair')
    )
    with op.batch_alter_table('opportunity_contact_roles', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_contact_roles_contact', ['contact_id'], unique=False)
        batch_op.create_index('uq_opportunity_contact_roles_one_primary', ['opportunity_id'], unique=True, sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))

    op.create_table('campaign_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('lead_id IS NOT NULL OR contact_id IS NOT NULL', name=op.f('ck_campaign_members_member')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_members_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_campaign_members_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['leads.id'], name=op.f('fk_campaign_members_lead_id_leads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_members'))
    )
    with op.batch_alter_table('campaign_members', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_members_campaign', ['campaign_id'], unique=False)
        batch_op.create_index('ix_campaign_members_contact', ['contact_id'], unique=False)
        batch_op.create_index('ix_campaign_members_lead', ['lead_id'], unique=False)

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('opportunity_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_activities_account_created', ['account_id', 'created_at'], unique=False)
        batch_op.create_index('ix_activities_contact_created', ['contact_id', 'created_at'], unique=False)
        batch_op.create_index('ix_activities_opportunity_created', ['opportunity_id', 'created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_activities_opportunity_id_opportunities'), 'opportunities', ['opportunity_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_activities_contact_id_contacts'), 'contacts', ['contact_id'], ['id'], ondelete='CASCADE')
        batch_op.create_foreign_key(batch_op.f('fk_activities_account_id_accounts'), 'accounts', ['account_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('converted_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('converted_account_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('converted_contact_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('converted_opportunity_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_leads_converted_account_id_accounts'), 'accounts', ['converted_account_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_leads_converted_contact_id_contacts'), 'contacts', ['converted_contact_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_leads_converted_by_id_users'), 'users', ['converted_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_leads_converted_opportunity_id_opportunities'), 'opportunities', ['converted_opportunity_id'], ['id'])



    recreate_triggers(op, "leads")
    for table in ("accounts", "contacts", "opportunities"):
        create_index(op, table)

    pipelines = sa.table("pipelines", sa.column("id"), sa.column("name"), sa.column("position"),
                         sa.column("is_default"))
    op.bulk_insert(pipelines, [{"id": 1, "name": "Standard", "position": 1, "is_default": True}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('pipelines', 'id'), 1)")
    stages = sa.table("stages", sa.column("pipeline_id"), sa.column("name"), sa.column("position"),
                      sa.column("probability"), sa.column("forecast_category"), sa.column("is_closed"),
                      sa.column("is_won"))
    spec = [("Prospecting", 10, "Pipeline"), ("Qualification", 10, "Pipeline"), ("Needs Analysis", 20, "Pipeline"),
            ("Value Proposition", 50, "Pipeline"), ("Id. Decision Makers", 60, "Pipeline"),
            ("Perception Analysis", 70, "Best Case"), ("Proposal/Price Quote", 75, "Best Case"),
            ("Negotiation/Review", 90, "Commit"), ("Closed Won", 100, "Closed"), ("Closed Lost", 0, "Omitted")]
    op.bulk_insert(stages, [
        {"pipeline_id": 1, "name": name, "position": n, "probability": probability, "forecast_category": category,
         "is_closed": name.startswith("Closed"), "is_won": name == "Closed Won"}
        for n, (name, probability, category) in enumerate(spec, 1)
    ])

def downgrade():
    for table in ("accounts", "contacts", "opportunities"):
        drop_index(op, table)
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_leads_converted_opportunity_id_opportunities'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_converted_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_converted_contact_id_contacts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_converted_account_id_accounts'), type_='foreignkey')
        batch_op.drop_column('converted_opportunity_id')
        batch_op.drop_column('converted_contact_id')
        batch_op.drop_column('converted_account_id')
        batch_op.drop_column('converted_by_id')
    recreate_triggers(op, "leads")

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_activities_account_id_accounts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_activities_contact_id_contacts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_activities_opportunity_id_opportunities'), type_='foreignkey')
        batch_op.drop_index('ix_activities_opportunity_created')
        batch_op.drop_index('ix_activities_contact_created')
        batch_op.drop_index('ix_activities_account_created')
        batch_op.drop_column('opportunity_id')
        batch_op.drop_column('contact_id')
        batch_op.drop_column('account_id')

    with op.batch_alter_table('campaign_members', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_members_lead')
        batch_op.drop_index('ix_campaign_members_contact')
        batch_op.drop_index('ix_campaign_members_campaign')

    op.drop_table('campaign_members')
    with op.batch_alter_table('opportunity_contact_roles', schema=None) as batch_op:
        batch_op.drop_index('uq_opportunity_contact_roles_one_primary', sqlite_where=sa.text('is_primary'), postgresql_where=sa.text('is_primary'))
        batch_op.drop_index('ix_opportunity_contact_roles_contact')

    op.drop_table('opportunity_contact_roles')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunities_stage_updated')
        batch_op.drop_index('ix_opportunities_owner_close')
        batch_op.drop_index('ix_opportunities_close_date')
        batch_op.drop_index('ix_opportunities_account')

    op.drop_table('opportunities')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_updated')
        batch_op.drop_index('ix_contacts_owner_updated')
        batch_op.drop_index('ix_contacts_name')
        batch_op.drop_index(batch_op.f('ix_contacts_email'))
        batch_op.drop_index('ix_contacts_account')

    op.drop_table('contacts')
    op.drop_table('stages')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_accounts_updated')
        batch_op.drop_index(batch_op.f('ix_accounts_parent_id'))
        batch_op.drop_index('ix_accounts_owner_updated')
        batch_op.drop_index(batch_op.f('ix_accounts_name_key'))
        batch_op.drop_index('ix_accounts_name')
        batch_op.drop_index(batch_op.f('ix_accounts_domain'))

    op.drop_table('accounts')
    with op.batch_alter_table('pipelines', schema=None) as batch_op:
        batch_op.drop_index('uq_pipelines_one_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.drop_table('pipelines')
