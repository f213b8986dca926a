"""The password rules, in one place: every form and command that sets a password asks here.

At least PASSWORD_MIN characters and at most PASSWORD_MAX (so a 64-character passphrase always
fits), not one of the 10,000 most common passwords (common_passwords.txt, shipped with the app:
no network call), and not the user's own email or name. Any character is allowed and nothing
is trimmed: what is typed is what is hashed.
"""

from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from wtforms import ValidationError

PASSWORD_MIN = 10
PASSWORD_MAX = 200
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased; read once per process."""
    with COMMON_PASSWORDS_FILE.open(encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip() and not line.startswith("#"))


def password_problem(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """The first rule `password` breaks, as a message for the person typing it; None when it is fine."""
    if len(password) < PASSWORD_MIN or len(password) > PASSWORD_MAX:
        return _("Use at least %(min)d characters (at most %(max)d).", min=PASSWORD_MIN, max=PASSWORD_MAX)
    folded = password.strip().casefold()
    if folded in common_passwords():
        return _("This password is among the most common ones. Choose another.")
    # The email and name are known to anyone who has seen the user's signature or a list.
    if any(value and folded == value.strip().casefold()
           for value in (email, email.split("@")[0] if email else None, name)):
        return _("A password must not be your email address or your name.")
    return None


class PasswordRules:
    """WTForms validator applying password_problem(); the form says whose password it is.

    The form may define `password_owner()` returning (email, name) of the user: a form field's
    value (a new user) or the stored user (a change or a reset).
    """

    def __call__(self, form, field) -> None:
        owner = getattr(form, "password_owner", None)
        email, name = owner() if owner else (None, None)
        if problem := password_problem(field.data or "", email=email, name=name):
            raise ValidationError(problem)
