"""Home page and /healthz."""

from datetime import date

import sqlalchemy as sa
from flask import current_app, jsonify, render_template
from flask_login import current_user, login_required

from crm.activities.services import MY_TASKS_LIMIT, my_open_tasks
from crm.extensions import db, limiter
from crm.home import bp


@bp.route("/")
@login_required
def index():
    """The signed-in user's home page, with their open tasks."""
    today = date.today()
    return render_template("home/index.html", my_tasks=my_open_tasks(current_user, today, MY_TASKS_LIMIT),
                           today=today)


@bp.route("/healthz")
@limiter.exempt
def healthz():
    """Liveness and database reachability for load balancers and monitoring; no sign-in."""
    try:
        db.session.execute(sa.text("SELECT 1"))
        database = "ok"
    except sa.exc.SQLAlchemyError:
        current_app.logger.exception("health check: database unreachable")
        db.session.rollback()
        database = "unreachable"
    status = "ok" if database == "ok" else "error"
    body = {"status": status, "database": database, "version": current_app.config["FILON_VERSION"]}
    return jsonify(body), 200 if status == "ok" else 503
