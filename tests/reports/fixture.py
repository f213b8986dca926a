"""A small, hand-computed book of business for the report tests (the expected figures are in the
tests, worked out by hand from the rows below; every date is in 2026 unless said otherwise).

Opportunities (default pipeline; probability = the stage's):
  O1 Alice Prospecting        1,000  close 2026-03-10  created 01-05  history: → Prospecting
  O2 Alice Negotiation/Review 2,000  close 2026-03-20  created 01-06  Prospecting 5 d → Qualification 10 d → Negotiation
  O3 Alice Closed Won         3,000  close 2026-04-15  created 03-16 00:00 (cycle 30 d)  Prospecting 30 d → Won
  O4 Bob   Closed Won         5,000  close 2026-04-30  created 04-19 12:00 (cycle 10.5 d)
                                                        Prospecting 4 d → Needs Analysis 6 d → Won
  O5 Bob   Closed Lost        4,000  close 2026-04-10  created 02-01  Prospecting 2 d → Qualification 8 d → Lost
  O6 Alice Closed Lost          500  close 2026-05-01  created 02-02  Prospecting 20 d → Lost
  O7 Bob   Perception Analysis 10,000 close 2027-02-01 created 01-10  Prospecting 7 d → Perception
  O8 Bob   Prospecting        (none) close 2026-06-01  created 02-03  → Prospecting
  O9 Alice Prospecting        9,999  close 2026-03-01  in the recycle bin (never counted)

Leads (statuses: Open - Not Contacted, Working - Contacted, Closed - Converted, Closed - Not Converted):
  L1 Alice Web        Spring Expo  Open         created 02-01 09:00  activities 02-01 11:00 (2 h), 02-03
  L2 Alice Web        Spring Expo  Converted    created 02-02 08:00  activity 02-02 12:00 (4 h)
  L3 Bob   Trade Show Spring Expo  Converted    created 03-01 00:00  activity 03-02 00:00 (24 h)
  L4 Bob   Trade Show —            Working      created 03-05 10:00  activity 03-05 12:00 (2 h)
  L5 Bob   —          —            Not Converted created 04-01 00:00 no activity
  L6 Alice Web        —            Open         created 2025-12-31 23:00 (before the period) activity after 1 h
  L7 Alice Web        Spring Expo  Converted    created 02-05, in the recycle bin
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Activity, Campaign, Lead, LeadStatus, Opportunity, OpportunityStageHistory, Pipeline, Stage
from tests.factories import make_account, make_user

YEAR = (date(2026, 1, 1), date(2026, 12, 31))


@dataclass
class Book:
    alice: int
    bob: int
    pipeline: int
    stages: dict  # name -> id
    statuses: dict  # label -> id
    campaign: int
    opportunities: dict  # "O1" -> id


def _stage_ids() -> tuple[int, dict]:
    pipeline = db.session.scalar(sa.select(Pipeline).where(Pipeline.is_default))
    stages = {s.name: s for s in db.session.scalars(sa.select(Stage).where(Stage.pipeline_id == pipeline.id))}
    return pipeline.id, stages


def build_book() -> Book:
    """Store the rows above (call inside an app context)."""
    alice = make_user(name="Alice Archer", email="alice@example.com", role="manager")
    bob = make_user(name="Bob Baker", email="bob@example.com")
    account = make_account(alice, name="Acme")
    pipeline_id, stages = _stage_ids()
    opportunities = {}
    spec = [
        ("O1", alice, "Prospecting", "1000", date(2026, 3, 10), datetime(2026, 1, 5, 9), [], None),
        ("O2", alice, "Negotiation/Review", "2000", date(2026, 3, 20), datetime(2026, 1, 6, 9),
         [("Prospecting", "Qualification", 5), ("Qualification", "Negotiation/Review", 10)], None),
        ("O3", alice, "Closed Won", "3000", date(2026, 4, 15), datetime(2026, 3, 16),
         [("Prospecting", "Closed Won", 30)], None),
        ("O4", bob, "Closed Won", "5000", date(2026, 4, 30), datetime(2026, 4, 19, 12),
         [("Prospecting", "Needs Analysis", 4), ("Needs Analysis", "Closed Won", 6)], None),
        ("O5", bob, "Closed Lost", "4000", date(2026, 4, 10), datetime(2026, 2, 1),
         [("Prospecting", "Qualification", 2), ("Qualification", "Closed Lost", 8)], None),
        ("O6", alice, "Closed Lost", "500", date(2026, 5, 1), datetime(2026, 2, 2),
         [("Prospecting", "Closed Lost", 20)], None),
        ("O7", bob, "Perception Analysis", "10000", date(2027, 2, 1), datetime(2026, 1, 10),
         [("Prospecting", "Perception Analysis", 7)], None),
        ("O8", bob, "Prospecting", None, date(2026, 6, 1), datetime(2026, 2, 3), [], None),
        ("O9", alice, "Prospecting", "9999", date(2026, 3, 1), datetime(2026, 1, 7), [], datetime(2026, 3, 2)),
    ]
    for key, owner, stage, amount, close_date, created_at, moves, deleted_at in spec:
        stage = stages[stage]
        opportunity = Opportunity(
            name=f"Deal {key}", account_id=account.id, pipeline_id=pipeline_id, stage_id=stage.id,
            amount=Decimal(amount) if amount else None, close_date=close_date, probability=stage.probability,
            owner_id=owner.id, created_by_id=owner.id, updated_by_id=owner.id, created_at=created_at,
            updated_at=created_at, stage_entered_at=created_at, deleted_at=deleted_at,
            loss_reason="Price" if stage.is_lost else None)
        db.session.add(opportunity)
        db.session.flush()
        first = moves[0][0] if moves else stage.name
        db.session.add(OpportunityStageHistory(
            opportunity_id=opportunity.id, from_stage_id=None, from_stage=None, to_stage_id=stages[first].id,
            to_stage=first, amount=opportunity.amount, probability=stages[first].probability, changed_at=created_at))
        for from_stage, to_stage, days in moves:
            db.session.add(OpportunityStageHistory(
                opportunity_id=opportunity.id, from_stage_id=stages[from_stage].id, from_stage=from_stage,
                to_stage_id=stages[to_stage].id, to_stage=to_stage, amount=opportunity.amount,
                probability=stages[to_stage].probability, days_in_previous=days, changed_at=created_at))
        opportunities[key] = opportunity.id

    statuses = {s.label: s.id for s in db.session.scalars(sa.select(LeadStatus))}
    campaign = Campaign(name="Spring Expo", type="Trade Show", status="Completed")
    db.session.add(campaign)
    db.session.flush()
    lead_spec = [
        ("L1", alice, "Web", campaign.id, "Open - Not Contacted", datetime(2026, 2, 1, 9),
         [datetime(2026, 2, 3, 9), datetime(2026, 2, 1, 11)], None),
        ("L2", alice, "Web", campaign.id, "Closed - Converted", datetime(2026, 2, 2, 8), [datetime(2026, 2, 2, 12)],
         None),
        ("L3", bob, "Trade Show", campaign.id, "Closed - Converted", datetime(2026, 3, 1), [datetime(2026, 3, 2)],
         None),
        ("L4", bob, "Trade Show", None, "Working - Contacted", datetime(2026, 3, 5, 10), [datetime(2026, 3, 5, 12)],
         None),
        ("L5", bob, None, None, "Closed - Not Converted", datetime(2026, 4, 1), [], None),
        ("L6", alice, "Web", None, "Open - Not Contacted", datetime(2025, 12, 31, 23), [datetime(2026, 1, 1)], None),
        ("L7", alice, "Web", campaign.id, "Closed - Converted", datetime(2026, 2, 5), [], datetime(2026, 2, 6)),
    ]
    for key, owner, source, campaign_id, status, created_at, activities, deleted_at in lead_spec:
        lead = Lead(first_name="Lead", last_name=key, company="Acme", lead_source=source, campaign_id=campaign_id,
                    status_id=statuses[status], owner_id=owner.id, created_by_id=owner.id, updated_by_id=owner.id,
                    created_at=created_at, updated_at=created_at, deleted_at=deleted_at,
                    converted_at=created_at if status == "Closed - Converted" else None)
        lead.refresh_search_text()
        db.session.add(lead)
        db.session.flush()
        for when in activities:
            db.session.add(Activity(kind="call", subject="Call", lead_id=lead.id, created_by_id=owner.id,
                                    created_at=when, updated_at=when))
    db.session.commit()
    return Book(alice.id, bob.id, pipeline_id, {name: s.id for name, s in stages.items()}, statuses, campaign.id,
                opportunities)


def build_more(book: Book, count: int) -> None:
    """`count` more deals (with a stage move) and leads (with an activity) for the same owners."""
    account = make_account(name="Globex")
    for n in range(count):
        created_at = datetime(2026, 5, 1 + n % 28)
        opportunity = Opportunity(
            name=f"More {n}", account_id=account.id, pipeline_id=book.pipeline, stage_id=book.stages["Qualification"],
            amount=Decimal(100 + n), close_date=date(2026, 7, 1 + n % 28), probability=10, owner_id=book.bob,
            created_at=created_at, updated_at=created_at, stage_entered_at=created_at)
        db.session.add(opportunity)
        db.session.flush()
        db.session.add(OpportunityStageHistory(
            opportunity_id=opportunity.id, from_stage_id=book.stages["Prospecting"], from_stage="Prospecting",
            to_stage_id=book.stages["Qualification"], to_stage="Qualification", probability=10, days_in_previous=n,
            changed_at=created_at))
        lead = Lead(last_name=f"More {n}", company="Globex", lead_source="Web", status_id=book.statuses[
            "Open - Not Contacted"], owner_id=book.alice, created_at=created_at, updated_at=created_at)
        db.session.add(lead)
        db.session.flush()
        db.session.add(Activity(kind="note", subject="Note", lead_id=lead.id, created_at=created_at,
                                updated_at=created_at))
    db.session.commit()
