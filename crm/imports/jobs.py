"""The import job queue. The `lead_imports` table is the source of truth: a job is a row in state
"queued", and a worker takes it with one conditional UPDATE (… WHERE id = ? AND state = 'queued'),
so two workers never take the same job, on SQLite or PostgreSQL, on one machine or many.

Without REDIS_URL a worker polls the table every second (the embedded default: no other service).
With REDIS_URL, starting an import also pushes its id on a Redis list and workers wait on it with
BLPOP (no polling delay); they still look at the table now and then, so a job whose push was lost
(Redis restarted) is taken all the same.

`flask --app app import-worker` runs a worker; `make run` starts one beside the web server.
"""

import logging
import signal
import threading
import time

import sqlalchemy as sa
from flask import Flask, current_app

from crm.extensions import db
from crm.imports import services
from crm.models.lead_import import LeadImport
from crm.models.user import utcnow

QUEUE_KEY = "filon:lead-imports"
POLL_SECONDS = 1.0
# With Redis, a worker also scans the table this often (a push lost while Redis was down).
REDIS_SCAN_SECONDS = 10

log = logging.getLogger(__name__)


def _queue_key() -> str:
    return current_app.config.get("IMPORT_QUEUE_KEY", QUEUE_KEY)


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    return redis.Redis.from_url(url)


def notify(import_id: int) -> None:
    """Tell the workers a job is queued (after the commit that queued it): a Redis push, or nothing
    when the workers poll the table."""
    client = _redis()
    if client is None:
        return
    try:
        client.rpush(_queue_key(), import_id)
    except Exception:  # noqa: BLE001 - the table still holds the job; a worker's scan will find it
        log.warning("could not push lead import %s to Redis; workers will find it in the table", import_id)


def claim(import_id: int | None = None) -> int | None:
    """Take a queued job (that one, or the oldest): its id, or None when there is none to take."""
    query = sa.select(LeadImport.id).where(LeadImport.state == "queued").order_by(LeadImport.id).limit(5)
    if import_id is not None:
        query = query.where(LeadImport.id == import_id)
    for candidate in db.session.scalars(query).all():
        now = utcnow()
        taken = db.session.execute(
            sa.update(LeadImport).where(LeadImport.id == candidate, LeadImport.state == "queued")
            .values(state="running", heartbeat_at=now,
                    started_at=sa.func.coalesce(LeadImport.started_at, now))
            .execution_options(synchronize_session=False)).rowcount
        db.session.commit()
        if taken == 1:
            return candidate
    db.session.rollback()
    return None


def work(import_id: int | None = None, should_stop=lambda: False) -> LeadImport | None:
    """Claim a job and run it to its end (or until `should_stop`); the import, or None if none was taken."""
    claimed = claim(import_id)
    if claimed is None:
        return None
    log.info("lead import %s: started", claimed)
    imp = services.run_import(claimed, should_stop=should_stop)
    log.info("lead import %s: %s (%s imported, %s updated, %s skipped, %s rejected)", claimed, imp.state,
             imp.imported, imp.updated, imp.skipped, imp.rejected)
    return imp


def run_worker(app: Flask, stop: threading.Event | None = None, poll: float = POLL_SECONDS,
               once: bool = False) -> None:
    """Take and run jobs until `stop` is set (SIGTERM and Ctrl-C set it: the job in hand finishes its
    chunk and goes back to the queue, to go on from its checkpoint)."""
    stop = stop or threading.Event()
    with app.app_context():
        client = _redis()
        last_scan = 0.0
        while not stop.is_set():
            import_id = None
            if client is not None:
                try:
                    item = client.blpop([_queue_key()], timeout=max(1, int(poll)))
                    import_id = int(item[1]) if item else None
                except Exception:  # noqa: BLE001 - Redis away: fall back to the table
                    log.warning("Redis unavailable; polling the table")
                    stop.wait(poll)
            try:
                # A pushed id may already be taken (by another worker): then look at the table.
                imp = work(import_id, stop.is_set) if import_id is not None else None
                if imp is None and (client is None or time.monotonic() - last_scan > REDIS_SCAN_SECONDS):
                    last_scan = time.monotonic()
                    imp = work(None, stop.is_set)
            except sa.exc.OperationalError:
                # The database is busy or away for a moment: try again on the next round.
                db.session.rollback()
                log.warning("database unavailable; retrying", exc_info=True)
                imp = None
            finally:
                db.session.remove()
            if once:
                return
            if imp is None and client is None:
                stop.wait(poll)


def install_signal_handlers(stop: threading.Event) -> None:
    def handle(signum, frame):
        log.info("import worker: stopping after the current chunk")
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
