"""Activity rules: adding to a record's timeline, ticking tasks done, a user's open tasks."""

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.activities import services
from crm.extensions import db
from crm.models import Activity
from tests.activities.test_records import make_opportunity
from tests.factories import make_account, make_contact, make_lead, make_user

TODAY = date(2026, 11, 24)


@pytest.fixture
def actor(app_ctx):
    return make_user(name="Ann Actor")


@pytest.fixture
def lead(actor):
    return make_lead(actor=actor)


def add_task(lead, actor, subject, due=None, **extra):
    data = {"subject": subject, "due_date": due, "priority": "Normal", "assignee_id": actor.id} | extra
    return services.add_activity(lead, "task", data, actor=actor)


@pytest.mark.parametrize("kind", ["note", "call", "email"])
def test_add_note_call_email_keeps_subject_and_body_only(lead, actor, kind):
    activity = services.add_activity(lead, kind, {
        "subject": "  Talked about pricing ", "body": "They want 20 seats.",
        "due_date": TODAY, "assignee_id": actor.id, "done": True, "lead_id": 999,
    }, actor=actor)
    db.session.commit()
    stored = db.session.get(Activity, activity.id)
    assert (stored.kind, stored.subject, stored.body) == (kind, "Talked about pricing", "They want 20 seats.")
    assert stored.lead_id == lead.id and stored.created_by_id == actor.id
    # Fields of other kinds, and ones no form may write, are ignored.
    assert stored.due_date is None and stored.assignee_id is None and stored.done is False


def test_add_task_defaults_to_the_actor_and_normal_priority(lead, actor):
    task = services.add_activity(lead, "task", {"subject": "Send the quote", "due_date": TODAY}, actor=actor)
    assert (task.assignee_id, task.priority, task.due_date, task.done) == (actor.id, "Normal", TODAY, False)


def test_add_task_to_another_active_user(lead, actor):
    colleague = make_user(name="Cole League")
    task = add_task(lead, actor, "Visit", TODAY, assignee_id=colleague.id, priority="High")
    assert task.assignee_id == colleague.id and task.priority == "High"


def test_a_task_cannot_go_to_an_inactive_or_missing_user(lead, actor):
    gone = make_user(active=False)
    with pytest.raises(services.InvalidAssignee):
        add_task(lead, actor, "Visit", assignee_id=gone.id)
    with pytest.raises(services.InvalidAssignee):
        add_task(lead, actor, "Visit", assignee_id=987654)


def test_a_task_priority_is_high_normal_or_low(lead, actor):
    with pytest.raises(services.InvalidPriority):
        add_task(lead, actor, "Visit", priority="Urgent")


def test_every_activity_needs_a_subject(lead, actor):
    with pytest.raises(services.SubjectRequired):
        services.add_activity(lead, "note", {"subject": "   ", "body": "text"}, actor=actor)


def test_unknown_kind_is_refused(lead, actor):
    with pytest.raises(services.UnknownKind):
        services.add_activity(lead, "fax", {"subject": "x"}, actor=actor)


def test_event_end_may_equal_but_not_precede_its_start(lead, actor):
    start = datetime(2026, 11, 24, 14, 0)
    event = services.add_activity(lead, "event", {"subject": "Demo", "starts_at": start, "ends_at": start},
                                  actor=actor)
    assert (event.starts_at, event.ends_at) == (start, start)
    with pytest.raises(services.EndsBeforeStart):
        services.add_activity(lead, "event", {"subject": "Demo", "starts_at": start,
                                              "ends_at": start - timedelta(minutes=1)}, actor=actor)
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 1


def test_set_done_and_undone(lead, actor):
    task = add_task(lead, actor, "Call back", TODAY)
    services.set_done(task, True, actor=actor)
    assert task.done is True and task.done_at is not None
    services.set_done(task, False, actor=actor)
    assert task.done is False and task.done_at is None


def test_only_tasks_are_ticked_done(lead, actor):
    note = services.add_activity(lead, "note", {"subject": "Hello"}, actor=actor)
    with pytest.raises(services.NotATask):
        services.set_done(note, True, actor=actor)


def test_services_flush_but_never_commit(lead, actor):
    add_task(lead, actor, "Not committed")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 0


def test_my_open_tasks_overdue_first_then_today_then_later_then_undated(lead, actor):
    later = add_task(lead, actor, "Later", TODAY + timedelta(days=3))
    undated = add_task(lead, actor, "Undated")
    today_low = add_task(lead, actor, "Today low", TODAY, priority="Low")
    today_high = add_task(lead, actor, "Today high", TODAY, priority="High")
    overdue = add_task(lead, actor, "Overdue", TODAY - timedelta(days=1))
    result = services.my_open_tasks(actor, TODAY, 20)
    assert [t.subject for t in result.tasks] == [s.subject for s in (overdue, today_high, today_low, later, undated)]
    assert result.more == 0


def test_my_open_tasks_leaves_out_done_others_non_tasks_and_deleted_leads(lead, actor):
    other = make_user()
    mine = add_task(lead, actor, "Mine", TODAY)
    services.set_done(add_task(lead, actor, "Done", TODAY), True, actor=actor)
    add_task(lead, actor, "Theirs", TODAY, assignee_id=other.id)
    services.add_activity(lead, "note", {"subject": "A note"}, actor=actor)
    binned = make_lead(actor=actor)
    add_task(binned, actor, "On a deleted lead", TODAY)
    binned.deleted_at = datetime(2026, 11, 1)
    db.session.flush()
    assert services.my_open_tasks(actor, TODAY, 20).tasks == [mine]


