"""`make loadtest` (issue 9): a burst of public Web-to-Lead posts against gunicorn -w 2, then the proof
in the database that every accepted post was stored exactly once and that no post got a 5xx.

For each backend (a fresh SQLite file; a fresh PostgreSQL database too with --pg-url) it runs the
burst twice: with the per-address throttle as configured by default (W2L_LIMIT_PER_IP unset, so
crm/config.py's "10 per minute;100 per hour"; the counter lives in each worker's memory without
Redis, so two workers let up to twice that through) and with the throttle raised (every post
reaches the form). All posts come from 127.0.0.1 (TRUSTED_PROXIES is 0: X-Forwarded-For would be
ignored), sent by --clients threads, each a visitor with their own rendered form (token), until
--posts are sent or --max-seconds have passed. The form keeps its default daily cap (500): posts
over it are accepted and held in the pending queue for review, as in production.

An answer is "accepted" when it is the redirect after a stored post (303; 200 when following it);
429 is "throttled"; any other 4xx is "rejected" (not expected: every post is valid); 5xx and socket
errors fail the run. Then, in the database, the submissions and leads carrying the run's marker
(the e-mail domain) must match the accepted posts one for one: the same e-mail addresses, none
twice, a lead for each submission in the "lead" state. Exit status 1 when a check fails.

    make loadtest
    make loadtest LOADTEST_ARGS="--posts 300 --clients 4"
    make loadtest LOADTEST_ARGS="--pg-url postgresql://postgres@127.0.0.1:5432/filon_loadtest"
"""

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import dataset  # noqa: E402
import loadgen  # noqa: E402
import procs  # noqa: E402

FLASK = [str(procs.BIN / "flask"), "--app", "app"]
SECRET_KEY = "filon-loadtest-fixed-key"  # noqa: S105 (a throwaway database's key)
ADMIN_EMAIL = "loadtest-admin@example.com"
ADMIN_PASSWORD = "loadtest-password-42"  # noqa: S105
FORM_TYPE = "application/x-www-form-urlencoded"
RAISED_LIMIT = "100000 per minute"
ACCEPTED = (200, 303)


@dataclass
class Scenario:
    backend: str
    throttle: str  # "default" or "raised"
    limit: str  # the W2L_LIMIT_PER_IP the server ran with
    marker: str  # the e-mail domain of this run's posts
    statuses: Counter = field(default_factory=Counter)
    socket_errors: int = 0
    accepted_emails: list[str] = field(default_factory=list)
    sent: int = 0
    seconds: float = 0.0
    states: dict[str, int] = field(default_factory=dict)
    stored_submissions: int = 0
    stored_leads: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(self.statuses[s] for s in ACCEPTED)

    @property
    def throttled(self) -> int:
        return self.statuses[429]

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if s >= 500)

    @property
    def rejected(self) -> int:
        return sum(n for s, n in self.statuses.items() if 400 <= s < 500 and s != 429)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A burst of public form posts, counted against the database.")
    parser.add_argument("--posts", type=int, default=1000, help="posts per run (default 1000)")
    parser.add_argument("--clients", type=int, default=8, help="simulated visitors posting at once (default 8)")
    parser.add_argument("--max-seconds", type=float, default=60, help="stop sending after this long (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--pg-url", help="also run on this PostgreSQL database, DROPPED and recreated "
                        "(e.g. postgresql://postgres@127.0.0.1:5432/filon_loadtest)")
    parser.add_argument("--throttles", default="default,raised",
                        help="which runs: default (the configured per-address limit), raised, or both")
    args = parser.parse_args(argv)
    args.throttles = [t.strip() for t in args.throttles.split(",") if t.strip()]
    if set(args.throttles) - {"default", "raised"} or not args.throttles:
        parser.error("--throttles takes default, raised or both")
    if args.posts < 1 or args.clients < 1 or args.max_seconds <= 0:
        parser.error("--posts, --clients and --max-seconds must be positive")
    return args


def fresh_database(backend: str, args, workdir: Path) -> str:
    if backend == "sqlite":
        path = workdir / f"loadtest-{time.time_ns()}.sqlite3"
        return f"sqlite:///{path}"
    from run import recreate_pg_database  # refuses the protected databases (test, filon_bench...)

    recreate_pg_database(args.pg_url)
    return args.pg_url


def server_env(database_url: str, limit: str | None) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY}
    # Each worker's own memory holds the throttle's counters, as on one machine without Redis.
    for name in ("REDIS_URL", "W2L_LIMIT_PER_IP", "TRUSTED_PROXIES"):
        env.pop(name, None)
    if limit is not None:
        env["W2L_LIMIT_PER_IP"] = limit
    return env


