"""Opportunity rules: creation, stage changes with their history, the probability override,
closing won or lost, and contact roles."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, OpportunityContactRole, Pipeline, Stage
from crm.opportunities import services
from tests.factories import make_account, make_contact, make_opportunity, make_user


def stage(name: str, pipeline_id: int = 1) -> Stage:
    return db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.name == name))


def history(opportunity) -> list[tuple]:
    return [(row.from_stage, row.to_stage, row.probability) for row in reversed(services.stage_history(opportunity))]


def test_create_at_a_stage_takes_its_probability_and_writes_the_first_history_row(app_ctx):
    rep = make_user()
    account = make_account(rep, name="Get Cloudy")
    opportunity = services.create_opportunity(
        actor=rep, name=" Get Cloudy - 50 Custom Sneakers ", account=account, stage=stage("Needs Analysis"),
        amount="8000", close_date=date(2026, 12, 31))
    db.session.commit()
    assert opportunity.name == "Get Cloudy - 50 Custom Sneakers"
    assert opportunity.probability == 20 and not opportunity.probability_overridden
    assert opportunity.expected_revenue == Decimal("1600")
    assert opportunity.owner_id == rep.id and opportunity.pipeline_id == 1
    assert history(opportunity) == [(None, "Needs Analysis", 20)]
    assert services.stage_history(opportunity)[0].changed_by_id == rep.id


@pytest.mark.parametrize("amount", ["-1", "1e30", "NaN", "Infinity", "lots"])
def test_a_negative_absurd_or_unreadable_amount_is_refused(app_ctx, amount):
    rep = make_user()
    with pytest.raises(services.InvalidAmount):
        services.create_opportunity(actor=rep, name="X", account=make_account(rep), stage=stage("Prospecting"),
                                    amount=amount)


def test_a_stage_of_another_pipeline_is_refused(app_ctx):
    rep = make_user()
    other = Pipeline(name="Bulk retail orders", position=2)
    db.session.add(other)
    db.session.flush()
    foreign = Stage(pipeline_id=other.id, name="Ordered", position=1, probability=50, key_fields=[])
    db.session.add(foreign)
    db.session.commit()
    with pytest.raises(services.StageNotInPipeline):
        services.create_opportunity(actor=rep, name="X", account=make_account(rep), stage=foreign,
                                    pipeline=db.session.get(Pipeline, 1))
    opportunity = make_opportunity(actor=rep)
    with pytest.raises(services.StageNotInPipeline):
        services.change_stage(opportunity, foreign, actor=rep)
    db.session.rollback()
    assert db.session.get(Opportunity, opportunity.id).stage.name == "Prospecting"


def test_the_probability_follows_the_stage_until_set_by_hand(app_ctx):
    rep = make_user()
    opportunity = make_opportunity(actor=rep)
    services.change_stage(opportunity, stage("Value Proposition"), actor=rep)
    assert opportunity.probability == 50 and not opportunity.probability_overridden
    services.set_probability(opportunity, "35")
    assert opportunity.probability == 35 and opportunity.probability_overridden
    services.change_stage(opportunity, stage("Id. Decision Makers"), actor=rep)
    assert opportunity.probability == 35 and opportunity.probability_overridden  # it stays
    services.set_probability(opportunity, "")
    assert opportunity.probability == 60 and not opportunity.probability_overridden
    services.set_probability(opportunity, 60)  # the stage's own value is no override
    assert not opportunity.probability_overridden


@pytest.mark.parametrize("value", ["101", "-1", "12.5", "abc"])
def test_a_probability_outside_0_to_100_is_refused(app_ctx, value):
    opportunity = make_opportunity()
    with pytest.raises(services.InvalidProbability):
        services.set_probability(opportunity, value)


def test_stage_history_records_who_when_from_to_amount_probability_and_days(app_ctx):
    rep = make_user()
    opportunity = make_opportunity(actor=rep, amount=Decimal("1000"))
    opportunity.stage_entered_at -= timedelta(days=3)  # it entered Prospecting three days ago
    db.session.commit()
    assert services.change_stage(opportunity, stage("Qualification"), actor=rep) is True
    assert services.change_stage(opportunity, stage("Qualification"), actor=rep) is False  # already there
    db.session.commit()
    latest = services.stage_history(opportunity)[0]
    assert (latest.from_stage, latest.to_stage, latest.amount, latest.probability) == (
        "Prospecting", "Qualification", Decimal("1000"), 10)
    assert latest.days_in_previous == 3 and latest.changed_by_id == rep.id
    assert len(services.stage_history(opportunity)) == 2


def test_closing_won_forces_100_and_lost_needs_a_reason_from_the_picklist(app_ctx):
    rep = make_user()
    opportunity = make_opportunity(actor=rep)
    services.set_probability(opportunity, 40)
    services.change_stage(opportunity, stage("Closed Won"), actor=rep)
    assert opportunity.is_closed and opportunity.probability == 100 and not opportunity.probability_overridden
    db.session.commit()

    lost = make_opportunity(actor=rep)
    with pytest.raises(services.LossReasonRequired):
        services.change_stage(lost, stage("Closed Lost"), actor=rep)
    db.session.rollback()
    with pytest.raises(services.UnknownLossReason):
        services.change_stage(lost, stage("Closed Lost"), actor=rep, loss_reason="Because")
    db.session.rollback()
    assert db.session.get(Opportunity, lost.id).stage.name == "Prospecting"
    assert len(services.stage_history(lost)) == 1  # nothing stored
    services.change_stage(lost, stage("Closed Lost"), actor=rep, loss_reason="Price")
    assert (lost.loss_reason, lost.probability) == ("Price", 0)
    services.change_stage(lost, stage("Negotiation/Review"), actor=rep)  # reopened
    assert lost.loss_reason is None and lost.probability == 90


def test_two_people_moving_the_same_deal_keep_a_whole_history(app, app_ctx):
    """Each move locks the row: the second starts where the first ended; the last one wins."""
    rep = make_user()
    opportunity = make_opportunity(actor=rep)
    targets = {"Qualification": None, "Value Proposition": None}
    barrier = threading.Barrier(2)

    def move(name):
        with app.app_context():
            actor = db.session.get(type(rep), rep.id)
            deal = db.session.get(Opportunity, opportunity.id)
            target = stage(name)
            barrier.wait()
            try:
                services.change_stage(deal, target, actor=actor)
                db.session.commit()
                targets[name] = "moved"
            except sa.exc.OperationalError:  # SQLite: "database is locked" past the busy timeout
                db.session.rollback()
                targets[name] = "locked"

    threads = [threading.Thread(target=move, args=(name,)) for name in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    rows = list(reversed(services.stage_history(opportunity)))
    # The rows chain: each move starts at the stage the previous one reached.
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.from_stage == before.to_stage
    assert db.session.get(Opportunity, opportunity.id).stage.name == rows[-1].to_stage
    assert len(rows) == 1 + sum(1 for result in targets.values() if result == "moved")


def test_contact_roles_from_any_account_with_at_most_one_primary(app_ctx):
    rep = make_user()
    opportunity = make_opportunity(actor=rep)
    aparna = make_contact(opportunity.account, first_name="Aparna", last_name="Bosu")
    lars = make_contact(make_account(rep, name="Elsewhere Inc"), first_name="Lars", last_name="MacMillan")
    primary = services.add_contact_role(opportunity, aparna, role="Decision Maker", is_primary=True)
    with pytest.raises(services.PrimaryTaken) as refused:
        services.add_contact_role(opportunity, lars, role="Influencer", is_primary=True)
    assert refused.value.name == "Aparna Bosu"
    influencer = services.add_contact_role(opportunity, lars, role="Influencer")
    with pytest.raises(services.RoleExists):
        services.add_contact_role(opportunity, lars, role="Evaluator")
    with pytest.raises(services.PrimaryTaken):
        services.update_contact_role(influencer, role="Influencer", is_primary=True)
    services.update_contact_role(primary, role="Economic Buyer", is_primary=False)
    services.update_contact_role(influencer, role="Influencer", is_primary=True)
    db.session.commit()
    roles = services.contact_roles(opportunity)
    assert [(r.contact.last_name, r.role, r.is_primary) for r in roles] == [
        ("MacMillan", "Influencer", True), ("Bosu", "Economic Buyer", False)]
    services.remove_contact_role(primary)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OpportunityContactRole)) == 1


def test_update_writes_only_the_editable_fields(app_ctx):
    rep = make_user()
    opportunity = make_opportunity(actor=rep)
    services.update_opportunity(opportunity, actor=rep, name="  Renamed ", amount="12.345", next_step=" Call ",
                                stage_id=999, probability=3, deleted_at="now")
    assert (opportunity.name, opportunity.amount, opportunity.next_step) == ("Renamed", Decimal("12.35"), "Call")
    assert opportunity.stage.name == "Prospecting" and opportunity.probability == 10
    assert opportunity.deleted_at is None and "renamed" in opportunity.search_text


def test_guidance_is_at_most_1000_characters(app_ctx):
    prospecting = stage("Prospecting")
    services.set_guidance(prospecting, "  Ask about the budget.\nThen the timing.  ")
    assert prospecting.guidance == "Ask about the budget.\nThen the timing."
    with pytest.raises(services.GuidanceTooLong):
        services.set_guidance(prospecting, "x" * 1001)
    services.set_guidance(prospecting, "")
    assert prospecting.guidance is None


def test_the_default_pipeline_ships_the_spec_stages_key_fields_and_loss_reasons(app_ctx):
    pipeline = services.default_pipeline()
    assert [(s.name, s.probability) for s in services.stages_of(pipeline.id)][:3] == [
        ("Prospecting", 10), ("Qualification", 10), ("Needs Analysis", 20)]
    assert stage("Needs Analysis").key_fields == ["amount", "next_step", "description"]
    assert stage("Needs Analysis").guidance and stage("Closed Won").key_fields == []
    assert "Lost to Competitor" in services.loss_reasons()


@pytest.mark.parametrize(("language", "typed", "amount"), [
    ("en", "8,000.50", Decimal("8000.50")), ("en", "8000.5", Decimal("8000.5")), ("en", "8 000", Decimal("8000")),
    ("fr", "8 000,50", Decimal("8000.50")), ("fr", "8000,5", Decimal("8000.5")), ("fr", "8000.5", Decimal("8000.5")),
    ("en", "8000,5", None), ("fr", "8,000.50", None), ("fr", "huit", None),
])
def test_amounts_are_read_in_the_readers_notation(app, language, typed, amount):
    with app.test_request_context(headers={"Accept-Language": language}):
        if amount is None:
            with pytest.raises(services.InvalidAmount):
                services.parse_amount(typed)
        else:
            assert services.parse_amount(typed) == amount
