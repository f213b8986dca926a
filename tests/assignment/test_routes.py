"""Assignment admin pages over HTTP, the lead form's "Assign using active rules", and Take."""

import pytest
import sqlalchemy as sa

from crm.assignment import services
from crm.extensions import db
from crm.models import AssignmentRule, Lead, Queue, QueueMember
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_lead, make_user

HX = {"HX-Request": "true"}


def post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/")}, **kwargs)


def make_queue(*members, name="Paris", round_robin=False) -> Queue:
    queue = services.create_queue(name=name, round_robin=round_robin)
    for user in members:
        services.add_member(queue, user)
    db.session.commit()
    return queue


def make_rule(**fields) -> AssignmentRule:
    rule = services.create_rule(**({"name": "Rule"} | fields))
    db.session.commit()
    return rule


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("method,path", [
    ("get", "/admin/assignment-rules"), ("post", "/admin/assignment-rules"),
    ("get", "/admin/assignment-rules/queues"), ("post", "/admin/assignment-rules/queues"),
    ("post", "/admin/assignment-rules/default-owner"),
])
def test_reps_get_403(rep_client, method, path):
    if method == "get":
        assert rep_client.get(path).status_code == 403
    else:
        assert post(rep_client, path, {"name": "x"}).status_code == 403


def test_rules_page_and_fragment(app, admin_client, admin):
    with app.app_context():
        paris = make_queue(name="Paris")
        make_rule(name="French leads", country="France", queue_id=paris.id)
    page = admin_client.get("/admin/assignment-rules")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert "French leads" in html and "Queue Paris" in html and 'id="rule-form"' in html
    assert 'href="/admin/assignment-rules" aria-current="page"' in html
    fragment = admin_client.get("/admin/assignment-rules", headers=HX)
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and 'id="rule-list"' in text
    assert "Vary" in fragment.headers and "HX-Request" in fragment.headers["Vary"]


