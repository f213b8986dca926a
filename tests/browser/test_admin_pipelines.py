"""Pipelines in a browser: a second pipeline, a stage edited in its row, a stage in use deleted; phone layout."""

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, Pipeline, Stage
from tests.browser.conftest import settled, sign_in
from tests.factories import make_opportunity

pytestmark = pytest.mark.browser


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def stage_of(app, pipeline_name: str, stage_name: str) -> Stage:
    with app.app_context():
        stage = db.session.scalar(sa.select(Stage).join(Stage.pipeline)
                                  .where(Pipeline.name == pipeline_name, Stage.name == stage_name))
        db.session.expunge(stage)
        return stage


def deals_at(app, pipeline_name: str, stage_name: str, n: int) -> list[int]:
    with app.app_context():
        stage = db.session.scalar(sa.select(Stage).join(Stage.pipeline)
                                  .where(Pipeline.name == pipeline_name, Stage.name == stage_name))
        return [make_opportunity(stage=stage).id for _ in range(n)]


def test_a_second_pipeline_with_its_own_stages(page, screen, app, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/admin/pipelines")
    nav = page.get_by_role("navigation", name="Administration")
    expect(nav.get_by_role("link", name="Pipelines")).to_have_attribute("aria-current", "page")
    page.evaluate("window.__sameDocument = true")

    # A second pipeline, its stages copied from the default one.
    page.get_by_label("Name").fill("Standard")
    page.get_by_role("button", name="Add the pipeline").click()
    expect(page.locator("#name-error")).to_have_text("A pipeline with this name already exists.")
    page.get_by_label("Name").fill("Bulk retail orders")
    expect(page.get_by_label("Copy the stages of")).to_have_value("1")
    page.get_by_role("button", name="Add the pipeline").click()
    expect(page.get_by_text("Pipeline Bulk retail orders added.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("")
    row = page.locator("#pipeline-list tr", has_text="Bulk retail orders")
    expect(row.locator("td[data-label='Stages']")).to_have_text("10")
    assert page.evaluate("window.__sameDocument === true")  # both answers were swaps
    if screen == "phone":
        assert no_horizontal_scroll(page)

    deals = deals_at(app, "Bulk retail orders", "Needs Analysis", 2)
    qualification = stage_of(app, "Bulk retail orders", "Qualification")
    needs = stage_of(app, "Bulk retail orders", "Needs Analysis")
    page.get_by_role("link", name="Edit the stages of Bulk retail orders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline Bulk retail orders")
    page.evaluate("window.__sameDocument = true")

    # Edit a stage in its row: probability and key fields; six key fields are one too many.
    page.get_by_role("link", name="Edit Qualification").click()
    editing = page.locator(f"#stage-{qualification.id}")
    expect(editing).to_have_class("editing")
    expect(editing.get_by_label("Name")).to_be_focused()  # keyboard users land in the form
    settled(page)  # (htmx focuses Name again as it settles: typing before can land there)
    editing.get_by_role("spinbutton", name="Probability (%)").fill("15")
    editing.get_by_role("checkbox", name="Probability (%)").check()
    editing.get_by_role("checkbox", name="Lead source").check()
    editing.get_by_role("checkbox", name="Description").check()
    editing.get_by_role("button", name="Save").click()
    expect(page.locator(f"#stage-{qualification.id}-key_fields-error")).to_have_text("Choose at most 5 key fields.")
    expect(editing.get_by_role("spinbutton", name="Probability (%)")).to_have_value("15")  # what was typed stays
    editing.get_by_role("checkbox", name="Description").uncheck()
    editing.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Stage Qualification saved.")).to_be_visible()
    shown = page.locator(f"#stage-{qualification.id}")
    expect(shown.locator("td[data-label='Probability']")).to_have_text("15 %")
    expect(shown.locator("td[data-label='Key fields']")).to_have_text(
        "Amount, Close date, Probability (%), Next step, Lead source")
    expect(page.get_by_role("link", name="Edit Qualification")).to_be_visible()

    # Delete a stage in use: its deals must go somewhere first.
    page.get_by_role("link", name="Delete… Needs Analysis").click()
    deleting = page.locator(f"#stage-{needs.id}")
    expect(deleting).to_contain_text("2 opportunities are at this stage")
    deleting.get_by_role("button", name="Delete the stage").click()
    expect(deleting.locator(".field-error")).to_have_text(
        "2 opportunities are at this stage: choose the stage to move them to.")
    deleting.get_by_label("Move its opportunities to").select_option(label="Qualification")
    deleting.get_by_role("button", name="Delete the stage").click()
    expect(page.get_by_text("Stage Needs Analysis deleted; 2 opportunities moved to Qualification.")).to_be_visible()
    expect(page.locator("#stage-list td.label")).to_have_count(9)
    expect(page.locator(f"#stage-{qualification.id} td[data-label='Opportunities']")).to_have_text("2")
    assert page.evaluate("window.__sameDocument === true")

    with app.app_context():
        moved = [db.session.get(Opportunity, i) for i in deals]
        assert {(o.stage_id, o.probability) for o in moved} == {(qualification.id, 15)}
        history = db.session.scalars(sa.select(OpportunityStageHistory.to_stage).where(
            OpportunityStageHistory.from_stage == "Needs Analysis")).all()
        assert history == ["Qualification", "Qualification"]
        assert db.session.get(Stage, qualification.id).key_fields == [
            "amount", "close_date", "probability", "next_step", "lead_source"]
        # The default pipeline was not touched.
        standard = db.session.scalar(sa.select(Pipeline).where(Pipeline.is_default))
        assert standard.name == "Standard" and len(standard.stages) == 10
    if screen == "phone":
        assert no_horizontal_scroll(page)
        box = page.get_by_role("button", name="Move Qualification down").bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44
        box = page.get_by_role("link", name="Edit Qualification").bounding_box()
        assert box["height"] >= 44
