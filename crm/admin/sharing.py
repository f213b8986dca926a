"""Admin page for the org-wide sharing model (public or private, crm/sharing.py). Admins only."""

from flask import flash, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm import sharing
from crm.admin import bp
from crm.admin.sharing_forms import SharingForm
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.htmx import redirect_after_post, render


@bp.route("/sharing", methods=["GET", "POST"])
@role_required("admin")
def sharing_settings():
    """Show and change the sharing model; htmx gets the form back in place."""
    form = SharingForm()
    if not form.is_submitted():
        form.sharing.data = sharing.sharing_mode()
    if form.validate_on_submit():
        # The service records the change (who, when; the audit log hooks there).
        changed = sharing.set_sharing(form.sharing.data, current_user)
        db.session.commit()
        if not changed:
            flash(_("Sharing is unchanged."), "info")
        elif form.sharing.data == "private":
            flash(_("Sharing is now private: reps see only their own records and their queues' leads."), "success")
        else:
            flash(_("Sharing is now public: every user sees every record."), "success")
        return redirect_after_post(url_for("admin.sharing_settings"))
    return render("admin/sharing.html", "admin/_sharing_form.html", status=422 if form.is_submitted() else 200,
                  form=form)
