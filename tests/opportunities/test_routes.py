"""Opportunity pages over HTTP: the list (page and fragment, views, filters, figures), new, edit, delete."""

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, Pipeline, Stage
from tests.conftest import csrf_token, stored
from tests.factories import make_account, make_opportunity, make_user


def stage_id(app, name: str, pipeline_id: int = 1) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Stage.id).where(Stage.pipeline_id == pipeline_id, Stage.name == name))


def stage_of(name: str, pipeline_id: int = 1) -> Stage:
    return db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.name == name))


def opportunities_in_db(app) -> list[Opportunity]:
    with app.app_context():
        return db.session.scalars(sa.select(Opportunity).order_by(Opportunity.id)).all()


def errors(html: str) -> dict[str, str]:
    return {k: unescape(v) for k, v in re.findall(r'class="field-error" id="([a-z_]+)-error">([^<]*)<', html)}


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/opportunities/new")}, **kwargs)


@pytest.fixture
def cloudy(app, rep):
    return stored(app, make_account, actor=rep, name="Get Cloudy")


@pytest.fixture
def valid(app, rep, cloudy):
    return {"name": "Get Cloudy - 50 Custom Sneakers", "account_id": cloudy.id, "pipeline_id": 1,
            "stage_id": stage_id(app, "Needs Analysis"), "amount": "8000", "close_date": "2027-03-31",
            "probability": "", "loss_reason": "", "owner_id": rep.id, "lead_source": "Web",
            "next_step": "Send the sizes", "description": "Sneakers for the team"}


@pytest.fixture
def second_pipeline(app):
    """A pipeline of its own, with an open and a lost stage."""
    with app.app_context():
        pipeline = Pipeline(name="Renewals", position=2)
        db.session.add(pipeline)
        db.session.flush()
        db.session.add_all([Stage(pipeline_id=pipeline.id, name="Renewal due", position=1, probability=50),
                            Stage(pipeline_id=pipeline.id, name="Churned", position=2, probability=0,
                                  is_closed=True)])
        db.session.commit()
        return pipeline.id


# The list

