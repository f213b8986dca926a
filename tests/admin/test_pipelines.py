"""Pipelines and their stages: the services' rules, then the admin pages over HTTP."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.admin import pipelines_services as services
from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, Pipeline, Stage
from crm.models.user import utcnow
from crm.opportunities import services as opportunities
from crm.opportunities.services import GuidanceTooLong
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_opportunity, make_user

HX = {"HX-Request": "true"}
STANDARD = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
            "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost"]


def standard() -> Pipeline:
    return db.session.scalar(sa.select(Pipeline).where(Pipeline.name == "Standard"))


def stage_named(name: str, pipeline: Pipeline | None = None) -> Stage:
    pipeline = pipeline or standard()
    return db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == pipeline.id, Stage.name == name))


def stage_names(pipeline: Pipeline | None = None) -> list[str]:
    return [s.name for s in services.stages(pipeline or standard())]


def defaults() -> list[str]:
    return list(db.session.scalars(sa.select(Pipeline.name).where(Pipeline.is_default)))


def deal(stage_name: str, pipeline: Pipeline | None = None, **fields) -> Opportunity:
    stage = stage_named(stage_name, pipeline)
    if stage.is_lost:
        fields.setdefault("loss_reason", "Price")
    return make_opportunity(stage=stage, **fields)


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def stage_fields(**overrides) -> dict:
    return {"name": "Site visit", "probability": 40, "forecast_category": "Pipeline", "is_closed": False,
            "is_won": False, "guidance": "", "key_fields": ["amount"]} | overrides


# Services: pipelines

def test_a_new_pipeline_copies_the_stages_of_another(app_ctx):
    bulk = services.create_pipeline(name="  Bulk retail orders ", source=standard())
    db.session.commit()
    assert bulk.name == "Bulk retail orders" and not bulk.is_default
    copied, original = services.stages(bulk), services.stages(standard())
    assert [s.name for s in copied] == STANDARD
    assert [s.position for s in copied] == list(range(1, 11))
    for new, old in zip(copied, original, strict=True):
        assert new.id != old.id and new.pipeline_id == bulk.id
        assert (new.probability, new.forecast_category, new.is_closed, new.is_won, new.guidance, new.key_fields) == \
               (old.probability, old.forecast_category, old.is_closed, old.is_won, old.guidance, old.key_fields)
    assert stage_named("Negotiation/Review", bulk).key_fields == ["amount", "close_date", "probability", "next_step"]
    with pytest.raises(services.NameTaken):
        services.create_pipeline(name="BULK RETAIL ORDERS", source=standard())


def test_switching_the_default_pipeline_leaves_exactly_one(app_ctx):
    bulk = services.create_pipeline(name="Bulk", source=standard())
    services.set_default_pipeline(bulk)
    db.session.commit()
    assert defaults() == ["Bulk"]
    assert opportunities.default_pipeline().id == bulk.id
    # Back to the pipeline with the lower id: the old flag must be cleared first (partial unique index).
    services.set_default_pipeline(standard())
    db.session.commit()
    assert defaults() == ["Standard"]


def test_a_pipeline_in_use_or_the_default_is_not_deleted(app_ctx):
    bulk = services.create_pipeline(name="Bulk", source=standard())
    db.session.commit()
    binned = deal("Prospecting", bulk)
    opportunities.delete_opportunity(binned, actor=make_user())  # the recycle bin still holds it
    db.session.commit()
    with pytest.raises(services.PipelineInUse) as raised:
        services.delete_pipeline(bulk)
    assert raised.value.count == 1
    with pytest.raises(services.DefaultPipeline):
        services.delete_pipeline(standard())
    db.session.rollback()
    assert count(Stage, Stage.pipeline_id == bulk.id) == 10


def test_an_unused_pipeline_is_deleted_with_its_stages(app_ctx):
    bulk = services.create_pipeline(name="Bulk", source=standard())
    small = services.create_pipeline(name="Small custom orders", source=standard())
    db.session.commit()
    bulk_id = bulk.id
    services.delete_pipeline(bulk)
    db.session.commit()
    assert db.session.get(Pipeline, bulk_id) is None
    assert count(Stage, Stage.pipeline_id == bulk_id) == 0
    assert [p.name for p in services.pipelines()] == ["Standard", "Small custom orders"]
    assert [p.position for p in services.pipelines()] == [1, 2] and small.position == 2


def test_open_opportunity_counts_skip_closed_and_binned_deals(app_ctx):
    bulk = services.create_pipeline(name="Bulk", source=standard())
    db.session.commit()
    deal("Prospecting")
    deal("Qualification")
    deal("Closed Won")
    deal("Closed Lost", bulk)
    deal("Prospecting", bulk)
    opportunities.delete_opportunity(deal("Prospecting", bulk), actor=make_user())
    db.session.commit()
    assert services.open_opportunity_counts() == {standard().id: 2, bulk.id: 1}
    assert services.stage_counts() == {standard().id: 10, bulk.id: 10}


# Services: stages

def test_an_open_stage_is_added_before_the_closed_ones_and_a_closed_one_last(app_ctx):
    services.add_stage(standard(), **stage_fields(name="  Site visit ", key_fields=["next_step", "amount"]))
    assert stage_names()[-3:] == ["Site visit", "Closed Won", "Closed Lost"]
    assert stage_named("Site visit").key_fields == ["amount", "next_step"]  # in the form's order
    services.add_stage(standard(), **stage_fields(name="Closed - Duplicate", probability=0, is_closed=True))
    assert stage_names()[-1] == "Closed - Duplicate" and stage_named("Closed - Duplicate").is_lost
    assert [s.position for s in services.stages(standard())] == list(range(1, 13))
    with pytest.raises(services.NameTaken):
        services.add_stage(standard(), **stage_fields(name="site VISIT"))
    bulk = services.create_pipeline(name="Bulk", source=standard())
    services.add_stage(bulk, **stage_fields(name="Pallet check"))  # another pipeline has its own names
    assert "Pallet check" not in stage_names()


def test_a_stage_that_is_won_is_closed(app_ctx):
    stage = services.add_stage(standard(), **stage_fields(name="Won on renewal", probability=100, is_won=True))
    assert stage.is_closed and stage.is_won and stage_names()[-1] == "Won on renewal"


def test_stage_values_outside_the_rules_are_refused(app_ctx):
    prospecting = stage_named("Prospecting")
    with pytest.raises(services.InvalidStage):
        services.update_stage(prospecting, key_fields=["amount", "close_date", "probability", "next_step",
                                                       "lead_source", "description"])
    with pytest.raises(services.InvalidStage):
        services.update_stage(prospecting, key_fields=["password"])
    with pytest.raises(services.InvalidStage):
        services.update_stage(prospecting, probability=101)
    with pytest.raises(services.InvalidStage):
        services.update_stage(prospecting, forecast_category="Maybe")
    with pytest.raises(GuidanceTooLong):
        services.update_stage(prospecting, guidance="x" * 1001)
    db.session.rollback()
    services.update_stage(prospecting, guidance="  " + "x" * 1000 + "  ")
    assert len(prospecting.guidance) == 1000


def test_deals_follow_their_stage_probability_unless_set_by_hand(app_ctx):
    follows = deal("Qualification")
    own = deal("Qualification", probability=35)
    binned = deal("Qualification")
    opportunities.delete_opportunity(binned, actor=make_user())
    elsewhere = deal("Prospecting")
    db.session.commit()
    assert (follows.probability, own.probability, own.probability_overridden) == (10, 35, True)
    assert services.update_stage(stage_named("Qualification"), probability=25) == 2
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Opportunity, follows.id).probability == 25
    assert db.session.get(Opportunity, binned.id).probability == 25
    assert db.session.get(Opportunity, own.id).probability == 35
    assert db.session.get(Opportunity, elsewhere.id).probability == 10
    assert services.update_stage(stage_named("Qualification"), name="Qualified") == 0  # no probability change


def test_a_pipeline_keeps_an_open_a_won_and_a_lost_stage(app_ctx):
    with pytest.raises(services.StageKindNeeded) as raised:
        services.update_stage(stage_named("Closed Won"), is_closed=True, is_won=False)
    assert raised.value.kind == "won"
    with pytest.raises(services.StageKindNeeded) as raised:
        services.delete_stage(stage_named("Closed Lost"))
    assert raised.value.kind == "lost"
    bulk = services.create_pipeline(name="Bulk", source=standard())
    for name in STANDARD[1:8]:
        services.delete_stage(stage_named(name, bulk))
    assert stage_names(bulk) == ["Prospecting", "Closed Won", "Closed Lost"]
    with pytest.raises(services.StageKindNeeded) as raised:
        services.delete_stage(stage_named("Prospecting", bulk))
    assert raised.value.kind == "open"
    with pytest.raises(services.StageKindNeeded):
        services.update_stage(stage_named("Prospecting", bulk), is_closed=True)
    # A second won stage: now either won stage may go.
    services.add_stage(bulk, **stage_fields(name="Won by phone", probability=100, is_closed=True, is_won=True))
    services.delete_stage(stage_named("Closed Won", bulk))
    assert stage_names(bulk) == ["Prospecting", "Closed Lost", "Won by phone"]


def test_closing_or_reopening_a_stage_with_deals_is_refused(app_ctx):
    deal("Perception Analysis")
    with pytest.raises(services.StageInUse) as raised:
        services.update_stage(stage_named("Perception Analysis"), is_closed=True)
    assert raised.value.count == 1
    db.session.rollback()
    assert not stage_named("Perception Analysis").is_closed
    services.update_stage(stage_named("Needs Analysis"), is_closed=True)  # no deal there
    assert stage_named("Needs Analysis").is_lost


def test_a_stage_with_deals_is_deleted_only_by_moving_them(app_ctx):
    actor = make_user(email="mover@example.com")
    follows = deal("Value Proposition", amount="1200")
    own = deal("Value Proposition", probability=35)
    binned = deal("Value Proposition")
    opportunities.delete_opportunity(binned, actor=actor)
    untouched = deal("Needs Analysis")
    db.session.execute(sa.update(Opportunity).where(Opportunity.id == follows.id)
                       .values(stage_entered_at=utcnow() - timedelta(days=12, hours=1)))
    db.session.commit()
    value_proposition = stage_named("Value Proposition")
    old_id = value_proposition.id
    with pytest.raises(services.StageInUse) as raised:
        services.delete_stage(value_proposition)
    assert raised.value.count == 3
    with pytest.raises(services.InvalidTarget):  # a closed stage would close the deals
        services.delete_stage(value_proposition, move_to=stage_named("Closed Lost"), actor=actor)
    db.session.rollback()

    before = utcnow()
    target = stage_named("Id. Decision Makers")
    assert services.delete_stage(stage_named("Value Proposition"), move_to=target, actor=actor) == 3
    db.session.commit()
    db.session.expire_all()
    assert "Value Proposition" not in stage_names()
    assert [s.position for s in services.stages(standard())] == list(range(1, 10))
    moved = {o.id: o for o in db.session.scalars(sa.select(Opportunity).where(Opportunity.stage_id == target.id))}
    assert set(moved) == {follows.id, own.id, binned.id}
    assert moved[follows.id].probability == 60 and moved[binned.id].probability == 60
    assert moved[own.id].probability == 35 and moved[own.id].probability_overridden
    assert all(o.stage_entered_at >= before and o.updated_by_id == actor.id for o in moved.values())
    assert db.session.get(Opportunity, untouched.id).stage.name == "Needs Analysis"
    rows = {h.opportunity_id: h for h in db.session.scalars(
        sa.select(OpportunityStageHistory).where(OpportunityStageHistory.to_stage == "Id. Decision Makers"))}
    assert set(rows) == {follows.id, own.id, binned.id}
    row = rows[follows.id]
    assert (row.from_stage, row.from_stage_id, row.to_stage_id) == ("Value Proposition", None, target.id)
    assert (row.amount, row.probability, row.days_in_previous, row.changed_by_id) == (1200, 60, 12, actor.id)
    assert rows[own.id].probability == 35
    # The creation rows keep the deleted stage's name; their link to it is cleared.
    created = db.session.scalars(sa.select(OpportunityStageHistory).where(
        OpportunityStageHistory.opportunity_id == follows.id, OpportunityStageHistory.from_stage.is_(None))).one()
    assert (created.to_stage, created.to_stage_id) == ("Value Proposition", None)
    assert count(Stage, Stage.id == old_id) == 0


def test_deals_moved_to_a_closed_stage_take_its_probability(app_ctx):
    services.add_stage(standard(), **stage_fields(name="Lost to silence", probability=5, is_closed=True))
    db.session.commit()
    own = deal("Lost to silence", probability=3)
    assert own.probability == 5  # a closed stage sets it at creation anyway
    db.session.execute(sa.update(Opportunity).where(Opportunity.id == own.id)
                       .values(probability=3, probability_overridden=True))
    db.session.commit()
    services.delete_stage(stage_named("Lost to silence"), move_to=stage_named("Closed Lost"), actor=None)
    db.session.commit()
    db.session.expire_all()
    moved = db.session.get(Opportunity, own.id)
    assert (moved.stage.name, moved.probability, moved.probability_overridden) == ("Closed Lost", 0, False)
    assert moved.loss_reason == "Price"  # lost to lost: the reason stays


def test_moving_deals_is_a_fixed_number_of_statements(app_ctx):
    for _ in range(25):
        deal("Qualification")
    statements = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        moved = services.move_deals(stage_named("Qualification"), stage_named("Prospecting"), actor=None)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    assert moved == 25
    # Two INSERT ... SELECT (the stage history, the field history: crm/audit.py), one UPDATE.
    assert len(statements) == 3
    assert count(Opportunity, Opportunity.stage_id == stage_named("Prospecting").id) == 25


def test_move_a_stage_up_and_down(app_ctx):
    assert services.move_stage(stage_named("Qualification"), "up")
    assert stage_names()[:2] == ["Qualification", "Prospecting"]
    assert not services.move_stage(stage_named("Closed Lost"), "down")
    assert [s.position for s in services.stages(standard())] == list(range(1, 11))


# HTTP

def post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/")}, **kwargs)


def check(app, query):
    with app.app_context():
        return query()


def ids(app, name: str, pipeline_name: str = "Standard") -> tuple[int, int]:
    """(pipeline id, stage id) of a stage."""
    def query():
        pipeline = db.session.scalar(sa.select(Pipeline).where(Pipeline.name == pipeline_name))
        return pipeline.id, stage_named(name, pipeline).id
    return check(app, query)


def stored_deal(app, stage_name: str, pipeline_name: str = "Standard", **fields) -> int:
    def make():
        pipeline = db.session.scalar(sa.select(Pipeline).where(Pipeline.name == pipeline_name))
        return deal(stage_name, pipeline, **fields).id
    return check(app, make)


def edit_data(stage_id: int, **overrides) -> dict:
    data = {"name": "Prospecting", "probability": "10", "forecast_category": "Pipeline",
            "guidance": "Find the need.", "key_fields": ["amount", "close_date"]} | overrides
    return {f"stage-{stage_id}-{key}": value for key, value in data.items()}


@pytest.mark.parametrize(("path", "list_id", "expected"), [
    ("/admin/pipelines", "pipeline-list", "Standard"),
    ("/admin/pipelines/1", "stage-list", "Negotiation/Review"),
])
def test_each_list_is_a_page_and_a_fragment(admin_client, path, list_id, expected):
    page = admin_client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert f'id="{list_id}"' in html and expected in html
    assert '<a href="/admin/pipelines" aria-current' in html  # the admin navigation links here
    fragment = admin_client.get(path, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<div id="{list_id}"') and expected in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_pipelines_page_counts_stages_and_open_deals(app, admin_client):
    stored_deal(app, "Prospecting")
    stored_deal(app, "Closed Won")
    html = admin_client.get("/admin/pipelines").get_data(as_text=True)
    assert '<td data-label="Stages">10</td>' in html
    assert '<td data-label="Open opportunities">1</td>' in html
    assert '<span class="badge ok" id="pipeline-1-default" tabindex="-1">Default</span>' in html
    assert '<a href="/admin/pipelines" aria-current="page">Pipelines</a>' in html


ADMIN_URLS = [
    ("get", "/admin/pipelines"), ("post", "/admin/pipelines"), ("post", "/admin/pipelines/1/default"),
    ("post", "/admin/pipelines/1/delete"), ("get", "/admin/pipelines/1"), ("post", "/admin/pipelines/1/rename"),
    ("post", "/admin/pipelines/1/stages"), ("get", "/admin/pipelines/1/stages/2"),
    ("get", "/admin/pipelines/1/stages/2/edit"), ("post", "/admin/pipelines/1/stages/2/edit"),
    ("post", "/admin/pipelines/1/stages/2/move"), ("get", "/admin/pipelines/1/stages/2/delete"),
    ("post", "/admin/pipelines/1/stages/2/delete"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_URLS)
def test_reps_and_managers_get_403(app, client, method, path):
    stored(app, make_user, email="boss@example.com", role="manager")
    stored(app, make_user, email="rep@example.com", role="rep")
    for email in ("boss@example.com", "rep@example.com"):
        login(client, email, PASSWORD)
        if method == "get":
            assert client.get(path).status_code == 403
        else:
            data = {"name": "Hacked", "pipeline-name": "Hacked", "direction": "up", "source_id": "1",
                    "probability": "5", "forecast_category": "Pipeline"}
            assert post(client, path, data).status_code == 403
        post(client, "/logout")
    assert check(app, lambda: [p.name for p in services.pipelines()]) == ["Standard"]
    assert check(app, stage_names) == STANDARD


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/pipelines").status_code == 302
    assert client.get("/admin/pipelines/1").status_code == 302


def test_unknown_pipelines_and_stages_are_404(app, admin_client):
    post(admin_client, "/admin/pipelines", {"name": "Bulk", "source_id": "1"})
    bulk = ids(app, "Prospecting", "Bulk")[0]
    _, prospecting = ids(app, "Prospecting")
    assert admin_client.get("/admin/pipelines/999").status_code == 404
    assert post(admin_client, "/admin/pipelines/999/delete").status_code == 404
    # A stage is only reachable under its own pipeline.
    assert admin_client.get(f"/admin/pipelines/{bulk}/stages/{prospecting}/edit").status_code == 404
    assert post(admin_client, f"/admin/pipelines/{bulk}/stages/{prospecting}/delete").status_code == 404
    assert post(admin_client, "/admin/pipelines", {"name": "Other", "source_id": "999"}).status_code == 422


def test_posts_without_the_csrf_token_are_refused(app, admin_client):
    assert admin_client.post("/admin/pipelines", data={"name": "Sneaky", "source_id": "1"}).status_code == 400
    _, qualification = ids(app, "Qualification")
    response = admin_client.post(f"/admin/pipelines/1/stages/{qualification}/delete", headers=HX)
    assert response.status_code == 400
    assert check(app, lambda: [p.name for p in services.pipelines()]) == ["Standard"]
    assert check(app, stage_names) == STANDARD


def test_add_a_pipeline_with_htmx_refreshes_the_form_and_the_list(app, admin_client):
    response = post(admin_client, "/admin/pipelines", {"name": "Bulk retail orders", "source_id": "1"}, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="pipeline-form"') and 'id="name" maxlength="80" name="name" required ' \
                                                            'type="text" value=""' in body
    assert '<div id="pipeline-list" class="settings-list" hx-target="this" hx-swap="outerHTML" ' \
           'hx-swap-oob="true">' in body
    assert ">Bulk retail orders</a>" in body and "Make default<span" in body
    assert "Pipeline Bulk retail orders added." in body
    bulk = check(app, lambda: db.session.scalar(sa.select(Pipeline).where(Pipeline.name == "Bulk retail orders")))
    assert not bulk.is_default
    assert check(app, lambda: stage_names(db.session.get(Pipeline, bulk.id))) == STANDARD


def test_add_a_pipeline_as_a_copy_of_another_without_javascript(app, admin_client):
    post(admin_client, "/admin/pipelines", {"name": "Bulk", "source_id": "1"})
    bulk_id, prospecting = ids(app, "Prospecting", "Bulk")
    post(admin_client, f"/admin/pipelines/{bulk_id}/stages/{prospecting}/delete")
    response = post(admin_client, "/admin/pipelines", {"name": "Small custom orders", "source_id": str(bulk_id)})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/pipelines"
    assert check(app, lambda: stage_names(db.session.scalar(
        sa.select(Pipeline).where(Pipeline.name == "Small custom orders")))) == STANDARD[1:]


@pytest.mark.parametrize(("name", "error"), [
    ("", "This field is required."),
    ("x" * 81, "Field cannot be longer than 80 characters."),
    ("standard", "A pipeline with this name already exists."),
])
def test_invalid_pipeline_names_are_422_beside_the_field(app, admin_client, name, error):
    response = post(admin_client, "/admin/pipelines", {"name": name, "source_id": "1"}, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="pipeline-form"') and "<html" not in body
    assert f'<p class="field-error" id="name-error">{error}</p>' in body
    assert check(app, lambda: count(Pipeline)) == 1


def test_make_another_pipeline_the_default(app, admin_client):
    post(admin_client, "/admin/pipelines", {"name": "Bulk", "source_id": "1"})
    bulk_id = ids(app, "Prospecting", "Bulk")[0]
    response = post(admin_client, f"/admin/pipelines/{bulk_id}/default", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="pipeline-list"')
    assert "New opportunities now start in the pipeline Bulk." in body
    assert f'<span class="badge ok" id="pipeline-{bulk_id}-default" tabindex="-1">Default</span>' in body
    assert check(app, defaults) == ["Bulk"]
    response = post(admin_client, "/admin/pipelines/1/default")
    assert response.status_code == 303 and check(app, defaults) == ["Standard"]


def test_a_pipeline_in_use_is_not_deleted(app, admin_client):
    post(admin_client, "/admin/pipelines", {"name": "Bulk", "source_id": "1"})
    bulk_id = ids(app, "Prospecting", "Bulk")[0]
    binned = stored_deal(app, "Prospecting", "Bulk")

    def to_the_recycle_bin():
        opportunities.delete_opportunity(db.session.get(Opportunity, binned), actor=make_user())
        db.session.commit()

    check(app, to_the_recycle_bin)
    response = post(admin_client, f"/admin/pipelines/{bulk_id}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Bulk cannot be deleted: 1 opportunity uses it (the recycle bin included)." in body
    response = post(admin_client, "/admin/pipelines/1/delete", headers=HX)
    assert "Standard is the default pipeline: make another pipeline the default first." in response.get_data(
        as_text=True)
    assert check(app, lambda: count(Pipeline)) == 2


def test_delete_an_unused_pipeline(app, admin_client):
    post(admin_client, "/admin/pipelines", {"name": "Bulk", "source_id": "1"})
    bulk_id = ids(app, "Prospecting", "Bulk")[0]
    response = post(admin_client, f"/admin/pipelines/{bulk_id}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "Pipeline Bulk deleted." in body
    assert 'tabindex="-1" autofocus' in body and ">Bulk</a>" not in body
    assert check(app, lambda: (count(Pipeline), count(Stage))) == (1, 10)


def test_rename_a_pipeline(app, admin_client):
    page = admin_client.get("/admin/pipelines/1").get_data(as_text=True)
    assert 'id="pipeline-name" maxlength="80" name="pipeline-name" required type="text" value="Standard"' in page
    response = post(admin_client, "/admin/pipelines/1/rename", {"pipeline-name": "Small custom orders"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/pipelines/1"
    assert check(app, lambda: db.session.get(Pipeline, 1).name) == "Small custom orders"
    post(admin_client, "/admin/pipelines", {"name": "Bulk", "source_id": "1"})
    response = post(admin_client, "/admin/pipelines/1/rename", {"pipeline-name": "BULK"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.startswith('<form id="pipeline-name-form"')
    assert '<p class="field-error" id="pipeline-name-error">A pipeline with this name already exists.</p>' in body
    assert check(app, lambda: db.session.get(Pipeline, 1).name) == "Small custom orders"


def test_add_a_stage_with_htmx(app, admin_client):
    data = {"name": "Site visit", "probability": "40", "forecast_category": "Best Case",
            "guidance": "Walk the warehouse.", "key_fields": ["amount", "next_step"]}
    response = post(admin_client, "/admin/pipelines/1/stages", data, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<form id="stage-form"')
    assert 'hx-swap-oob="true"' in body and "Move Site visit up" in body and "Stage Site visit added." in body
    stage = check(app, lambda: stage_named("Site visit"))
    assert (stage.probability, stage.forecast_category, stage.guidance, stage.key_fields) == \
           (40, "Best Case", "Walk the warehouse.", ["amount", "next_step"])
    assert check(app, stage_names)[-3] == "Site visit"


@pytest.mark.parametrize(("data", "field", "error"), [
    ({"name": ""}, "name", "This field is required."),
    ({"name": "qualification"}, "name", "This pipeline already has a stage with this name."),
    ({"probability": ""}, "probability", "Give a whole number between 0 and 100."),
    ({"probability": "abc"}, "probability", "Give a whole number between 0 and 100."),
    ({"probability": "101"}, "probability", "Give a whole number between 0 and 100."),
    ({"probability": "12.5"}, "probability", "Give a whole number between 0 and 100."),
    ({"forecast_category": "Maybe"}, "forecast_category", "Not a valid choice."),
    ({"is_won": "y"}, "is_won", "A won stage is closed too: tick Closed as well."),
    ({"guidance": "x" * 1001}, "guidance", "The guidance can be at most 1,000 characters long."),
    ({"key_fields": ["amount", "close_date", "probability", "next_step", "lead_source", "description"]},
     "key_fields", "Choose at most 5 key fields."),
    ({"key_fields": ["password"]}, "key_fields", "is not a valid choice"),
])
def test_invalid_stages_are_422_beside_the_field(app, admin_client, data, field, error):
    data = {"name": "Site visit", "probability": "40", "forecast_category": "Pipeline"} | data
    response = post(admin_client, "/admin/pipelines/1/stages", data, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="stage-form"') and "<html" not in body
    assert f'<p class="field-error" id="{field}-error">' in body and error in body
    assert check(app, stage_names) == STANDARD


def test_invalid_stage_without_javascript_is_the_whole_page(admin_client):
    response = post(admin_client, "/admin/pipelines/1/stages", {"name": "Site visit", "probability": "140",
                                                                "forecast_category": "Pipeline"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html and 'id="stage-list"' in html
    assert '<p class="field-error" id="probability-error">Give a whole number between 0 and 100.</p>' in html
    assert 'value="Site visit"' in html


def test_edit_a_stage_in_place(app, admin_client):
    _, prospecting = ids(app, "Prospecting")
    follows = stored_deal(app, "Prospecting")
    own = stored_deal(app, "Prospecting", probability=55)
    response = admin_client.get(f"/admin/pipelines/1/stages/{prospecting}/edit", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith(f'<tr id="stage-{prospecting}" class="editing">')
    assert response.headers["HX-Retarget"] == f"#stage-{prospecting}"
    assert f'name="stage-{prospecting}-probability" required type="number" value="10"' in body
    assert f'checked id="stage-{prospecting}-key_fields-0"' in body  # amount, as shipped

    data = edit_data(prospecting, probability="15", key_fields=["probability", "amount"], guidance="Call them.")
    response = post(admin_client, f"/admin/pipelines/1/stages/{prospecting}/edit", data, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith(f'<tr id="stage-{prospecting}">')
    assert '<td data-label="Probability">15 %</td>' in body
    assert '<td data-label="Key fields">Amount, Probability (%)</td>' in body
    assert "Stage Prospecting saved." in body and "1 opportunity now has the stage&#39;s new probability." in body
    stage = check(app, lambda: db.session.get(Stage, prospecting))
    assert (stage.probability, stage.key_fields, stage.guidance) == (15, ["amount", "probability"], "Call them.")
    assert check(app, lambda: db.session.get(Opportunity, follows).probability) == 15
    assert check(app, lambda: db.session.get(Opportunity, own).probability) == 55

    # Cancel: the row as it is.
    row = admin_client.get(f"/admin/pipelines/1/stages/{prospecting}", headers=HX).get_data(as_text=True)
    assert row.startswith(f'<tr id="stage-{prospecting}">') and "15 %" in row


def test_edit_a_stage_without_javascript(app, admin_client):
    _, prospecting = ids(app, "Prospecting")
    page = admin_client.get(f"/admin/pipelines/1/stages/{prospecting}/edit").get_data(as_text=True)
    assert "<html" in page and f'<tr id="stage-{prospecting}" class="editing">' in page
    assert 'id="stage-list"' in page and 'id="stage-form"' in page
    response = post(admin_client, f"/admin/pipelines/1/stages/{prospecting}/edit",
                    edit_data(prospecting, name="Lead in"))
    assert response.status_code == 303 and response.headers["Location"] == "/admin/pipelines/1"
    assert check(app, lambda: db.session.get(Stage, prospecting).name) == "Lead in"


@pytest.mark.parametrize(("overrides", "field", "error"), [
    ({"name": "Qualification"}, "name", "This pipeline already has a stage with this name."),
    ({"probability": "-1"}, "probability", "Give a whole number between 0 and 100."),
    ({"key_fields": list(services.KEY_FIELDS)}, "key_fields", "Choose at most 5 key fields."),
    ({"is_closed": "y"}, "is_closed", "1 opportunity is at this stage: move it to another stage"),
])
def test_invalid_stage_edits_are_422_in_the_row(app, admin_client, overrides, field, error):
    _, prospecting = ids(app, "Prospecting")
    stored_deal(app, "Prospecting")
    response = post(admin_client, f"/admin/pipelines/1/stages/{prospecting}/edit",
                    edit_data(prospecting, **overrides), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.startswith(f'<tr id="stage-{prospecting}" class="editing">')
    assert f'<p class="field-error" id="stage-{prospecting}-{field}-error">' in body and error in body
    stage = check(app, lambda: db.session.get(Stage, prospecting))
    assert (stage.name, stage.probability, stage.is_closed, stage.key_fields) == \
           ("Prospecting", 10, False, ["amount", "close_date", "next_step"])


def test_the_last_won_stage_stays_won(app, admin_client):
    _, won = ids(app, "Closed Won")
    data = edit_data(won, name="Closed Won", probability="100", forecast_category="Closed", is_closed="y")
    response = post(admin_client, f"/admin/pipelines/1/stages/{won}/edit", data, headers=HX)
    assert response.status_code == 422
    assert f'<p class="field-error" id="stage-{won}-is_won-error">A pipeline needs at least one won stage: ' \
           'this is its last one.</p>' in response.get_data(as_text=True)
    assert check(app, lambda: db.session.get(Stage, won).is_won)


def test_move_a_stage_with_htmx(app, admin_client):
    _, qualification = ids(app, "Qualification")
    response = post(admin_client, f"/admin/pipelines/1/stages/{qualification}/move", {"direction": "up"},
                    headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="stage-list"')
    assert body.index("Move Qualification up") < body.index("Move Prospecting up")
    assert "Qualification moved up." in body
    assert check(app, stage_names)[:2] == ["Qualification", "Prospecting"]
    assert post(admin_client, f"/admin/pipelines/1/stages/{qualification}/move",
                {"direction": "sideways"}).status_code == 400


def test_delete_an_unused_stage(app, admin_client):
    _, needs = ids(app, "Needs Analysis")
    response = post(admin_client, f"/admin/pipelines/1/stages/{needs}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="stage-list"')
    assert response.headers["HX-Retarget"] == "#stage-list"
    assert "Stage Needs Analysis deleted." in body
    assert "Needs Analysis" not in check(app, stage_names)


def test_delete_a_stage_in_use_by_moving_its_deals(app, admin_client, admin):
    _, needs = ids(app, "Needs Analysis")
    _, qualification = ids(app, "Qualification")
    deals = [stored_deal(app, "Needs Analysis") for _ in range(2)]
    page = admin_client.get("/admin/pipelines/1").get_data(as_text=True)
    assert f'<a href="/admin/pipelines/1/stages/{needs}/delete" hx-get=' in page  # asks first, in the row

    form = admin_client.get(f"/admin/pipelines/1/stages/{needs}/delete", headers=HX).get_data(as_text=True)
    assert form.startswith(f'<tr id="stage-{needs}" class="deleting">')
    assert "2 opportunities are at this stage" in form
    assert f'<option value="{qualification}">Qualification</option>' in form
    assert ">Closed Won</option>" not in form  # only stages of the same kind

    response = post(admin_client, f"/admin/pipelines/1/stages/{needs}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.startswith(f'<tr id="stage-{needs}" class="deleting">')
    assert response.headers["HX-Retarget"] == f"#stage-{needs}"
    assert "2 opportunities are at this stage: choose the stage to move them to." in body
    assert "Needs Analysis" in check(app, stage_names)

    response = post(admin_client, f"/admin/pipelines/1/stages/{needs}/delete",
                    {f"stage-{needs}-move_to": str(qualification)}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="stage-list"')
    assert "Stage Needs Analysis deleted; 2 opportunities moved to Qualification." in body
    assert "Needs Analysis" not in check(app, stage_names)
    moved = check(app, lambda: [db.session.get(Opportunity, i) for i in deals])
    assert all(o.stage_id == qualification and o.probability == 10 for o in moved)
    history = check(app, lambda: db.session.scalars(sa.select(OpportunityStageHistory).where(
        OpportunityStageHistory.from_stage == "Needs Analysis")).all())
    assert sorted(h.opportunity_id for h in history) == sorted(deals)
    assert {h.changed_by_id for h in history} == {admin.id}


def test_the_last_lost_stage_is_not_deleted(app, admin_client):
    _, lost = ids(app, "Closed Lost")
    response = post(admin_client, f"/admin/pipelines/1/stages/{lost}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="stage-list"')
    assert "A pipeline needs at least one lost stage (closed, not won): this is its last one." in body
    assert "Closed Lost" in check(app, stage_names)


def test_delete_a_stage_in_use_without_javascript(app, admin_client):
    _, needs = ids(app, "Needs Analysis")
    _, prospecting = ids(app, "Prospecting")
    stored_deal(app, "Needs Analysis")
    page = admin_client.get(f"/admin/pipelines/1/stages/{needs}/delete").get_data(as_text=True)
    assert "<html" in page and f'<tr id="stage-{needs}" class="deleting">' in page
    assert "1 opportunity is at this stage (the recycle bin included)." in page
    response = post(admin_client, f"/admin/pipelines/1/stages/{needs}/delete", {f"stage-{needs}-move_to": "0"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html
    assert f'<p class="field-error" id="stage-{needs}-move_to-error">1 opportunity is at this stage: ' \
           'choose the stage to move it to.</p>' in html
    response = post(admin_client, f"/admin/pipelines/1/stages/{needs}/delete",
                    {f"stage-{needs}-move_to": str(prospecting)})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/pipelines/1"
    assert "Stage Needs Analysis deleted; 1 opportunity moved to Prospecting." in admin_client.get(
        "/admin/pipelines/1").get_data(as_text=True)
    assert check(app, lambda: count(Opportunity, Opportunity.stage_id == prospecting)) == 1
