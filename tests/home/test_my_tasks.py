"""'My tasks' on the home page: my open tasks, overdue first and marked, each ticked in place."""

import re
from datetime import date, timedelta

import sqlalchemy as sa

from crm.activities import services
from crm.extensions import db
from crm.models import Account, Activity, Contact, Lead, Opportunity, User
from tests.activities.test_records import make_opportunity
from tests.conftest import csrf_token, stored
from tests.factories import make_account, make_contact, make_lead, make_user


def add_task(app, lead, assignee, subject, due=None, **extra):
    with app.app_context():
        task = services.add_activity(
            db.session.get(Lead, lead.id), "task",
            {"subject": subject, "due_date": due, "assignee_id": assignee.id} | extra,
            actor=db.session.get(User, assignee.id))
        db.session.commit()
        return task.id


def panel(html):
    match = re.search(r'<section id="my-tasks".*?</section>', html, flags=re.S)
    assert match, "no My tasks panel"
    return match.group(0)


def items(html):
    return re.findall(r'<li id="my-task-(\d+)"(.*?)</li>', panel(html), flags=re.S)


def test_my_open_tasks_overdue_first_and_marked_then_today_then_later(app, rep, rep_client):
    lead = stored(app, make_lead, first_name="Paula", last_name="Prospect", company="Acme Tools")
    later = add_task(app, lead, rep, "Later", date.today() + timedelta(days=5))
    today = add_task(app, lead, rep, "Today", date.today())
    overdue = add_task(app, lead, rep, "Overdue one", date.today() - timedelta(days=3))
    html = rep_client.get("/").get_data(as_text=True)
    assert "Hello, Remy Rep" in html  # what was there stays
    found = items(html)
    assert [int(task_id) for task_id, _ in found] == [overdue, today, later]
    marks = {int(task_id): body for task_id, body in found}
    assert ">Overdue<" in marks[overdue] and "is-overdue" in marks[overdue]
    assert ">Today<" in marks[today] and "Overdue" not in marks[today]
    assert "Overdue" not in marks[later] and ">Today<" not in marks[later]
    assert "Paula Prospect" in marks[overdue] and "Acme Tools" in marks[overdue]


def test_each_task_links_to_its_lead_and_ticks_in_place(app, rep, rep_client):
    lead = stored(app, make_lead)
    task = add_task(app, lead, rep, "Send the quote", date.today())
    body = dict(items(rep_client.get("/").get_data(as_text=True)))[str(task)]
    assert f'href="/leads/{lead.id}"' in body
    form = re.search(r"<form [^>]*>", body).group(0)
    assert f'hx-post="/activities/{task}/done"' in form and f'hx-target="#my-task-{task}"' in form
    assert 'method="post"' in form
    assert 'name="csrf_token"' in body and 'name="view" value="my-tasks"' in body and 'name="done" value="1"' in body
    assert "Mark done: Send the quote" in body


def test_only_my_open_tasks_are_listed(app, rep, rep_client):
    lead = stored(app, make_lead)
    colleague = stored(app, make_user)
    mine = add_task(app, lead, rep, "Mine")
    done = add_task(app, lead, rep, "Finished")
    add_task(app, lead, colleague, "Someone else's")
    with app.app_context():
        services.set_done(db.session.get(Activity, done), True, actor=None)
        services.add_activity(db.session.get(Lead, lead.id), "call", {"subject": "A call"},
                              actor=db.session.get(User, rep.id))
        db.session.commit()
    found = items(rep_client.get("/").get_data(as_text=True))
    assert [int(task_id) for task_id, _ in found] == [mine]
    assert "No due date" in found[0][1]


def test_the_panel_shows_twenty_tasks_and_counts_the_rest(app, rep, rep_client):
    lead = stored(app, make_lead)
    for n in range(23):
        add_task(app, lead, rep, f"Task {n:02}", date.today() + timedelta(days=n))
    html = rep_client.get("/").get_data(as_text=True)
    assert len(items(html)) == 20
    assert "3 more open tasks are not shown." in panel(html)
    assert "Task 19" in html and "Task 20" not in html


def test_no_open_tasks(rep_client):
    assert "You have no open tasks." in panel(rep_client.get("/").get_data(as_text=True))


