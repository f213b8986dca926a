"""Home page and /healthz."""

from datetime import date

import sqlalchemy as sa
from flask import current_app, jsonify, request, url_for
from flask_login import current_user, login_required

from crm.activities.services import MY_TASKS_LIMIT, my_open_tasks, record_url
from crm.extensions import db, limiter
from crm.home import bp, queries
from crm.home.team import has_team, team_members
from crm.htmx import render, wants_fragment


def dashboard_context(scope: queries.Scope, today: date) -> dict:
    """Every figure of the dashboard for `scope`: one aggregate query each."""
    context = {
        "scope": scope,
        "today": today,
        "has_team": has_team(current_user),
        "leads_by_status": queries.open_leads_by_status(scope),
        "task_counts": queries.task_counts(scope, today),
        "pipeline": queries.pipeline_by_stage(scope),
        "closing": queries.closing_this_month(scope, today),
        "recent": queries.recently_viewed(current_user),
        "record_url": record_url,
    }
    if scope.team:
        context["members"] = queries.member_figures(scope, team_members(current_user), today)
    else:
        context["my_tasks"] = my_open_tasks(current_user, today, MY_TASKS_LIMIT)
    return context


@bp.route("/")
@login_required
def index():
    """The signed-in user's dashboard, or their team's (?scope=team, managers and admins); the
    Me / My team switch gets only the dashboard's body."""
    scope = queries.Scope.of(current_user, request.args.get("scope"))
    response = render("home/index.html", "home/_dashboard.html", **dashboard_context(scope, date.today()))
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_for("home.index", scope="team") if scope.team else url_for("home.index")
    return response


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