def test_my_open_tasks_is_limited_and_counts_the_rest(lead, actor):
    for n in range(23):
        add_task(lead, actor, f"Task {n:02}", TODAY + timedelta(days=n))
    result = services.my_open_tasks(actor, TODAY, 20)
    assert len(result.tasks) == 20 and result.more == 3
    assert result.tasks[0].subject == "Task 00" and result.tasks[-1].subject == "Task 19"
    exactly = services.my_open_tasks(actor, TODAY, 23)
    assert len(exactly.tasks) == 23 and exactly.more == 0


def test_my_open_tasks_and_the_timeline_do_not_query_per_row(app, lead, actor):
    for n in range(5):
        add_task(lead, actor, f"Task {n}", TODAY, assignee_id=make_user().id if n % 2 else actor.id)
        services.add_activity(lead, "call", {"subject": f"Call {n}"}, actor=actor)
    db.session.commit()
    db.session.expire_all()
    assert actor.id and lead.id  # loaded again before counting
    statements = []
    engine = db.engine

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        with app.test_request_context():
            tasks = services.my_open_tasks(actor, TODAY, 20).tasks
            _ = [(t.lead.name, t.lead.status.label, t.subject) for t in tasks]
            assert len(tasks) == 3 and len(statements) == 1
            statements.clear()
            activities, _more = services.lead_activities(lead)
            _ = [(a.assignee and a.assignee.name, a.created_by.name) for a in activities]
            assert len(activities) == 10 and len(statements) == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def test_the_timeline_shows_the_latest_activities_and_says_when_there_are_more(lead, actor):
    for n in range(3):
        services.add_activity(lead, "note", {"subject": f"Note {n}"}, actor=actor)
    shown, more = services.lead_activities(lead, limit=2)
    assert [a.subject for a in shown] == ["Note 2", "Note 1"] and more is True
    assert services.lead_activities(lead, limit=3)[1] is False


def test_timeline_newest_first_with_empty_forms(app, lead, actor):
    first = services.add_activity(lead, "note", {"subject": "First"}, actor=actor)
    first.created_at = datetime(2026, 1, 1)
    second = services.add_activity(lead, "call", {"subject": "Second"}, actor=actor)
    db.session.commit()
    with app.test_request_context():
        context = services.timeline_context(lead=lead)
    assert [a.subject for a in context["timeline_activities"]] == [second.subject, first.subject]
    assert set(context["timeline_forms"]) == {"note", "call", "email", "task", "event"}
    assert all(not form.subject.data for form in context["timeline_forms"].values())
    assert actor in context["timeline_users"]
    assert context["timeline_today"] == date.today() and context["timeline_kind"] == "note"
    assert "lead" not in context  # the including page passes `lead` itself


def test_timeline_context_takes_any_record_and_keeps_the_lead_keyword(app, lead, actor):
    account = make_account(actor)
    contact = make_contact(account, actor)
    opportunity = make_opportunity(account, actor)
    with app.test_request_context():
        for record, record_type in ((lead, "lead"), (account, "account"), (contact, "contact"),
                                    (opportunity, "opportunity")):
            context = services.timeline_context(record)
            assert (context["timeline_record_type"], context["timeline_record_id"]) == (record_type, record.id)
            assert record_type not in context and "record" not in context
        assert services.timeline_context(lead=lead)["timeline_record_type"] == "lead"
        assert services.timeline_context(record=contact)["timeline_record_id"] == contact.id
    with pytest.raises(TypeError):
        services.add_activity(actor, "note", {"subject": "On a user?"}, actor=actor)


def test_add_activity_links_the_record_and_its_account(lead, actor):
    account = make_account(actor)
    contact = make_contact(account, actor)
    opportunity = make_opportunity(account, actor)
    links = ("lead_id", "account_id", "contact_id", "opportunity_id")
    cases = [(lead, (lead.id, None, None, None)), (account, (None, account.id, None, None)),
             (contact, (None, account.id, contact.id, None)), (opportunity, (None, account.id, None, opportunity.id))]
    for record, expected in cases:
        # Keys in the submitted data are never written: only the record decides.
        activity = services.add_activity(record, "note", {"subject": "S", "account_id": 999, "lead_id": 999},
                                         actor=actor)
        assert tuple(getattr(activity, link) for link in links) == expected, record


def test_the_account_timeline_is_one_query_with_whom_each_activity_is_about(app, lead, actor):
    account = make_account(actor)
    contacts = [make_contact(account, actor) for _ in range(3)]
    opportunity = make_opportunity(account, actor)
    for n, contact in enumerate(contacts):
        services.add_activity(contact, "task", {"subject": f"Task {n}", "assignee_id": actor.id}, actor=actor)
    services.add_activity(opportunity, "call", {"subject": "Call"}, actor=actor)
    services.add_activity(account, "note", {"subject": "Note"}, actor=actor)
    services.add_activity(lead, "note", {"subject": "Not the account's"}, actor=actor)
    db.session.commit()
    db.session.expire_all()
    assert account.id  # loaded again before counting
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        activities, more = services.record_activities(account)
        about = [(a.contact and a.contact.name, a.opportunity and a.opportunity.name, a.created_by.name,
                  a.assignee and a.assignee.name) for a in activities]
        assert len(statements) == 1 and len(about) == 5 and more is False
        assert [a.subject for a in activities] == ["Note", "Call", "Task 2", "Task 1", "Task 0"]
        statements.clear()
        tasks = services.my_open_tasks(actor, TODAY, 20).tasks
        with app.test_request_context():
            links = [(t.contact.name, t.account.name, services.activity_record_url(t)) for t in tasks]
        assert len(tasks) == 3 and len(statements) == 1
        assert {url for *_, url in links} == {f"/contacts/{c.id}" for c in contacts}
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    shown, more = services.record_activities(account, limit=2)
    assert [a.subject for a in shown] == ["Note", "Call"] and more is True