def test_list_page_and_fragment(app, rep_client, rep, cloudy):
    with app.app_context():
        make_opportunity(db.session.get(type(cloudy), cloudy.id), rep, name="Sneakers deal", amount="100")
    page = rep_client.get("/opportunities")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Sneakers deal" in html and "Get Cloudy" in html
    assert 'id="opportunity-q"' in html and 'hx-push-url="true"' in html and "responsive-table" in html
    assert 'href="/opportunities/board"' in html and 'href="/opportunities" aria-current="page"' in html
    fragment = rep_client.get("/opportunities?q=sneak&owner=&stage=&pipeline=&close_from=&close_to=",
                              headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and body.startswith('<div id="opportunity-list"')
    assert "Sneakers deal" in body and 'form="opportunity-filters"' in body
    assert fragment.headers["HX-Push-Url"] == "/opportunities?q=sneak"
    assert "HX-Request" in fragment.headers["Vary"]
    assert "Sneakers deal" not in rep_client.get("/opportunities?q=zzz-nobody").get_data(as_text=True)


def test_list_needs_a_signed_in_user(client):
    assert client.get("/opportunities").status_code in (302, 303)


def test_views_and_summary_figures_are_computed_over_the_filtered_set(app, rep_client, rep):
    with app.app_context():
        other = make_user(name="Olga Other")
        account = make_account(rep, name="Get Cloudy")
        make_opportunity(account, rep, name="Mine open", amount="8000", stage=stage_of("Needs Analysis"))  # 20 %
        make_opportunity(account, rep, name="Mine custom", amount="1000.50", probability=35)
        make_opportunity(account, rep, name="Mine no amount")
        make_opportunity(account, other, name="Theirs open", amount="500", owner=other)
        make_opportunity(account, rep, name="Mine won", amount="3000", stage=stage_of("Closed Won"))
        make_opportunity(account, rep, name="Mine lost", amount="700", stage=stage_of("Closed Lost"),
                         loss_reason="Price")
    mine = rep_client.get("/opportunities").get_data(as_text=True)
    assert "Mine open" in mine and "Mine custom" in mine and "Theirs open" not in mine and "Mine won" not in mine
    # 8000 + 1000.50 = 9000.50; 8000 × 20 % + 1000.50 × 35 % = 1600 + 350.175 = 1950.18 (rounded)
    assert "3 opportunities" in mine and "Total amount 9,000.5" in mine and "Expected revenue 1,950.18" in mine
    all_open = rep_client.get("/opportunities?view=all_open").get_data(as_text=True)
    assert "Theirs open" in all_open and "4 opportunities" in all_open and "Total amount 9,500.5" in all_open
    won = rep_client.get("/opportunities?view=won").get_data(as_text=True)
    assert "Mine won" in won and "Mine open" not in won and "Expected revenue 3,000" in won
    lost = rep_client.get("/opportunities?view=lost").get_data(as_text=True)
    assert "Mine lost" in lost and "Mine won" not in lost and "Expected revenue 0" in lost
    everything = rep_client.get("/opportunities?view=all").get_data(as_text=True)
    assert "6 opportunities" in everything and "Total amount 13,200.5" in everything


def test_filters_by_stage_owner_pipeline_account_and_close_dates(app, rep_client, rep, second_pipeline):
    with app.app_context():
        other = make_user(name="Olga Other")
        cloudy, acme = make_account(rep, name="Get Cloudy"), make_account(rep, name="Acme")
        make_opportunity(cloudy, rep, name="March deal", close_date=date(2027, 3, 15),
                         stage=stage_of("Needs Analysis"))
        make_opportunity(cloudy, rep, name="June deal", close_date=date(2027, 6, 1))
        make_opportunity(acme, other, name="Olga deal", owner=other, close_date=date(2027, 3, 20))
        make_opportunity(acme, rep, name="Renewal deal", stage=stage_of("Renewal due", second_pipeline))
        cloudy_id = cloudy.id
    needs = stage_id(app, "Needs Analysis")

    def names(query):
        html = rep_client.get("/opportunities?view=all&" + query).get_data(as_text=True)
        return {n for n in ("March deal", "June deal", "Olga deal", "Renewal deal") if f">{n}</a>" in html}

    assert names(f"stage={needs}") == {"March deal"}
    assert names("owner=me") == {"March deal", "June deal", "Renewal deal"}
    assert names(f"pipeline={second_pipeline}") == {"Renewal deal"}
    assert names("pipeline=1") == {"March deal", "June deal", "Olga deal"}
    assert names(f"account={cloudy_id}") == {"March deal", "June deal"}
    assert names("close_from=2027-03-01&close_to=2027-03-31") == {"March deal", "Olga deal"}
    assert names("close_from=2027-04-01") == {"June deal"}
    page = rep_client.get("/opportunities").get_data(as_text=True)
    assert '<optgroup label="Renewals">' in page and "Renewal due" in page


@pytest.mark.parametrize("query", ["close_from=2027-13-45", "close_to=yesterday", "close_from=31/03/2027",
                                   "close_from=x&close_to=y"])
def test_a_close_date_that_is_not_a_date_is_reported_and_ignored(app, rep_client, rep, query):
    with app.app_context():
        make_opportunity(make_account(rep), rep, name="Dated deal", close_date=date(2027, 3, 15))
    response = rep_client.get("/opportunities?view=all&" + query, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Enter a date as YYYY-MM-DD" in body and 'role="alert"' in body and "Dated deal" in body


def test_sorting_by_each_column_and_paging(app, rep_client, rep, monkeypatch):
    from crm.opportunities import queries

    monkeypatch.setattr(queries, "PER_PAGE", 2)
    with app.app_context():
        zed, abe = make_account(rep, name="Zed Corp"), make_account(rep, name="Abe Inc")
        make_opportunity(zed, rep, name="Bravo", amount="300", close_date=date(2027, 1, 2))
        make_opportunity(abe, rep, name="Alpha", amount="100", close_date=date(2027, 3, 1),
                         stage=stage_of("Negotiation/Review"))
        aaron = make_user(name="Aaron Early")
        make_opportunity(zed, rep, name="Charlie", amount="200", close_date=date(2027, 2, 1),
                         stage=stage_of("Qualification"), owner=aaron)

    def order(query, page=1):
        html = rep_client.get(f"/opportunities?view=all&{query}&page={page}").get_data(as_text=True)
        return re.findall(r'href="/opportunities/\d+">([A-Za-z]+)</a>', html)

    assert order("") == ["Bravo", "Charlie"] and order("", 2) == ["Alpha"]  # close date, soonest first
    assert order("sort=name") == ["Alpha", "Bravo"]
    assert order("sort=-amount") == ["Bravo", "Charlie"]
    assert order("sort=account") == ["Alpha", "Bravo"]
    assert order("sort=-stage") == ["Alpha", "Charlie"]
    assert order("sort=owner") == ["Charlie", "Bravo"] and order("sort=-owner") == ["Alpha", "Bravo"]
    html = rep_client.get("/opportunities?view=all").get_data(as_text=True)
    assert "3 opportunities" in html and 'rel="next"' in html and "page=2" in html


# New

def test_new_form_defaults_and_preselected_account(rep_client, rep, cloudy):
    html = rep_client.get(f"/opportunities/new?account_id={cloudy.id}").get_data(as_text=True)
    assert f'name="account_id" value="{cloudy.id}" checked' in html and "Get Cloudy" in html
    assert re.search(r'<option selected value="1">', html)  # the default pipeline
    assert re.search(rf'<option selected value="{rep.id}">', html)  # owned by me
    assert 'placeholder="10"' in html and "Leave blank to follow the stage (10 %)." in html
    assert ">Closed Won</option>" in html and "Price" in html  # the stages and loss reasons


def test_create_opportunity_follows_the_stage_probability(app, rep_client, rep, valid):
    response = post(rep_client, "/opportunities/new", valid)
    [opportunity] = opportunities_in_db(app)
    assert response.status_code == 303 and response.location == f"/opportunities/{opportunity.id}"
    assert opportunity.name == "Get Cloudy - 50 Custom Sneakers" and opportunity.amount == Decimal("8000.00")
    assert opportunity.probability == 20 and not opportunity.probability_overridden
    assert opportunity.close_date == date(2027, 3, 31) and opportunity.owner_id == rep.id
    assert opportunity.lead_source == "Web" and opportunity.next_step == "Send the sizes"
    page = rep_client.get(response.location).get_data(as_text=True)
    assert "Opportunity Get Cloudy - 50 Custom Sneakers saved." in page


def test_create_with_a_probability_set_by_hand_keeps_it(app, rep_client, valid):
    assert post(rep_client, "/opportunities/new", valid | {"probability": "65"}).status_code == 303
    [opportunity] = opportunities_in_db(app)
    assert opportunity.probability == 65 and opportunity.probability_overridden


def test_htmx_create_answers_a_full_page_redirect(app, rep_client, valid):
    response = post(rep_client, "/opportunities/new", valid, headers={"HX-Request": "true"})
    [opportunity] = opportunities_in_db(app)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/opportunities/{opportunity.id}"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"name": "  "}, "name", "Enter the opportunity name."),
    ({"account_id": ""}, "account_id", "Choose the account."),
    ({"account_id": "999999"}, "account_id", "This account does not exist or was deleted."),
    ({"amount": "-1"}, "amount", "The amount must be a number between 0 and"),
    ({"amount": "1e30"}, "amount", "The amount must be a number between 0 and"),
    ({"amount": "10000000000000000"}, "amount", "The amount must be a number between 0 and"),
    ({"amount": "NaN"}, "amount", "The amount must be a number between 0 and"),
    ({"amount": "lots"}, "amount", "The amount must be a number between 0 and"),
    ({"close_date": "2027-02-30"}, "close_date", "Enter the close date as a date (YYYY-MM-DD)."),
    ({"close_date": "next week"}, "close_date", "Enter the close date as a date (YYYY-MM-DD)."),
    ({"probability": "101"}, "probability", "The probability must be a whole number between 0 and 100."),
    ({"probability": "-5"}, "probability", "The probability must be a whole number between 0 and 100."),
    ({"probability": "12.5"}, "probability", "The probability must be a whole number between 0 and 100."),
    ({"pipeline_id": "999"}, "pipeline_id", "Choose a pipeline."),
    ({"stage_id": "999999"}, "stage_id", "Choose a stage of the opportunity's pipeline."),
    ({"owner_id": "999999"}, "owner_id", "Not a valid choice."),
])
def test_bad_input_is_refused_with_a_message_and_nothing_stored(app, rep_client, valid, changes, field, message):
    response = post(rep_client, "/opportunities/new", valid | changes, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and body.startswith('<form id="opportunity-form"')
    assert field in errors(body) and message in errors(body)[field]
    assert 'value="Get Cloudy - 50 Custom Sneakers"' in body or field == "name"
    assert opportunities_in_db(app) == []


def test_a_stage_of_another_pipeline_is_refused(app, rep_client, valid, second_pipeline):
    other_stage = stage_id(app, "Renewal due", second_pipeline)
    response = post(rep_client, "/opportunities/new", valid | {"stage_id": other_stage})
    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == {"stage_id": "Choose a stage of the opportunity's pipeline."}
    assert opportunities_in_db(app) == []
    # In its own pipeline the same stage is fine.
    assert post(rep_client, "/opportunities/new",
                valid | {"pipeline_id": second_pipeline, "stage_id": other_stage}).status_code == 303
    [opportunity] = opportunities_in_db(app)
    assert opportunity.pipeline_id == second_pipeline and opportunity.probability == 50


def test_closed_lost_needs_a_loss_reason_from_the_picklist(app, rep_client, valid):
    lost = stage_id(app, "Closed Lost")
    response = post(rep_client, "/opportunities/new", valid | {"stage_id": lost})
    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == {"loss_reason": "Give the reason the deal was lost."}
    response = post(rep_client, "/opportunities/new", valid | {"stage_id": lost, "loss_reason": "Made up"})
    assert response.status_code == 422 and "loss_reason" in errors(response.get_data(as_text=True))
    assert opportunities_in_db(app) == []
    assert post(rep_client, "/opportunities/new",
                valid | {"stage_id": lost, "loss_reason": "Lost to Competitor"}).status_code == 303
    [opportunity] = opportunities_in_db(app)
    assert opportunity.loss_reason == "Lost to Competitor" and opportunity.probability == 0


def test_changing_the_pipeline_refreshes_the_stage_choices(app, rep_client, second_pipeline):
    response = rep_client.get(f"/opportunities/new?refresh=1&pipeline_id={second_pipeline}&stage_id=1",
                              headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    block = body[body.index('id="opportunity-stage-fields"'):body.index('name="amount"')]
    assert response.status_code == 200 and "Renewal due" in block and "Needs Analysis" not in block
    assert 'placeholder="50"' in block  # the first stage of that pipeline, chosen for you
    churned = stage_id(app, "Churned", second_pipeline)
    body = rep_client.get(f"/opportunities/new?refresh=1&pipeline_id={second_pipeline}&stage_id={churned}",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'<option selected value="{churned}">' in body and 'aria-required="true"' in body
    assert "A closed stage sets it: 0 %." in body


def test_changing_the_stage_on_edit_refreshes_its_hints(app, rep_client, opportunity):
    lost = stage_id(app, "Closed Lost")
    body = rep_client.get(f"/opportunities/{opportunity.id}/edit?refresh=1&stage_id={lost}&probability=",
                          headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f'<option selected value="{lost}">' in body and 'aria-required="true"' in body
    assert 'name="pipeline_id"' not in body and "A closed stage sets it: 0 %." in body


def test_new_without_csrf_is_refused(app, rep_client, valid):
    assert rep_client.post("/opportunities/new", data=valid).status_code in (400, 422)
    assert opportunities_in_db(app) == []


# Edit

@pytest.fixture
def opportunity(app, rep, cloudy):
    def make():
        account = db.session.get(type(cloudy), cloudy.id)
        return make_opportunity(account, db.session.get(type(rep), rep.id), name="Sneakers", amount="8000",
                                close_date=date(2027, 3, 31), stage=stage_of("Needs Analysis"))

    return stored(app, make)


def edit_data(app, opportunity, **changes):
    return {"name": opportunity.name, "account_id": opportunity.account_id, "stage_id": opportunity.stage_id,
            "amount": "8000.00", "close_date": "2027-03-31", "probability": "", "loss_reason": "",
            "owner_id": opportunity.owner_id, "lead_source": "", "next_step": "", "description": ""} | changes


def history_of(app, opportunity_id):
    with app.app_context():
        return db.session.execute(
            sa.select(OpportunityStageHistory.from_stage, OpportunityStageHistory.to_stage)
            .where(OpportunityStageHistory.opportunity_id == opportunity_id)
            .order_by(OpportunityStageHistory.id)).all()


def test_edit_form_shows_the_pipeline_read_only(rep_client, opportunity):
    html = rep_client.get(f"/opportunities/{opportunity.id}/edit").get_data(as_text=True)
    assert "<h1>Edit Sneakers</h1>" in html and 'name="pipeline_id"' not in html
    assert "<dt>Pipeline</dt>" in html and 'value="8000.00"' in html and 'value="2027-03-31"' in html
    assert 'name="probability" placeholder="20" type="text" value=""' in html


def test_edit_changes_fields_stage_and_probability_in_one_go(app, rep_client, opportunity):
    negotiation = stage_id(app, "Negotiation/Review")
    response = post(rep_client, f"/opportunities/{opportunity.id}/edit",
                    edit_data(app, opportunity, name="Sneakers x60", amount="9600", stage_id=negotiation,
                              next_step="Sign"))
    assert response.status_code == 303 and response.location == f"/opportunities/{opportunity.id}"
    with app.app_context():
        stored_opp = db.session.get(Opportunity, opportunity.id)
        assert stored_opp.name == "Sneakers x60" and stored_opp.amount == Decimal("9600.00")
        assert stored_opp.stage_id == negotiation and stored_opp.next_step == "Sign"
        assert stored_opp.probability == stored_opp.stage.probability and not stored_opp.probability_overridden
        assert stored_opp.search_text == "sneakers x60 sign get cloudy"  # name, next step, account
    assert history_of(app, opportunity.id) == [(None, "Needs Analysis"), ("Needs Analysis", "Negotiation/Review")]
    # A probability set by hand stays (overridden), and the stage has not changed: no history row.
    post(rep_client, f"/opportunities/{opportunity.id}/edit",
         edit_data(app, opportunity, name="Sneakers x60", stage_id=negotiation, probability="75"))
    with app.app_context():
        stored_opp = db.session.get(Opportunity, opportunity.id)
        assert stored_opp.probability == 75 and stored_opp.probability_overridden
    assert len(history_of(app, opportunity.id)) == 2
    html = rep_client.get(f"/opportunities/{opportunity.id}/edit").get_data(as_text=True)
    assert 'name="probability" placeholder="90" type="text" value="75"' in html


@pytest.mark.parametrize(("changes", "field"), [
    ({"amount": "-5"}, "amount"),
    ({"close_date": "2027-02-31"}, "close_date"),
    ({"probability": "250"}, "probability"),
    ({"stage_id": "LOST"}, "loss_reason"),
    ({"stage_id": "OTHER"}, "stage_id"),
])
def test_edit_refusals_store_nothing(app, rep_client, opportunity, second_pipeline, changes, field):
    if changes.get("stage_id") == "LOST":
        changes = {"stage_id": stage_id(app, "Closed Lost")}
    elif changes.get("stage_id") == "OTHER":
        changes = {"stage_id": stage_id(app, "Renewal due", second_pipeline)}
    data = edit_data(app, opportunity, name="Renamed", **changes)
    response = post(rep_client, f"/opportunities/{opportunity.id}/edit", data, headers={"HX-Request": "true"})
    assert response.status_code == 422 and field in errors(response.get_data(as_text=True))
    with app.app_context():
        stored_opp = db.session.get(Opportunity, opportunity.id)
        assert stored_opp.name == "Sneakers" and stored_opp.stage_id == opportunity.stage_id
        assert stored_opp.amount == Decimal("8000.00")
    assert len(history_of(app, opportunity.id)) == 1


def test_a_service_refusal_after_writes_rolls_everything_back(app, rep_client, opportunity, monkeypatch):
    """The loss reason passes the form but the service refuses it (retired meanwhile): nothing stays."""
    from crm.opportunities import services

    lost = stage_id(app, "Closed Lost")
    monkeypatch.setattr(services, "_check_loss_reason", lambda *a, **k: (_ for _ in ()).throw(
        services.UnknownLossReason()))
    response = post(rep_client, f"/opportunities/{opportunity.id}/edit",
                    edit_data(app, opportunity, name="Renamed", stage_id=lost, loss_reason="Price"))
    assert response.status_code == 422
    assert errors(response.get_data(as_text=True)) == {"loss_reason": "Choose a loss reason from the list."}
    with app.app_context():
        stored_opp = db.session.get(Opportunity, opportunity.id)
        assert stored_opp.name == "Sneakers" and stored_opp.stage_id == opportunity.stage_id
    assert len(history_of(app, opportunity.id)) == 1


def test_close_as_lost_from_the_edit_form(app, rep_client, opportunity):
    lost = stage_id(app, "Closed Lost")
    response = post(rep_client, f"/opportunities/{opportunity.id}/edit",
                    edit_data(app, opportunity, stage_id=lost, loss_reason="No Budget", probability="40"))
    assert response.status_code == 303
    with app.app_context():
        stored_opp = db.session.get(Opportunity, opportunity.id)
        assert stored_opp.stage_id == lost and stored_opp.loss_reason == "No Budget"
        assert stored_opp.probability == 0 and not stored_opp.probability_overridden


@pytest.mark.parametrize("path", ["/opportunities/999999/edit", "/opportunities/999999"])
def test_unknown_opportunity_is_404(rep_client, path):
    assert rep_client.get(path).status_code == 404


# Delete

def test_delete_moves_it_to_the_recycle_bin(app, rep_client, opportunity):
    token = csrf_token(rep_client, f"/opportunities/{opportunity.id}/edit")
    assert rep_client.post(f"/opportunities/{opportunity.id}/delete").status_code == 400  # no CSRF token
    response = rep_client.post(f"/opportunities/{opportunity.id}/delete", data={"csrf_token": token})
    assert response.status_code == 303 and response.location == "/opportunities"
    with app.app_context():
        assert db.session.get(Opportunity, opportunity.id).deleted_at is not None
    html = rep_client.get("/opportunities?view=all").get_data(as_text=True)
    assert "Opportunity Sneakers deleted." in html and ">Sneakers</a>" not in html and "0 opportunities" in html
    assert rep_client.get(f"/opportunities/{opportunity.id}/edit").status_code == 404
    assert rep_client.post(f"/opportunities/{opportunity.id}/delete",
                           data={"csrf_token": token}).status_code == 404


def test_delete_from_the_record_page_with_htmx(app, rep_client, opportunity):
    token = csrf_token(rep_client, f"/opportunities/{opportunity.id}")
    response = rep_client.post(f"/opportunities/{opportunity.id}/delete", data={"csrf_token": token},
                               headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/opportunities"
    with app.app_context():
        assert db.session.get(Opportunity, opportunity.id).deleted_at is not None


def test_forecast_category_filter_shows_a_chip_that_removes_it(app, rep_client, rep):
    # Reports link here: the deals whose stage is in a forecast category.
    with app.app_context():
        acme = make_account(rep, name="Acme")
        make_opportunity(acme, rep, name="Early deal", stage=stage_of("Prospecting"))
        make_opportunity(acme, rep, name="Won deal", stage=stage_of("Closed Won"))
        category = stage_of("Prospecting").forecast_category
    html = rep_client.get(f"/opportunities?view=all&forecast={category}").get_data(as_text=True)
    assert ">Early deal</a>" in html and ">Won deal</a>" not in html
    assert f"Forecast category: {category}" in html and "Show every category" in html
    assert f'name="forecast" value="{category}" form="opportunity-filters"' in html
    closed = rep_client.get("/opportunities?view=all&forecast=Closed", headers={"HX-Request": "true"})
    body = closed.get_data(as_text=True)
    assert "<html" not in body and ">Won deal</a>" in body and ">Early deal</a>" not in body
    # Anything else is no filter at all.
    html = rep_client.get("/opportunities?view=all&forecast=Nonsense").get_data(as_text=True)
    assert ">Early deal</a>" in html and ">Won deal</a>" in html and "Forecast category" not in html
