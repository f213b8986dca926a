"""`make bench` (issue 8): every hot route under load, on a big book, beside a ceiling.

For each backend (SQLite, and PostgreSQL when one answers on --pg-url): a fresh database, `flask db
upgrade`, an admin made with `flask create-user` (before the seed, so the demo data gives it its
share of the leads and deals, as it would a rep), then `flask seed-demo` at the issue's sizes, timed
as a user runs it. Then the app under `gunicorn -w 2` and the ceiling (bench/ceiling.py, a Flask app
returning a constant string) under the same settings, each route loaded from wrk (`-t1 -c8`, or a
Python loop without wrk) after a short warm-up, the ceiling before and after the routes. The queries
per request are counted in this process through the test client, never in the measured server.
Last, the 100,000-row CSV import of bench/import_leads.py is timed. The table is printed and, unless
--no-write, written to docs/benchmarks.md with the machine and the command.

    make bench                                   # the full run (tens of minutes)
    make bench BENCH_ARGS="--leads 2000 --accounts 400 --contacts 600 --opportunities 400 \\
        --activities 4000 --import-rows 2000 --duration 2 --no-write"   # a smoke check
"""

import argparse
import datetime as dt
import os
import platform
import re
import shlex
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from urllib.parse import quote, urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import dataset  # noqa: E402
import loadgen  # noqa: E402
import procs  # noqa: E402

FLASK = [str(procs.BIN / "flask"), "--app", "app"]
SECRET_KEY = "filon-bench-fixed-key"  # noqa: S105 (a throwaway database's key)
ADMIN_EMAIL = "bench-admin@example.com"
ADMIN_PASSWORD = "bench-password-42"  # noqa: S105
# The Web-to-Lead throttle for the run (crm/config.py reads W2L_LIMIT_PER_IP), and a daily cap the
# run cannot reach, so every post becomes a lead as a real one would.
W2L_LIMIT = "100000000 per minute"
W2L_DAILY_CAP = 2_000_000_000
FORM_TYPE = "application/x-www-form-urlencoded"
SIZES = {"leads": 100_000, "accounts": 20_000, "contacts": 30_000, "opportunities": 20_000, "activities": 200_000}
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/filon_bench"
# Databases this harness must never drop.
PROTECTED_DATABASES = {"postgres", "test", "template0", "template1", "filon"}


@dataclass(frozen=True)
class Route:
    key: str
    label: str
    path: str
    headers: dict = field(default_factory=dict)
    method: str = "GET"
    status: int = 200
    share: float | None = None  # target: requests/s as a % of the ceiling's, at least
    p99: float | None = None  # target on SQLite, ms, at most
    max_bytes: int | None = None  # target, bytes, at most
    bytes_ratio: tuple[str, float] | None = None  # target: at most this share of another route's bytes


@dataclass
class Measure:
    route: Route
    result: loadgen.Result | None = None
    bytes: int | None = None
    status: int | None = None
    queries: int | None = None
    sent: int = 0  # requests answered over HTTP, warm-up included
    problems: list[str] = field(default_factory=list)


@dataclass
class BackendRun:
    name: str
    version: str
    seed_command: str
    seed_seconds: float
    seed_reported: float | None
    counts: dict
    picks: dataset.Picks
    notes: list[str] = field(default_factory=list)
    ceiling: list[float] = field(default_factory=list)
    measures: list[Measure] = field(default_factory=list)
    w2l_states: dict = field(default_factory=dict)

    @property
    def ceiling_rps(self) -> float:
        return statistics.mean(self.ceiling) if self.ceiling else float("nan")


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Load every hot route of Filon beside a ceiling (issue 8).")
    for name, default in SIZES.items():
        parser.add_argument(f"--{name}", type=int, default=default, help=f"seed-demo --{name} (default {default:,})")
    parser.add_argument("--import-rows", type=int, default=100_000, help="rows of the timed CSV import")
    parser.add_argument("--duration", type=float, default=10,
                        help="seconds of load per route (default 10; whole seconds with wrk)")
    parser.add_argument("--warmup", type=float, default=1, help="seconds of load before each measure (default 1)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, app and ceiling (default 2)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="sqlite, postgresql or both (postgresql only when --pg-url answers)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help="the PostgreSQL database to drop and recreate (default %(default)s)")
    parser.add_argument("--skip-import", action="store_true", help="do not time the CSV import")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python load loop even when wrk is installed")
    parser.add_argument("--output", default="docs/benchmarks.md", help="where to write the results")
    parser.add_argument("--no-write", action="store_true", help="print the results only")
    args = parser.parse_args(argv)
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    if args.connections < 1 or args.duration <= 0:
        parser.error("--connections and --duration must be positive")
    return args


