"""Opportunity record page. (The list, board, path and editing come with the opportunity workspace.)"""

import sqlalchemy as sa
from flask import abort, render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from crm.activities.services import timeline_context
from crm.extensions import db
from crm.leads.services import record_view
from crm.models import Lead, Opportunity, OpportunityContactRole
from crm.opportunities import bp


def get_opportunity(opportunity_id: int) -> Opportunity:
    """The opportunity, or 404 when missing or in the recycle bin (sharing is public for now)."""
    opportunity = db.session.get(Opportunity, opportunity_id)
    if opportunity is None or opportunity.deleted_at is not None:
        abort(404)
    return opportunity


@bp.route("/<int:opportunity_id>")
@login_required
def show(opportunity_id: int):
    """The opportunity: its key figures, the people involved, and where it came from."""
    opportunity = get_opportunity(opportunity_id)
    roles = db.session.scalars(
        sa.select(OpportunityContactRole).options(joinedload(OpportunityContactRole.contact))
        .where(OpportunityContactRole.opportunity_id == opportunity.id)
        .order_by(OpportunityContactRole.is_primary.desc(), OpportunityContactRole.id)).all()
    source_leads = db.session.scalars(
        sa.select(Lead).where(Lead.converted_opportunity_id == opportunity.id).order_by(Lead.id)).all()
    record_view(current_user, "opportunity", opportunity.id)
    db.session.commit()
    return render_template("opportunities/show.html", opportunity=opportunity, roles=roles,
                           source_leads=source_leads, **timeline_context(record=opportunity))
