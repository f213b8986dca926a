"""A small book of records for the sharing tests: two reps, a manager, an admin, and records of
every kind owned by the other rep, each carrying a name found nowhere else (so that a page
"shows" a record exactly when its name is in the response)."""

from dataclasses import dataclass, field

import sqlalchemy as sa

from crm import sharing
from crm.activities import services as activities
from crm.admin import campaigns_services
from crm.assignment import services as assignment
from crm.campaigns import services as campaigns
from crm.extensions import db
from crm.leads import duplicates
from crm.models import Lead
from crm.opportunities import services as opportunities
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import make_account, make_contact, make_lead, make_opportunity, make_user

# Unique words: each one appears in exactly one record of the other rep.
OTHER_LEAD = "Zanzibarique"
OTHER_TWIN = "Zanzibarique"  # the other lead's duplicate (same email): a pair on the Duplicates page
OTHER_ACCOUNT = "Quixotania"
OTHER_CONTACT = "Xylophonia"
OTHER_OPPORTUNITY = "Vortexalia"
OTHER_TASK = "Jabberwockian"
OTHER_NOTE = "Snorkelesque"
OTHER_SOURCE = "Tradeshowzz"
OTHER_MERGED = "Yodelmerge"
QUEUE_LEAD = "Pelicanova"
OWN_LEAD = "Heronwood"
OWN_ACCOUNT = "Ownaccountia"
OWN_OPPORTUNITY = "Owndealia"
HIDDEN_ON_OWN_ACCOUNT = "Marmaladeous"
OTHER_ORDER = "Orderalia"
OTHER_INVOICE = "Invoicalia"  # the other rep's deal on the rep's own account


@dataclass
class World:
    ids: dict = field(default_factory=dict)

    def __getattr__(self, name):
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


