"""assignment rules and queues: ordered rules that give a new lead its owner (a user or a
queue), queues with members and an optional round-robin, the default owner (a single-row
settings table), and on each lead the queue that owns it and the rule that assigned it

The leads table is rebuilt by the batch mode on SQLite: its search triggers are recreated after
it (crm/search_index.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 08:36:47.840979

"""
import sqlalchemy as sa
from alembic import op

from crm.search_index import recreate_triggers

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('round_robin', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('round_robin_counter', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queues')),
    sa.UniqueConstraint('name', name=op.f('uq_queues_name'))
    )
    op.create_table('assignment_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('country', sa.String(length=80), nullable=True),
    sa.Column('state', sa.String(length=80), nullable=True),
    sa.Column('postal_code_prefix', sa.String(length=20), nullable=True),
    sa.Column('lead_source', sa.String(length=80), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('employees_min', sa.Integer(), nullable=True),
    sa.Column('employees_max', sa.Integer(), nullable=True),
    sa.Column('owner_user_id', sa.Integer(), nullable=True),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(owner_user_id IS NULL) <> (queue_id IS NULL)', name=op.f('ck_assignment_rules_one_target')),
    sa.CheckConstraint('employees_min IS NULL OR employees_max IS NULL OR employees_min <= employees_max', name=op.f('ck_assignment_rules_employees_range')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_assignment_rules_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_user_id'], ['users.id'], name=op.f('fk_assignment_rules_owner_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_assignment_rules_queue_id_queues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_rules'))
    )
    op.create_table('assignment_settings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('default_owner_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('id = 1', name=op.f('ck_assignment_settings_single_row')),
    sa.ForeignKeyConstraint(['default_owner_id'], ['users.id'], name=op.f('fk_assignment_settings_default_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_settings'))
    )
    # The one settings row: no default owner until an admin picks one.
    op.execute("INSERT INTO assignment_settings (id, default_owner_id) VALUES (1, NULL)")
    op.create_table('queue_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_queue_members_queue_id_queues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_queue_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_queue_members')),
    sa.UniqueConstraint('queue_id', 'user_id', name='uq_queue_members_queue_user')
    )
    with op.batch_alter_table('queue_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_members_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assignment_rule_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_leads_queue_id'), ['queue_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_leads_queue_id_queues'), 'queues', ['queue_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_leads_assignment_rule_id_assignment_rules'), 'assignment_rules', ['assignment_rule_id'], ['id'], ondelete='SET NULL')
    recreate_triggers(op, "leads")



def downgrade():
    with op.batch_alter_table('leads', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_leads_assignment_rule_id_assignment_rules'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_leads_queue_id_queues'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_leads_queue_id'))
        batch_op.drop_column('assignment_rule_id')
        batch_op.drop_column('queue_id')
    recreate_triggers(op, "leads")

    with op.batch_alter_table('queue_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_queue_members_user_id'))

    op.drop_table('queue_members')
    op.drop_table('assignment_settings')
    op.drop_table('assignment_rules')
    op.drop_table('queues')
