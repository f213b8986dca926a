"""Configuration read from the environment, with defaults that run on one machine and no services."""

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_PATH = PROJECT_ROOT / "instance"


def database_url(raw: str | None, instance_path: Path) -> str:
    """Return the SQLAlchemy URL, defaulting to SQLite and routing PostgreSQL through psycopg 3."""
    if not raw:
        return f"sqlite:///{instance_path / 'filon.sqlite3'}"
    # Hosting providers hand out postgres:// URLs; SQLAlchemy would pick psycopg2 for them.
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix):]
    return raw


def secret_key(instance_path: Path) -> str:
    """Return SECRET_KEY from the environment, else one generated once into instance/."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = instance_path / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two workers starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def positive_int(name: str, default: int) -> int:
    """An environment variable holding a whole number above 0; a typo stops the start-up."""
    raw = os.environ.get(name)
    if not raw:
        return default
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number above 0, not {raw!r}")
    return int(raw)


def from_environment(instance_path: Path, overrides: dict) -> dict:
    """Build the config mapping from environment variables, skipping what `overrides` sets."""
    redis_url = os.environ.get("REDIS_URL") or None
    return {
        "SECRET_KEY": overrides.get("SECRET_KEY") or secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": overrides.get("SQLALCHEMY_DATABASE_URI")
        or database_url(os.environ.get("DATABASE_URL"), instance_path),
        "REDIS_URL": redis_url,
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO").upper(),
        # Behind a reverse proxy, the number of proxies whose X-Forwarded-* headers to trust.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Phone numbers typed without a country code are read as numbers of this country.
        "DEFAULT_PHONE_REGION": os.environ.get("DEFAULT_PHONE_REGION", "US").upper(),
        # Web-to-Lead posts per client address (a Flask-Limiter string, e.g. "20 per minute;200 per
        # hour"); `make bench` raises it to load the public form from one address.
        "W2L_LIMIT_PER_IP": os.environ.get("W2L_LIMIT_PER_IP") or Defaults.W2L_LIMIT_PER_IP,
        # A signed-in session ends after this many minutes without a request, and this many hours
        # after sign-in however busy ("keep me signed in" included); see crm/auth/sessions.py.
        "SESSION_IDLE_MINUTES": positive_int("SESSION_IDLE_MINUTES", Defaults.SESSION_IDLE_MINUTES),
        "SESSION_LIFETIME_HOURS": positive_int("SESSION_LIFETIME_HOURS", Defaults.SESSION_LIFETIME_HOURS),
        # The seller's name at the top of printed quotes, orders and invoices (crm/sales/printing.py).
        "FILON_COMPANY_NAME": os.environ.get("FILON_COMPANY_NAME", "").strip() or "Filon",
        # Under it, the seller's address (lines separated by ";") and VAT number: what an invoice
        # must say of its issuer in the EU.
        "FILON_COMPANY_ADDRESS": tuple(
            line.strip() for line in os.environ.get("FILON_COMPANY_ADDRESS", "").split(";") if line.strip()),
        "FILON_COMPANY_VAT_NUMBER": os.environ.get("FILON_COMPANY_VAT_NUMBER", "").strip(),
    }


class Defaults:
    """Settings that do not come from the environment."""

    # After a PostgreSQL restart every pooled connection is dead: the ping at checkout replaces
    # it, so the app recovers without a restart (crm/errors.py answers 503 while it is down).
    # Off for SQLite (crm/__init__.py): a file does not go away.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "filon_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30
    # Session limits (overridden by the environment variables of the same names): 2 hours idle,
    # as Salesforce's default timeout; 12 hours at most, a working day (OWASP ASVS 3.3.2).
    SESSION_IDLE_MINUTES = 120
    SESSION_LIFETIME_HOURS = 12
    # The session cookie is written only when its content changes (the last-seen stamp moves
    # at most once a minute), not on every request.
    SESSION_REFRESH_EACH_REQUEST = False
    REMEMBER_COOKIE_NAME = "filon_remember"
    # Bodies larger than this are refused with 413 before any view reads them.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    # Sign-in throttling: per client address, and per account (failed attempts only).
    LOGIN_LIMIT_PER_IP = "20 per minute;100 per hour"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;30 per hour"
    RATELIMIT_HEADERS_ENABLED = True
    # Web-to-Lead (public /w2l/<key>): posts per client address, the largest body a post may
    # have, and how many seconds after the form was rendered a person can have filled it in.
    W2L_LIMIT_PER_IP = "10 per minute;100 per hour"
    W2L_MAX_CONTENT_LENGTH = 64 * 1024
    W2L_MIN_SECONDS = 3
    LANGUAGES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = "en"
    # Create the first admin at start-up when there is no user yet (off in tests).
    BOOTSTRAP_ADMIN = True