def build_world() -> World:
    """Store the book (inside an app context); ids only, so it survives the session."""
    admin = make_user(email="admin@example.com", name="Ada Admin", role="admin")
    manager = make_user(email="manager@example.com", name="Max Manager", role="manager")
    rep = make_user(email="rep@example.com", name="Remy Rep", role="rep")
    other = make_user(email="other@example.com", name="Olga Other", role="rep")

    queue = assignment.create_queue(name="Nantes", round_robin=False)
    assignment.add_member(queue, rep)
    db.session.commit()

    other_lead = make_lead(actor=other, first_name="Otto", last_name=OTHER_LEAD, company=f"{OTHER_LEAD} SA",
                           email="zanzi@example.org", lead_source=OTHER_SOURCE)
    twin = make_lead(actor=other, first_name="Otto", last_name=OTHER_TWIN, company=f"{OTHER_LEAD} SA",
                     email="zanzi@example.org")
    merged_a = make_lead(actor=other, first_name="Yves", last_name=OTHER_MERGED, company="Yodel SARL",
                         email="yodel@example.org")
    merged_b = make_lead(actor=other, first_name="Yves", last_name=OTHER_MERGED, company="Yodel SARL",
                         email="yodel@example.org")
    merge = duplicates.merge_leads(merged_a, [merged_b], {}, actor=other)
    queue_lead = make_lead(actor=other, first_name="Paula", last_name=QUEUE_LEAD, company="Pelican SA")
    queue_lead.owner_id, queue_lead.queue_id = None, queue.id
    own_lead = make_lead(actor=rep, first_name="Hugo", last_name=OWN_LEAD, company="Heron SA",
                         email="heron@example.net")

    other_account = make_account(actor=other, name=f"{OTHER_ACCOUNT} Ltd")
    other_contact = make_contact(account=other_account, actor=other, first_name="Xavier", last_name=OTHER_CONTACT,
                                 email="xylo@example.org")
    other_opportunity = make_opportunity(account=other_account, actor=other, name=f"{OTHER_OPPORTUNITY} deal",
                                         amount=777)
    role = opportunities.add_contact_role(other_opportunity, other_contact, role="Decision Maker")
    task = activities.add_activity(other_lead, "task", {"subject": f"{OTHER_TASK} task", "assignee_id": other.id},
                                   actor=other)
    note = activities.add_activity(other_account, "note", {"subject": f"{OTHER_NOTE} note"}, actor=other)

    own_account = make_account(actor=rep, name=f"{OWN_ACCOUNT} Ltd")
    own_opportunity = make_opportunity(account=own_account, actor=rep, name=f"{OWN_OPPORTUNITY} deal")
    hidden_on_own = make_opportunity(account=own_account, actor=other, name=f"{HIDDEN_ON_OWN_ACCOUNT} deal")
    hidden_note = activities.add_activity(hidden_on_own, "note", {"subject": f"{HIDDEN_ON_OWN_ACCOUNT} call"},
                                          actor=other)

    campaign = campaigns_services.create_campaign(name="Spring Expo")
    db.session.flush()
    member = campaigns.add_member(campaign, lead=other_lead)
    db.session.commit()

    # The other rep's sale, on deals of their own (accepting a quote closes its deal won): an
    # order and its quote and line items, and a fulfilled order with its invoice.
    from crm.models.sales import OpportunityLineItem
    from crm.sales import documents
    from tests.orders.helpers import make_order

    other_order = make_order(actor=other, opportunity=make_opportunity(account=other_account, actor=other,
                                                                       name=f"{OTHER_ORDER} deal"))
    other_invoice = documents.fulfil_order(make_order(actor=other, opportunity=make_opportunity(
        account=other_account, actor=other, name=f"{OTHER_INVOICE} deal")), actor=other)
    db.session.commit()
    from decimal import Decimal

    other_item = OpportunityLineItem(opportunity_id=other_opportunity.id, name=f"{OTHER_OPPORTUNITY} shoe",
                                     quantity=Decimal(1), unit_price=Decimal(10), net_amount=Decimal("10.00"))
    db.session.add(other_item)
    db.session.commit()
    assert sharing.sharing_mode() == "public"
    return World({
        "admin": admin.id, "manager": manager.id, "rep": rep.id, "other": other.id, "queue": queue.id,
        "other_lead": other_lead.id, "twin": twin.id, "merge": merge.id, "merge_survivor": merged_a.id,
        "queue_lead": queue_lead.id, "own_lead": own_lead.id,
        "other_account": other_account.id, "other_contact": other_contact.id,
        "other_opportunity": other_opportunity.id, "other_stage": other_opportunity.stage_id,
        "role": role.id, "task": task.id, "note": note.id,
        "own_account": own_account.id, "own_opportunity": own_opportunity.id, "hidden_on_own": hidden_on_own.id,
        "hidden_note": hidden_note.id, "campaign": campaign.id, "member": member.id,
        "other_order": other_order.id, "other_quote": other_order.quote_id, "other_invoice": other_invoice.id,
        "other_invoice_line": other_invoice.lines[0].id, "other_line_item": other_item.id,
        "other_quote_line": other_order.quote.lines[0].id,
    })


def set_mode(mode: str) -> None:
    """Switch sharing in the database (as the admin page does), inside an app context."""
    from crm.models import User

    admin = db.session.scalar(sa.select(User).where(User.role == "admin").limit(1))
    sharing.set_sharing(mode, admin)
    db.session.commit()


def client_for(app, email: str):
    """A test client signed in as `email`."""
    client = app.test_client()
    response = login(client, email, PASSWORD)
    assert response.status_code == 303, response.status_code
    return client


def post(client, path: str, data: dict | None = None, **kwargs):
    """A POST with a valid CSRF token of this client's session."""
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, **kwargs)


def lead_owner(lead_id: int) -> tuple:
    lead = db.session.get(Lead, lead_id)
    db.session.refresh(lead)
    return lead.owner_id, lead.queue_id, lead.deleted_at
