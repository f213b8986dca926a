"""The dashboard's figures against a fixture whose every figure is counted by hand below."""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from crm.activities.services import add_activity, set_done
from crm.extensions import db
from crm.home import queries
from crm.home.queries import Scope
from crm.leads.services import record_view
from crm.models import Stage
from crm.models.user import utcnow
from tests.factories import make_account, make_lead, make_opportunity, make_user

TODAY = date(2027, 3, 17)
OPEN_NC, WORKING = "Open - Not Contacted", "Working - Contacted"


def stage(name):
    return db.session.scalar(sa.select(Stage).where(Stage.name == name))


def task(record, user, due, done=False):
    activity = add_activity(record, "task", {"subject": "Do it", "due_date": due, "assignee_id": user.id},
                            actor=user)
    if done:
        set_done(activity, True, actor=user)
    db.session.commit()
    return activity


@pytest.fixture
def org(app_ctx):
    """Mona manages Ann and Bob; Cid has no manager; Ada is an admin.

    Open leads: Ann 3 Open-NC (2, and the one her tasks hang on) + 1 Working (+ 1 closed, + 1
    binned); Bob 1 Open-NC (+ 1 binned); Cid 3 Open-NC; Mona 1 Working; 1 Open-NC owned by nobody.
    Open deals: Ann Prospecting 100 (the 1st) and 250.50 (next month), Negotiation 1000 (the 31st)
    (+ Closed Won 5000 and a binned one, this month); Bob Qualification 300 (this month); Cid
    Prospecting 70 (last month).
    Tasks (today 2027-03-17): Ann overdue 1 + today 1 (+ 1 done overdue, + 1 next week); Bob an
    overdue one on a binned lead (hidden); Cid overdue 1; Mona today 1.
    """
    mona = make_user(name="Mona", role="manager")
    ann, bob = make_user(name="Ann"), make_user(name="Bob")
    cid = make_user(name="Cid")
    ada = make_user(name="Ada", role="admin")
    ann.manager_id = bob.manager_id = mona.id
    db.session.commit()

    for _ in range(2):
        make_lead(ann, owner=ann, status=OPEN_NC)
    make_lead(ann, owner=ann, status=WORKING)
    make_lead(ann, owner=ann, status="Closed - Not Converted")
    binned = make_lead(ann, owner=ann, status=OPEN_NC)
    binned.deleted_at = utcnow()
    make_lead(bob, owner=bob, status=OPEN_NC)
    for _ in range(3):
        make_lead(cid, owner=cid, status=OPEN_NC)
    make_lead(mona, owner=mona, status=WORKING)
    orphan = make_lead(mona, status=OPEN_NC)
    orphan.owner_id = None
    db.session.commit()

    account = make_account(ann, name="Globex")
    make_opportunity(account, ann, stage("Prospecting"), name="P100", amount=Decimal("100"),
                     close_date=TODAY.replace(day=1))
    make_opportunity(account, ann, stage("Prospecting"), name="P250", amount=Decimal("250.50"),
                     close_date=TODAY + timedelta(days=30))
    make_opportunity(account, ann, stage("Negotiation/Review"), name="N1000", amount=Decimal("1000"),
                     close_date=TODAY.replace(day=31))
    make_opportunity(account, ann, stage("Closed Won"), name="Won", amount=Decimal("5000"), close_date=TODAY)
    gone = make_opportunity(account, ann, stage("Prospecting"), name="Binned", amount=Decimal("9"), close_date=TODAY)
    gone.deleted_at = utcnow()
    make_opportunity(account, bob, stage("Qualification"), name="Q300", amount=Decimal("300"),
                     close_date=TODAY)
    make_opportunity(account, cid, stage("Prospecting"), name="C70", amount=Decimal("70"),
                     close_date=TODAY - timedelta(days=40))
    db.session.commit()

    lead = make_lead(ann, owner=ann)
    task(lead, ann, TODAY - timedelta(days=2))
    task(lead, ann, TODAY)
    task(lead, ann, TODAY - timedelta(days=5), done=True)
    task(lead, ann, TODAY + timedelta(days=7))
    hidden = make_lead(bob, owner=bob)
    task(hidden, bob, TODAY - timedelta(days=1))
    hidden.deleted_at = utcnow()
    task(lead, cid, TODAY - timedelta(days=9))
    task(lead, mona, TODAY)
    db.session.commit()
    return SimpleNamespace(mona=mona, ann=ann, bob=bob, cid=cid, ada=ada, lead=lead, account=account)


def by_status(scope):
    return {row.label: row.count for row in queries.open_leads_by_status(scope)}


