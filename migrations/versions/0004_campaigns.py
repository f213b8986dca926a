"""campaigns, and the campaign that brought a lead in

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 05:17:31

On SQLite the batch mode rebuilds `leads`, which drops the search triggers of 0003: they are
recreated right after.
"""
import sqlalchemy as sa
from alembic import op

from crm.search_index import recreate_triggers

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
                           name=op.f("ck_campaigns_dates")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("name", name=op.f("uq_campaigns_name")),
    )
    with op.batch_alter_table("leads") as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_campaign_id"), ["campaign_id"])
        batch_op.create_foreign_key(batch_op.f("fk_leads_campaign_id_campaigns"), "campaigns",
                                    ["campaign_id"], ["id"], ondelete="SET NULL")
    recreate_triggers(op)


def downgrade():
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_leads_campaign_id_campaigns"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_leads_campaign_id"))
        batch_op.drop_column("campaign_id")
    recreate_triggers(op)
    op.drop_table("campaigns")
