"""The timeline over HTTP: the page and its fragment, adding activities, ticking tasks, 422s, CSRF."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.activities import services
from crm.extensions import db
from crm.models import Activity, Lead
from tests.conftest import csrf_token, stored
from tests.factories import make_lead, make_user


@pytest.fixture
def lead(app):
    return stored(app, make_lead, company="Acme Tools")


def timeline_url(lead_id):
    return f"/activities/lead/{lead_id}"


def hx(client, lead_id):
    """Headers of an htmx request from the lead's timeline page (the token from its meta tag)."""
    return {"HX-Request": "true", "X-CSRFToken": csrf_token(client, timeline_url(lead_id))}


def activities(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Activity).order_by(Activity.id)))


def add(app, lead, kind, actor, **data):
    with app.app_context():
        activity = services.add_activity(db.session.get(Lead, lead.id), kind, {"subject": "S"} | data,
                                         actor=db.session.get(type(actor), actor.id))
        db.session.commit()
        return activity.id


def test_timeline_page_and_fragment_come_from_the_same_route(rep_client, lead):
    page = rep_client.get(timeline_url(lead.id))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert re.search(r"<h1>\s*Lead Number \d+\s*</h1>", html) and "Acme Tools" in html
    assert '<section id="timeline"' in html
    fragment = rep_client.get(timeline_url(lead.id), headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert '<section id="timeline"' in text and "<h1>" not in text
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_the_lead_record_page_includes_the_timeline(app, rep, rep_client, lead):
    add(app, lead, "call", rep, subject="Discovery call")
    html = rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert '<section id="timeline"' in html and "Discovery call" in html
    assert f'hx-post="/activities/lead/{lead.id}/task"' in html


def test_the_fragment_root_is_the_timeline_section(rep_client, lead):
    text = rep_client.get(timeline_url(lead.id), headers={"HX-Request": "true"}).get_data(as_text=True)
    without_comments = re.sub(r"\s+", " ", text).strip()
    assert without_comments.startswith('<section id="timeline"') and without_comments.endswith("</section>")


def test_every_htmx_request_of_the_timeline_names_its_target(app, rep, rep_client, lead):
    add(app, lead, "task", rep, due_date=date.today())
    html = rep_client.get(timeline_url(lead.id)).get_data(as_text=True)
    fragment = html[html.index('<section id="timeline"'):]
    posts = re.findall(r"<form [^>]*hx-post=[^>]*>", fragment)
    assert len(posts) == 6  # five add forms, one task toggle
    for tag in posts:
        assert re.search(r'hx-target="#(timeline|activity-\d+)"', tag), tag
        assert 'method="post"' in tag and "action=" in tag  # also works without JavaScript


def test_every_form_carries_a_csrf_token(app, rep, rep_client, lead):
    add(app, lead, "task", rep)
    html = rep_client.get(timeline_url(lead.id)).get_data(as_text=True)
    forms = re.findall(r"<form .*?</form>", html, flags=re.S)
    timeline_forms = [f for f in forms if "/activities/" in f]
    assert len(timeline_forms) == 6
    for form in timeline_forms:
        assert re.search(r'name="([a-z]+-)?csrf_token" type="hidden" value="[^"]+"|'
                         r'type="hidden" name="csrf_token" value="[^"]+"', form), form


@pytest.mark.parametrize(("method", "path"), [("get", "/activities/lead/{lead}"),
                                              ("post", "/activities/lead/{lead}/note"),
                                              ("post", "/activities/{task}/done")])
def test_sign_in_required(app, client, lead, method, path):
    task = add(app, lead, "task", stored(app, make_user))
    url = path.format(lead=lead.id, task=task)
    data = {"csrf_token": csrf_token(client), "note-subject": "x", "done": "1"}
    response = client.get(url) if method == "get" else client.post(url, data=data)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    htmx = client.get(url, headers={"HX-Request": "true"}) if method == "get" else \
        client.post(url, data=data, headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/login")
    assert len(activities(app)) == 1 and activities(app)[0].done is False


def test_missing_or_deleted_lead_and_unknown_kind_are_404(app, rep_client, lead):
    token = csrf_token(rep_client, timeline_url(lead.id))
    assert rep_client.get(timeline_url(9999)).status_code == 404
    assert rep_client.post(f"/activities/lead/{lead.id}/fax", data={"csrf_token": token}).status_code == 404
    with app.app_context():
        db.session.get(Lead, lead.id).deleted_at = db.func.now()
        db.session.commit()
    assert rep_client.get(timeline_url(lead.id)).status_code == 404
    response = rep_client.post(f"/activities/lead/{lead.id}/note", data={"note-subject": "x", "csrf_token": token})
    assert response.status_code == 404 and activities(app) == []


def test_log_a_call_with_htmx_returns_the_timeline_with_the_call_and_an_empty_form(app, rep, rep_client, lead):
    response = rep_client.post(f"/activities/lead/{lead.id}/call", headers=hx(rep_client, lead.id),
                               data={"call-subject": "Discovery call", "call-body": "Needs 20 seats"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert '<section id="timeline"' in html
    items = html[html.index('class="activity-list"'):]
    assert "Discovery call" in items and "Needs 20 seats" in items and "Remy Rep" in items
    assert 'id="call-subject" maxlength="255" name="call-subject" required type="text" value=""' in html
    assert 'id="timeline-kind-call" value="call" checked' in html  # the same kind stays picked
    assert 'id="messages"' in html and "hx-swap-oob" in html and "Call logged." in html
    [call] = activities(app)
    assert (call.kind, call.subject, call.body, call.lead_id, call.created_by_id) == (
        "call", "Discovery call", "Needs 20 seats", lead.id, rep.id)


def test_plain_post_redirects_back_to_the_referring_page(app, rep_client, lead):
    token = csrf_token(rep_client, timeline_url(lead.id))
    response = rep_client.post(f"/activities/lead/{lead.id}/note",
                               data={"note-subject": "Met at the fair", "csrf_token": token},
                               headers={"Referer": f"http://localhost/leads/{lead.id}?tab=activity"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/leads/{lead.id}?tab=activity#timeline"
    assert [a.subject for a in activities(app)] == ["Met at the fair"]


def test_plain_post_without_a_referrer_or_from_elsewhere_goes_to_the_timeline_page(app, rep_client, lead):
    token = csrf_token(rep_client, timeline_url(lead.id))
    for referrer in (None, "https://evil.example/phish", "http://localhost//evil.example/phish",
                     "http://localhost/\\evil.example/phish"):
        headers = {"Referer": referrer} if referrer else {}
        response = rep_client.post(f"/activities/lead/{lead.id}/email", headers=headers,
                                   data={"email-subject": "Sent brochure", "csrf_token": token})
        assert response.status_code == 303
        assert response.headers["Location"] == f"/activities/lead/{lead.id}#timeline"
    page = rep_client.get(timeline_url(lead.id)).get_data(as_text=True)
    assert "Email logged." in page and page.count("Sent brochure") == 4


def test_task_with_assignee_priority_and_due_date(app, rep, rep_client, lead):
    colleague = stored(app, make_user, name="Cole League")
    due = date.today() + timedelta(days=2)
    response = rep_client.post(f"/activities/lead/{lead.id}/task", headers=hx(rep_client, lead.id), data={
        "task-subject": "Send the quote", "task-due_date": due.isoformat(), "task-priority": "High",
        "task-assignee_id": str(colleague.id)})
    assert response.status_code == 200
    [task] = activities(app)
    assert (task.kind, task.due_date, task.priority, task.assignee_id, task.done) == (
        "task", due, "High", colleague.id, False)
    item = re.search(r'<li id="activity-\d+".*?</li>', response.get_data(as_text=True), flags=re.S).group(0)
    assert "Cole League" in item and "High" in item and due.strftime("%Y") in item
    assert "Overdue" not in item and "Mark done: Send the quote" in item


def test_the_task_form_assigns_to_me_by_default_and_offers_active_users_only(app, rep, rep_client, lead):
    stored(app, make_user, name="Gone Away", active=False)
    html = rep_client.get(timeline_url(lead.id)).get_data(as_text=True)
    select = re.search(r'<select id="task-assignee_id".*?</select>', html, flags=re.S).group(0)
    assert f'<option selected value="{rep.id}">Remy Rep</option>' in select
    assert "Gone Away" not in select


def test_overdue_tasks_are_marked_done_and_future_ones_are_not(app, rep, rep_client, lead):
    yesterday = date.today() - timedelta(days=1)
    overdue = add(app, lead, "task", rep, subject="Late one", due_date=yesterday)
    finished = add(app, lead, "task", rep, subject="Late but done", due_date=yesterday)
    add(app, lead, "task", rep, subject="Tomorrow", due_date=date.today() + timedelta(days=1))
    with app.app_context():
        services.set_done(db.session.get(Activity, finished), True, actor=None)
        db.session.commit()
    html = rep_client.get(timeline_url(lead.id)).get_data(as_text=True)
    items = dict(re.findall(r'<li id="activity-(\d+)"(.*?)</li>', html, flags=re.S))
    assert "Overdue" in items[str(overdue)] and "is-overdue" in items[str(overdue)]
    assert "Overdue" not in items[str(finished)] and "Mark not done: Late but done" in items[str(finished)]
    assert html.count(">Overdue<") == 1


def test_timeline_is_newest_first_and_escapes_what_users_typed(app, rep, rep_client, lead):
    add(app, lead, "note", rep, subject="Older")
    add(app, lead, "call", rep, subject="<script>alert(1)</script>")
    add(app, lead, "task", rep, subject="<img src=x onerror=alert(2)>", due_date=date.today())
    html = rep_client.get(timeline_url(lead.id)).get_data(as_text=True)
    assert html.index("&lt;script&gt;alert(1)&lt;/script&gt;") < html.index("Older")
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "Mark done: &lt;img src=x onerror=alert(2)&gt;" in html
    home = rep_client.get("/").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(2)&gt;" in home and "<img src=x" not in home


def test_event_is_stored_with_its_times(app, rep_client, lead):
    response = rep_client.post(f"/activities/lead/{lead.id}/event", headers=hx(rep_client, lead.id), data={
        "event-subject": "Demo", "event-starts_at": "2026-12-01T14:00", "event-ends_at": "2026-12-01T15:30"})
    assert response.status_code == 200
    [event] = activities(app)
    assert (event.starts_at.isoformat(), event.ends_at.isoformat()) == ("2026-12-01T14:00:00", "2026-12-01T15:30:00")


INVALID = [
    ("note", {"note-subject": "   ", "note-body": "kept text"}, "note-subject", "This field is required.",
     "kept text"),
    ("task", {"task-subject": "Quote", "task-due_date": "2026-13-45", "task-priority": "Normal"},
     "task-due_date", "Enter a valid date.", "2026-13-45"),
    ("task", {"task-subject": "Quote", "task-priority": "Urgent"}, "task-priority", "Not a valid choice", "Quote"),
    ("task", {"task-subject": "Quote", "task-priority": "Normal", "task-assignee_id": "9999"},
     "task-assignee_id", "Not a valid choice", "Quote"),
    ("event", {"event-subject": "Demo", "event-starts_at": "2026-12-01T15:00", "event-ends_at": "2026-12-01T14:00"},
     "event-ends_at", "The end cannot be before the start.", "2026-12-01T14:00"),
    ("event", {"event-subject": "Demo", "event-starts_at": "tomorrow", "event-ends_at": "2026-12-01T14:00"},
     "event-starts_at", "Enter a valid date and time.", "tomorrow"),
    ("event", {"event-subject": "Demo", "event-ends_at": "2026-12-01T14:00"},
     "event-starts_at", "This field is required.", "Demo"),
]


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
@pytest.mark.parametrize(("kind", "data", "field", "message", "kept"), INVALID,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(INVALID)])
def test_invalid_input_is_422_with_the_error_beside_the_field(app, rep_client, lead, htmx, kind, data, field,
                                                              message, kept):
    headers = hx(rep_client, lead.id)
    if not htmx:
        data = data | {"csrf_token": headers.pop("X-CSRFToken")}
        headers = {}
    response = rep_client.post(f"/activities/lead/{lead.id}/{kind}", data=data, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert ("<html" in html) is not htmx
    assert f'<p class="field-error" id="{field}-error">' in html and message in html
    assert re.search(rf'aria-describedby="{field}-error" aria-invalid="true"[^>]*id="{field}"', html)
    assert kept in html  # what was typed comes back
    assert f'id="timeline-kind-{kind}" value="{kind}" checked' in html
    assert activities(app) == []


def test_a_post_without_csrf_token_is_refused(app, rep_client, lead):
    response = rep_client.post(f"/activities/lead/{lead.id}/note", data={"note-subject": "Sneaky"})
    assert response.status_code == 400 and activities(app) == []
    task = add(app, lead, "task", stored(app, make_user))
    response = rep_client.post(f"/activities/{task}/done", data={"done": "1"})
    assert response.status_code == 400 and activities(app)[0].done is False


def test_tick_a_task_done_and_undone_with_htmx_swaps_the_one_item(app, rep, rep_client, lead):
    task = add(app, lead, "task", rep, subject="Call back", due_date=date.today() - timedelta(days=2))
    headers = hx(rep_client, lead.id)
    response = rep_client.post(f"/activities/{task}/done", data={"done": "1"}, headers=headers)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.sub(r"\s+", " ", html).strip().startswith(f'<li id="activity-{task}"')
    assert "Mark not done: Call back" in html and "is-done" in html and "Overdue" not in html
    assert 'name="done" value="0"' in html and 'Task “Call back” done.' in html
    [stored_task] = activities(app)
    assert stored_task.done is True and stored_task.done_at is not None

    html = rep_client.post(f"/activities/{task}/done", data={"done": "0"}, headers=headers).get_data(as_text=True)
    assert "Mark done: Call back" in html and "Overdue" in html and 'name="done" value="1"' in html
    assert activities(app)[0].done is False


def test_tick_from_my_tasks_returns_the_my_tasks_item(app, rep, rep_client, lead):
    task = add(app, lead, "task", rep, subject="Call back", due_date=date.today())
    response = rep_client.post(f"/activities/{task}/done", data={"done": "1", "view": "my-tasks"},
                               headers=hx(rep_client, lead.id))
    html = re.sub(r"\s+", " ", response.get_data(as_text=True)).strip()
    assert html.startswith(f'<li id="my-task-{task}"') and 'hx-target="#my-task-' in html
    assert f'href="/leads/{lead.id}"' in html


def test_tick_without_javascript_redirects_back(app, rep, rep_client, lead):
    task = add(app, lead, "task", rep, subject="Call back")
    token = csrf_token(rep_client, timeline_url(lead.id))
    response = rep_client.post(f"/activities/{task}/done", data={"done": "1", "csrf_token": token},
                               headers={"Referer": f"http://localhost/activities/lead/{lead.id}"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/activities/lead/{lead.id}#activity-{task}"
    response = rep_client.post(f"/activities/{task}/done", data={"done": "0", "view": "my-tasks",
                                                                  "csrf_token": token})
    assert response.headers["Location"] == f"/#my-task-{task}"
    assert activities(app)[0].done is False


def test_only_tasks_can_be_ticked_and_missing_ones_are_404(app, rep, rep_client, lead):
    note = add(app, lead, "note", rep)
    headers = hx(rep_client, lead.id)
    assert rep_client.post(f"/activities/{note}/done", data={"done": "1"}, headers=headers).status_code == 400
    assert activities(app)[0].done is False
    assert rep_client.post("/activities/9999/done", data={"done": "1"}, headers=headers).status_code == 404
