"""The audit trail (issue 9): field history of leads and opportunities from every writer, shown on
their record pages; the admin's audit log of sign-ins, exports, deletions...; no secret in any log."""

import logging
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm import audit
from crm.extensions import db
from crm.models import Lead, LeadStatus, Stage, User
from crm.models.audit import AuditEvent, FieldChange
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_account, make_lead, make_opportunity, make_user

HTMX = {"HX-Request": "true"}


def status(label: str) -> LeadStatus:
    return db.session.scalar(sa.select(LeadStatus).where(LeadStatus.label == label))


def stage(name: str) -> Stage:
    return db.session.scalar(sa.select(Stage).join(Stage.pipeline).where(Stage.name == name)
                             .order_by(sa.desc("is_default")).limit(1))


def history(record_type: str, record_id: int) -> list[tuple]:
    """(field, old value, new value, who) of a record, oldest first."""
    rows = db.session.execute(sa.select(FieldChange.field, FieldChange.old_value, FieldChange.new_value,
                                        FieldChange.changed_by_id)
                              .where(FieldChange.record_type == record_type, FieldChange.record_id == record_id)
                              .order_by(FieldChange.id))
    return [tuple(r) for r in rows]


def events(kind: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).order_by(AuditEvent.id)
    if kind:
        query = query.where(AuditEvent.kind == kind)
    return list(db.session.scalars(query))


def kinds() -> list[str]:
    return [e.kind for e in events()]


def post(client, path, data=None, token_page="/", **kwargs):  # noqa: S107 (a page, not a password)
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, token_page)}, **kwargs)


# Field history: every writer --------------------------------------------------------------------


def test_creation_writes_no_history_and_edits_write_one_row_per_tracked_field(app_ctx):
    rep, other = make_user(name="Remy Rep"), make_user(name="Olga Other")
    lead = make_lead(rep)
    assert history("lead", lead.id) == []
    from crm.leads import services

    services.update_lead(lead, {"title": "CEO"}, actor=rep)  # not a tracked field
    db.session.commit()
    assert history("lead", lead.id) == []
    services.set_status(lead, status("Working - Contacted"), actor=rep)
    lead.owner_id = other.id  # as the edit route does, outside any service
    db.session.commit()
    assert history("lead", lead.id) == [
        ("status", "Open - Not Contacted", "Working - Contacted", rep.id),
        ("owner", "Remy Rep", "Olga Other", rep.id),
    ]
    row = db.session.scalar(sa.select(FieldChange).where(FieldChange.field == "owner"))
    assert (row.old_id, row.new_id) == (rep.id, other.id)


def test_an_expired_record_still_knows_the_old_value(app_ctx):
    rep, other = make_user(name="Remy Rep"), make_user(name="Olga Other")
    lead = make_lead(rep)
    db.session.expire(lead)
    lead.owner_id = other.id
    db.session.commit()
    # No request: whoever the record was last stamped with is the best answer there is.
    assert history("lead", lead.id) == [("owner", "Remy Rep", "Olga Other", rep.id)]