# Set-up

def base_env(database_url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "W2L_LIMIT_PER_IP": W2L_LIMIT}
    # The rate limiter's storage is each worker's memory, as on one machine without Redis.
    env.pop("REDIS_URL", None)
    return env


def seed_command(args, env) -> tuple[list[str], list[str]]:
    """The seed-demo command at the run's sizes, with the flags this version of seed-demo has."""
    help_text = procs.run([*FLASK, "seed-demo", "--help"], env=env).stdout
    command, notes = [*FLASK, "seed-demo"], []
    for name in SIZES:
        if f"--{name}" in help_text:
            command += [f"--{name}", str(getattr(args, name))]
        else:
            notes.append(f"seed-demo has no --{name} option yet: the {getattr(args, name):,} {name} asked were "
                         f"left out of its command (the row counts show what it made).")
    return command, notes


def recreate_pg_database(pg_url: str) -> str:
    """Drop and create the run's PostgreSQL database; the server's version."""
    import psycopg

    name = urlsplit(pg_url).path.lstrip("/")
    if not name or name in PROTECTED_DATABASES:
        raise SystemExit(f"refusing to drop the database {name!r}: name another in --pg-url")
    with psycopg.connect(dataset_url(pg_url), dbname="postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return conn.execute("SHOW server_version").fetchone()[0]


def dataset_url(pg_url: str) -> str:
    """A libpq URL (psycopg wants no +driver)."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", pg_url)


def sqlalchemy_url(database_url: str) -> str:
    from crm.config import database_url as configured

    return configured(database_url, ROOT / "instance")


def pg_answers(pg_url: str) -> bool:
    parts = urlsplit(pg_url)
    return procs.port_answers(parts.hostname or "127.0.0.1", parts.port or 5432)


# Over HTTP

def cookie_from(headers, name: str) -> str | None:
    from http.cookies import SimpleCookie

    for header in headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            return cookie[name].value
    return None


def sign_in_http(base: str) -> str:
    """GET /login, then POST the form with its CSRF token: the signed-in session's Cookie header."""
    from urllib.parse import urlencode

    status, body, headers = loadgen.one_request(f"{base}/login", headers={})
    token = dataset.CSRF_META.search(body.decode())
    first = cookie_from(headers, "filon_session")
    if status != 200 or not token or not first:
        raise RuntimeError(f"GET /login answered {status} without a CSRF token or a session cookie")
    form = urlencode({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token.group(1)})
    status, _body, headers = loadgen.one_request(
        f"{base}/login", method="POST", body=form,
        headers={"Cookie": f"filon_session={first}", "Content-Type": FORM_TYPE})
    session = cookie_from(headers, "filon_session")
    if status != 303 or not session:
        raise RuntimeError(f"signing in answered {status}, not 303 with a session cookie")
    return f"filon_session={session}"


def w2l_token(base: str, key: str) -> str:
    status, body, _headers = loadgen.one_request(f"{base}/w2l/{key}", headers={})
    match = dataset.W2L_TOKEN.search(body.decode())
    if status != 200 or not match:
        raise RuntimeError(f"GET /w2l/<key> answered {status} without a token")
    return match.group(1)


def w2l_post(token: str, run: str) -> loadgen.Post:
    """A visitor's post: the form's token, the honeypot left empty, and a new name and email each
    time (the same token with the same fields would be a retry, stored once)."""
    return loadgen.Post(
        fields={"w2l_token": token, "homepage": "", "first_name": "Bench", "company": "Benchmark Load Co",
                "phone": "", "description": "Posted by make bench."},
        varying={"last_name": "Load{n}", "email": "load.{n}@bench.example.com"},
        run=run)


def routes_for(picks: dataset.Picks, form_key: str) -> list[Route]:
    """The issue's routes and targets. The fragments carry the headers htmx sends from the list's
    search form (hx-target="#lead-list")."""
    fragment = {"HX-Request": "true", "HX-Target": "lead-list", "HX-Current-URL": "http://127.0.0.1/leads"}
    return [
        Route("leads_page", "/leads (page)", "/leads", share=15, p99=60),
        Route("leads_fragment", "/leads (fragment)", "/leads", fragment, share=20, p99=50,
              bytes_ratio=("leads_page", 1 / 5)),
        Route("leads_search", "/leads?q= (fragment)", f"/leads?q={quote(picks.term)}", fragment, share=8, p99=100),
        Route("lead_show", "/leads/<id>", f"/leads/{picks.lead_id}", share=15, p99=50),
        Route("board", "/opportunities/board", "/opportunities/board", share=5, p99=120, max_bytes=150_000),
        Route("opportunities", "/opportunities", "/opportunities"),
        Route("reports", "/reports", "/reports", share=2, p99=250),
        # Last: it writes (a lead per post).
        Route("w2l", "POST /w2l/<key>", f"/w2l/{form_key}", {"Content-Type": FORM_TYPE}, method="POST",
              status=303, share=5, p99=150),
    ]


class Loader:
    def __init__(self, args):
        self.args = args
        self.use_wrk = not args.no_wrk and loadgen.wrk_version() is not None
        self.tool = "wrk" if self.use_wrk else "python"

    def __call__(self, url: str, headers: dict, *, seconds: float, method: str = "GET",
                 post: loadgen.Post | None = None) -> loadgen.Result:
        run = loadgen.run_wrk if self.use_wrk else loadgen.run_python
        return run(url, duration=seconds, connections=self.args.connections, headers=headers, method=method,
                   post=post, track=procs.track)


def measure_ceiling(load: Loader, url: str, args) -> float:
    load(url, {}, seconds=args.warmup)
    result = load(url, {}, seconds=args.duration)
    if result.errors:
        raise RuntimeError(f"the ceiling app answered {result.errors} errors")
    return result.requests_per_second


def measure_route(load: Loader, base: str, route: Route, cookie: str, args, w2l: dict) -> Measure:
    measure = Measure(route)
    url = base + route.path
    post = None
    if route.method == "POST":
        headers = dict(route.headers)  # an anonymous visitor: no session
        # A post counts as a lead only W2L_MIN_SECONDS after its form was rendered: wait it out once.
        wait = w2l["issued"] + dataset.w2l_min_seconds() + 1.1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        body = w2l_post(w2l["token"], f"{w2l['run']}b").body(1)
        measure.status, content, _h = loadgen.one_request(url, headers=headers, method="POST", body=body)
    else:
        headers = {**route.headers, "Cookie": cookie}
        measure.status, content, _h = loadgen.one_request(url, headers=headers)
    measure.bytes = len(content)
    if measure.status != route.status:
        measure.problems.append(f"answered {measure.status}, expected {route.status}")
    elif route.method == "GET" and ("HX-Request" in route.headers) == (b"<html" in content):
        measure.problems.append("answered a full page to htmx" if "HX-Request" in route.headers
                                else "answered a fragment, not a page")
    if route.method == "POST":
        warm = load(url, headers, seconds=args.warmup, method="POST", post=w2l_post(w2l["token"], f"{w2l['run']}w"))
        post = w2l_post(w2l["token"], f"{w2l['run']}m")
    else:
        warm = load(url, headers, seconds=args.warmup)
    measure.result = load(url, headers, seconds=args.duration, method=route.method, post=post)
    # The posts that were answered without an error: each must have stored a lead.
    measure.sent = (measure.status == route.status) + warm.requests - warm.errors + measure.result.requests \
        - measure.result.errors
    if measure.result.errors:
        measure.problems.append(f"{measure.result.non_2xx_3xx} non-2xx/3xx responses, "
                                f"{measure.result.socket_errors} socket errors")
    return measure


def run_backend(name: str, args, workdir: Path, load: Loader) -> BackendRun:
    if name == "sqlite":
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        version = sqlite3.sqlite_version
    else:
        version = recreate_pg_database(args.pg_url)
        database_url = args.pg_url
    env = base_env(database_url)
    print(f"[{name}] flask db upgrade", flush=True)
    procs.run([*FLASK, "db", "upgrade"], env=env)
    procs.run([*FLASK, "create-user", ADMIN_EMAIL, "--password", ADMIN_PASSWORD, "--role", "admin",
               "--name", "Bench Admin"], env=env)
    command, notes = seed_command(args, env)
    shown = shlex.join(["flask", *command[1:]])
    print(f"[{name}] {shown}", flush=True)
    started = time.perf_counter()
    output = procs.run(command, env=env).stdout
    seed_seconds = time.perf_counter() - started
    reported = re.search(r" in ([\d.]+) s\.", output)
    print(f"[{name}] seeded in {seed_seconds:.1f} s", flush=True)

    app = dataset.make_app(sqlalchemy_url(database_url), secret_key=SECRET_KEY,
                           instance_path=str(workdir / "instance"), w2l_limit=W2L_LIMIT)
    counts = dataset.row_counts(app)
    picks = dataset.pick_targets(app)
    form_key = dataset.create_web_form(app, ADMIN_EMAIL, W2L_DAILY_CAP)
    routes = routes_for(picks, form_key)
    backend = BackendRun(name, version, shown, seed_seconds, float(reported.group(1)) if reported else None,
                         counts, picks, notes)
    print(f"[{name}] counting queries in-process", flush=True)
    queries = dataset.count_queries(
        app, [(r.key, r.method, r.path, r.headers) for r in routes], email=ADMIN_EMAIL, password=ADMIN_PASSWORD,
        form_key=form_key, post_body=lambda token, n: w2l_post(token, f"{name[0]}q").body(n))

    app_port, ceiling_port = procs.free_port(), procs.free_port()
    while ceiling_port == app_port:
        ceiling_port = procs.free_port()
    servers = []
    try:
        servers.append(procs.start_gunicorn("app:app", port=app_port, workers=args.workers, env=env, cwd=ROOT,
                                            log=workdir / f"gunicorn-{name}.log", ready_path="/login"))
        servers.append(procs.start_gunicorn("ceiling:app", port=ceiling_port, workers=args.workers, env=env,
                                            cwd=BENCH, log=workdir / f"ceiling-{name}.log"))
        base, ceiling_url = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{ceiling_port}/"
        cookie = sign_in_http(base)
        w2l = {"token": w2l_token(base, form_key), "issued": time.monotonic(), "run": f"{name[0]}{int(time.time())}"}
        print(f"[{name}] ceiling", flush=True)
        backend.ceiling.append(measure_ceiling(load, ceiling_url, args))
        for route in routes:
            print(f"[{name}] {route.label}", flush=True)
            measure = measure_route(load, base, route, cookie, args, w2l)
            count, status = queries[route.key]
            measure.queries = count
            if status != route.status:
                measure.problems.append(f"answered {status} in-process (query count), expected {route.status}")
            backend.measures.append(measure)
        print(f"[{name}] ceiling again", flush=True)
        backend.ceiling.append(measure_ceiling(load, ceiling_url, args))
    finally:
        for server in servers:
            procs.stop(server)
        log = workdir / f"gunicorn-{name}.log"
        if any(m.problems for m in backend.measures) and log.exists():
            print(f"[{name}] the app's log ends with:\n" + "\n".join(
                log.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
    backend.w2l_states = dataset.submission_states(app, form_key)
    kept_aside = {state: n for state, n in backend.w2l_states.items() if state != "lead"}
    for m in backend.measures:
        if m.route.key != "w2l":
            continue
        if kept_aside:
            m.problems.append("posts kept aside instead of becoming leads: "
                              + ", ".join(f"{n} {state}" for state, n in kept_aside.items()))
        # Two more posts came from the in-process query count.
        stored = backend.w2l_states.get("lead", 0) - 2
        if stored < m.sent:
            m.problems.append(f"{m.sent:,} posts answered without error but only {stored:,} leads stored: "
                              "some bodies repeated (a retry is stored once)")
    with app.app_context():
        from crm.extensions import db

        db.engine.dispose()
    return backend


def time_import(rows: int, env: dict) -> dict:
    """bench/import_leads.py as its owner runs it (its own fresh SQLite database)."""
    command = [str(procs.BIN / "python"), str(BENCH / "import_leads.py"), "--rows", str(rows)]
    print(f"[import] {shlex.join(['.venv/bin/python', 'bench/import_leads.py', '--rows', str(rows)])}", flush=True)
    started = time.perf_counter()
    output = procs.run(command, env=env).stdout
    wall = time.perf_counter() - started
    seconds = re.search(r"^import: ([\d.]+) s", output, re.M)
    state = re.search(r"^state .*$", output, re.M)
    if not seconds:
        raise RuntimeError("could not read the import's time in its output:\n" + output)
    return {"rows": rows, "seconds": float(seconds.group(1)), "wall": wall,
            "summary": state.group(0) if state else "", "output": output.strip()}


# Results

def checks(backend: BackendRun, measure: Measure) -> dict[str, bool | None]:
    """Each target of the route: met (True), missed (False) or none (None). On PostgreSQL the
    issue sets the shares (and the bytes do not depend on the database); the p99 targets are SQLite's."""
    route, result = measure.route, measure.result
    out: dict[str, bool | None] = {"share": None, "p99": None, "bytes": None}
    if route.share is not None and result is not None:
        out["share"] = share(backend, measure) >= route.share
    if route.p99 is not None and result is not None and backend.name == "sqlite":
        out["p99"] = result.p99_ms <= route.p99
    limit = bytes_limit(backend, route)
    if limit is not None and measure.bytes is not None:
        out["bytes"] = measure.bytes <= limit
    return out


def bytes_limit(backend: BackendRun, route: Route) -> float | None:
    if route.max_bytes is not None:
        return route.max_bytes
    if route.bytes_ratio is not None:
        other, ratio = route.bytes_ratio
        for m in backend.measures:
            if m.route.key == other and m.bytes is not None:
                return m.bytes * ratio
    return None


def share(backend: BackendRun, measure: Measure) -> float:
    return 100 * measure.result.requests_per_second / backend.ceiling_rps if measure.result else float("nan")


def yes_no(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "NO")


def target_text(backend: BackendRun, route: Route) -> dict[str, str]:
    limit = bytes_limit(backend, route)
    return {
        "share": f"≥{route.share:g}%" if route.share is not None else "",
        "p99": f"≤{route.p99:g}" if route.p99 is not None and backend.name == "sqlite" else "",
        "bytes": ("≤1/5 of page" if route.bytes_ratio else f"≤{limit / 1000:g} KB") if limit is not None else "",
    }


def print_table(backend: BackendRun) -> None:
    head = (f"{'route':<22} {'req/s':>8} {'share':>7} {'p50 ms':>8} {'p99 ms':>8} {'bytes':>9} {'queries':>7} "
            f"{'errors':>6}  {'share ok':<14} {'p99 ok':<10} {'bytes ok':<18}")
    tool = backend.measures[0].result.tool if backend.measures else ""
    print(f"\n{backend.name} {backend.version}: ceiling {backend.ceiling_rps:,.0f} req/s "
          f"(mean of {', '.join(f'{c:,.0f}' for c in backend.ceiling)}), load from {tool}")
    print(head)
    print("-" * len(head))
    for m in backend.measures:
        r, ok, target = m.result, checks(backend, m), target_text(backend, m.route)
        errors = r.errors
        flag = "!" if m.problems else " "
        print(f"{m.route.label:<21}{flag} {r.requests_per_second:>8.1f} {share(backend, m):>6.1f}% {r.p50_ms:>8.1f} "
              f"{r.p99_ms:>8.1f} {m.bytes:>9,} {m.queries if m.queries is not None else '?':>7} {errors:>6}  "
              f"{yes_no(ok['share']) + (' ' + target['share'] if target['share'] else ''):<14} "
              f"{yes_no(ok['p99']) + (' ' + target['p99'] if target['p99'] else ''):<10} "
              f"{yes_no(ok['bytes']) + (' ' + target['bytes'] if target['bytes'] else ''):<18}")
    for m in backend.measures:
        for problem in m.problems:
            print(f"  ! {m.route.label}: {problem}")
    for note in backend.notes:
        print(f"  note: {note}")
    print("  rows: " + ", ".join(f"{n:,} {table}" if n is not None else f"? {table}"
                                 for table, n in backend.counts.items()))
    stored = ", ".join(f"{n:,} {state}" for state, n in sorted(backend.w2l_states.items())) or "none"
    print(f"  search term {backend.picks.term!r} ({backend.picks.term_leads:,} of {backend.picks.leads:,} leads), "
          f"lead {backend.picks.lead_id} ({backend.picks.lead_activities} activities); "
          f"Web-to-Lead posts stored: {stored}")


def machine() -> dict[str, str]:
    def read(path: str) -> str:
        try:
            return Path(path).read_text()
        except OSError:
            return ""

    cpuinfo = read("/proc/cpuinfo")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    cores = {(p, c) for p, c in re.findall(r"physical id\s*:\s*(\d+).*?core id\s*:\s*(\d+)", cpuinfo, re.S)}
    memory = re.search(r"^MemTotal:\s*(\d+) kB", read("/proc/meminfo"), re.M)
    os_name = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', read("/etc/os-release"), re.M)

    def version(package: str) -> str:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return "?"

    return {
        "CPU": model.group(1).strip() if model else platform.processor() or "?",
        "Cores": f"{os.cpu_count()} logical" + (f", {len(cores)} physical" if cores else ""),
        "Memory": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "?",
        "OS": f"{os_name.group(1) if os_name else platform.system()} (kernel {platform.release()})",
        "Python": platform.python_version(),
        "SQLite": sqlite3.sqlite_version,
        "gunicorn": version("gunicorn"),
        "wrk": loadgen.wrk_version() or "not installed",
        "Flask / SQLAlchemy": f"{version('flask')} / {version('sqlalchemy')}",
    }


def markdown_table(backend: BackendRun) -> str:
    lines = ["| Route | req/s | % of ceiling (target) | p50 ms | p99 ms (target) | bytes (target) | queries | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for m in backend.measures:
        r, ok, target = m.result, checks(backend, m), target_text(backend, m.route)
        cells = {"share": f"{share(backend, m):.1f}%", "p99": f"{r.p99_ms:.1f}", "bytes": f"{m.bytes:,}"}
        for key, value in ok.items():
            if value is not None:
                cells[key] += f" ({target[key]} {'✓' if value else '✗ **missed**'})"
        errors = str(r.errors) + (" ⚠" if m.problems else "")
        queries = m.queries if m.queries is not None else "?"
        lines.append(f"| `{m.route.label}` | {r.requests_per_second:,.1f} | {cells['share']} | {r.p50_ms:.1f}"
                     f" | {cells['p99']} | {cells['bytes']} | {queries} | {errors} |")
    return "\n".join(lines)


TEMPLATE = """# Benchmarks

The last run of `make bench` (issue 8): each hot route of Filon under `gunicorn -w {workers}` on a big
demo book, loaded from {tool} on loopback with {connections} connections for {duration:g} s (after
{warmup:g} s of warm-up), beside a ceiling measured in the same run: a three-line Flask app
returning a constant string (`bench/ceiling.py`) under the same gunicorn settings. Each route's
requests/s is given as a share of that ceiling, which makes runs on different machines comparable.
Written by `bench/run.py`; do not edit by hand, run it again.

Run on {date}.

## Reproduce

```sh
{command}
```

## Machine

{machine}

## Data

Sizes asked of `flask --app app seed-demo`, and the rows the database held after it (the bench admin
included in the users; it owns its share of the demo data, as a rep would):

{sizes}

{seed}

{import_}

## Results

Queries are per request, counted in-process through the test client (the second of two identical
requests). The byte counts are the response bodies, uncompressed. Errors are responses of 400 or
more and socket errors; a route marked ⚠ answered something other than expected (see the notes).
On PostgreSQL the targets are the shares (and the bytes, which do not depend on the database); the
p99 targets are SQLite's.

{tables}

## Notes

{notes}
"""


def write_markdown(path: Path, args, argv: list[str], backends: list[BackendRun], imported: dict | None,
                   started: dt.datetime, loads: tuple, skipped: list[str]) -> None:
    if backends[0].measures and backends[0].measures[0].result.tool == "wrk":
        tool = f"wrk (`wrk -t1 -c{args.connections} --latency`)"
    else:
        tool = f"a Python load loop ({args.connections} threads; wrk missing or --no-wrk)"
    info = machine()
    for b in backends:
        if b.name == "postgresql":
            info["PostgreSQL"] = b.version
    info["Load average"] = f"{loads[0]:.2f} before the run, {loads[1]:.2f} after (1 min)"
    command = "make bench" + (f' BENCH_ARGS="{shlex.join(argv)}"' if argv else "")
    sizes = ["| Table | asked | " + " | ".join(b.name for b in backends) + " |",
             "|---|---:|" + "---:|" * len(backends)]
    for table in dataset.TABLES:
        asked = f"{getattr(args, table):,}" if table in SIZES else ""
        sizes.append(f"| {table} | {asked} | " + " | ".join(
            f"{b.counts.get(table):,}" if b.counts.get(table) is not None else "?" for b in backends) + " |")
    seed = "\n".join(
        f"- Seeding on {b.name}: **{b.seed_seconds:.1f} s** wall clock for `{b.seed_command}`"
        + (f" (the command reports {b.seed_reported:.1f} s of inserts)" if b.seed_reported is not None else "")
        for b in backends)
    if imported is None:
        import_ = "- CSV import: " + ("not timed (--skip-import)." if args.skip_import else "failed (see the notes).")
    else:
        import_ = (f"- Importing a {imported['rows']:,}-row messy CSV (`bench/import_leads.py --rows "
                   f"{imported['rows']}`, SQLite): **{imported['seconds']:.1f} s** ({imported['summary']})")
    tables = []
    for b in backends:
        tables.append(f"### {'SQLite' if b.name == 'sqlite' else 'PostgreSQL'} {b.version}\n\n"
                      f"Ceiling: {b.ceiling_rps:,.0f} req/s, the mean of the measures before "
                      f"({b.ceiling[0]:,.0f}) and after ({b.ceiling[-1]:,.0f}) the routes.\n\n" + markdown_table(b))
    notes = [f"- ⚠ {line}" for line in skipped]
    shared = set.intersection(*(set(b.notes) for b in backends))
    notes += [f"- {note}" for note in backends[0].notes if note in shared]
    for b in backends:
        if len(b.ceiling) == 2 and abs(b.ceiling[0] - b.ceiling[1]) > 0.2 * b.ceiling_rps:
            notes.append(f"- {b.name}: ⚠ the ceiling moved by more than 20% during the run "
                         f"({b.ceiling[0]:,.0f} then {b.ceiling[1]:,.0f} req/s): the machine was not quiet.")
        notes.append(f"- {b.name}: `/leads?q=` searches **{b.picks.term}**, the most frequent last name "
                     f"({b.picks.term_leads:,} of {b.picks.leads:,} leads); `/leads/<id>` is lead {b.picks.lead_id} "
                     f"({b.picks.lead_activities} activities). Web-to-Lead posts stored: "
                     + (", ".join(f"{n:,} {s}" for s, n in sorted(b.w2l_states.items())) or "none") + ".")
        notes += [f"- {b.name}: {note}" for note in b.notes if note not in shared]
        for m in b.measures:
            notes += [f"- {b.name}, `{m.route.label}`: ⚠ {problem}" for problem in m.problems]
    notes.append("- `POST /w2l/<key>`: an anonymous visitor's post with the form's signed token (taken once "
                 f"from GET /w2l/<key>, more than W2L_MIN_SECONDS earlier), the honeypot empty, and a new last name "
                 f"and email in every request; the throttle was raised with W2L_LIMIT_PER_IP=\"{W2L_LIMIT}\".")
    if tool.startswith("wrk"):
        notes.append(f"- wrk ran with `--timeout {loadgen.TIMEOUT_SECONDS}s` (its default, 2 s, would drop the slowest "
                     "requests from the percentiles as timeouts).")
    notes.append("- gunicorn ran with its default sync workers and `--log-level warning`, the app and the ceiling "
                 "alike.")
    notes.append("- The fragments send `HX-Request: true` and `HX-Target: lead-list`, as the list's search form does; "
                 "the pages and fragments are fetched as the bench admin (`/leads` is its \"My open leads\").")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE.format(
        workers=args.workers, tool=tool, connections=args.connections, duration=args.duration, warmup=args.warmup,
        date=started.strftime("%Y-%m-%d %H:%M UTC"), command=command,
        machine="\n".join(f"- {k}: {v}" for k, v in info.items()), sizes="\n".join(sizes), seed=seed,
        import_=import_, tables="\n\n".join(tables), notes="\n".join(notes)))
    print(f"\nWrote {path}")


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()[0]

    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    load = Loader(args)
    if load.tool == "python":
        print("Load generator: the Python loop" + (" (--no-wrk)" if args.no_wrk else " (wrk is not installed)"))
    backends: list[BackendRun] = []
    imported = None
    skipped = []
    with tempfile.TemporaryDirectory(prefix="filon-bench-") as tmp:
        workdir = Path(tmp)
        try:
            for name in args.backends:
                if name == "postgresql" and not pg_answers(args.pg_url):
                    skipped.append(f"PostgreSQL skipped: nothing answers at {urlsplit(args.pg_url).netloc}")
                    print(skipped[-1])
                    continue
                try:
                    backends.append(run_backend(name, args, workdir, load))
                except Exception as error:  # noqa: BLE001 (one backend failing must not lose the others)
                    procs.stop_all()
                    skipped.append(failure(name, error))
                    continue
                print_table(backends[-1])
            if not args.skip_import:
                try:
                    imported = time_import(args.import_rows, base_env(f"sqlite:///{workdir / 'unused.sqlite3'}"))
                    print(f"[import] {imported['summary']}; {imported['seconds']:.1f} s")
                except Exception as error:  # noqa: BLE001
                    skipped.append(failure("CSV import", error))
        except KeyboardInterrupt:
            print("\nInterrupted: stopping what the benchmark started.", file=sys.stderr)
            return 130
        finally:
            procs.stop_all()
    print("\nSummary")
    for b in backends:
        print_table(b)
        print(f"  seed-demo: {b.seed_seconds:.1f} s ({b.seed_command})")
    for line in skipped:
        print(line)
    if imported:
        print(f"CSV import of {imported['rows']:,} rows: {imported['seconds']:.1f} s ({imported['summary']})")
    if not args.no_write and backends:
        write_markdown(ROOT / args.output, args, argv, backends, imported, started, (load_before, os.getloadavg()[0]),
                       skipped)
    problems = skipped and not all(line.startswith("PostgreSQL skipped") for line in skipped)
    return 1 if problems or any(m.problems for b in backends for m in b.measures) else 0


def failure(what: str, error: Exception) -> str:
    """Print the whole error; a short line for the summary and the notes."""
    print(f"\n{what} FAILED:\n{error}", file=sys.stderr, flush=True)
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{what} failed: {lines[-1] if lines else type(error).__name__}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