def test_open_leads_by_status_for_me_my_team_and_everyone(org):
    assert by_status(Scope(org.ann)) == {OPEN_NC: 3, WORKING: 1}
    assert by_status(Scope(org.mona)) == {OPEN_NC: 0, WORKING: 1}  # the lead nobody owns is not hers
    assert by_status(Scope(org.mona, team=True)) == {OPEN_NC: 3 + 1, WORKING: 1}  # Ann and Bob, not Mona
    # Everyone: Ann 3 + Bob 1 + Cid 3 + nobody's 1; Ann's and Mona's Working.
    assert by_status(Scope(org.ada, team=True)) == {OPEN_NC: 3 + 1 + 3 + 1, WORKING: 2}


def test_the_statuses_come_in_the_admins_order_with_zeros(org):
    rows = queries.open_leads_by_status(Scope(org.ada))
    assert [(r.label, r.count) for r in rows] == [(OPEN_NC, 0), (WORKING, 0)]


def test_task_counts_overdue_and_today(org):
    assert queries.task_counts(Scope(org.ann), TODAY) == queries.TaskCounts(overdue=1, today=1)
    assert queries.task_counts(Scope(org.bob), TODAY) == queries.TaskCounts(overdue=0, today=0)  # on a binned lead
    assert queries.task_counts(Scope(org.mona), TODAY) == queries.TaskCounts(overdue=0, today=1)
    assert queries.task_counts(Scope(org.mona, team=True), TODAY) == queries.TaskCounts(overdue=1, today=1)
    # Everyone: Ann 1 + Cid 1 overdue; Ann 1 + Mona 1 today.
    assert queries.task_counts(Scope(org.ada, team=True), TODAY) == queries.TaskCounts(overdue=2, today=2)


def pipeline(scope):
    figures = queries.pipeline_by_stage(scope)
    return {s.stage: (s.count, s.amount) for s in figures.stages if s.count}, figures.count, figures.amount


def test_pipeline_by_open_stage(org):
    assert pipeline(Scope(org.ann)) == (
        {"Prospecting": (2, Decimal("350.50")), "Negotiation/Review": (1, Decimal("1000.00"))}, 3, Decimal("1350.50"))
    assert pipeline(Scope(org.mona, team=True)) == (
        {"Prospecting": (2, Decimal("350.50")), "Qualification": (1, Decimal("300.00")),
         "Negotiation/Review": (1, Decimal("1000.00"))}, 4, Decimal("1650.50"))
    assert pipeline(Scope(org.ada, team=True))[1:] == (5, Decimal("1720.50"))
    assert pipeline(Scope(org.mona)) == ({}, 0, Decimal("0.00"))


def test_pipeline_lists_every_open_stage_in_order_and_no_closed_one(org):
    stages = [s.stage for s in queries.pipeline_by_stage(Scope(org.ann)).stages]
    assert stages == ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
                      "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review"]


def test_deals_closing_this_month_open_ones_by_close_date(org):
    mine = queries.closing_this_month(Scope(org.ann), TODAY)
    assert [d.name for d in mine.items] == ["P100", "N1000"]  # not P250 (next month), Won, Binned
    assert (mine.count, mine.amount) == (2, Decimal("1100.00"))
    assert (mine.month_start, mine.month_end) == (date(2027, 3, 1), date(2027, 3, 31))
    team = queries.closing_this_month(Scope(org.mona, team=True), TODAY, limit=2)
    assert [d.name for d in team.items] == ["P100", "Q300"]  # capped at 2, the 3rd counted
    assert (team.count, team.amount) == (3, Decimal("1400.00"))


def test_recently_viewed_newest_first_without_binned_records(org):
    binned = make_lead(org.ann, first_name="Gone", last_name="Away")
    for kind, record_id in (("lead", org.lead.id), ("lead", binned.id), ("account", org.account.id)):
        record_view(org.ann, kind, record_id)
        db.session.commit()
    binned.deleted_at = utcnow()
    db.session.commit()
    recent = queries.recently_viewed(org.ann)
    assert [(r.record_type, r.record_id, r.name) for r in recent] == [
        ("account", org.account.id, "Globex"), ("lead", org.lead.id, org.lead.name)]
    assert queries.recently_viewed(org.bob) == []


def test_member_figures_per_member_of_the_team(org):
    scope = Scope(org.mona, team=True)
    figures = {f.user.name: (f.open_leads, f.open_deals, f.pipeline, f.overdue_tasks)
               for f in queries.member_figures(scope, [org.ann, org.bob], TODAY)}
    assert figures == {"Ann": (4, 3, Decimal("1350.50"), 1), "Bob": (1, 1, Decimal("300.00"), 0)}


def test_a_rep_asking_for_a_team_gets_their_own_figures(org):
    assert Scope.of(org.ann, "team") == Scope(org.ann, team=False)
    assert Scope.of(org.mona, "team").team and Scope.of(org.ada, "team").everyone
    assert not Scope.of(org.mona, "anything").team
    assert Scope(org.ann).list_args(status=3) == {"view": "my_open", "status": 3}
    assert Scope(org.ada, team=True).list_args(stage=1) == {"view": "all_open", "stage": 1}
    assert Scope(org.mona, team=True).list_args(stage=1) is None
