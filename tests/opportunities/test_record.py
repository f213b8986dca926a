"""The record page's path: selecting steps, moving along them, closing won or lost, key fields
edited in place, the stage's guidance, and the stage history."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, Stage
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import make_account, make_opportunity

HX = {"HX-Request": "true"}


def stage_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Stage.id).where(Stage.pipeline_id == 1, Stage.name == name))


def reload(app, opportunity_id: int) -> Opportunity:
    with app.app_context():
        opportunity = db.session.get(Opportunity, opportunity_id)
        db.session.expunge(opportunity)
        return opportunity


def history_count(app, opportunity_id: int) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(OpportunityStageHistory)
                                 .where(OpportunityStageHistory.opportunity_id == opportunity_id))


@pytest.fixture
def deal(app, rep):
    """Get Cloudy - 50 Custom Sneakers, 8,000 at Needs Analysis (20 %)."""
    with app.app_context():
        from crm.models import User

        user = db.session.get(User, rep.id)
        account = make_account(user, name="Get Cloudy")
        needs = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == 1, Stage.name == "Needs Analysis"))
        opportunity = make_opportunity(account=account, actor=user, stage=needs,
                                       name="Get Cloudy - 50 Custom Sneakers", amount="8000",
                                       close_date=date(2026, 12, 31))
        return opportunity.id


def current_step(html: str) -> str:
    """The text of the path's step marked aria-current="step", without its markup."""
    match = re.search(r'aria-current="step">(.*?)</a>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def post(client, path, data, headers=None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers or {})


def test_the_path_lists_the_open_stages_marks_the_current_one_and_shows_its_guidance(rep_client, deal):
    response = rep_client.get(f"/opportunities/{deal}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    path = html[html.index(f'id="opp-{deal}-path"'):]
    steps = re.findall(r'<li class="step ([^"]*)">', path)
    # Eight open stages, then the one Closed step.
    assert len(steps) == 9 and steps[0].startswith("done") and steps[1].startswith("done")
    assert steps[2].startswith("current") and "selected" in steps[2] and steps[-1].startswith("closed")
    assert current_step(path).startswith("Needs Analysis")
    assert "Mark stage as complete" in path and "Mark as current stage" not in path
    assert "Write down the customer&#39;s pains" in path  # the stage's guidance, escaped
    assert f'id="opp-{deal}-field-amount"' in path and f'id="opp-{deal}-field-description"' in path
    assert "Stage history" in html and "Contact roles" in html


def test_selecting_another_step_shows_its_guidance_as_a_fragment_or_a_page(app, rep_client, deal):
    proposal = stage_id(app, "Proposal/Price Quote")
    fragment = rep_client.get(f"/opportunities/{deal}?stage={proposal}", headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert html.strip().startswith(f'<section id="opp-{deal}-path"')
    assert "Send the quote" in html and "Mark as current stage" in html
    assert f'name="stage_id" value="{proposal}"' in html
    assert "HX-Request" in fragment.headers["Vary"]
    page = rep_client.get(f"/opportunities/{deal}?stage={proposal}").get_data(as_text=True)
    assert "<html" in page and "Send the quote" in page and "Mark as current stage" in page
    closed = rep_client.get(f"/opportunities/{deal}?stage=closed", headers=HX).get_data(as_text=True)
    assert "Close the deal as" in closed and "Closed Won" in closed and "Loss reason" in closed


def test_mark_complete_moves_to_the_next_stage_and_the_probability_follows(app, rep_client, deal):
    value_proposition = stage_id(app, "Value Proposition")
    response = post(rep_client, f"/opportunities/{deal}/stage", {"stage_id": value_proposition}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    opportunity = reload(app, deal)
    assert opportunity.stage_id == value_proposition and opportunity.probability == 50
    # The path, the header figures and the history come back in one answer.
    assert current_step(html).startswith("Value Proposition")
    assert f'id="opp-{deal}-figures" class="key-fields" hx-swap-oob="true"' in html
    assert "4,000" in html  # expected revenue: 8,000 at 50 %
    assert f'id="opp-{deal}-history"' in html and 'hx-swap-oob="true"' in html
    assert "Stage set to Value Proposition." in html  # the flash, out of band
    assert history_count(app, deal) == 2


def test_mark_as_current_without_javascript_redirects_and_the_history_shows_the_move(app, rep_client, rep, deal):
    prospecting = stage_id(app, "Prospecting")
    response = post(rep_client, f"/opportunities/{deal}/stage", {"stage_id": prospecting})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/opportunities/{deal}")
    assert reload(app, deal).probability == 10
    html = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    history = html[html.index(f'id="opp-{deal}-history"'):]
    rows = re.findall(r"<tr>(.*?)</tr>", history, re.S)[1:]
    assert len(rows) == 2
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[0], re.S)]
    # Newest first: who, from, to, amount, probability, days in the previous stage.
    assert cells[1:] == [rep.name, "Needs Analysis", "Prospecting", "8,000", "10", "0"]
    creation = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", rows[1], re.S)]
    assert creation[2:4] == ["—", "Needs Analysis"]


def test_a_probability_set_by_hand_stays_when_the_stage_moves(app, rep_client, deal):
    response = post(rep_client, f"/opportunities/{deal}/fields/probability", {"kf-probability": "35"}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "overridden" in html
    assert "2,800" in html  # the header's expected revenue, out of band
    post(rep_client, f"/opportunities/{deal}/stage", {"stage_id": stage_id(app, "Value Proposition")}, HX)
    opportunity = reload(app, deal)
    assert opportunity.probability == 35 and opportunity.probability_overridden
    # Blank gives it back to the stage.
    post(rep_client, f"/opportunities/{deal}/fields/probability", {"kf-probability": ""}, HX)
    opportunity = reload(app, deal)
    assert opportunity.probability == 50 and not opportunity.probability_overridden


def test_the_last_open_stage_offers_to_close(app, rep_client, deal):
    post(rep_client, f"/opportunities/{deal}/stage", {"stage_id": stage_id(app, "Negotiation/Review")})
    html = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    # A link to the Closed step, not a move: closing needs the won or lost choice.
    assert re.search(r'<a id="opp-\d+-path-action" class="button primary" '
                     r'href="/opportunities/\d+\?stage=closed"[^>]*>Mark stage as complete', html)


def test_close_won(app, rep_client, deal):
    response = post(rep_client, f"/opportunities/{deal}/stage",
                    {"closing": "1", "stage_id": stage_id(app, "Closed Won")}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    opportunity = reload(app, deal)
    assert opportunity.stage_id == stage_id(app, "Closed Won") and opportunity.probability == 100
    assert current_step(html).startswith("Closed Won")
    assert "To reopen the deal" in html


def test_close_lost_needs_a_reason_and_stores_nothing_without_one(app, rep_client, deal):
    lost = stage_id(app, "Closed Lost")
    for headers in (HX, {}):
        response = post(rep_client, f"/opportunities/{deal}/stage", {"closing": "1", "stage_id": lost}, headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert "Give the reason the deal was lost." in html and ("<html" in html) == (headers == {})
        assert re.search(r'class="field-error" id="opp-\d+-loss-reason-error"', html)
        assert re.search(rf'value="{lost}" checked', html)  # the choice is kept
    response = post(rep_client, f"/opportunities/{deal}/stage",
                    {"closing": "1", "stage_id": lost, "loss_reason": "Not on the list"}, HX)
    assert response.status_code == 422 and "Choose a loss reason from the list." in response.get_data(as_text=True)
    opportunity = reload(app, deal)
    assert opportunity.stage_id == stage_id(app, "Needs Analysis") and opportunity.loss_reason is None
    assert history_count(app, deal) == 1
    # No outcome chosen at all.
    response = post(rep_client, f"/opportunities/{deal}/stage", {"closing": "1"}, HX)
    assert response.status_code == 422 and "Choose how the deal closed" in response.get_data(as_text=True)


def test_close_lost_with_a_reason_then_reopen(app, rep_client, deal):
    lost = stage_id(app, "Closed Lost")
    response = post(rep_client, f"/opportunities/{deal}/stage",
                    {"closing": "1", "stage_id": lost, "loss_reason": "Price"}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Loss reason: Price" in html
    opportunity = reload(app, deal)
    assert opportunity.stage_id == lost and opportunity.loss_reason == "Price" and opportunity.probability == 0
    page = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    assert current_step(page).startswith("Closed Lost") and "· Price" in page
    # Reopen: mark an open stage as current.
    post(rep_client, f"/opportunities/{deal}/stage", {"stage_id": stage_id(app, "Negotiation/Review")}, HX)
    opportunity = reload(app, deal)
    assert opportunity.probability == 90 and opportunity.loss_reason is None
    assert history_count(app, deal) == 3


def test_a_stage_of_another_pipeline_is_refused(app, rep_client, deal):
    from crm.models import Pipeline

    with app.app_context():
        pipeline = Pipeline(name="Small orders", position=2)
        db.session.add(pipeline)
        db.session.flush()
        other = Stage(pipeline_id=pipeline.id, name="Quote", position=1, probability=30, key_fields=[])
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    response = post(rep_client, f"/opportunities/{deal}/stage", {"stage_id": other_id}, HX)
    assert response.status_code == 409
    assert reload(app, deal).stage_id == stage_id(app, "Needs Analysis")


@pytest.mark.parametrize(("name", "value", "message"), [
    ("amount", "-5", "The amount must be a number between 0"),
    ("amount", "1e30", "The amount must be a number between 0"),
    ("close_date", "31/12/2026", "Not a valid date value."),
    ("probability", "101", "The probability must be a whole number between 0 and 100."),
    ("probability", "abc", "The probability must be a whole number between 0 and 100."),
])
def test_bad_key_field_input_comes_back_beside_the_field_and_nothing_is_stored(app, rep_client, deal, name, value,
                                                                              message):
    for headers in (HX, {}):
        response = post(rep_client, f"/opportunities/{deal}/fields/{name}", {f"kf-{name}": value}, headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and message in html
        assert ("<html" in html) == (headers == {})
        assert f'id="kf-{name}-error"' in html and f'value="{value}"' in html
    opportunity = reload(app, deal)
    assert (opportunity.amount, opportunity.close_date, opportunity.probability) == (8000, date(2026, 12, 31), 20)


def test_edit_a_key_field_in_place(app, rep_client, deal):
    form = rep_client.get(f"/opportunities/{deal}/fields/next_step/edit", headers=HX)
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in html and 'name="kf-next_step"' in html
    assert "Cancel" in html
    page = rep_client.get(f"/opportunities/{deal}/fields/next_step/edit").get_data(as_text=True)
    assert "<html" in page and 'name="kf-next_step"' in page  # without JavaScript: the page, field open
    response = post(rep_client, f"/opportunities/{deal}/fields/next_step", {"kf-next_step": "Send the sizes"}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.startswith(f'<li id="opp-{deal}-field-next_step"')
    assert "Send the sizes" in html and f'id="opp-{deal}-figures"' in html
    assert reload(app, deal).next_step == "Send the sizes"
    response = post(rep_client, f"/opportunities/{deal}/fields/amount", {"kf-amount": "12000"})
    assert response.status_code == 303
    assert reload(app, deal).amount == 12000
    cancel = rep_client.get(f"/opportunities/{deal}/fields/amount", headers=HX).get_data(as_text=True)
    assert "12,000" in cancel and "Edit" in cancel
    assert rep_client.get(f"/opportunities/{deal}/fields/owner_id/edit").status_code == 404


def test_lead_source_is_a_picklist_select(app, rep_client, deal):
    html = rep_client.get(f"/opportunities/{deal}/fields/lead_source/edit", headers=HX).get_data(as_text=True)
    assert '<select' in html and '<option value="Trade Show">' in html
    post(rep_client, f"/opportunities/{deal}/fields/lead_source", {"kf-lead_source": "Trade Show"}, HX)
    assert reload(app, deal).lead_source == "Trade Show"


def test_admins_edit_the_guidance_and_reps_may_not(app, client, admin, rep, deal):
    needs = stage_id(app, "Needs Analysis")
    url = f"/opportunities/{deal}/stages/{needs}/guidance/edit"
    login(client, rep.email, PASSWORD)
    assert client.get(url, headers=HX).status_code == 403
    assert post(client, url, {"guidance": "Hacked"}).status_code == 403
    page = client.get(f"/opportunities/{deal}").get_data(as_text=True)
    assert "Guidance for success" in page and "/guidance/edit" not in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    login(client, admin.email, PASSWORD)
    form = client.get(url, headers=HX).get_data(as_text=True)
    assert "<textarea" in form and "Write down the customer" in form and "<html" not in form
    page = client.get(url).get_data(as_text=True)
    assert "<html" in page and "<textarea" in page  # without JavaScript: the page, guidance open
    response = post(client, url, {"guidance": "x" * 1001}, HX)
    assert response.status_code == 422 and "at most 1,000 characters" in response.get_data(as_text=True)
    response = post(client, url, {"guidance": "Ask <who> signs.\nThen book the demo."}, HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ask &lt;who&gt; signs.\nThen book the demo." in html
    with app.app_context():
        assert db.session.get(Stage, needs).guidance == "Ask <who> signs.\nThen book the demo."


def test_sign_in_is_needed_and_a_deleted_opportunity_is_404(app, rep_client, deal):
    anonymous = app.test_client()
    assert anonymous.get(f"/opportunities/{deal}/fields/amount/edit").status_code == 302
    assert anonymous.get(f"/opportunities/{deal}?stage=closed", headers=HX).status_code in (302, 401)
    with app.app_context():
        db.session.get(Opportunity, deal).deleted_at = db.func.now()
        db.session.commit()
    assert rep_client.get(f"/opportunities/{deal}?stage=closed", headers=HX).status_code == 404
    assert post(rep_client, f"/opportunities/{deal}/fields/amount", {"kf-amount": "1"}).status_code == 404


def test_without_csrf_a_move_is_refused(app, rep_client, deal):
    response = rep_client.post(f"/opportunities/{deal}/stage", data={"stage_id": stage_id(app, "Prospecting")})
    assert response.status_code == 400
    assert reload(app, deal).stage_id == stage_id(app, "Needs Analysis")


def test_header_has_edit_and_delete(rep_client, deal):
    html = rep_client.get(f"/opportunities/{deal}").get_data(as_text=True)
    assert f'href="/opportunities/{deal}/edit"' in html
    assert f'action="/opportunities/{deal}/delete"' in html and "hx-confirm=" in html


def test_an_unknown_step_shows_the_current_stage(app, rep_client, deal):
    html = rep_client.get(f"/opportunities/{deal}?stage=999999", headers=HX).get_data(as_text=True)
    assert "Mark stage as complete" in html and "Close the deal as" not in html


def test_a_closed_deals_probability_cannot_be_set_by_hand(app, rep_client, deal):
    post(rep_client, f"/opportunities/{deal}/stage", {"closing": "1", "stage_id": stage_id(app, "Closed Won")}, HX)
    response = post(rep_client, f"/opportunities/{deal}/fields/probability", {"kf-probability": "40"}, HX)
    assert response.status_code == 422 and "follows its stage" in response.get_data(as_text=True)
    opportunity = reload(app, deal)
    assert opportunity.probability == 100 and not opportunity.probability_overridden
