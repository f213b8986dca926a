"""Timelines of accounts, contacts and opportunities over HTTP, and a lead's activity once it is converted."""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from flask import url_for

from crm.activities import services
from crm.extensions import db
from crm.models import Account, Activity, Contact, Lead, Opportunity, Stage, User
from tests.conftest import csrf_token, stored
from tests.factories import make_account, make_contact, make_lead, make_user


def make_opportunity(account, actor=None, **overrides):
    """An opportunity of `account` at the default pipeline's first stage."""
    actor = actor or make_user()
    stage = db.session.scalar(sa.select(Stage).order_by(Stage.pipeline_id, Stage.position).limit(1))
    opportunity = Opportunity(**({"name": "Twenty seats", "account_id": account.id, "pipeline_id": stage.pipeline_id,
                                  "stage_id": stage.id, "owner_id": actor.id} | overrides))
    db.session.add(opportunity)
    db.session.commit()
    db.session.refresh(opportunity)
    return opportunity


@pytest.fixture
def account(app):
    return stored(app, make_account, name="Acme Tools")


@pytest.fixture
def contact(app, account):
    with app.app_context():
        return stored(app, make_contact, account=db.session.get(Account, account.id), first_name="Carla",
                      last_name="Contact")


@pytest.fixture
def opportunity(app, account):
    with app.app_context():
        return stored(app, make_opportunity, account=db.session.get(Account, account.id), name="Twenty seats")


MODELS = {"lead": Lead, "account": Account, "contact": Contact, "opportunity": Opportunity}


def add(app, record_type, record_id, actor, subject, kind="note", **data):
    """An activity added through the service on the record, by `actor`."""
    with app.app_context():
        record = db.session.get(MODELS[record_type], record_id)
        activity = services.add_activity(record, kind, {"subject": subject} | data,
                                         actor=db.session.get(User, actor.id))
        db.session.commit()
        return activity.id


def activities(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(Activity).order_by(Activity.id)))


def hx(client, path):
    return {"HX-Request": "true", "X-CSRFToken": csrf_token(client, path)}


def items(html):
    return dict(re.findall(r'<li id="activity-(\d+)"(.*?)</li>', html, flags=re.S))


