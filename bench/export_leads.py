"""Time the lead CSV export over 100,000 leads and show that it streams: `.venv/bin/python
bench/export_leads.py` (`--leads N`, `--xlsx` to time the XLSX export too, `--keep DIR` to reuse
a seeded database).

A fresh SQLite database is upgraded and seeded with `flask --app app seed-demo --leads N` (bulk
inserts), then /leads/export.csv?view=all is read through the test client, chunk by chunk, as a
browser would download it. Reported: time to the first chunk, total time, size, and the peak of
Python memory allocated while exporting (tracemalloc, in a second run, since tracing slows it
down). A streamed export keeps that peak at a few MB whatever the size of the file; building the
file in memory would need at least the file's size.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FLASK = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "app"]


def seed(database_url: str, leads: int) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench")}
    # Our own fixed command line, not input.
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)  # noqa: S603
    started = time.perf_counter()
    subprocess.run([*FLASK, "seed-demo", "--leads", str(leads), "--users", "5"], cwd=ROOT, env=env, check=True)  # noqa: S603
    print(f"seeded {leads:,} leads in {time.perf_counter() - started:.1f} s")


def signed_in_client(app):
    """A test client signed in as the first active user (Flask-Login keeps the session token)."""
    import sqlalchemy as sa

    from crm.extensions import db
    from crm.models import User

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.active).order_by(User.id).limit(1))
        token = user.session_token
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = token, True
    return client


def download(client, url: str) -> dict:
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    first, size, chunks, lines = None, 0, 0, 0
    for chunk in response.response:
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        chunks += 1
        lines += chunk.count(b"\r\n")  # csv.writer ends rows with CRLF; newlines inside cells are LF
    response.close()
    return {"first": first or 0.0, "total": time.perf_counter() - started, "bytes": size, "chunks": chunks,
            "lines": lines, "streamed": response.is_streamed}


def measure(client, url: str) -> None:
    timed = download(client, url)
    tracemalloc.start()
    traced = download(client, url)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows = f"{timed['lines'] - 1:,} rows, " if ".csv" in url else ""
    print(f"{url}: {rows}{timed['bytes'] / 1e6:.1f} MB in {timed['chunks']:,} chunks "
          f"(streamed: {timed['streamed']}); first chunk after {timed['first'] * 1000:.0f} ms, "
          f"all in {timed['total']:.2f} s; peak Python memory while exporting {peak / 1e6:.1f} MB "
          f"(traced run: {traced['total']:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--xlsx", action="store_true", help="time the XLSX export too")
    parser.add_argument("--keep", help="a folder to keep (and reuse) the seeded database in")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="filon-bench-export-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"export-{args.leads}.sqlite3"
    url = f"sqlite:///{path}"
    if not path.exists():
        seed(url, args.leads)

    from crm import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(folder / "instance"),
                      "SECRET_KEY": "bench", "BOOTSTRAP_ADMIN": False, "REDIS_URL": None})
    client = signed_in_client(app)
    measure(client, "/leads/export.csv?view=all")
    if args.xlsx:
        measure(client, "/leads/export.xlsx?view=all")
    import resource

    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
