"""Command-line tools: `flask --app app create-user ...`, and the first admin at start-up."""

import os

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from crm.auth import services
from crm.auth.passwords import PASSWORD_MIN, password_problem
from crm.extensions import db
from crm.models import ROLES


def serving() -> bool:
    """True under gunicorn or `flask run`; false for other commands (`db upgrade`, `create-user`).

    An admin that `flask create-user` made on the side would surprise whoever ran it.
    """
    ctx = click.get_current_context(silent=True)
    return ctx is None or ctx.info_name == "run"


def bootstrap_admin(app: Flask) -> None:
    """On the first start with no user, create an admin and print its password once."""
    email = os.environ.get("FILON_ADMIN_EMAIL", "admin@example.com")
    try:
        created = services.bootstrap_admin(email)
        db.session.commit()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        # No users table yet: `flask db upgrade` has not run (or is running now).
        db.session.rollback()
        app.logger.debug("users table missing; skipping first-admin creation")
        return
    except sa.exc.IntegrityError:
        # Another worker created it at the same moment and printed it.
        db.session.rollback()
        return
    if created:
        user, password = created
        click.echo(
            "\n" + "=" * 64 + "\n"
            "  Filon: first start, an administrator was created.\n"
            f"  Email:    {user.email}\n"
            f"  Password: {password}\n"
            "  Sign in and change it under My profile. It is not shown again.\n"
            + "=" * 64 + "\n",
            err=True,
        )


@click.command("create-user")
@click.argument("email")
@click.option("--password", required=True,
              help=f"At least {PASSWORD_MIN} characters; not a common password, the email or the name.")
@click.option("--role", type=click.Choice(ROLES), default="rep", show_default=True)
@click.option("--name", default=None, help="Display name (default: the part of the email before @).")
@with_appcontext
def create_user_command(email: str, password: str, role: str, name: str | None) -> None:
    """Create a user who can sign in."""
    if "@" not in email:
        raise click.BadParameter("not an email address", param_hint="EMAIL")
    name = name or email.split("@")[0]
    # The same rules as the profile and admin pages (crm/auth/passwords.py).
    if problem := password_problem(password, email=email, name=name):
        raise click.BadParameter(problem, param_hint="--password")
    try:
        user = services.create_user(email=email, name=name, role=role, password=password)
    except services.EmailTaken:
        raise click.ClickException(f"a user with the email {email} already exists") from None
    db.session.commit()
    click.echo(f"Created {user.role} {user.email} (id {user.id}).")


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(purge_recycle_bin_command)
    from crm.backup import backup_command, restore_command

    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("purge-recycle-bin")
@click.option("--days", default=30, show_default=True, help="Remove leads deleted more than this many days ago.")
@with_appcontext
def purge_recycle_bin_command(days: int) -> None:
    """Remove for good what has been in the recycle bin longer than the retention period."""
    from crm.leads.services import purge_recycle_bin

    count = purge_recycle_bin(days)
    db.session.commit()
    click.echo(f"Removed {count} lead(s) deleted more than {days} days ago.")
