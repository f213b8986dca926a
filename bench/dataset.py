"""What the harness does inside the app, against the benchmark's database: the Web-to-Lead form
of the run, the lead and the search word to request, the row counts, and the SQL queries each
route issues (counted here, through the test client, never in the server being measured)."""

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crm import create_app  # noqa: E402
from crm.config import Defaults  # noqa: E402
from crm.extensions import db  # noqa: E402

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
W2L_TOKEN = re.compile(r'name="w2l_token" value="([^"]+)"')
TABLES = ("users", "leads", "accounts", "contacts", "opportunities", "activities")


def make_app(database_uri: str, *, secret_key: str, instance_path: str, w2l_limit: str):
    """The app as gunicorn runs it, but for the harness: no first admin, no rate limit, and a
    Web-to-Lead post accepted at once (W2L_MIN_SECONDS only decides spam or lead, not the work)."""
    return create_app({
        "SQLALCHEMY_DATABASE_URI": database_uri, "SECRET_KEY": secret_key, "INSTANCE_PATH": instance_path,
        "BOOTSTRAP_ADMIN": False, "REDIS_URL": None, "RATELIMIT_ENABLED": False,
        "W2L_LIMIT_PER_IP": w2l_limit, "W2L_MIN_SECONDS": 0,
    })


def w2l_min_seconds() -> int:
    """How long after its token a post must come to be a lead, in the app the servers run."""
    return Defaults.W2L_MIN_SECONDS


def row_counts(app) -> dict[str, int]:
    counts = {}
    with app.app_context():
        for table in TABLES:
            try:
                counts[table] = db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608 (fixed names)
            except sa.exc.DBAPIError:
                db.session.rollback()
                counts[table] = None
        db.session.remove()
    return counts


def create_web_form(app, admin_email: str, daily_cap: int) -> str:
    """A Web-to-Lead form with the default fields and a cap the run cannot reach; its key."""
    from crm.models import User
    from crm.webforms import services

    with app.test_request_context():
        admin = db.session.scalar(sa.select(User).where(User.email == admin_email))
        web_form = services.save_form(None, {"name": "Benchmark", "daily_cap": daily_cap, "active": True},
                                      services.default_fields(), actor=admin)
        db.session.commit()
        key = web_form.form_key
        db.session.remove()
    return key


@dataclass
class Picks:
    lead_id: int
    lead_activities: int
    term: str
    term_leads: int
    leads: int


def pick_targets(app) -> Picks:
    """The lead to open (the middle one of those with activities, else of all) and the search
    word: the most frequent last name of three letters or more, common but far from universal."""
    with app.app_context():
        leads = db.session.scalar(sa.text("SELECT count(*) FROM leads")) or 0
        with_activities = db.session.scalar(sa.text(
            "SELECT count(DISTINCT lead_id) FROM activities WHERE lead_id IS NOT NULL")) or 0
        if with_activities:
            lead_id = db.session.scalar(sa.text(
                "SELECT lead_id FROM activities WHERE lead_id IS NOT NULL GROUP BY lead_id ORDER BY lead_id "
                "LIMIT 1 OFFSET :n"), {"n": with_activities // 2})
        else:
            lead_id = db.session.scalar(sa.text("SELECT id FROM leads ORDER BY id LIMIT 1 OFFSET :n"),
                                        {"n": max(0, leads // 2)})
        if lead_id is None:
            raise RuntimeError("no lead in the database: seed-demo made none")
        activities = db.session.scalar(sa.text("SELECT count(*) FROM activities WHERE lead_id = :id"),
                                       {"id": lead_id})
        rows = db.session.execute(sa.text(
            "SELECT last_name, count(*) AS n FROM leads WHERE last_name IS NOT NULL "
            "GROUP BY last_name ORDER BY n DESC, last_name LIMIT 50")).all()
        db.session.remove()
    for name, count in rows:
        if len(name) >= 3 and name.isalpha() and name.isascii():
            return Picks(lead_id, activities, name, count, leads)
    name, count = rows[0]
    return Picks(lead_id, activities, name, count, leads)


def submission_states(app, form_key: str) -> dict[str, int]:
    """How the run's Web-to-Lead posts were kept: lead, spam, pending..."""
    from crm.models.web_form import WebForm, WebFormSubmission

    with app.app_context():
        rows = db.session.execute(
            sa.select(WebFormSubmission.state, sa.func.count()).join(WebForm)
            .where(WebForm.form_key == form_key).group_by(WebFormSubmission.state)).all()
        db.session.remove()
    return dict(rows)


def sign_in(client, email: str, password: str) -> None:
    html = client.get("/login").get_data(as_text=True)
    token = CSRF_META.search(html)
    if not token:
        raise RuntimeError("no CSRF token on /login")
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token.group(1)})
    if response.status_code != 303:
        raise RuntimeError(f"in-process sign-in failed: {response.status_code}")


def count_queries(app, requests, *, email: str, password: str, form_key: str, post_body) -> dict[str, tuple]:
    """Per request key: (queries, status) of the second of two identical requests (the first may
    fill a cache a warmed-up server already has); (None, the error) when the request raised.
    `requests` holds (key, method, path, headers); a POST's body comes from post_body(token, n), n
    differing each time so no post is a retry."""
    signed_in = app.test_client()
    sign_in(signed_in, email, password)
    anonymous = app.test_client()
    with app.app_context():
        engine = db.engine
    counter = {"queries": 0, "posts": 0}

    def on_execute(*_args):
        counter["queries"] += 1

    def once(method: str, path: str, headers: dict) -> int:
        if method == "POST":
            page = anonymous.get(f"/w2l/{form_key}").get_data(as_text=True)
            token = W2L_TOKEN.search(page)
            if not token:
                raise RuntimeError("no token in the Web-to-Lead form")
            counter["posts"] += 1
            others = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            counter["queries"] = 0
            response = anonymous.post(path, data=post_body(token.group(1), counter["posts"]), headers=others,
                                      content_type=headers.get("Content-Type"))
        else:
            counter["queries"] = 0
            response = signed_in.get(path, headers=headers)
        response.close()
        return response.status_code

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    results = {}
    try:
        for key, method, path, headers in requests:
            try:
                once(method, path, headers)
                status = once(method, path, headers)
                results[key] = (counter["queries"], status)
            except Exception as error:  # noqa: BLE001 (reported beside the route; its load still runs)
                results[key] = (None, f"{type(error).__name__}: {error}")
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return results
