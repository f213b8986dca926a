"""Command line: create-user, and the first admin printed once at start-up."""

import sqlalchemy as sa

from crm.cli import bootstrap_admin
from crm.extensions import db
from crm.models import User
from tests.conftest import login


def test_create_user(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "Sam@Example.com", "--password", "long enough pw", "--role", "manager"])
    assert result.exit_code == 0, result.output
    assert "Created manager sam@example.com" in result.output
    assert login(app.test_client(), "sam@example.com", "long enough pw").status_code == 303


def test_create_user_refuses_bad_input(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-user", "a@example.com", "--password", "short"])
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    role = runner.invoke(args=["create-user", "a@example.com", "--password", "x" * 12, "--role", "boss"])
    assert role.exit_code != 0
    runner.invoke(args=["create-user", "a@example.com", "--password", "x" * 12])
    again = runner.invoke(args=["create-user", "A@example.com", "--password", "x" * 12])
    assert again.exit_code != 0 and "already exists" in again.output


def test_first_admin_is_created_and_printed_once(app, capsys):
    with app.app_context():
        bootstrap_admin(app)
        bootstrap_admin(app)
        admins = db.session.scalars(sa.select(User)).all()
    err = capsys.readouterr().err
    assert err.count("an administrator was created") == 1
    password = err.split("Password: ")[1].split()[0]
    assert [(u.email, u.role) for u in admins] == [("admin@example.com", "admin")]
    assert login(app.test_client(), "admin@example.com", password).status_code == 303