def test_edit_form_and_path_click_record_who_changed_what(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Cloudy")
    with app.app_context():
        other = make_user(name="Olga Other")
        working = status("Working - Contacted").id
        closed = status("Closed - Not Converted").id
    response = post(rep_client, f"/leads/{lead.id}/edit", {
        "first_name": "Aparna", "last_name": "Bosu", "company": "Cloudy", "status": working, "owner": other.id},
        token_page="/leads/new")
    assert response.status_code == 303
    response = post(rep_client, f"/leads/{lead.id}/status", {"status_id": closed}, headers=HTMX)
    assert response.status_code == 200
    with app.app_context():
        assert history("lead", lead.id) == [
            ("status", "Open - Not Contacted", "Working - Contacted", rep.id),
            ("owner", "Remy Rep", "Olga Other", rep.id),
            ("status", "Working - Contacted", "Closed - Not Converted", rep.id),
        ]


def test_lead_board_move_records_the_status(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep)
    with app.app_context():
        working = status("Working - Contacted").id
    response = rep_client.post(f"/leads/{lead.id}/move", data={"status": working, "owner": ""},
                               headers=HTMX | {"X-CSRFToken": csrf_token(rep_client, "/leads/board")})
    assert response.status_code == 200
    with app.app_context():
        assert history("lead", lead.id) == [("status", "Open - Not Contacted", "Working - Contacted", rep.id)]


def test_bulk_change_owner_writes_every_row_in_one_statement(app, admin_client, admin, rep):
    leads = [stored(app, make_lead, actor=rep) for _ in range(3)]
    inserts = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO FIELD_CHANGES"):
            inserts.append(executemany)

    with app.app_context():
        engine = db.engine
    token = csrf_token(admin_client, "/leads")
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        response = admin_client.post("/leads/change-owner", data={
            "csrf_token": token, "target": f"user:{admin.id}", "lead_ids": [str(x.id) for x in leads]})
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert response.status_code == 303
    assert len(inserts) == 1
    with app.app_context():
        for lead in leads:
            assert history("lead", lead.id) == [("owner", "Remy Rep", "Ada Admin", admin.id)]


def test_assignment_rules_and_taking_from_a_queue(app_ctx):
    from crm.assignment import services as assignment

    rep, member = make_user(name="Remy Rep"), make_user(name="Mia Member")
    queue = assignment.create_queue(name="Paris")
    assignment.add_member(queue, member)
    assignment.create_rule(name="All", queue_id=queue.id)
    lead = make_lead(rep)
    assignment.assign(lead, actor=rep)
    db.session.commit()
    audit.record_changes(lead, {"owner": None, "queue": queue.id}, {"owner": member.id}, member)
    assignment.take(lead, member)
    db.session.commit()
    assert history("lead", lead.id) == [("owner", "Remy Rep", "Paris", rep.id),
                                        ("owner", "Paris", "Mia Member", member.id)]


def test_take_route_records_the_new_owner(app, client):
    with app.app_context():
        from crm.assignment import services as assignment

        member = make_user(name="Mia Member", email="mia@example.com")
        queue = assignment.create_queue(name="Paris")
        assignment.add_member(queue, member)
        lead = make_lead(member)
        lead.owner_id, lead.queue_id = None, queue.id
        db.session.commit()
        lead_id, member_id = lead.id, member.id
    login(client, "mia@example.com", PASSWORD)
    assert post(client, f"/leads/{lead_id}/take").status_code == 303
    with app.app_context():
        assert history("lead", lead_id)[-1] == ("owner", "Paris", "Mia Member", member_id)


def test_conversion_and_merge_record_status_and_owner(app_ctx):
    from crm.leads import duplicates
    from crm.leads.conversion import convert_lead

    rep, other = make_user(name="Remy Rep"), make_user(name="Olga Other")
    lead = make_lead(rep)
    convert_lead(lead, actor=rep, owner=other, account_name="Cloudy", create_opportunity=False)
    db.session.commit()
    assert sorted(history("lead", lead.id)) == [("owner", "Remy Rep", "Olga Other", rep.id),
                                                ("status", "Open - Not Contacted", "Closed - Converted", rep.id)]

    survivor, loser = make_lead(rep, last_name="Dupont"), make_lead(other, last_name="Dupond")
    merge = duplicates.merge_leads(survivor, [loser], {"owner_id": other.id}, actor=rep)
    db.session.commit()
    assert history("lead", survivor.id) == [("owner", "Remy Rep", "Olga Other", rep.id)]
    duplicates.undo_merge(merge, actor=rep)
    db.session.commit()
    assert history("lead", survivor.id)[-1] == ("owner", "Olga Other", "Remy Rep", rep.id)
    assert [e.kind for e in events()] == ["conversion", "merge", "merge_undone"]


def test_opportunity_edit_stage_and_admin_moving_deals(app_ctx):
    from crm.admin import pipelines_services
    from crm.opportunities import services

    rep, other = make_user(name="Remy Rep"), make_user(name="Olga Other")
    opportunity = make_opportunity(make_account(rep), actor=rep, amount=Decimal("1000"))
    assert history("opportunity", opportunity.id) == []
    services.update_opportunity(opportunity, actor=rep, amount=Decimal("1500.5"), close_date=date(2027, 3, 31),
                                owner_id=other.id)
    services.change_stage(opportunity, stage("Qualification"), actor=rep)
    services.set_probability(opportunity, 35)
    db.session.commit()
    assert history("opportunity", opportunity.id) == [
        ("owner", "Remy Rep", "Olga Other", rep.id),
        ("amount", "1000.00", "1500.50", rep.id),
        ("close_date", None, "2027-03-31", rep.id),
        ("stage", "Prospecting", "Qualification", rep.id),
        ("probability", "10", "35", rep.id),
    ]
    qualification, analysis = stage("Qualification"), stage("Needs Analysis")
    pipelines_services.delete_stage(qualification, move_to=analysis, actor=rep)
    db.session.commit()
    assert history("opportunity", opportunity.id)[-1] == ("stage", "Qualification", "Needs Analysis", rep.id)


def test_opportunity_board_move_records_the_stage(app, rep_client, rep):
    with app.app_context():
        opportunity = make_opportunity(make_account(rep), actor=rep)
        opportunity_id, target = opportunity.id, stage("Needs Analysis").id
    response = rep_client.post(f"/opportunities/{opportunity_id}/board-move",
                               data={"stage": target, "loss_reason": "", "owner": "", "close": ""},
                               headers=HTMX | {"X-CSRFToken": csrf_token(rep_client, "/opportunities/board")})
    assert response.status_code == 200
    with app.app_context():
        fields = [row[:3] for row in history("opportunity", opportunity_id)]
        assert ("stage", "Prospecting", "Needs Analysis") in fields


def test_bulk_inserts_write_no_history(app_ctx):
    from crm.demo import seed_demo

    seed_demo(20, users=2, opportunities=5, accounts=5, contacts=5, activities=5)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FieldChange)) == 0