def test_add_a_rule_then_htmx_gets_a_fresh_form_and_the_list(app, admin_client, admin):
    with app.app_context():
        paris = make_queue(name="Paris")
        paris_id = paris.id
    response = post(admin_client, "/admin/assignment-rules",
                    {"name": "France", "country": "France", "queue_id": paris_id, "active": "y",
                     "employees_min": "10", "employees_max": "500"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="rule-list"' in html and 'hx-swap-oob="true"' in html and "Rule France saved." in html
    assert 'value="France"' not in html  # a fresh form for the next rule
    with app.app_context():
        rule = db.session.scalar(sa.select(AssignmentRule))
        assert (rule.name, rule.country, rule.queue_id, rule.owner_user_id, rule.employees_min, rule.employees_max,
                rule.active, rule.position) == ("France", "France", paris_id, None, 10, 500, True, 1)


@pytest.mark.parametrize("data,field,message", [
    ({"name": "No target"}, "owner_user_id", "Choose a user or a queue, not both."),
    ({"name": "Both", "owner_user_id": "ADMIN", "queue_id": "QUEUE"}, "owner_user_id",
     "Choose a user or a queue, not both."),
    ({"name": "Range", "owner_user_id": "ADMIN", "employees_min": "50", "employees_max": "10"}, "employees_max",
     "The maximum cannot be below the minimum."),
    ({"name": "Prefix", "owner_user_id": "ADMIN", "postal_code_prefix": "1" * 21}, "postal_code_prefix",
     "Field cannot be longer than 20 characters."),
    ({"name": "", "owner_user_id": "ADMIN"}, "name", "This field is required."),
    ({"name": "Negative", "owner_user_id": "ADMIN", "employees_min": "-1"}, "employees_min",
     "Enter a number between 0 and 10,000,000."),
])
def test_bad_rule_input_is_422_with_the_message_beside_the_field(app, admin_client, admin, data, field, message):
    with app.app_context():
        queue_id = make_queue().id
    data = {k: {"ADMIN": str(admin.id), "QUEUE": str(queue_id)}.get(v, v) for k, v in data.items()}
    response = post(admin_client, "/admin/assignment-rules", data, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in html
    assert count(app, AssignmentRule) == 0


def test_edit_move_deactivate_and_delete_a_rule(app, admin_client, admin):
    with app.app_context():
        first = make_rule(name="First", owner_user_id=admin.id).id
        second = make_rule(name="Second", owner_user_id=admin.id).id
    response = post(admin_client, f"/admin/assignment-rules/{second}/edit",
                    {"name": "Second", "owner_user_id": admin.id, "state": "Bretagne", "employees_min": "5",
                     "employees_max": "1"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(AssignmentRule, second).state is None
    response = post(admin_client, f"/admin/assignment-rules/{second}/edit",
                    {"name": "Second", "owner_user_id": admin.id, "state": "Bretagne", "active": "y"})
    assert response.status_code == 303
    response = post(admin_client, f"/admin/assignment-rules/{second}/move", {"direction": "up"}, headers=HX)
    assert response.status_code == 200 and 'id="rule-list"' in response.get_data(as_text=True)
    post(admin_client, f"/admin/assignment-rules/{first}/active", {"active": "0"})
    with app.app_context():
        assert [(r.name, r.state, r.active) for r in services.rules()] == [
            ("Second", "Bretagne", True), ("First", None, False)]
    assert post(admin_client, f"/admin/assignment-rules/{first}/delete").status_code == 303
    with app.app_context():
        assert [(r.name, r.position) for r in services.rules()] == [("Second", 1)]


def test_default_owner(app, admin_client, admin):
    response = post(admin_client, "/admin/assignment-rules/default-owner", {"default_owner_id": admin.id})
    assert response.status_code == 303
    with app.app_context():
        assert services.settings().default_owner_id == admin.id
    response = post(admin_client, "/admin/assignment-rules/default-owner", {"default_owner_id": "99999"},
                    headers=HX)
    assert response.status_code == 422 and "default_owner_id-error" in response.get_data(as_text=True)
    with app.app_context():
        assert services.settings().default_owner_id == admin.id


def test_queues_pages_members_and_round_robin_flag(app, admin_client, admin):
    rep = stored(app, make_user, name="Rita Rep")
    assert "No queues yet." in admin_client.get("/admin/assignment-rules/queues").get_data(as_text=True)
    response = post(admin_client, "/admin/assignment-rules/queues", {"name": "Paris", "round_robin": "y"})
    assert response.status_code == 303
    with app.app_context():
        queue = db.session.scalar(sa.select(Queue))
        assert (queue.name, queue.round_robin) == ("Paris", True)
        queue_id = queue.id
    assert response.headers["Location"] == f"/admin/assignment-rules/queues/{queue_id}"
    duplicate = post(admin_client, "/admin/assignment-rules/queues", {"name": "paris"}, headers=HX)
    assert duplicate.status_code == 422 and "A queue with this name already exists." in duplicate.get_data(
        as_text=True)
    assert count(app, Queue) == 1

    response = post(admin_client, f"/admin/assignment-rules/queues/{queue_id}/members", {"user_id": rep.id},
                    headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and f'id="queue-{queue_id}-members"' in html
    assert "Remove<span class=\"visually-hidden\"> Rita Rep" in html
    assert post(admin_client, f"/admin/assignment-rules/queues/{queue_id}/members", {"user_id": ""}).status_code == 422
    page = admin_client.get(f"/admin/assignment-rules/queues/{queue_id}").get_data(as_text=True)
    assert "<html" in page and "Rita Rep" in page
    response = post(admin_client, f"/admin/assignment-rules/queues/{queue_id}", {"name": "Paris"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Queue, queue_id).round_robin is False
    response = post(admin_client, f"/admin/assignment-rules/queues/{queue_id}/members/{rep.id}/delete")
    assert response.status_code == 303 and count(app, QueueMember) == 0
    assert post(admin_client, f"/admin/assignment-rules/queues/{queue_id}/delete").status_code == 303
    assert count(app, Queue) == 0


def test_a_queue_that_owns_leads_is_not_deleted(app, admin_client, admin):
    with app.app_context():
        queue = make_queue(name="Lyon")
        make_rule(queue_id=queue.id)
        services.assign(make_lead())
        db.session.commit()
        queue_id = queue.id
    post(admin_client, f"/admin/assignment-rules/queues/{queue_id}/delete")
    assert count(app, Queue) == 1
    html = admin_client.get(f"/admin/assignment-rules/queues/{queue_id}").get_data(as_text=True)
    assert "Lyon cannot be deleted: it owns 1 lead." in html


LEAD = {"first_name": "Aparna", "last_name": "Bosu", "company": "Get Cloudy", "country": "france"}


def test_new_lead_with_the_box_ticked_is_assigned_by_the_rules(app, rep_client, rep):
    anne = stored(app, make_user, name="Anne Paris")
    with app.app_context():
        make_rule(name="France", country="France", owner_user_id=anne.id)
    response = post(rep_client, "/leads/new", {**LEAD, "owner": rep.id, "assign_using_rules": "y"})
    assert response.status_code == 303
    page = rep_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The rule France gave the lead to Anne Paris." in page
    assert '<dd class="assignment-rule">France</dd>' in page
    with app.app_context():
        lead = db.session.scalar(sa.select(Lead))
        assert (lead.owner_id, lead.assignment_rule.name) == (anne.id, "France")


def test_new_lead_without_the_box_keeps_the_owner_chosen(app, rep_client, rep):
    anne = stored(app, make_user)
    with app.app_context():
        make_rule(country="France", owner_user_id=anne.id)
    assert post(rep_client, "/leads/new", {**LEAD, "owner": rep.id}).status_code == 303
    with app.app_context():
        lead = db.session.scalar(sa.select(Lead))
        assert (lead.owner_id, lead.assignment_rule_id) == (rep.id, None)
    form = rep_client.get("/leads/new").get_data(as_text=True)
    assert 'name="assign_using_rules"' in form and "Assign using active rules" in form


def test_queue_owned_lead_shows_the_queue_and_a_member_takes_it(app, client, rep):
    outsider = stored(app, make_user, email="outsider@example.com")
    with app.app_context():
        queue = make_queue(db.session.get(type(rep), rep.id), name="Paris")
        make_rule(name="France", country="France", queue_id=queue.id)
        lead = make_lead(country="France")
        services.assign(lead)
        db.session.commit()
        lead_id = lead.id

    login(client, outsider.email, PASSWORD)
    page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert "Queue Paris" in page and f"/leads/{lead_id}/take" not in page
    assert post(client, f"/leads/{lead_id}/take").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})

    login(client, rep.email, PASSWORD)
    page = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    assert f'action="/leads/{lead_id}/take"' in page
    response = post(client, f"/leads/{lead_id}/take", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and f'id="lead-{lead_id}-summary"' in html
    assert "Remy Rep" in html and "You now own" in html
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.owner_id, lead.queue_id) == (rep.id, None)
    assert post(client, f"/leads/{lead_id}/take").status_code == 409


def queue_owned_lead(app, *members, **fields) -> int:
    with app.app_context():
        queue = make_queue(*(db.session.get(type(m), m.id) for m in members), name="Paris")
        make_rule(queue_id=queue.id)
        lead = make_lead(**fields)
        services.assign(lead)
        db.session.commit()
        return lead.id


def test_editing_a_queue_owned_lead_keeps_the_queue_unless_a_user_is_picked(app, rep_client, rep):
    lead_id = queue_owned_lead(app, last_name="Queued", company="Q")
    form = rep_client.get(f"/leads/{lead_id}/edit").get_data(as_text=True)
    assert '<option value="0">Queue Paris</option>' in form
    data = {"last_name": "Queued", "company": "Q", "owner": "0", "confirm_duplicate": "1"}
    assert post(rep_client, f"/leads/{lead_id}/edit", data).status_code == 303
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.owner_id, lead.queue.name) == (None, "Paris")
    assert post(rep_client, f"/leads/{lead_id}/edit", {**data, "owner": rep.id}).status_code == 303
    with app.app_context():
        lead = db.session.get(Lead, lead_id)
        assert (lead.owner_id, lead.queue_id) == (rep.id, None)


def test_my_queues_lists_the_leads_waiting_in_my_queues(app, rep_client, rep):
    queue_owned_lead(app, rep, last_name="Waiting", company="Q")
    with app.app_context():
        make_lead(last_name="Elsewhere")
    html = rep_client.get("/leads?view=my_queues", headers=HX).get_data(as_text=True)
    assert "Waiting" in html and "Elsewhere" not in html
    assert "My queues" in rep_client.get("/leads").get_data(as_text=True)
    other = rep_client.get("/leads?view=my_open", headers=HX).get_data(as_text=True)
    assert "Waiting" not in other


def test_change_owner_of_ticked_leads_from_the_list(app, rep_client, rep):
    with app.app_context():
        ana = make_user(name="Ana Admin")
        paris = make_queue(name="Paris")
        leads = [make_lead(db.session.get(type(ana), rep.id), last_name=f"Ticked {i}") for i in range(3)]
        ids, ana_id, paris_id = [lead.id for lead in leads], ana.id, paris.id
    page = rep_client.get("/leads?view=all").get_data(as_text=True)
    assert 'id="change-owner"' in page and f'name="lead_ids" value="{ids[0]}" form="change-owner"' in page
    assert f'<option value="user:{ana_id}">Ana Admin</option>' in page and f'value="queue:{paris_id}"' in page
    # The same form comes with the list's HTMX fragment (search, filters, pages).
    fragment = rep_client.get("/leads?view=all&q=Ticked", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="change-owner"' in fragment

    response = post(rep_client, "/leads/change-owner", {"target": f"user:{ana_id}", "lead_ids": ids[:2],
                                                         "next": "/leads?view=all&q=Ticked"})
    assert response.status_code == 303 and response.headers["Location"] == "/leads?view=all&q=Ticked"
    with app.app_context():
        owners = [db.session.get(Lead, i).owner_id for i in ids]
    assert owners == [ana_id, ana_id, rep.id]
    assert "2 leads changed owner." in rep_client.get("/leads").get_data(as_text=True)

    response = post(rep_client, "/leads/change-owner", {"target": f"queue:{paris_id}", "lead_ids": [ids[2]]},
                    headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/leads"
    with app.app_context():
        lead = db.session.get(Lead, ids[2])
        assert (lead.owner_id, lead.queue_id) == (None, paris_id)


@pytest.mark.parametrize("data,message", [
    ({"target": "user:999999", "lead_ids": ["1"]}, "Choose a new owner from the list."),
    ({"target": "rules"}, "Tick the leads to give to the new owner."),
    ({"target": "rules", "lead_ids": ["1", "x"]}, "Tick the leads to give to the new owner."),
    ({"target": "rules", "lead_ids": [str(i) for i in range(1, 202)]}, "at most 200 leads"),
])
def test_change_owner_refuses_bad_input_and_changes_nothing(app, rep_client, rep, data, message):
    with app.app_context():
        lead = make_lead(db.session.get(Lead.owner.property.mapper.class_, rep.id))
        lead_id = lead.id
    response = post(rep_client, "/leads/change-owner", {**data, "next": "https://evil.example/"})
    assert response.status_code == 303 and response.headers["Location"] == "/leads"
    assert message in rep_client.get("/leads").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Lead, lead_id).owner_id == rep.id


def test_change_owner_needs_csrf_and_sign_in(client, rep):
    assert client.post("/leads/change-owner", data={"target": "rules", "lead_ids": ["1"]}).status_code in (302, 400)