def test_ticking_from_the_home_page_without_javascript(app, rep, rep_client):
    lead = stored(app, make_lead)
    task = add_task(app, lead, rep, "Call back", date.today() - timedelta(days=1))
    response = rep_client.post(f"/activities/{task}/done", headers={"Referer": "http://localhost/"},
                               data={"done": "1", "view": "my-tasks", "csrf_token": csrf_token(rep_client, "/")})
    assert response.status_code == 303 and response.headers["Location"] == f"/#my-task-{task}"
    html = rep_client.get("/").get_data(as_text=True)
    assert "Task “Call back” done." in html and items(html) == []
    with app.app_context():
        assert db.session.scalar(sa.select(Activity.done).where(Activity.id == task)) is True


def add_record_task(app, model, record_id, assignee, subject):
    """A task of `assignee` on an account, contact or opportunity."""
    with app.app_context():
        record = db.session.get(model, record_id)
        task = services.add_activity(record, "task", {"subject": subject, "due_date": date.today(),
                                                      "assignee_id": assignee.id},
                                     actor=db.session.get(User, assignee.id))
        db.session.commit()
        return task.id


def test_each_task_links_to_its_record_whatever_its_type(app, rep, rep_client):
    with app.app_context():
        account = make_account(name="Acme Tools")
        contact = make_contact(account, first_name="Carla", last_name="Contact")
        opportunity = make_opportunity(account, name="Twenty seats")
        account, contact, opportunity = account.id, contact.id, opportunity.id
    lead = stored(app, make_lead, first_name="Paula", last_name="Prospect", company="Prospect Ltd")
    tasks = {
        add_task(app, lead, rep, "On the lead"): (f"/leads/{lead.id}", "Paula Prospect (Prospect Ltd)"),
        add_record_task(app, Account, account, rep, "On the account"): (f"/accounts/{account}", "· Acme Tools"),
        add_record_task(app, Contact, contact, rep, "On the contact"): (f"/contacts/{contact}",
                                                                        "Carla Contact (Acme Tools)"),
        add_record_task(app, Opportunity, opportunity, rep, "On the deal"): (f"/opportunities/{opportunity}",
                                                                             "Twenty seats (Acme Tools)"),
    }
    # Converted: the lead's task moves to the contact, and is linked there.
    converted = add_task(app, lead, rep, "Moved with the lead", date.today())
    with app.app_context():
        moved = db.session.get(Activity, converted)
        moved.contact_id, moved.account_id = contact, account
        db.session.commit()
    tasks[converted] = (f"/contacts/{contact}", "Carla Contact (Acme Tools)")
    found = dict(items(rep_client.get("/").get_data(as_text=True)))
    assert set(found) == {str(task) for task in tasks}
    for task, (href, label) in tasks.items():
        body = re.sub(r"\s+", " ", found[str(task)])
        assert f'<a class="my-task-subject" href="{href}">' in body and label in body, body
    # Ticked in place, the task keeps its link.
    last = add_record_task(app, Contact, contact, rep, "Tick me")
    html = rep_client.post(f"/activities/{last}/done", data={"done": "1", "view": "my-tasks"},
                           headers={"HX-Request": "true", "X-CSRFToken": csrf_token(rep_client, "/")})
    assert f'href="/contacts/{contact}"' in html.get_data(as_text=True)


def test_tasks_of_records_in_the_recycle_bin_are_hidden(app, rep, rep_client):
    with app.app_context():
        account = make_account()
        contact = make_contact(account)
        opportunity = make_opportunity(account)
        ids = {"account": account.id, "contact": contact.id, "opportunity": opportunity.id}
    models = {"account": Account, "contact": Contact, "opportunity": Opportunity}
    on = {kind: add_record_task(app, models[kind], record_id, rep, f"On the {kind}") for kind, record_id in ids.items()}
    assert {int(task_id) for task_id, _ in items(rep_client.get("/").get_data(as_text=True))} == set(on.values())
    for kind in ("contact", "opportunity", "account"):
        with app.app_context():
            db.session.get(models[kind], ids[kind]).deleted_at = db.func.now()
            db.session.commit()
        shown = {int(task_id) for task_id, _ in items(rep_client.get("/").get_data(as_text=True))}
        assert on[kind] not in shown, kind
    assert "You have no open tasks." in panel(rep_client.get("/").get_data(as_text=True))
