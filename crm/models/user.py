"""Users: who signs in, with which role and language."""

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import db

ROLES = ("admin", "manager", "rep")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'manager', 'rep')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased (see normalise_email), so the unique index is case-insensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[str] = mapped_column(sa.String(10), default="rep")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # None: follow the browser's Accept-Language.
    locale: Mapped[str | None] = mapped_column(sa.String(5))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    # Flask-Login keeps this token, not the id, in the session and remember cookie:
    # changing it signs the user out on every device (password change, deactivation).
    session_token: Mapped[str] = mapped_column(
        sa.String(64), unique=True, default=new_session_token
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # A manager's team is the users whose manager_id is them (the home dashboard's "My team").
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)

    manager: Mapped["User | None"] = relationship(remote_side=[id], foreign_keys=[manager_id])

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    @staticmethod
    def normalise_email(email: str) -> str:
        return email.strip().lower()

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        return self.session_token

    def set_password(self, password: str) -> None:
        """Hash and store a new password; other sessions of this user end."""
        self.password_hash = generate_password_hash(password)
        self.session_token = new_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)


def new_session_id() -> str:
    return secrets.token_urlsafe(16)


class EndedSession(db.Model):
    """A session signed out (POST /logout): its cookie is refused even if a copy of it survives.

    Sessions are signed cookies, so emptying the browser's copy would leave a stolen copy valid
    until its timeout. Each sign-in gets a random id in its cookie; signing out lists that id
    here, and the user loader refuses listed ids in the same query that finds the user. Rows
    older than the session lifetime are purged at sign-out: such a cookie has expired anyway.
    """

    __tablename__ = "ended_sessions"

    session_id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    ended_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
