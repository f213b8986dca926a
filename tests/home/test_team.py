"""Teams: the admin's Manager field on users, set_manager's rules, and migration 0014."""

import re

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from crm.home import team
from crm.models import User
from tests.conftest import csrf_token, stored
from tests.factories import make_user

NEW_PASSWORD = "another long password"


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/")}, **kwargs)


def user(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id)


def test_the_user_form_offers_active_managers_and_admins(app, admin_client, admin, rep):
    manager = stored(app, make_user, name="Mona Manager", role="manager")
    stored(app, make_user, name="Gone Manager", role="manager", active=False)
    html = admin_client.get(f"/admin/users/{rep.id}/edit").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="manager_id".*?</select>', html, flags=re.S).group(0)
    assert '<label for="manager_id">Manager</label>' in html
    assert f'value="{manager.id}">Mona Manager' in select and f'value="{admin.id}">Ada Admin' in select
    assert "Gone Manager" not in select and "Remy Rep" not in select and ">No manager<" in select
    # Nobody manages themselves: the admin's own form leaves them out.
    own = admin_client.get(f"/admin/users/{admin.id}/edit").get_data(as_text=True)
    assert f'value="{admin.id}">Ada Admin' not in re.search(r'name="manager_id".*?</select>', own, re.S).group(0)


def test_add_a_user_with_a_manager_then_clear_it(app, admin_client):
    manager = stored(app, make_user, name="Mona Manager", role="manager")
    response = post(admin_client, "/admin/users/new", {
        "name": "Nina New", "email": "nina@example.com", "role": "rep", "manager_id": str(manager.id),
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    with app.app_context():
        nina = db.session.scalar(sa.select(User).where(User.email == "nina@example.com"))
        assert nina.manager_id == manager.id
    response = post(admin_client, f"/admin/users/{nina.id}/edit", {
        "name": "Nina New", "email": "nina@example.com", "role": "rep", "manager_id": ""})
    assert response.status_code == 303 and user(app, nina.id).manager_id is None


@pytest.mark.parametrize("manager_id", ["self", "99999", "abc", "rep"])
def test_a_bad_manager_is_refused_next_to_the_field(app, admin_client, rep, manager_id):
    other = stored(app, make_user, name="Other Rep")
    value = {"self": str(rep.id), "rep": str(other.id)}.get(manager_id, manager_id)
    response = post(admin_client, f"/admin/users/{rep.id}/edit", {
        "name": "Remy Rep", "email": rep.email, "role": "rep", "manager_id": value},
        headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and "Not a valid choice" in body and 'id="manager_id-error"' in body
    assert user(app, rep.id).manager_id is None


def test_set_manager_rules(app, app_ctx):
    mona, ann = make_user(role="manager"), make_user()
    inactive = make_user(role="manager", active=False)
    team.set_manager(ann, mona.id)
    assert ann.manager_id == mona.id
    for bad in (ann.id, inactive.id, 424242):
        with pytest.raises(team.InvalidManager):
            team.set_manager(ann, bad)
    team.set_manager(ann, None)
    assert ann.manager_id is None
    # A manager deactivated later stays on the users they manage, and can be kept on save.
    team.set_manager(ann, mona.id)
    mona.active = False
    team.set_manager(ann, mona.id)
    assert [u.id for u in team.manager_choices(mona.id)] == [mona.id]


def test_deleting_a_manager_leaves_their_team_without_one(app, app_ctx):
    mona, ann = make_user(role="manager"), make_user()
    ann.manager_id = mona.id
    db.session.commit()
    db.session.execute(sa.delete(User).where(User.id == mona.id))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, ann.id).manager_id is None


def test_team_members_of_a_manager_and_of_an_admin(app, app_ctx):
    mona, ada = make_user(role="manager", name="Mona"), make_user(role="admin", name="Ada")
    ann = make_user(name="Ann")
    make_user(name="Bob")
    ann.manager_id = mona.id
    db.session.commit()
    assert [u.name for u in team.team_members(mona)] == ["Ann"]
    assert [u.name for u in team.team_members(ada)] == ["Ada", "Ann", "Bob", "Mona"]
    assert team.has_team(mona) and team.has_team(ada) and not team.has_team(ann)


def test_0014_upgrade_from_0013_keeps_users_and_what_refers_to_them(app, app_ctx):
    from crm.activities.services import add_activity
    from crm.models import Activity
    from tests.factories import make_lead

    rep = make_user(email="keep@example.com")
    add_activity(make_lead(rep), "call", {"subject": "Intro"}, actor=rep)
    db.session.commit()
    db.session.remove()
    downgrade(revision="0013")
    assert "manager_id" not in {c["name"] for c in sa.inspect(db.engine).get_columns("users")}
    upgrade()
    row = db.session.execute(sa.text("SELECT email, manager_id FROM users WHERE email = 'keep@example.com'")).one()
    assert tuple(row) == ("keep@example.com", None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 1
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = conn.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = 'users'").scalar()
            assert "ck_users_role" in sql and "ON DELETE SET NULL" in sql