# Field history on the record pages ---------------------------------------------------------------


def test_lead_record_page_shows_the_field_history_newest_first(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep)
    with app.app_context():
        from crm.leads import services

        record = db.session.get(Lead, lead.id)
        services.set_status(record, status("Working - Contacted"), actor=rep)
        db.session.commit()
        record.owner_id = make_user(name="Olga <b>Other</b>").id
        db.session.commit()
    html = rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    section = html[html.index('id="field-history"'):]
    assert "Field history" in html
    assert section.index("Olga &lt;b&gt;Other&lt;/b&gt;") < section.index("Working - Contacted")
    assert "<b>Other</b>" not in html


def test_opportunity_record_page_shows_the_field_history(app, rep_client, rep):
    with app.app_context():
        from crm.opportunities import services

        opportunity = make_opportunity(make_account(rep), actor=rep)
        services.update_opportunity(opportunity, actor=rep, amount=Decimal("2500"))
        db.session.commit()
        opportunity_id = opportunity.id
    html = rep_client.get(f"/opportunities/{opportunity_id}").get_data(as_text=True)
    section = html[html.index('id="field-history"'):]
    assert "Field history" in section and "2500.00" in section and "Amount" in section


def test_a_path_click_refreshes_the_field_history_out_of_band(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep)
    with app.app_context():
        working = status("Working - Contacted").id
    fragment = post(rep_client, f"/leads/{lead.id}/status", {"status_id": working}, headers=HTMX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html
    oob = html[html.index('id="field-history"'):]
    assert 'hx-swap-oob="true"' in oob.split(">", 1)[0] and "Working - Contacted" in oob
    page = rep_client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'hx-swap-oob' not in page[page.index('id="field-history"'):].split(">", 1)[0]


def test_a_stage_change_refreshes_the_opportunity_field_history_out_of_band(app, rep_client, rep):
    with app.app_context():
        opportunity = make_opportunity(make_account(rep), actor=rep)
        opportunity_id, target = opportunity.id, stage("Needs Analysis").id
    fragment = post(rep_client, f"/opportunities/{opportunity_id}/stage", {"stage_id": target}, headers=HTMX,
                    token_page=f"/opportunities/{opportunity_id}")
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    oob = html[html.index('id="field-history"'):]
    assert 'hx-swap-oob="true"' in oob.split(">", 1)[0] and "Needs Analysis" in oob


def test_french_readers_see_shipped_statuses_translated(app, client):
    with app.app_context():
        user = make_user(email="fr@example.com", locale="fr")
        from crm.leads import services

        lead = make_lead(user)
        services.set_status(lead, status("Working - Contacted"), actor=user)
        db.session.commit()
        lead_id = lead.id
    login(client, "fr@example.com", PASSWORD)
    html = client.get(f"/leads/{lead_id}").get_data(as_text=True)
    section = html[html.index('id="field-history"'):]
    assert "Working - Contacted" not in section


def test_the_history_adds_one_query_to_the_record_page_whatever_its_length(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep)
    with app.app_context():
        engine = db.engine
    counts = []

    def count(*args):
        counts[-1] += 1

    for n in (1, 30):
        with app.app_context():
            owners = [make_user() for _ in range(2)]
            record = db.session.get(Lead, lead.id)
            for i in range(n):
                record.owner_id = owners[i % 2].id
                db.session.commit()
        rep_client.get(f"/leads/{lead.id}")
        counts.append(0)
        sa.event.listen(engine, "before_cursor_execute", count)
        try:
            assert rep_client.get(f"/leads/{lead.id}").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", count)
    assert counts[0] == counts[1]


def test_the_history_shows_the_latest_fifty(app_ctx):
    rep = make_user()
    owners = [make_user() for _ in range(2)]
    lead = make_lead(rep)
    for i in range(55):
        lead.owner_id = owners[i % 2].id
        db.session.commit()
    shown = audit.field_history(lead)
    assert len(shown) == 50 and shown[0].id > shown[-1].id


# The audit log: each kind once -------------------------------------------------------------------


def test_sign_in_and_failed_sign_in(app, client, rep):
    assert login(client, rep.email, "wrong password").status_code == 422
    assert login(client, "nobody@example.com", "whatever").status_code == 422
    assert login(client, rep.email, PASSWORD).status_code == 303
    with app.app_context():
        failed = events("sign_in_failed")
        assert [(e.actor_id, e.actor_email) for e in failed] == [(None, rep.email), (None, "nobody@example.com")]
        signed = events("sign_in")
        assert [(e.actor_id, e.actor_email) for e in signed] == [(rep.id, rep.email)]
        assert signed[0].remote_addr == "127.0.0.1"


def test_a_password_typed_as_the_email_is_not_logged(app, client):
    assert login(client, "my secret passphrase", "whatever").status_code == 422
    with app.app_context():
        (event,) = events("sign_in_failed")
        assert event.actor_email is None and "passphrase" not in str(event.details) + event.summary


def test_a_deactivated_account_is_a_failed_sign_in_and_keeps_no_last_login(app, client):
    with app.app_context():
        user = make_user(email="gone@example.com", active=False)
        assert user.last_login_at is None
    assert login(client, "gone@example.com", PASSWORD).status_code == 422
    with app.app_context():
        assert [e.summary for e in events("sign_in_failed")] == ["deactivated account"]
        assert db.session.get(User, user.id).last_login_at is None


def test_export_deletion_restore(app, admin_client, admin):
    lead = stored(app, make_lead, actor=admin)
    assert admin_client.get("/leads/export.csv?q=number").status_code == 200
    assert post(admin_client, f"/leads/{lead.id}/delete").status_code == 303
    assert post(admin_client, f"/leads/{lead.id}/restore").status_code == 303
    with app.app_context():
        opportunity = make_opportunity(make_account(admin), actor=admin)
    assert post(admin_client, f"/opportunities/{opportunity.id}/delete").status_code == 303
    with app.app_context():
        assert kinds() == ["sign_in", "export", "delete", "restore", "delete"]
        export, deleted, restored, deal = events()[1:]
        assert export.summary == "leads.csv" and export.details == {"filters": {"q": "number"}}
        assert (deleted.target_type, deleted.target_id, restored.target_id) == ("lead", lead.id, lead.id)
        assert (deal.target_type, deal.target_id) == ("opportunity", opportunity.id)
        assert {e.actor_id for e in events()} == {admin.id}


def test_conversion_route(app, rep_client, rep):
    lead = stored(app, make_lead, actor=rep, company="Cloudy")
    response = post(rep_client, f"/leads/{lead.id}/convert", {
        "account_id": "new", "account_name": "Cloudy", "contact_id": "new", "opportunity_id": "none",
        "owner": rep.id, "status": ""}, token_page=f"/leads/{lead.id}/convert")
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        (event,) = events("conversion")
        assert (event.target_type, event.target_id, event.actor_id) == ("lead", lead.id, rep.id)


def test_import_and_its_undo(app_ctx):
    from crm.imports import services
    from tests.imports.conftest import csv_bytes, run, start

    importer = make_user()
    imp = start(csv_bytes("Last name,Company\nDupont,Acme\n"), actor=importer, name="partners.csv")
    run(imp)
    services.undo_import(db.session.get(type(imp), imp.id), actor=importer)
    db.session.commit()
    assert kinds() == ["import", "import_undone"]
    assert all(e.summary == "leads from partners.csv" and e.actor_id == importer.id for e in events())


def test_settings_changes_on_the_admin_pages(app, admin_client, admin):
    response = post(admin_client, "/admin/users/new", {
        "name": "New Rep", "email": "new@example.com", "role": "rep", "manager_id": "",
        "password": "a long new secret 42", "confirm": "a long new secret 42"}, token_page="/admin/users/new")
    assert response.status_code == 303
    assert post(admin_client, "/admin/sharing", {"sharing": "private"}, token_page="/admin/sharing").status_code == 303
    with app.app_context():
        created, shared = events("settings")
        assert created.summary == "new user" and created.details["form"]["email"] == "new@example.com"
        assert "password" not in created.details["form"] and "confirm" not in created.details["form"]
        assert "a long new secret 42" not in str(created.details)
        assert shared.details == {"setting": "sharing", "old": "public", "new": "private"}


def test_a_refused_settings_form_is_not_logged(app, admin_client):
    response = post(admin_client, "/admin/users/new", {"name": "", "email": "x"}, token_page="/admin/users/new")
    assert response.status_code == 422
    with app.app_context():
        assert events("settings") == []


def test_web_form_settings_are_logged_but_public_posts_are_not(app, admin_client, admin):
    from tests.webforms.conftest import make_web_form

    with app.app_context():
        web_form = make_web_form(actor=db.session.get(User, admin.id))
        form_id = web_form.id
    page = admin_client.get(f"/forms/{form_id}/edit").get_data(as_text=True)
    fields = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    fields.pop("csrf_token", None)
    response = post(admin_client, f"/forms/{form_id}/edit", {**fields, "name": "Renamed form"},
                    token_page=f"/forms/{form_id}/edit")
    assert response.status_code in (200, 303), response.get_data(as_text=True)[:300]
    with app.app_context():
        (event,) = events("settings")
        assert event.details["endpoint"] == "webforms.edit"


# The audit page -----------------------------------------------------------------------------------


def test_the_audit_page_is_for_admins_only(app, client, rep_client):
    assert rep_client.get("/admin/audit").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/audit")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_the_audit_page_lists_newest_first_with_filters_and_a_fragment(app, admin_client, admin, rep):
    client = admin_client
    with app.app_context():
        audit.log_event("export", "rep's export", actor=db.session.get(User, rep.id))
        db.session.commit()
    page = client.get("/admin/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Audit log" in html
    listed = html[html.index('id="audit-list"'):]
    assert listed.index("rep&#39;s export") < listed.index("admin@example.com")
    assert 'href="/admin/audit"' in html  # the admin nav links here
    fragment = client.get(f"/admin/audit?kind=sign_in&actor={admin.id}", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="audit-list"' in fragment
    assert "admin@example.com" in fragment and "rep&#39;s export" not in fragment
    assert "rep&#39;s export" in client.get(f"/admin/audit?actor={rep.id}").get_data(as_text=True)


def test_the_audit_page_pages_on_the_id(app, admin_client):
    with app.app_context():
        for n in range(60):
            audit.log_event("export", f"export {n:02d}")
        db.session.commit()
    first = admin_client.get("/admin/audit?kind=export").get_data(as_text=True)
    assert "export 59" in first and "export 09" not in first
    older = re.search(r'href="(/admin/audit\?[^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = admin_client.get(older, headers=HTMX).get_data(as_text=True)
    assert "export 09" in second and "export 00" in second and "export 59" not in second


@pytest.mark.parametrize("query", ["?kind=%27;drop", "?actor=-1", "?before=abc", "?actor=99999999999999999999"])
def test_hostile_filters_are_ignored(admin_client, query):
    assert admin_client.get(f"/admin/audit{query}").status_code == 200


# No secret in any log ------------------------------------------------------------------------------


def test_no_password_token_or_session_id_in_the_audit_log_or_the_logs(app, client, rep, caplog):
    caplog.set_level(logging.DEBUG)
    wrong, new = "Wrong-horse-battery-1", "A brand new passphrase 2026"
    assert login(client, rep.email, wrong).status_code == 422
    assert login(client, rep.email, PASSWORD).status_code == 303
    token = csrf_token(client, "/profile")
    response = client.post("/profile/password", data={
        "csrf_token": token, "current_password": PASSWORD, "password": new, "confirm": new})
    assert response.status_code == 303
    cookie = client.get_cookie("session")
    with app.app_context():
        assert kinds() == ["sign_in_failed", "sign_in", "password_changed"]
        user = db.session.get(User, rep.id)
        secrets = [wrong, PASSWORD, new, token, user.password_hash, cookie.value if cookie else "no cookie"]
        if getattr(user, "session_token", None):
            secrets.append(user.session_token)
        stored_rows = " ".join(repr(tuple(row)) for row in db.session.execute(sa.select(AuditEvent.__table__)))
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in stored_rows
        assert secret not in logged
    assert "audit sign_in" in caplog.text  # the Python log did record the events


def test_scrub_drops_secret_keys_at_any_depth():
    assert audit.scrub({"email": "a@b.c", "Password": "x", "nested": {"csrf_token": "t", "ok": 1},
                        "remember_token": "t", "session_id": "s", "list": [{"api_key": "k", "v": 2}]}) == {
        "email": "a@b.c", "nested": {"ok": 1}, "list": [{"v": 2}]}