@pytest.mark.parametrize("record_type", ["account", "contact", "opportunity"])
def test_timeline_page_and_fragment_of_every_record_type(app, rep_client, record_type, account, contact,
                                                         opportunity):
    record = {"account": account, "contact": contact, "opportunity": opportunity}[record_type]
    path = f"/activities/{record_type}/{record.id}"
    page = rep_client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert re.search(rf"<h1>\s*{re.escape(record.name)}\s*</h1>", html)
    assert f'hx-post="/activities/{record_type}/{record.id}/task"' in html
    assert len(re.findall(rf'action="/activities/{record_type}/{record.id}/[a-z]+"', html)) == 5
    fragment = rep_client.get(path, headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text and "<h1>" not in text
    assert re.sub(r"\s+", " ", text).strip().startswith('<section id="timeline"')
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in page.headers["Vary"]


def test_the_account_timeline_shows_its_own_its_contacts_and_its_opportunities_activities(
        app, rep, rep_client, account, contact, opportunity):
    own = add(app, "account", account.id, rep, "Account note")
    of_contact = add(app, "contact", contact.id, rep, "Called Carla", kind="call")
    of_opportunity = add(app, "opportunity", opportunity.id, rep, "Sent the quote", kind="email")
    with app.app_context():
        other = make_contact(make_account(name="Other Co"), first_name="Otto").id
        # A converted lead's activity carries its contact, not (yet) the account.
        lead = make_lead()
        moved = services.add_activity(lead, "note", {"subject": "From the lead"}, actor=db.session.get(User, rep.id))
        moved.contact_id = contact.id
        db.session.commit()
        moved = moved.id
    add(app, "contact", other, rep, "Someone else's call", kind="call")
    html = rep_client.get(f"/activities/account/{account.id}").get_data(as_text=True)
    found = items(html)
    assert set(found) == {str(own), str(of_contact), str(of_opportunity), str(moved)}
    assert "Someone else's call" not in html
    # Newest first, each saying which contact or opportunity it is about.
    assert list(found) == [str(moved), str(of_opportunity), str(of_contact), str(own)]
    assert f'href="/contacts/{contact.id}">Carla Contact</a>' in found[str(of_contact)]
    assert f'href="/opportunities/{opportunity.id}">Twenty seats</a>' in found[str(of_opportunity)]
    assert "About:" not in found[str(own)]
    # The contact's own timeline has only its activities.
    contact_html = rep_client.get(f"/activities/contact/{contact.id}").get_data(as_text=True)
    assert set(items(contact_html)) == {str(of_contact), str(moved)} and "About:" not in contact_html


def test_an_activity_of_a_lead_and_its_contact_shows_on_both_timelines(app, rep, rep_client, contact):
    lead = stored(app, make_lead)
    activity = add(app, "lead", lead.id, rep, "Discovery call", kind="call")
    with app.app_context():
        db.session.get(Activity, activity).contact_id = contact.id
        db.session.commit()
    for path in (f"/activities/lead/{lead.id}", f"/activities/contact/{contact.id}", f"/leads/{lead.id}"):
        assert str(activity) in items(rep_client.get(path).get_data(as_text=True)), path


def test_adding_on_a_contact_sets_its_account_and_shows_on_the_account(app, rep, rep_client, account, contact):
    path = f"/activities/contact/{contact.id}"
    response = rep_client.post(f"{path}/call", headers=hx(rep_client, path),
                               data={"call-subject": "Called Carla", "call-body": "Wants a demo"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "Called Carla" in html
    assert 'id="timeline-kind-call" value="call" checked' in html and "Call logged." in html
    [call] = activities(app)
    assert (call.contact_id, call.account_id, call.lead_id, call.opportunity_id) == (contact.id, account.id, None,
                                                                                     None)
    assert str(call.id) in items(rep_client.get(f"/activities/account/{account.id}").get_data(as_text=True))


def test_adding_on_an_opportunity_or_an_account_sets_the_right_keys(app, rep_client, account, opportunity):
    token = csrf_token(rep_client, f"/activities/account/{account.id}")
    response = rep_client.post(f"/activities/opportunity/{opportunity.id}/note",
                               data={"note-subject": "Budget approved", "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/activities/opportunity/{opportunity.id}#timeline"
    response = rep_client.post(f"/activities/account/{account.id}/task",
                               data={"task-subject": "Renewal", "task-priority": "Normal", "csrf_token": token},
                               headers={"Referer": f"http://localhost/accounts/{account.id}"})
    assert response.status_code == 303 and response.headers["Location"] == f"/accounts/{account.id}#timeline"
    note, task = activities(app)
    assert (note.opportunity_id, note.account_id, note.contact_id) == (opportunity.id, account.id, None)
    assert (task.account_id, task.contact_id, task.opportunity_id, task.kind) == (account.id, None, None, "task")


def test_invalid_input_on_a_contact_is_422_and_posts_back_to_the_contact(app, rep_client, contact):
    path = f"/activities/contact/{contact.id}"
    response = rep_client.post(f"{path}/event", headers=hx(rep_client, path),
                               data={"event-subject": "Demo", "event-starts_at": "2026-12-01T15:00",
                                     "event-ends_at": "2026-12-01T14:00"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "The end cannot be before the start." in html
    assert f'hx-post="{path}/event"' in html and activities(app) == []


def test_unknown_record_type_missing_or_deleted_record_is_404(app, rep, rep_client, account, contact, opportunity):
    token = csrf_token(rep_client, f"/activities/account/{account.id}")
    for path in (f"/activities/campaign/{account.id}", f"/activities/user/{rep.id}", "/activities/contact/9999",
                 "/activities/account/9999", "/activities/opportunity/9999"):
        assert rep_client.get(path).status_code == 404, path
        assert rep_client.post(f"{path}/note", data={"note-subject": "x", "csrf_token": token}).status_code == 404
    with app.app_context():
        for model, record in ((Account, account), (Contact, contact), (Opportunity, opportunity)):
            db.session.get(model, record.id).deleted_at = db.func.now()
        db.session.commit()
    for record_type, record in (("account", account), ("contact", contact), ("opportunity", opportunity)):
        path = f"/activities/{record_type}/{record.id}"
        assert rep_client.get(path).status_code == 404, path
        response = rep_client.post(f"{path}/note", data={"note-subject": "x", "csrf_token": token})
        assert response.status_code == 404, path
    assert activities(app) == []


def test_sign_in_required_and_csrf_checked(app, client, rep_client, contact):
    path = f"/activities/contact/{contact.id}"
    assert rep_client.post(f"{path}/note", data={"note-subject": "Sneaky"}).status_code == 400
    rep_client.post("/logout", data={"csrf_token": csrf_token(rep_client, path)})
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert activities(app) == []


def test_ticking_a_contacts_task(app, rep, rep_client, account, contact):
    task = add(app, "contact", contact.id, rep, "Call Carla back", kind="task", due_date=date.today())
    path = f"/activities/account/{account.id}"
    # From the account's timeline: the task comes back still saying whom it is about.
    response = rep_client.post(f"/activities/{task}/done", data={"done": "1", "view": "account-timeline"},
                               headers=hx(rep_client, path))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and re.sub(r"\s+", " ", html).strip().startswith(f'<li id="activity-{task}"')
    assert f'href="/contacts/{contact.id}">Carla Contact</a>' in html and 'value="account-timeline"' in html
    # Without JavaScript and without a referrer: back to the contact's timeline.
    token = csrf_token(rep_client, path)
    response = rep_client.post(f"/activities/{task}/done", data={"done": "0", "csrf_token": token})
    assert response.headers["Location"] == f"/activities/contact/{contact.id}#activity-{task}"
    assert activities(app)[0].done is False
    with app.app_context():
        db.session.get(Contact, contact.id).deleted_at = db.func.now()
        db.session.commit()
    assert rep_client.post(f"/activities/{task}/done", data={"done": "1", "csrf_token": token}).status_code == 404


def test_the_lead_endpoints_still_build_the_lead_urls(app):
    with app.test_request_context():
        assert url_for("activities.add", lead_id=7, kind="note") == "/activities/lead/7/note"
        assert url_for("activities.lead_timeline", lead_id=7) == "/activities/lead/7"
        assert url_for("activities.timeline", record_type="contact", record_id=7) == "/activities/contact/7"
        assert url_for("activities.add_to_timeline", record_type="account", record_id=7,
                       kind="task") == "/activities/account/7/task"
