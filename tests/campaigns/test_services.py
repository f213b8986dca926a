"""Campaign members: the services' rules, the lead hook, figures and history."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.admin import campaigns_services
from crm.campaigns import services
from crm.extensions import db
from crm.leads import services as lead_services
from crm.leads.conversion import convert_lead
from crm.models import CAMPAIGN_MEMBER_STATUSES, CampaignMember, Stage
from tests.factories import make_contact, make_lead, make_opportunity, make_user


def make_campaign(name="Spring Expo", **fields):
    campaign = campaigns_services.create_campaign(name=name, **fields)
    db.session.commit()
    return campaign


def memberships(campaign) -> list[CampaignMember]:
    return list(db.session.scalars(sa.select(CampaignMember).where(CampaignMember.campaign_id == campaign.id)))


def test_the_statuses_are_sent_and_responded():
    assert CAMPAIGN_MEMBER_STATUSES == ("Sent", "Responded")


def test_attach_lead_is_idempotent(app_ctx):
    campaign, lead = make_campaign(), make_lead()
    first = services.attach_lead(campaign, lead, status="Sent")
    again = services.attach_lead(campaign, lead)
    assert again.id == first.id
    assert [(m.lead_id, m.status) for m in memberships(campaign)] == [(lead.id, "Sent")]


def test_attach_lead_refuses_an_unknown_status(app_ctx):
    with pytest.raises(ValueError):
        services.attach_lead(make_campaign(), make_lead(), status="Opened")


def test_creating_and_editing_a_lead_with_a_campaign_attaches_it_once(app_ctx):
    campaign, other = make_campaign(), make_campaign("Webinar")
    actor = make_user()
    lead = lead_services.create_lead({"last_name": "Ito", "company": "Acme", "campaign_id": campaign.id}, actor=actor)
    assert [(m.lead_id, m.status) for m in memberships(campaign)] == [(lead.id, "Responded")]
    lead_services.update_lead(lead, {"last_name": "Ito", "company": "Acme", "campaign_id": campaign.id}, actor=actor)
    assert len(memberships(campaign)) == 1
    lead_services.update_lead(lead, {"last_name": "Ito", "company": "Acme", "campaign_id": other.id}, actor=actor)
    # The old campaign keeps its member: history is not rewritten.
    assert len(memberships(campaign)) == 1 and len(memberships(other)) == 1


def test_a_lead_without_a_campaign_is_no_member(app_ctx):
    make_lead()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignMember)) == 0


def test_add_member_takes_a_lead_or_a_contact_once(app_ctx):
    campaign, lead, contact = make_campaign(), make_lead(), make_contact()
    services.add_member(campaign, lead=lead, status="Sent")
    services.add_member(campaign, contact=contact)
    with pytest.raises(services.AlreadyMember):
        services.add_member(campaign, lead=lead)
    with pytest.raises(services.AlreadyMember):
        services.add_member(campaign, contact=contact)
    with pytest.raises(ValueError):
        services.add_member(campaign)
    with pytest.raises(ValueError):
        services.add_member(campaign, lead=lead, contact=contact)
    assert {(m.lead_id, m.contact_id, m.status) for m in memberships(campaign)} == {
        (lead.id, None, "Sent"), (None, contact.id, "Responded")}


def test_set_status_and_remove(app_ctx):
    campaign, lead = make_campaign(), make_lead()
    member = services.add_member(campaign, lead=lead, status="Sent")
    services.set_member_status(member, "Responded")
    assert db.session.get(CampaignMember, member.id).status == "Responded"
    with pytest.raises(ValueError):
        services.set_member_status(member, "Bounced")
    services.remove_member(member)
    assert memberships(campaign) == []
    assert db.session.get(type(lead), lead.id) is not None  # the lead itself stays


def test_figures(app_ctx):
    campaign, other = make_campaign(), make_campaign("Other")
    actor = make_user()
    sent, responded, deleted = make_lead(), make_lead(), make_lead()
    services.add_member(campaign, lead=sent, status="Sent")
    services.add_member(campaign, lead=responded)
    services.add_member(campaign, lead=deleted)
    services.add_member(campaign, contact=make_contact())
    services.add_member(other, lead=make_lead())
    lead_services.delete_lead(deleted, actor=actor)  # the recycle bin does not count
    converted = make_lead(status="Qualified")
    services.add_member(campaign, lead=converted)
    db.session.commit()
    convert_lead(converted, actor=actor, owner=actor, create_opportunity=False)
    won = db.session.scalar(sa.select(Stage).where(Stage.is_won).limit(1))
    make_opportunity(campaign_id=campaign.id, amount=Decimal("1200.50"), stage=won)
    make_opportunity(campaign_id=campaign.id, amount=Decimal("800"))
    make_opportunity(campaign_id=other.id, amount=Decimal("999"), stage=won)
    figures = services.campaign_figures(campaign)
    assert (figures.members, figures.responded, figures.leads_converted, figures.opportunities) == (4, 3, 1, 2)
    assert figures.won_amount == Decimal("1200.50")


def test_members_page_pages_by_fifty_newest_first(app_ctx):
    campaign = make_campaign()
    leads = [make_lead() for _ in range(52)]
    for lead in leads:
        services.add_member(campaign, lead=lead)
    services.add_member(campaign, contact=make_contact())
    first, second = services.members_page(campaign, 1), services.members_page(campaign, 2)
    assert len(first.items) == 50 and first.has_next and first.total == 53
    assert first.items[0].kind == "contact"  # a contact's row is listed too (newest first)
    assert [m.lead.id for m in second.items] == [leads[2].id, leads[1].id, leads[0].id] and not second.has_next


def test_history_of_a_lead_follows_it_to_its_contact(app_ctx):
    campaign, webinar = make_campaign(), make_campaign("Webinar")
    actor = make_user()
    lead = make_lead(status="Qualified")
    services.add_member(campaign, lead=lead, status="Sent")
    services.add_member(webinar, lead=lead)
    db.session.commit()
    assert {(e.campaign_name, e.status) for e in services.lead_history(lead)} == {
        ("Spring Expo", "Sent"), ("Webinar", "Responded")}
    result = convert_lead(lead, actor=actor, owner=actor, create_opportunity=False)
    history = services.contact_history(result.contact)
    assert {(e.campaign_id, e.status) for e in history} == {(campaign.id, "Sent"), (webinar.id, "Responded")}
    assert services.contact_history(make_contact()) == []


def test_campaigns_with_counts_counts_members_in_one_query(app_ctx):
    campaign, empty = make_campaign(), make_campaign("Empty")
    for _ in range(3):
        services.add_member(campaign, lead=make_lead())
    assert dict((c.name, n) for c, n in services.campaigns_with_counts()) == {"Spring Expo": 3, "Empty": 0}
    assert empty.id


def test_lookup_finds_open_leads_and_contacts(app_ctx):
    lead = make_lead(last_name="Zebedee", company="Acme")
    contact = make_contact(last_name="Zebedeus")
    leads, contacts = services.lookup_people("zebed")
    assert [x.id for x in leads] == [lead.id] and [x.id for x in contacts] == [contact.id]
    assert services.lookup_people("  ") == ([], [])
