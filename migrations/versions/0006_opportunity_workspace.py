"""opportunity workspace: stage history, when the current stage began, key fields per stage,
the shipped guidance for the default pipeline, the loss reason picklist, and the indexes of
the opportunity list's sorts by name and amount and of the board's column figures

Existing opportunities keep their data: they enter their stage at their creation and get their
creation as the first history row. The opportunities table is rebuilt by the batch mode on
SQLite: its search triggers are recreated after it (crm/search_index.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 07:37:31.860242

"""
import sqlalchemy as sa
from alembic import op

from crm.search_index import recreate_triggers

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The default pipeline's stages: the fields its path shows, and the guidance for success.
SHIPPED_STAGES = {
    "Prospecting": (["amount", "close_date", "next_step"],
                    "Confirm there is a need and who will buy. Set a realistic close date and the next step."),
    "Qualification": (["amount", "close_date", "next_step"],
                      "Check budget, authority, need and timing before investing more time."),
    "Needs Analysis": (["amount", "next_step", "description"],
                       "Write down the customer's pains and success criteria; find everyone involved."),
    "Value Proposition": (["amount", "next_step"],
                          "Show how the offer answers the needs found, and tie the price to that value."),
    "Id. Decision Makers": (["close_date", "next_step"],
                            "Name the decision maker and the economic buyer as contact roles."),
    "Perception Analysis": (["probability", "next_step"],
                            "Check how the decision makers see the offer and the competition."),
    "Proposal/Price Quote": (["amount", "close_date", "next_step"],
                             "Send the quote and agree on the date it will be reviewed."),
    "Negotiation/Review": (["amount", "close_date", "probability", "next_step"],
                           "Answer the objections, agree on the terms, get the signature."),
}
LOSS_REASONS = ("Price", "Lost to Competitor", "No Budget", "No Decision", "Timing", "Product Fit", "Other")


def upgrade():
    op.create_table('opportunity_stage_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=True),
    sa.Column('from_stage', sa.String(length=80), nullable=True),
    sa.Column('to_stage', sa.String(length=80), nullable=False),
    sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('probability', sa.Integer(), nullable=False),
    sa.Column('close_date', sa.Date(), nullable=True),
    sa.Column('days_in_previous', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_opportunity_stage_history_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_stage_id'], ['stages.id'], name=op.f('fk_opportunity_stage_history_from_stage_id_stages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_stage_history_opportunity_id_opportunities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['to_stage_id'], ['stages.id'], name=op.f('fk_opportunity_stage_history_to_stage_id_stages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_stage_history'))
    )
    with op.batch_alter_table('opportunity_stage_history', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_stage_history_opportunity', ['opportunity_id', 'changed_at', 'id'], unique=False)

    # Added empty, filled, then made required: the rows already there get a value.
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_entered_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE opportunities SET stage_entered_at = created_at")
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.alter_column('stage_entered_at', existing_type=sa.DateTime(), nullable=False)
    recreate_triggers(op, "opportunities")
    # The list's sorts by name and by amount.
    op.create_index('ix_opportunities_name', 'opportunities', ['deleted_at', 'name', 'id'], unique=False)
    op.create_index('ix_opportunities_amount', 'opportunities', ['deleted_at', 'amount', 'id'], unique=False)
    # The board's column figures: an index-only GROUP BY.
    op.create_index('ix_opportunities_board', 'opportunities',
                    ['deleted_at', 'stage_id', 'owner_id', 'close_date', 'amount', 'probability'], unique=False)
    op.execute(
        "INSERT INTO opportunity_stage_history (opportunity_id, to_stage_id, to_stage, amount, probability,"
        " close_date, changed_by_id, changed_at)"
        " SELECT o.id, o.stage_id, s.name, o.amount, o.probability, o.close_date, o.created_by_id, o.created_at"
        " FROM opportunities o JOIN stages s ON s.id = o.stage_id")

    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_fields', sa.JSON(), nullable=True))
    stages = sa.table("stages", sa.column("pipeline_id", sa.Integer), sa.column("name", sa.String),
                      sa.column("key_fields", sa.JSON), sa.column("guidance", sa.String))
    op.execute(stages.update().values(key_fields=[]))
    for name, (key_fields, guidance) in SHIPPED_STAGES.items():
        op.execute(stages.update().where(stages.c.pipeline_id == 1, stages.c.name == name)
                   .values(key_fields=key_fields))
        op.execute(stages.update().where(stages.c.pipeline_id == 1, stages.c.name == name,
                                         stages.c.guidance.is_(None))
                   .values(guidance=guidance))
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.alter_column('key_fields', existing_type=sa.JSON(), nullable=False)

    values = sa.table("picklist_values", sa.column("picklist", sa.String), sa.column("label", sa.String),
                      sa.column("position", sa.Integer), sa.column("active", sa.Boolean))
    op.bulk_insert(values, [{"picklist": "loss_reason", "label": label, "position": n, "active": True}
                            for n, label in enumerate(LOSS_REASONS, 1)])


def downgrade():
    op.execute("DELETE FROM picklist_values WHERE picklist = 'loss_reason'")
    with op.batch_alter_table('stages', schema=None) as batch_op:
        batch_op.drop_column('key_fields')

    op.drop_index('ix_opportunities_board', table_name='opportunities')
    op.drop_index('ix_opportunities_amount', table_name='opportunities')
    op.drop_index('ix_opportunities_name', table_name='opportunities')
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_column('stage_entered_at')
    recreate_triggers(op, "opportunities")

    with op.batch_alter_table('opportunity_stage_history', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_stage_history_opportunity')

    op.drop_table('opportunity_stage_history')
