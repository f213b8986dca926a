"""campaign members for the leads that name a campaign

Leads created before campaign membership was recorded name their campaign (leads.campaign_id)
but have no campaign_members row: they become members, with the status "Responded" and the
lead's creation date, so that the campaign's page and the lead's campaign history agree.
Data only: nothing to undo on downgrade (the rows stay valid members).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 09:00:00

"""
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        "INSERT INTO campaign_members (campaign_id, lead_id, status, created_at)"
        " SELECT l.campaign_id, l.id, 'Responded', l.created_at FROM leads l"
        " WHERE l.campaign_id IS NOT NULL AND NOT EXISTS ("
        "  SELECT 1 FROM campaign_members m WHERE m.lead_id = l.id AND m.campaign_id = l.campaign_id)")


def downgrade():
    pass
