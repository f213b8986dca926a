"""User accounts: creation, authentication, passwords. Services flush; the caller commits."""

import secrets

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from crm.extensions import db
from crm.models import ROLES, User
from crm.models.user import new_session_token, utcnow

# Checked against when the email is unknown, so a miss costs as much time as a wrong password
# and the response time does not tell whether an account exists.
_DUMMY_HASH = generate_password_hash(secrets.token_hex(16))


class EmailTaken(Exception):
    """Another user already has this email (compared case-insensitively)."""


class LastAdmin(Exception):
    """The change would leave no active admin."""


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == User.normalise_email(email)))


def authenticate(email: str, password: str) -> User | None:
    """Return the user whose email and password match, else None (without saying which failed)."""
    user = find_user_by_email(email)
    if user is None:
        User(password_hash=_DUMMY_HASH).check_password(password)
        return None
    if not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def create_user(*, email: str, name: str, role: str, password: str, locale: str | None = None,
                active: bool = True) -> User:
    """Add a user. :raises EmailTaken: when the email is in use."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if find_user_by_email(email) is not None:
        raise EmailTaken(email)
    user = User(email=User.normalise_email(email), name=name.strip(), role=role,
                locale=locale or None, active=active)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def _active_admins() -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.role == "admin", User.active)
    )


def update_user(user: User, *, name: str, email: str, role: str) -> User:
    """Change a user's name, email and role. :raises EmailTaken: :raises LastAdmin:"""
    other = find_user_by_email(email)
    if other is not None and other.id != user.id:
        raise EmailTaken(email)
    if user.role == "admin" and role != "admin" and user.active and _active_admins() <= 1:
        raise LastAdmin()
    user.name, user.email, user.role = name.strip(), User.normalise_email(email), role
    db.session.flush()
    return user


def set_active(user: User, active: bool) -> User:
    """Deactivate (signing the user out everywhere) or reactivate. :raises LastAdmin:"""
    if not active and user.role == "admin" and user.active and _active_admins() <= 1:
        raise LastAdmin()
    user.active = active
    if not active:
        user.session_token = new_session_token()
    db.session.flush()
    return user


def bootstrap_admin(email: str) -> tuple[User, str] | None:
    """Create the first admin with a random password when there is no user at all."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(User)):
        return None
    password = secrets.token_urlsafe(12)
    user = create_user(email=email, name="Administrator", role="admin", password=password)
    return user, password
