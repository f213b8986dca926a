"""Time every report on a big book: `.venv/bin/python bench/reports.py` (100,000 leads, 20,000
opportunities on a fresh SQLite database; --database-url to use another, --no-seed to reuse one).

The data is seed-demo's (`flask --app app seed-demo --leads 100000 --opportunities 20000`, run here
in-process), plus what seed-demo leaves out and the reports read: a first activity for most leads
(hours to days after their creation, for speed to lead), a campaign and a converted status for some,
and stage moves in the history of the deals past the first stage (for stage conversion and days in
stage). Each report is then fetched through the Flask test client as a signed-in manager, for the
default period (this year) and for all time, and the best and median of --runs fetches are printed.
No assertion: the numbers go in the README.
"""

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPORTS = ("pipeline", "forecast", "leads", "win-rate", "speed-to-lead", "stages")
CHUNK = 5000


def add_report_data(seed: int = 7) -> dict:
    """Activities, campaigns, conversions and stage moves on top of seed-demo's rows, in bulk."""
    import sqlalchemy as sa

    from crm.extensions import db
    from crm.models import Activity, Campaign, Lead, LeadStatus, Opportunity, OpportunityStageHistory, Stage

    rng = random.Random(seed)  # noqa: S311 (fake data)
    campaigns = [Campaign(name=f"Bench campaign {n}", type="Webinar", status="Completed") for n in range(8)]
    db.session.add_all(campaigns)
    db.session.flush()
    converted = db.session.scalar(sa.select(LeadStatus.id).where(LeadStatus.is_converted))
    # One lead in ten converted, one in three from a campaign (by id, in SQL).
    db.session.execute(sa.update(Lead).where(Lead.id % 10 == 0).values(status_id=converted))
    for n, campaign in enumerate(campaigns):
        db.session.execute(sa.update(Lead).where(Lead.id % 24 == n).values(campaign_id=campaign.id))
    leads = db.session.execute(sa.select(Lead.id, Lead.owner_id, Lead.created_at)).all()
    rows = []
    for lead_id, owner_id, created_at in leads:
        if rng.random() < 0.7:
            when = created_at + timedelta(minutes=int(rng.expovariate(1 / 600)))
            rows.append({"kind": "call", "subject": "Call", "lead_id": lead_id, "created_by_id": owner_id,
                         "created_at": when, "updated_at": when, "done": False})
    for start in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(Activity.__table__), rows[start:start + CHUNK])
    stages = {s.id: s for s in db.session.scalars(sa.select(Stage))}
    first = {}
    for stage in sorted(stages.values(), key=lambda s: s.position):
        first.setdefault(stage.pipeline_id, stage)
    moves = []
    for opportunity_id, stage_id, created_at in db.session.execute(
            sa.select(Opportunity.id, Opportunity.stage_id, Opportunity.created_at)):
        stage, start = stages[stage_id], first[stages[stage_id].pipeline_id]
        if stage.id == start.id:
            continue
        days = rng.randint(1, 40)
        moves.append({"opportunity_id": opportunity_id, "from_stage_id": start.id, "from_stage": start.name,
                      "to_stage_id": stage.id, "to_stage": stage.name, "probability": stage.probability,
                      "days_in_previous": days, "changed_at": created_at + timedelta(days=days)})
    # The creation row seed-demo wrote names the current stage: it starts at the first one instead.
    db.session.execute(sa.update(OpportunityStageHistory).where(OpportunityStageHistory.from_stage_id.is_(None))
                       .values(to_stage_id=sa.case({s.id: first[s.pipeline_id].id for s in stages.values()},
                                                   value=OpportunityStageHistory.to_stage_id),
                               to_stage=sa.case({s.id: first[s.pipeline_id].name for s in stages.values()},
                                                value=OpportunityStageHistory.to_stage_id)))
    for start in range(0, len(moves), CHUNK):
        db.session.execute(sa.insert(OpportunityStageHistory.__table__), moves[start:start + CHUNK])
    db.session.commit()
    return {"activities": len(rows), "stage moves": len(moves)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    parser.add_argument("--no-seed", action="store_true", help="reuse the database's data as it is")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from crm import create_app
    from crm.demo import seed_demo
    from crm.extensions import db
    from tests.factories import make_user

    tmp = Path(tempfile.mkdtemp(prefix="filon-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "BOOTSTRAP_ADMIN": False,
                      "INSTANCE_PATH": str(tmp / "instance"), "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        if not args.no_seed:
            started = time.perf_counter()
            summary = seed_demo(args.leads, opportunities=args.opportunities)
            extra = add_report_data()
            print(f"seeded {summary.leads} leads, {summary.opportunities} opportunities, "
                  f"{extra['activities']} activities, {extra['stage moves']} stage moves "
                  f"in {time.perf_counter() - started:.1f} s")
        manager = make_user(email=f"bench-{time.time_ns()}@example.com", name="Bench Manager", role="manager")
        email = manager.email
        db.session.remove()

    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": "correct horse battery"})
    assert response.status_code == 303, response.status_code
    print(f"{'report':<16}{'period':<12}{'best ms':>10}{'median ms':>12}")
    for name in REPORTS:
        for period in ("this-year", "all"):
            timings = []
            for _ in range(args.runs):
                started = time.perf_counter()
                response = client.get(f"/reports/{name}?period={period}")
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (name, response.status_code)
            print(f"{name:<16}{period:<12}{min(timings):>10.0f}{statistics.median(timings):>12.0f}")


if __name__ == "__main__":
    main()
