"""User administration: list, add, edit, deactivate, reset a password. Admins only."""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.admin import bp
from crm.admin.forms import NewUserForm, ResetPasswordForm, UserForm
from crm.auth import services
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.home import team
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.lists import page_arg
from crm.models import User

USERS_PER_PAGE = 50


def get_user(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.route("/")
@role_required("admin")
def index():
    """Administration home: for now, the users."""
    return redirect(url_for("admin.users"))


@bp.route("/users")
@role_required("admin")
def users():
    """All users, active first, paginated."""
    query = sa.select(User).order_by(User.active.desc(), User.name, User.id)
    page = db.paginate(query, page=page_arg(request.args), per_page=USERS_PER_PAGE, error_out=False)
    return render("admin/users.html", "admin/_user_list.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def new_user():
    """Add a user with a first password that the admin hands over."""
    form = NewUserForm()
    form.set_manager_choices(team.manager_choices())
    if form.validate_on_submit():
        try:
            user = services.create_user(email=form.email.data, name=form.name.data,
                                        role=form.role.data, password=form.password.data)
            team.set_manager(user, form.manager_id.data)
        except services.EmailTaken:
            form.email.errors.append(_("A user with this email already exists."))
        except team.InvalidManager:
            db.session.rollback()
            form.manager_id.errors.append(_("Choose an active manager other than the user."))
        else:
            db.session.commit()
            flash(_("User %(name)s added.", name=user.name), "success")
            return redirect_after_post(url_for("admin.users"))
    return render("admin/user_form.html", "admin/_user_form.html",
                  status=422 if form.is_submitted() else 200, form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_user(user_id: int):
    """Change a user's name, email or role."""
    user = get_user(user_id)
    form = UserForm(obj=user)
    form.set_manager_choices(team.manager_choices(user.manager_id), user)
    if form.validate_on_submit():
        try:
            services.update_user(user, name=form.name.data, email=form.email.data, role=form.role.data)
            team.set_manager(user, form.manager_id.data)
        except team.InvalidManager:
            db.session.rollback()
            form.manager_id.errors.append(_("Choose an active manager other than the user."))
        except services.EmailTaken:
            form.email.errors.append(_("A user with this email already exists."))
        except services.LastAdmin:
            form.role.errors.append(_("Filon needs at least one active administrator."))
        else:
            db.session.commit()
            flash(_("User %(name)s saved.", name=user.name), "success")
            return redirect_after_post(url_for("admin.users"))
    return render("admin/user_form.html", "admin/_user_form.html",
                  status=422 if form.is_submitted() else 200, form=form, user=user)


@bp.route("/users/<int:user_id>/active", methods=["POST"])
@role_required("admin")
def set_active(user_id: int):
    """Deactivate or reactivate a user; htmx gets the updated row."""
    user = get_user(user_id)
    active = request.form.get("active") == "1"
    if user.id == current_user.id and not active:
        abort(403)
    try:
        services.set_active(user, active)
        db.session.commit()
    except services.LastAdmin:
        db.session.rollback()
        flash(_("Filon needs at least one active administrator."), "error")
    else:
        if active:
            flash(_("%(name)s can sign in again.", name=user.name), "success")
        else:
            flash(_("%(name)s is deactivated and signed out everywhere.", name=user.name), "success")
    if wants_fragment():
        return render("admin/users.html", "admin/_user_row.html", user=user)
    return redirect(url_for("admin.users"), 303)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def reset_password(user_id: int):
    """Set a new password for a user who lost theirs; their sessions end."""
    user = get_user(user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.password.data)
        db.session.commit()
        flash(_("The password of %(name)s is reset; they are signed out everywhere.", name=user.name),
              "success")
        return redirect_after_post(url_for("admin.users"))
    return render("admin/reset_password.html", "admin/_reset_password_form.html",
                  status=422 if form.is_submitted() else 200, form=form, user=user)
