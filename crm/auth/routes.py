"""Sign in, sign out, and the signed-in user's profile (language, password)."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from crm import audit
from crm.auth import bp, services, sessions
from crm.auth.forms import ChangePasswordForm, LoginForm, PreferencesForm, SignOutOthersForm
from crm.auth.passwords import PASSWORD_MIN
from crm.extensions import db, limiter
from crm.htmx import redirect_after_post, render
from crm.models.user import new_session_token


def safe_next(target: str | None) -> str | None:
    """Return `target` only when it is a path on this site (no scheme, no host, no //)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    # Browsers read a backslash as a slash and drop tabs and newlines: "/\t/evil.example" goes
    # to evil.example. Control characters have no business in a path of ours anyway.
    if any(ch == "\\" or ch < " " or ch == "\x7f" for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


def others_form() -> SignOutOthersForm:
    # A prefix: the profile page's other form has a current_password field too (ids stay unique).
    return SignOutOthersForm(prefix="others")


@bp.context_processor
def profile_context() -> dict:
    # others_form is called by the profile page when the view did not pass one.
    return {"password_min": PASSWORD_MIN, "new_others_form": others_form}


def _failed(response) -> bool:
    # Only failed attempts count against the limits: a team behind one address can sign in.
    return response.status_code == 422


def _login_account_key() -> str:
    return "login-account:" + request.form.get("email", "").strip().lower()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"],
               deduct_when=_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], methods=["POST"],
               key_func=_login_account_key, deduct_when=_failed)
def login():
    """Sign in; on success start a new session and go to `next` when it is on this site."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is not None and user.active:
            audit.log_event("sign_in", user.email, actor=user)
            db.session.commit()
            # A new session: whatever a third party planted in the old one is dropped.
            session.clear()
            # "Keep me signed in" keeps the session cookie past the browser's closing, within
            # the absolute lifetime (crm/auth/sessions.py), not Flask-Login's remember cookie.
            login_user(user)
            sessions.start(remember=form.remember.data)
            return redirect(safe_next(request.args.get("next")) or url_for("home.index"), 303)
        if user is not None:
            form.form_errors.append(_("This account is deactivated. Ask an administrator."))
        else:
            form.form_errors.append(_("Incorrect email or password."))
        # The email tried, never the password; nothing else of the attempt is stored.
        db.session.rollback()
        audit.log_event("sign_in_failed", "deactivated account" if user is not None else "wrong email or password",
                        email=audit.attempted_email(form.email.data))
        db.session.commit()
    status = 422 if form.is_submitted() else 200
    return render("auth/login.html", "auth/_login_form.html", status=status, form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """Sign out: this session's id is listed as ended, so no copy of its cookie signs in again."""
    if current_user.is_authenticated:
        sessions.record_sign_out()
        db.session.commit()
    # Clear first: logout_user() leaves a note in the session to delete the remember cookie.
    session.clear()
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/profile", methods=["GET"])
@login_required
def profile():
    """The signed-in user's own settings."""
    return render_template(
        "auth/profile.html",
        preferences=PreferencesForm(locale=current_user.locale or ""),
        password_form=ChangePasswordForm(),
    )


@bp.route("/profile/preferences", methods=["POST"])
@login_required
def save_preferences():
    """Save the language; the page is re-rendered in it."""
    form = PreferencesForm()
    if form.validate_on_submit():
        current_user.locale = form.locale.data or None
        db.session.commit()
        flash(_("Your preferences are saved."), "success")
        return redirect_after_post(url_for("auth.profile"))
    return render("auth/profile.html", "auth/_preferences_form.html", status=422,
                  preferences=form, password_form=ChangePasswordForm())


@bp.route("/profile/password", methods=["POST"])
@login_required
def change_password():
    """Change one's own password; every other session of this user ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            current_user.set_password(form.password.data)
            audit.log_event("password_changed", current_user.email)
            db.session.commit()
            # The session token changed: sign this browser in again so only the others end.
            login_user(current_user._get_current_object())
            flash(_("Your password is changed. Other devices are signed out."), "success")
            return redirect_after_post(url_for("auth.profile"))
        form.current_password.errors.append(_("This is not your current password."))
    return render("auth/profile.html", "auth/_password_form.html", status=422,
                  preferences=PreferencesForm(locale=current_user.locale or ""), password_form=form)


@bp.route("/profile/sessions", methods=["POST"])
@login_required
def sign_out_others():
    """End every other session of this user (the password is asked again); this one goes on."""
    form = others_form()
    if form.validate_on_submit():
        if current_user.check_password(form.current_password.data):
            current_user.session_token = new_session_token()
            db.session.commit()
            # As after a password change: a new token, and this browser signed in with it.
            login_user(current_user._get_current_object())
            flash(_("You are signed out on every other device."), "success")
            return redirect_after_post(url_for("auth.profile"))
        form.current_password.errors.append(_("This is not your current password."))
    return render("auth/profile.html", "auth/_sessions_form.html", status=422,
                  preferences=PreferencesForm(locale=current_user.locale or ""),
                  password_form=ChangePasswordForm(), others_form=form)
