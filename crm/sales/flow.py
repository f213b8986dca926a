"""The sales flow above an opportunity's path (Dynamics' business process flow): Qualify,
Develop, Propose, Close, Fulfil, each done or not from the records the deal has, with a link to
the record that did it.

Qualify is the lead (done: the opportunity exists); Develop, the products (line items);
Propose, a quote shown to the customer; Close, the deal won (and its order); Fulfil, the order
delivered (and its invoice). The current step is the first one not done; a lost deal stops the
flow at Close.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import Lead, Opportunity
from crm.models.sales import Invoice, OpportunityLineItem, Quote, SalesOrder
from crm.sales.documents import status_label

STEPS = (("qualify", _l("Qualify")), ("develop", _l("Develop")), ("propose", _l("Propose")),
         ("close", _l("Close")), ("fulfil", _l("Fulfil")))


@dataclass
class FlowStep:
    key: str
    name: str
    state: str = ""  # done, current, lost or "" (to come)
    link_text: str | None = None
    link_url: str | None = None


def flow_context(opportunity: Opportunity, *, leads: list | None = None, line_count: int | None = None,
                 quotes: list[Quote] | None = None) -> dict:
    """`flow`: the five steps of the opportunity, in order. The record page passes what it has
    already read (the source leads, the line count, the quotes); the rest is one query, or up to
    four small indexed ones when nothing is given (an htmx answer)."""
    steps = {key: FlowStep(key, name) for key, name in STEPS}
    if leads is None:
        lead = db.session.execute(sa.select(Lead.id, Lead.first_name, Lead.last_name)
                                  .where(Lead.converted_opportunity_id == opportunity.id).limit(1)).first()
    else:
        lead = leads[0] if leads else None
    steps["qualify"].state = "done"
    if lead:
        steps["qualify"].link_text = " ".join(p for p in (lead.first_name, lead.last_name) if p)
        steps["qualify"].link_url = url_for("leads.show", lead_id=lead.id)
    lines = line_count if line_count is not None else db.session.scalar(
        sa.select(sa.func.count()).select_from(OpportunityLineItem)
        .where(OpportunityLineItem.opportunity_id == opportunity.id))
    if lines:
        steps["develop"].state = "done"
        steps["develop"].link_text = str(_l("%(count)d products", count=lines)) if lines > 1 else str(_l("1 product"))
        anchor = f"#opp-{opportunity.id}-line-items"  # the Products card
        steps["develop"].link_url = url_for("opportunities.show", opportunity_id=opportunity.id) + anchor
    # The quote that matters: the accepted one, else the newest shown to the customer, else the newest.
    if quotes is None:
        quote = db.session.scalars(
            sa.select(Quote).where(Quote.opportunity_id == opportunity.id)
            .order_by((Quote.status == "Accepted").desc(), Quote.presented_at.is_(None), Quote.id.desc())
            .limit(1)).first()
    else:
        quote = min(quotes, key=lambda q: (q.status != "Accepted", q.presented_at is None, -q.id), default=None)
    if quote:
        steps["propose"].link_text = f"{quote.label} · {status_label(quote.status)}"
        steps["propose"].link_url = url_for("quotes.show", quote_id=quote.id)
        if quote.presented_at is not None:
            steps["propose"].state = "done"
    if opportunity.stage.is_won:
        steps["close"].state = "done"
        for key in ("develop", "propose"):  # a deal won without products or quote skipped them
            steps[key].state = steps[key].state or "skipped"
    elif opportunity.stage.is_lost:
        steps["close"].state = "lost"
    order, invoice = (db.session.execute(
        sa.select(SalesOrder, Invoice).outerjoin(Invoice, Invoice.order_id == SalesOrder.id)
        .where(SalesOrder.opportunity_id == opportunity.id)
        .order_by((SalesOrder.status == "Cancelled"), SalesOrder.id.desc()).limit(1)).first() or (None, None))
    if order:
        steps["close"].link_text = f"{order.number} · {status_label(order.status)}"
        steps["close"].link_url = url_for("orders.show", order_id=order.id)
        if order.status == "Fulfilled":
            steps["fulfil"].state = "done"
    if invoice:
        steps["fulfil"].link_text = f"{invoice.number} · {status_label(invoice.status)}"
        steps["fulfil"].link_url = url_for("invoices.show", invoice_id=invoice.id)
    if not opportunity.stage.is_lost:
        current = next((step for step in steps.values() if not step.state), None)
        if current:
            current.state = "current"
    return {"flow": list(steps.values())}