def visitor_token(base: str, key: str) -> str:
    status, body, _headers = loadgen.one_request(f"{base}/w2l/{key}", headers={})
    match = dataset.W2L_TOKEN.search(body.decode())
    if status != 200 or not match:
        raise RuntimeError(f"GET /w2l/<key> answered {status} without a token")
    return match.group(1)


def post_body(token: str, marker: str, n: int) -> tuple[str, str]:
    email = f"visitor{n}@{marker}"
    return email, urlencode({
        "w2l_token": token, "homepage": "", "first_name": "Load", "last_name": f"Visitor{n}",
        "company": "Loadtest Co", "email": email, "phone": "", "description": f"make loadtest post {n}"})


def burst(base: str, key: str, scenario: Scenario, args) -> None:
    """--clients threads post until --posts are sent or --max-seconds have passed."""
    tokens = [visitor_token(base, key) for _ in range(args.clients)]
    # A post sent within W2L_MIN_SECONDS of its form's rendering is quarantined as too fast: a
    # person takes longer. Wait it out once, as the visitors fill their forms in.
    time.sleep(dataset.w2l_min_seconds() + 1.1)
    lock = threading.Lock()
    counter = iter(range(args.posts))
    started = time.monotonic()
    deadline = started + args.max_seconds

    def client(token: str) -> None:
        while time.monotonic() < deadline:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            email, body = post_body(token, scenario.marker, n)
            try:
                status, _body, _headers = loadgen.one_request(
                    f"{base}/w2l/{key}", method="POST", body=body, headers={"Content-Type": FORM_TYPE})
            except OSError:
                with lock:
                    scenario.sent += 1
                    scenario.socket_errors += 1
                continue
            with lock:
                scenario.sent += 1
                scenario.statuses[status] += 1
                if status in ACCEPTED:
                    scenario.accepted_emails.append(email)

    threads = [threading.Thread(target=client, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    scenario.seconds = time.monotonic() - started


def verify(app, key: str, scenario: Scenario, args) -> None:
    """The database against what the server answered: each accepted post stored once, whole."""
    import sqlalchemy as sa

    from crm.extensions import db
    from crm.models import Lead
    from crm.models.web_form import WebForm, WebFormSubmission

    with app.app_context():
        rows = db.session.execute(
            sa.select(WebFormSubmission.state, WebFormSubmission.data, WebFormSubmission.lead_id)
            .join(WebForm).where(WebForm.form_key == key)).all()
        lead_emails = list(db.session.scalars(
            sa.select(Lead.email).where(Lead.email.like(f"%@{scenario.marker}"))))
        db.session.remove()
        db.engine.dispose()
    marked = [row for row in rows if str(row.data.get("email", "")).endswith("@" + scenario.marker)]
    scenario.states = dict(Counter(row.state for row in marked))
    scenario.stored_submissions = len(marked)
    scenario.stored_leads = len(lead_emails)
    stored_emails = Counter(row.data["email"] for row in marked)
    problems = scenario.problems
    if len(marked) != len(rows):
        problems.append(f"{len(rows) - len(marked)} submissions of the form without the run's marker")
    if scenario.server_errors:
        problems.append(f"{scenario.server_errors} answers were 5xx")
    if scenario.socket_errors:
        problems.append(f"{scenario.socket_errors} posts ended in a socket error")
    if scenario.rejected:
        problems.append(f"{scenario.rejected} valid posts were rejected (4xx other than 429)")
    if scenario.stored_submissions != scenario.accepted:
        problems.append(f"{scenario.accepted} posts accepted but {scenario.stored_submissions} submissions stored")
    if twice := [email for email, n in stored_emails.items() if n > 1]:
        problems.append(f"{len(twice)} posts stored more than once (e.g. {twice[0]})")
    if twice := [email for email, n in Counter(lead_emails).items() if n > 1]:
        problems.append(f"{len(twice)} leads stored more than once (e.g. {twice[0]})")
    if set(stored_emails) != set(scenario.accepted_emails):
        missing = set(scenario.accepted_emails) - set(stored_emails)
        extra = set(stored_emails) - set(scenario.accepted_emails)
        problems.append(f"accepted but not stored: {len(missing)}; stored but not accepted: {len(extra)}")
    linked = sum(1 for row in marked if row.state == "lead" and row.lead_id is not None)
    if scenario.stored_leads != scenario.states.get("lead", 0) or linked != scenario.stored_leads:
        problems.append(f"{scenario.states.get('lead', 0)} submissions became leads, {linked} link one, "
                        f"but {scenario.stored_leads} leads carry the marker")
    if scenario.throttle == "default" and scenario.sent > 0 and scenario.throttled == 0 \
            and scenario.sent > 100 * args.workers:
        problems.append("the default per-address throttle let every post through")
    if scenario.throttle == "raised" and scenario.throttled:
        problems.append(f"{scenario.throttled} posts throttled with the limit raised to {RAISED_LIMIT}")
    if scenario.sent < args.posts:
        # The bound in time, not a fault: what was sent is still checked one for one.
        scenario.notes.append(f"only {scenario.sent} of {args.posts} posts sent within {args.max_seconds:g} s "
                              "(a slow or busy machine; raise --max-seconds)")


def run_scenario(backend: str, throttle: str, args, workdir: Path) -> Scenario:
    limit = RAISED_LIMIT if throttle == "raised" else None
    from crm.config import Defaults

    scenario = Scenario(backend, throttle, limit or Defaults.W2L_LIMIT_PER_IP,
                        marker=f"{backend[:2]}-{throttle}-{time.time_ns()}.loadtest.example.com")
    database_url = fresh_database(backend, args, workdir)
    env = server_env(database_url, limit)
    print(f"[{backend}/{throttle}] fresh database, flask db upgrade", flush=True)
    procs.run([*FLASK, "db", "upgrade"], env=env)
    procs.run([*FLASK, "create-user", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--role", "admin",
               "--name", "Loadtest Admin"], env=env)
    from crm.config import database_url as configured
    from crm.models.web_form import DEFAULT_DAILY_CAP

    app = dataset.make_app(configured(database_url, workdir), secret_key=SECRET_KEY,
                           instance_path=str(workdir / "instance"), w2l_limit=scenario.limit)
    key = dataset.create_web_form(app, ADMIN_EMAIL, DEFAULT_DAILY_CAP)
    port = procs.free_port()
    log = workdir / f"gunicorn-{backend}-{throttle}.log"
    server = procs.start_gunicorn("app:app", port=port, workers=args.workers, env=env, cwd=ROOT, log=log,
                                  ready_path="/login")
    try:
        print(f"[{backend}/{throttle}] {args.posts} posts from {args.clients} clients "
              f"(W2L_LIMIT_PER_IP={scenario.limit})", flush=True)
        burst(f"http://127.0.0.1:{port}", key, scenario, args)
    finally:
        procs.stop(server)
    verify(app, key, scenario, args)
    if scenario.server_errors and log.exists():
        print(f"[{backend}/{throttle}] the app's log ends with:\n"
              + "\n".join(log.read_text(errors="replace").splitlines()[-30:]), file=sys.stderr)
    return scenario


def table(scenarios: list[Scenario]) -> str:
    head = ["backend", "throttle (W2L_LIMIT_PER_IP)", "sent", "accepted", "throttled 429", "rejected 4xx", "5xx",
            "socket err", "stored: lead", "held: pending", "held: spam", "leads", "once", "posts/s"]
    rows = []
    for s in scenarios:
        rows.append([s.backend, f"{s.throttle} ({s.limit})", s.sent, s.accepted, s.throttled, s.rejected,
                     s.server_errors, s.socket_errors, s.states.get("lead", 0), s.states.get("pending", 0),
                     s.states.get("spam", 0), s.stored_leads, "yes" if not s.problems else "NO",
                     f"{s.sent / s.seconds:.0f}" if s.seconds else "-"])
    widths = [max(len(str(x)) for x in column) for column in zip(head, *rows, strict=True)]
    lines = ["| " + " | ".join(str(x).ljust(w) for x, w in zip(head, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    backends = ["sqlite"] + (["postgresql"] if args.pg_url else [])
    scenarios = []
    with tempfile.TemporaryDirectory(prefix="filon-loadtest-") as tmp:
        workdir = Path(tmp)
        try:
            for backend in backends:
                for throttle in args.throttles:
                    scenarios.append(run_scenario(backend, throttle, args, workdir))
        finally:
            procs.stop_all()
    print()
    print(table(scenarios))
    print()
    print("accepted = 303 (stored); held = accepted and kept in the review queue (pending: over the form's daily "
          "cap; spam: quarantine); 'once' = every accepted post is one submission (and one lead when it became "
          "a lead), none twice, none unanswered, and no 5xx.")
    for s in scenarios:
        for note in s.notes:
            print(f"NOTE [{s.backend}/{s.throttle}] {note}")
    failed = [s for s in scenarios if s.problems]
    for s in failed:
        for problem in s.problems:
            print(f"FAIL [{s.backend}/{s.throttle}] {problem}")
    if not failed:
        print("OK: every accepted post stored exactly once, zero 5xx.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
