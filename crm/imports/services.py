"""Lead import rules: upload, mapping and preview, the job that imports the rows, undo and rollback.

The job reads the file kept in `lead_imports`, 2,000 rows at a time. Each chunk is one transaction:
the leads it creates (Core bulk inserts, with their match keys, campaign memberships and import
records), the leads it updates (with their values before), the rows it rejects, and the import's
counters, checkpoint and heartbeat. A process killed mid-way therefore loses at most the chunk in
flight, and nothing of it: the import shows "interrupted" once its heartbeat is old, and the user
resumes it from the checkpoint or rolls back what its records say it did.

Duplicates are looked for a chunk at a time, by the matching rules of crm.leads.duplicates (same
email, same E.164 phone, similar name at the same company key), with a few batched queries instead
of one find_duplicates() per row; rows of the same file are matched with each other too.

Services flush and never commit, except the job (`run_import`) and undo, which commit chunk by chunk.
"""

import csv
import io
import itertools
import json
import operator
import queue
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from crm.assignment import services as assignment
from crm.extensions import db
from crm.imports import parsing
from crm.imports.fields import LEAD_COLUMNS, PICKLIST_FIELDS, RowValidator, auto_mapping, message, saved_fields
from crm.leads import services as lead_services
from crm.leads.duplicates import Candidate, jsonable, restored, score
from crm.models import Account, Campaign, CampaignMember, Contact, Lead, LeadMatchKey, LeadStatus, RecentView, User
from crm.models.account import company_key
from crm.models.lead import fold
from crm.models.lead_import import (
    DUPLICATE_CHOICES,
    LeadImport,
    LeadImportMapping,
    LeadImportRecord,
    LeadImportRejection,
)
from crm.models.merge import match_key_values, name_key
from crm.models.user import utcnow

CHUNK_SIZE = 2000
PREVIEW_ROWS = 10
MAX_FILE_BYTES = 50 * 1024 * 1024
# A running job commits a chunk (and its heartbeat) every second or so: a minute of silence means
# its worker is gone.
STALE_AFTER = timedelta(seconds=60)
# IN lists are cut to this size (SQLite's bound-parameter limit, PostgreSQL's plan sizes).
IN_BATCH = 500
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# The columns an update writes (and an undo puts back).
UPDATE_COLUMNS = (*LEAD_COLUMNS, "phone_e164", "mobile_e164", "search_text", "campaign_id", "updated_at",
                  "updated_by_id")
INSERT_COLUMNS = (*LEAD_COLUMNS, "phone_e164", "mobile_e164", "search_text", "campaign_id", "status_id",
                  "owner_id", "queue_id", "assignment_rule_id", "possible_duplicate", "created_by_id",
                  "updated_by_id", "created_at", "updated_at")
STATE_LABELS = {
    "mapping": _l("Mapping the columns"),
    "queued": _l("Waiting for a worker"),
    "running": _l("Importing"),
    "done": _l("Done"),
    "interrupted": _l("Interrupted"),
    "failed": _l("Failed"),
    "rolled_back": _l("Rolled back"),
    "undone": _l("Undone"),
    "undoing": _l("Being undone"),
    "rolling_back": _l("Being rolled back"),
}
DUPLICATE_LABELS = {
    "skip": _l("Skip the row"),
    "update": _l("Update the existing lead"),
    "create": _l("Import anyway (flagged as a possible duplicate)"),
}


class LeadImportError(Exception):
    """An import rule was broken; the message is for the user."""


class UnreadableFile(LeadImportError):
    """The file is neither a CSV nor an XLSX file that can be read."""


class WrongState(LeadImportError):
    """The import is not in a state that allows this (e.g. undoing an import still running)."""


class MappingIncomplete(LeadImportError):
    """Last name and company must each be mapped to a column."""


# Loading and describing

def state_of(imp: LeadImport, now: datetime | None = None) -> str:
    """The import's state as users see it: a running job whose heartbeat stopped is "interrupted"."""
    if imp.state == "running" and is_stale(imp, now):
        return "interrupted"
    return imp.state


def is_stale(imp: LeadImport, now: datetime | None = None) -> bool:
    now = now or utcnow()
    beat = imp.heartbeat_at or imp.started_at or imp.created_at
    return beat < now - STALE_AFTER


def can_see(imp: LeadImport, user: User) -> bool:
    return user.is_admin or imp.created_by_id == user.id


def can_undo(imp: LeadImport, user: User) -> bool:
    """Undo (a finished import) and rollback (a cut-off one): its creator or an admin."""
    return can_see(imp, user)


def recent_imports(user: User, limit: int = 20) -> list[LeadImport]:
    """The user's latest imports (an admin's: everyone's), newest first."""
    query = sa.select(LeadImport).order_by(LeadImport.id.desc()).limit(limit)
    if not user.is_admin:
        query = query.where(LeadImport.created_by_id == user.id)
    return list(db.session.scalars(query))


def file_info(imp: LeadImport) -> parsing.FileInfo:
    return parsing.FileInfo(imp.file_format, imp.encoding, imp.delimiter, list(imp.headers))


def picklists() -> dict[str, list[str]]:
    return {name: lead_services.picklist(name) for name in PICKLIST_FIELDS}


# Upload, mapping, preview, start

def create_import(content: bytes, file_name: str, *, actor: User | None,
                  saved: LeadImportMapping | None = None) -> LeadImport:
    """Store an uploaded file, detect its format, and map its headers. :raises UnreadableFile:"""
    if len(content) > MAX_FILE_BYTES:
        raise UnreadableFile(_l("The file is larger than 50 MB."))
    try:
        info = parsing.detect(content, file_name)
    except parsing.FileError as exc:
        raise UnreadableFile(_l("This file cannot be read. Upload a CSV or XLSX file with a header row.")) from exc
    imp = LeadImport(created_by_id=actor.id if actor else None, file_name=(file_name or "import")[:255],
                     content=content, file_format=info.file_format, encoding=info.encoding,
                     delimiter=info.delimiter, headers=info.headers,
                     mapping=auto_mapping(info.headers, saved.fields if saved else None),
                     options={"duplicates": "skip", "owner_id": actor.id if actor else None, "use_rules": actor is None,
                              "lead_source": None, "campaign_id": None},
                     state="mapping")
    db.session.add(imp)
    db.session.flush()
    return imp


def apply_saved_mapping(imp: LeadImport, saved: LeadImportMapping) -> list[str]:
    return auto_mapping(imp.headers, saved.fields)


def saved_mappings() -> list[LeadImportMapping]:
    return list(db.session.scalars(sa.select(LeadImportMapping).order_by(LeadImportMapping.name)))


def save_mapping(name: str, headers: list[str], mapping: list[str], *, actor: User | None) -> LeadImportMapping:
    """Save (or overwrite) a named mapping, remembered by header."""
    name = name.strip()[:80]
    saved = db.session.scalar(sa.select(LeadImportMapping).where(LeadImportMapping.name == name))
    if saved is None:
        saved = LeadImportMapping(name=name, created_by_id=actor.id if actor else None)
        db.session.add(saved)
    saved.fields = saved_fields(headers, mapping)
    saved.updated_at = utcnow()
    db.session.flush()
    return saved


@dataclass
class PreviewRow:
    line: int
    values: dict
    errors: list = field(default_factory=list)


def preview(imp: LeadImport, mapping: list[str], limit: int = PREVIEW_ROWS) -> list[PreviewRow]:
    """The first rows as they would be imported, each with its validation errors (in words)."""
    validate = RowValidator(mapping, picklists())
    rows = []
    for _n, line, cells in parsing.data_rows(imp.content, file_info(imp)):
        values, errors = validate(cells)
        rows.append(PreviewRow(line, values, [message(e) for e in errors]))
        if len(rows) == limit:
            break
    return rows


def start_import(imp: LeadImport, *, mapping: list[str], options: dict, save_as: str | None = None,
                 actor: User | None = None) -> LeadImport:
    """Fix the mapping and options and queue the job (the caller commits, then calls jobs.notify).

    :raises WrongState: :raises MappingIncomplete:"""
    if imp.state != "mapping":
        raise WrongState(_l("This import has already started."))
    if not ({"last_name", "full_name"} & set(mapping)) or "company" not in mapping:
        raise MappingIncomplete(_l("Map a column to Last name (or Full name) and one to Company."))
    if options.get("duplicates") not in DUPLICATE_CHOICES:
        raise ValueError("unknown duplicate choice")
    imp.mapping = list(mapping)
    imp.options = {"duplicates": options["duplicates"], "owner_id": options.get("owner_id"),
                   "use_rules": bool(options.get("use_rules")), "lead_source": options.get("lead_source") or None,
                   "campaign_id": options.get("campaign_id") or None}
    if save_as and save_as.strip():
        save_mapping(save_as, imp.headers, imp.mapping, actor=actor)
    imp.state = "queued"
    from crm.audit import log_event  # here: crm.audit imports the models, as this module does

    log_event("import", f"leads from {imp.file_name}", actor=actor, target=imp, details=imp.options)
    db.session.flush()
    return imp


def resume_import(imp: LeadImport) -> LeadImport:
    """Queue an interrupted or failed import again: it goes on from its checkpoint. :raises WrongState:"""
    stale = utcnow() - STALE_AFTER
    done = db.session.execute(
        sa.update(LeadImport).where(LeadImport.id == imp.id, sa.or_(
            LeadImport.state.in_(("interrupted", "failed")),
            sa.and_(LeadImport.state == "running", LeadImport.heartbeat_at < stale)))
        .values(state="queued", error=None).execution_options(synchronize_session=False)).rowcount
    if done != 1:
        raise WrongState(_l("Only an interrupted import can be resumed."))
    db.session.refresh(imp)
    return imp


# The job

def _batches(values, size: int = IN_BATCH):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


class _FoldTable(dict):
    """str.translate() table of fold(): each character is folded once, then looked up. Folding is per
    character: NFKD decomposes each one on its own (reordering only the combining marks, which fold
    drops) and casefold() has no context."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold(chr(code))
        return folded


_FOLD = _FoldTable()


def quick_fold(text: str | None) -> str:
    """fold() (crm/models/lead.py), a hundred times faster on long texts (tests/imports compare them)."""
    if not text:
        return ""
    return text.casefold() if text.isascii() else text.translate(_FOLD)


def _search_text(values: dict) -> str:
    """Lead.refresh_search_text() on a row (tests/imports check that both agree)."""
    phone, mobile = values.get("phone"), values.get("mobile")
    digits = "".join(c for c in f"{phone or ''} {mobile or ''}" if c.isdigit() or c == " ")
    parts = [values.get("first_name"), values.get("last_name"), values.get("company"), values.get("email"), phone,
             mobile, values.get("phone_e164"), values.get("mobile_e164"), digits]
    return quick_fold(" ".join(p for p in parts if p))


# Names and companies repeat across a file: their keys are worked out once.
_name_key = lru_cache(maxsize=50_000)(name_key)
_company_key = lru_cache(maxsize=50_000)(company_key)


@lru_cache(maxsize=50_000)
def _first_key(first_name: str | None) -> str:
    return " ".join(quick_fold(first_name).split())


def _candidate(values: dict) -> Candidate:
    return Candidate(email=values.get("email") or "",
                     phones=frozenset(p for p in (values.get("phone_e164"), values.get("mobile_e164")) if p),
                     first=_first_key(values.get("first_name")), last=_name_key(values.get("last_name")),
                     company=_company_key(values.get("company")))


class BulkAssigner:
    """assign() of crm/assignment/services.py for many new leads at once: the same rules in the same
    order, the default owner, and round-robin queues dealt in turn (one counter update per queue
    and chunk instead of one per lead)."""

    def __init__(self):
        self.rules = [rule for rule in assignment.active_rules()
                      if rule.queue_id is not None or (rule.owner_user is not None and rule.owner_user.active)]
        owner = assignment.settings().default_owner
        self.default_owner_id = owner.id if owner is not None and owner.active else None

    def assign(self, rows: list[dict]) -> None:
        """Set owner_id, queue_id and assignment_rule_id on each new lead's row."""
        dealt: dict[int, list[dict]] = {}
        for row in rows:
            probe = SimpleNamespace(**row)
            for rule in self.rules:
                if assignment.matches(rule, probe):
                    row["assignment_rule_id"] = rule.id
                    if rule.queue is not None:
                        row["owner_id"], row["queue_id"] = None, rule.queue_id
                        if rule.queue.round_robin:
                            dealt.setdefault(rule.queue_id, []).append(row)
                    else:
                        row["owner_id"], row["queue_id"] = rule.owner_user_id, None
                    break
            else:
                if self.default_owner_id is not None:
                    row["owner_id"], row["queue_id"] = self.default_owner_id, None
        for queue_id, queued in dealt.items():
            queue = db.session.get(assignment.Queue, queue_id)
            members = assignment.active_members(queue)
            if not members:
                continue  # the queue keeps them, as assign() does
            db.session.execute(sa.update(assignment.Queue).where(assignment.Queue.id == queue_id)
                               .values(round_robin_counter=assignment.Queue.round_robin_counter + len(queued))
                               .execution_options(synchronize_session=False))
            counter = db.session.scalar(sa.select(assignment.Queue.round_robin_counter)
                                        .where(assignment.Queue.id == queue_id))
            start = counter - len(queued)
            for turn, row in enumerate(queued):
                row["owner_id"], row["queue_id"] = members[(start + turn) % len(members)].user_id, None


@dataclass
class Existing:
    """A stored record that a row may duplicate."""

    kind: str  # "lead" or "contact"
    id: int
    candidate: Candidate


def _lead_rows(condition) -> sa.Select:
    """Leads by one indexed key. Whether they are live (not deleted, not converted) is checked on
    the rows found: in the WHERE clause SQLite would prefer the deleted_at index, a scan of every lead."""
    return sa.select(Lead.id, Lead.email, Lead.phone_e164, Lead.mobile_e164, Lead.first_name, Lead.last_name,
                     Lead.company, Lead.deleted_at, Lead.status_id).where(condition)


def stored_matches(candidates: list[Candidate]) -> dict[tuple, list[Existing]]:
    """The stored leads and contacts that share a key with any of the candidates, by key:
    ("e", email), ("p", number), ("n", name key, company key)."""
    emails = sorted({c.email for c in candidates if c.email})
    phones = sorted({p for c in candidates for p in c.phones})
    last_names = sorted({c.last for c in candidates if c.last and c.company})
    found: dict[tuple[str, int], Existing] = {}
    converted = set(db.session.scalars(sa.select(LeadStatus.id).where(LeadStatus.is_converted)))

    def add_lead(row):
        if row.deleted_at is None and row.status_id not in converted and ("lead", row.id) not in found:
            found[("lead", row.id)] = Existing("lead", row.id, _candidate(
                {"email": (row.email or "").lower(), "phone_e164": row.phone_e164, "mobile_e164": row.mobile_e164,
                 "first_name": row.first_name, "last_name": row.last_name, "company": row.company}))

    # Core statements on the session's connection (the same rows, without the ORM's row loading),
    # each compiled once: the keys are bound as one expanding parameter.
    execute = db.session.connection().execute
    keys = sa.bindparam("keys", expanding=True)
    for batch in _batches(emails):
        for row in execute(_lead_rows(Lead.email.in_(keys)), {"keys": batch}):
            add_lead(row)
    for batch in _batches(phones):
        for column in (Lead.phone_e164, Lead.mobile_e164):
            for row in execute(_lead_rows(column.in_(keys)), {"keys": batch}):
                add_lead(row)
    wanted_pairs = {(c.last, c.company) for c in candidates if c.last and c.company}
    for batch in _batches(last_names):
        rows = execute(_lead_rows(LeadMatchKey.name_key.in_(keys))
                       .join(LeadMatchKey, LeadMatchKey.lead_id == Lead.id)
                       .add_columns(LeadMatchKey.name_key, LeadMatchKey.company_key), {"keys": batch})
        for row in rows:
            if (row.name_key, row.company_key) in wanted_pairs:
                add_lead(row)

    def add_contact(contact_id, email, phone, mobile, first, last, account_key, deleted_at, account_deleted_at):
        if deleted_at is None and ("contact", contact_id) not in found:
            found[("contact", contact_id)] = Existing("contact", contact_id, Candidate(
                email=(email or "").lower(), phones=frozenset(p for p in (phone, mobile) if p),
                first=" ".join(fold(first).split()), last=name_key(last),
                company=account_key if account_key and account_deleted_at is None else ""))

    # As for leads, deleted records are left out on the rows found, so that each query uses its key's index.
    contacts = sa.select(Contact.id, Contact.email, Contact.phone_e164, Contact.mobile_e164, Contact.first_name,
                         Contact.last_name, Account.name_key, Contact.deleted_at, Account.deleted_at) \
        .join(Account, Account.id == Contact.account_id)
    companies = sorted({company for _last, company in wanted_pairs})
    lookups = [(Contact.email, emails), (Contact.phone_e164, phones), (Contact.mobile_e164, phones),
               (Account.name_key, companies)]
    # Without any contact (the usual case of a first import) their queries are left out.
    if execute(sa.select(Contact.id).limit(1)).first() is None:
        lookups = []
    for column, values in lookups:
        for batch in _batches(values):
            for row in execute(contacts.where(column.in_(keys)), {"keys": batch}):
                add_contact(*row)

    index: dict[tuple, list[Existing]] = {}
    for record in found.values():
        for key in _keys(record.candidate):
            index.setdefault(key, []).append(record)
    return index


def _keys(c: Candidate) -> list[tuple]:
    keys = [("e", c.email)] if c.email else []
    keys += [("p", p) for p in c.phones]
    if c.last and c.company:
        keys.append(("n", c.last, c.company))
    return keys


def _best(candidate: Candidate, records) -> tuple[object | None, int]:
    best, best_score = None, 0
    for record in records:
        value, reasons = score(candidate, record.candidate)
        if reasons and value > best_score:
            best, best_score = record, value
    return best, best_score


@dataclass
class Context:
    """What every chunk of one job needs, loaded once."""

    imp: LeadImport
    # Read once: `imp` is expired by every chunk's commit, and the reader thread must not load it.
    import_id: int
    options: dict
    validate: RowValidator
    status_id: int
    actor_id: int | None
    assigner: BulkAssigner | None
    campaign_id: int | None
    phone_cache: dict = field(default_factory=dict)
    # Called as a chunk's leads are about to be written (ChunkReader.writing: read the next chunk now).
    on_write: Callable[[], None] | None = None

    def e164(self, raw: str | None) -> str | None:
        if not raw:
            return None
        if raw not in self.phone_cache:
            if len(self.phone_cache) > 50_000:
                self.phone_cache.clear()
            self.phone_cache[raw] = lead_services.e164(raw)
        return self.phone_cache[raw]


def _context(imp: LeadImport) -> Context:
    options = imp.options or {}
    campaign_id = options.get("campaign_id")
    if campaign_id is not None and db.session.get(Campaign, campaign_id) is None:
        campaign_id = None
    return Context(imp=imp, import_id=imp.id, options=dict(options), validate=RowValidator(imp.mapping, picklists()),
                   status_id=lead_services.default_status().id, actor_id=imp.created_by_id,
                   assigner=BulkAssigner() if options.get("use_rules") else None, campaign_id=campaign_id)


@dataclass
class Outcome:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0


# SQLite: rows per multi-row INSERT, at most this many bound values each (32,766 are allowed since
# SQLite 3.32, 999 before: the connection's own limit is asked too).
SQLITE_INSERT_VALUES = 30_000


def insert_rows(table: sa.Table, rows: list[dict]) -> None:
    """Insert the rows (every one with the same keys), as sa.insert(table) with them would.

    SQLite: a few multi-row INSERT … VALUES statements, each run by one sqlite3 step, which runs
    without the GIL from its first row to its last (triggers and indexes included) — executemany
    takes the GIL back after every row, and a thread busy with Python (ChunkReader) then makes each
    row wait. The values are bound as SQLAlchemy binds them (the columns' bind processors)."""
    if not rows:
        return
    connection = db.session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    # A column left to its Python-side default is for SQLAlchemy to fill in.
    if dialect.name != "sqlite" or any(c.default is not None and c.name not in rows[0] for c in table.c):
        connection.execute(sa.insert(table), rows)
        return
    # None goes through its processor too (a JSON column stores it as 'null').
    processors = [(i, process) for i, n in enumerate(names)
                  if (process := table.c[n].type._cached_bind_processor(dialect)) is not None]
    values = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    limit = connection.connection.dbapi_connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    per_statement = max(1, min(SQLITE_INSERT_VALUES, limit) // len(names))
    # Only the table's own column names, quoted by the dialect, go into the SQL text; values are bound.
    head = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} "  # noqa: S608  # nosec B608
            f"({', '.join(dialect.identifier_preparer.quote(n) for n in names)}) VALUES ")
    one = "(" + ", ".join("?" * len(names)) + ")"
    for start in range(0, len(rows), per_statement):
        batch = [values(row) for row in rows[start:start + per_statement]]
        if processors:
            batch = [list(row) for row in batch]
            for i, process in processors:
                for row in batch:
                    row[i] = process(row[i])
        connection.exec_driver_sql(head + ", ".join([one] * len(batch)), tuple(itertools.chain.from_iterable(batch)))


def insert_returning_ids(table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert the rows and return their new ids in the rows' order.

    PostgreSQL: RETURNING, sorted by parameter order (SQLAlchemy's batched "insertmanyvalues").
    SQLite would fall back to one statement per row for that; there the ids are read back instead:
    from the first row inserted on, the transaction holds the database's write lock, so the rows get
    consecutive rowids ending at last_insert_rowid() (a trigger's own inserts do not change it)."""
    if not rows:
        return []
    if db.session.get_bind().dialect.name != "sqlite":
        statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(db.session.scalars(statement, rows))
    insert_rows(table, rows)
    last = db.session.scalar(sa.text("SELECT last_insert_rowid()"))
    ids = list(range(last - len(rows) + 1, last + 1))
    count = db.session.scalar(sa.select(sa.func.count()).select_from(table).where(table.c.id.between(ids[0], last)))
    if count != len(rows):
        raise RuntimeError("inserted rows did not get consecutive ids")
    return ids


def _insert_leads(rows: list[dict]) -> list[int]:
    return insert_returning_ids(Lead.__table__, rows)


@dataclass
class Prepared:
    """A chunk's rows read, validated and keyed: what needs no database."""

    rejections: list
    accepted: list
    candidates: list
    keys: list  # each candidate's _keys()
    # Each accepted row's lead columns (LEAD_COLUMNS) and search_text, as a new lead would get them.
    rows: list


def _new_row(values: dict) -> dict:
    row = {name: values.get(name) for name in LEAD_COLUMNS}
    row["search_text"] = _search_text(values)
    return row


def prepare_chunk(ctx: Context, rows: list[tuple[int, int, list[str]]]) -> Prepared:
    """Validate a chunk's rows and work out their phones' E.164 forms, their matching keys and their
    search text."""
    rejections, accepted = [], []
    for _n, line, cells in rows:
        values, errors = ctx.validate(cells)
        if errors:
            rejections.append({"import_id": ctx.import_id, "row_number": line, "reasons": errors, "cells": cells})
            continue
        values["phone_e164"] = ctx.e164(values.get("phone"))
        values["mobile_e164"] = ctx.e164(values.get("mobile"))
        accepted.append(values)
    candidates = [_candidate(values) for values in accepted]
    return Prepared(rejections, accepted, candidates, [_keys(c) for c in candidates],
                    [_new_row(values) for values in accepted])


def process_chunk(ctx: Context, rows: list[tuple[int, int, list[str]]], prepared: Prepared | None = None) -> Outcome:
    """Import one chunk of (n, line, cells) rows (`prepared`: already validated); flushes, the job commits."""
    import_id, options, now = ctx.import_id, ctx.options, utcnow()
    policy = options.get("duplicates", "skip")
    prepared = prepared or prepare_chunk(ctx, rows)
    rejections, accepted, candidates = prepared.rejections, prepared.accepted, prepared.candidates
    outcome = Outcome(rejected=len(rejections))

    stored = stored_matches(candidates)
    new_rows: list[dict] = []
    new_keys: list[Candidate] = []
    completed: set[int] = set()  # new rows a later row of the file completed
    in_file: dict[tuple, list[Existing]] = {}
    updates: dict[int, dict] = {}  # lead id -> the values to write on it
    for values, candidate, keys, row in zip(accepted, candidates, prepared.keys, prepared.rows, strict=True):
        match, _ = _best(candidate, [r for k in keys for r in stored.get(k, ())])
        earlier, _ = _best(candidate, [r for k in keys for r in in_file.get(k, ())])
        duplicate = match or earlier
        if duplicate is not None and policy == "skip":
            outcome.skipped += 1
            continue
        if duplicate is not None and policy == "update":
            if match is not None and match.kind == "lead":
                target = updates.setdefault(match.id, {})
                target.update({k: v for k, v in values.items() if v is not None})
                outcome.updated += 1
            elif earlier is not None:
                # The same person twice in the file: the later row completes the earlier one.
                pending = new_rows[earlier.id]
                pending.update({k: v for k, v in values.items() if v is not None})
                completed.add(earlier.id)
                outcome.skipped += 1
                continue
            else:
                outcome.skipped += 1  # only a contact matches: a lead import does not change contacts
            continue
        # Every row carries every column of INSERT_COLUMNS (one statement needs the same keys).
        row.update(phone_e164=values["phone_e164"], mobile_e164=values["mobile_e164"],
                   lead_source=row["lead_source"] or options.get("lead_source"),
                   campaign_id=ctx.campaign_id, status_id=ctx.status_id,
                   owner_id=options.get("owner_id") or ctx.actor_id,
                   queue_id=None, assignment_rule_id=None, possible_duplicate=duplicate is not None,
                   created_by_id=ctx.actor_id, updated_by_id=ctx.actor_id, created_at=now, updated_at=now)
        for key in keys:
            in_file.setdefault(key, []).append(Existing("row", len(new_rows), candidate))
        new_rows.append(row)
        new_keys.append(candidate)

    for index in completed:
        new_rows[index]["search_text"] = _search_text(new_rows[index])
    if ctx.assigner is not None:
        ctx.assigner.assign(new_rows)
    if ctx.on_write is not None:
        ctx.on_write()
    ids = _insert_leads(new_rows)
    outcome.imported = len(ids)
    records = [{"import_id": import_id, "lead_id": lead_id, "action": "created", "previous": None,
                "campaign_member_id": None} for lead_id in ids]
    if ids:
        # match_key_values(), from the keys already worked out for the duplicate check.
        insert_rows(LeadMatchKey.__table__, [
            {"lead_id": lead_id, "name_key": key.last[:80], "company_key": key.company[:255]}
            for lead_id, key in zip(ids, new_keys, strict=True)])
    if ids and ctx.campaign_id is not None:
        insert_rows(CampaignMember.__table__, [
            {"campaign_id": ctx.campaign_id, "lead_id": lead_id, "contact_id": None, "status": "Responded",
             "created_at": now} for lead_id in ids])
    if updates:
        records += _update_leads(ctx, updates, now)
    insert_rows(LeadImportRecord.__table__, records)
    insert_rows(LeadImportRejection.__table__, rejections)
    return outcome


def _update_leads(ctx: Context, updates: dict[int, dict], now: datetime) -> list[dict]:
    """Write the rows' values on the leads they duplicate (empty cells leave a field as it is); the
    import records keep each lead's values before."""
    table = Lead.__table__
    columns = [table.c[name] for name in UPDATE_COLUMNS]
    before: dict[int, dict] = {}
    for batch in _batches(updates):
        for row in db.session.execute(sa.select(table.c.id, *columns).where(table.c.id.in_(batch))):
            before[row.id] = {name: getattr(row, name) for name in UPDATE_COLUMNS}
    params, records, new_members = [], [], []
    member_of = set()
    if ctx.campaign_id is not None:
        for batch in _batches(before):
            member_of |= set(db.session.scalars(sa.select(CampaignMember.lead_id).where(
                CampaignMember.campaign_id == ctx.campaign_id, CampaignMember.lead_id.in_(batch))))
    for lead_id, old in before.items():
        new = dict(old)
        new.update({k: v for k, v in updates[lead_id].items() if k in LEAD_COLUMNS})
        new["phone_e164"], new["mobile_e164"] = ctx.e164(new["phone"]), ctx.e164(new["mobile"])
        new["search_text"] = _search_text(new)
        if ctx.options.get("lead_source") and not new["lead_source"]:
            new["lead_source"] = ctx.options["lead_source"]
        if ctx.campaign_id is not None and new["campaign_id"] is None:
            new["campaign_id"] = ctx.campaign_id
        new["updated_at"], new["updated_by_id"] = now, ctx.actor_id
        params.append({"_id": lead_id, **{f"v_{k}": v for k, v in new.items()}})
        records.append({"import_id": ctx.import_id, "lead_id": lead_id, "action": "updated",
                        "previous": {k: jsonable(v) for k, v in old.items()}, "campaign_member_id": None})
        if ctx.campaign_id is not None and lead_id not in member_of:
            new_members.append(lead_id)
    if params:
        db.session.execute(
            sa.update(table).where(table.c.id == sa.bindparam("_id"))
            .values({name: sa.bindparam(f"v_{name}") for name in UPDATE_COLUMNS}), params,
            execution_options={"synchronize_session": False})
        _rewrite_match_keys(list(before))
    if new_members:
        member_ids = insert_returning_ids(CampaignMember.__table__, [
            {"campaign_id": ctx.campaign_id, "lead_id": lead_id, "contact_id": None, "status": "Responded",
             "created_at": now} for lead_id in new_members])
        by_lead = dict(zip(new_members, member_ids, strict=True))
        for record in records:
            record["campaign_member_id"] = by_lead.get(record["lead_id"])
    return records


def _rewrite_match_keys(lead_ids: list[int]) -> None:
    table = LeadMatchKey.__table__
    for batch in _batches(lead_ids):
        db.session.execute(table.delete().where(table.c.lead_id.in_(batch)))
        rows = db.session.execute(sa.select(Lead.id, Lead.last_name, Lead.company).where(Lead.id.in_(batch))).all()
        if rows:
            db.session.execute(table.insert(), [{"lead_id": r.id, **match_key_values(r.last_name, r.company)}
                                                for r in rows])


class Stopped(Exception):
    """The job no longer holds the import (it was marked interrupted, or the worker is stopping)."""


def _commit_chunk(imp: LeadImport, outcome: Outcome, checkpoint: int, *, total: int | None = None) -> None:
    """Advance the counters and checkpoint in the chunk's transaction, only while the job still holds
    the import; commit. :raises Stopped: (the chunk is rolled back)"""
    values = {"checkpoint": checkpoint, "processed": checkpoint, "heartbeat_at": utcnow(),
              "imported": LeadImport.imported + outcome.imported, "updated": LeadImport.updated + outcome.updated,
              "skipped": LeadImport.skipped + outcome.skipped, "rejected": LeadImport.rejected + outcome.rejected}
    if total is not None:
        values["total"] = total
    held = db.session.execute(sa.update(LeadImport).where(LeadImport.id == imp.id, LeadImport.state == "running")
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if held != 1:
        db.session.rollback()
        raise Stopped()
    db.session.commit()


def run_import(import_id: int, *, chunk_size: int | None = None, should_stop=lambda: False) -> LeadImport:
    """The job: import the rows after the checkpoint of an import this worker holds (state
    "running", see crm.imports.jobs.claim), a chunk per transaction; then mark it done.

    `should_stop()` is asked between chunks (a worker shutting down): the import goes back to the
    queue, to go on from its checkpoint. An error marks it failed (resumable), its chunk rolled back."""
    imp = db.session.get(LeadImport, import_id)
    try:
        info = file_info(imp)
        content = imp.content
        if not imp.total:
            _commit_chunk(imp, Outcome(), imp.checkpoint, total=parsing.count_data_rows(content, info))
        ctx = _context(imp)
        checkpoint = imp.checkpoint
        rows = parsing.data_rows(content, info, start=imp.checkpoint)
        with ChunkReader(ctx, rows, chunk_size or CHUNK_SIZE) as chunks:
            ctx.on_write = chunks.writing
            for chunk, prepared in chunks:
                _larger_cache()
                outcome = process_chunk(ctx, chunk, prepared)
                checkpoint = chunk[-1][0]
                _commit_chunk(imp, outcome, checkpoint)
                if should_stop():
                    _requeue(imp)
                    return imp
        _finish(imp, "done", checkpoint)
    except Stopped:
        db.session.rollback()
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("lead import %s failed", import_id)
        db.session.execute(sa.update(LeadImport).where(LeadImport.id == import_id, LeadImport.state == "running")
                           .values(state="failed", error=f"{type(exc).__name__}: {exc}"[:2000], finished_at=utcnow())
                           .execution_options(synchronize_session=False))
        db.session.commit()
    db.session.expire_all()
    return db.session.get(LeadImport, import_id)


def _larger_cache() -> None:
    """SQLite: the leads table's indexes outgrow the default 2 MB page cache at a few thousand rows.
    Set on the connection this chunk's transaction uses (the pool may hand out another each time)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(sa.text("PRAGMA cache_size = -65536"))


class ChunkReader:
    """The file's chunks, each read and prepared (prepare_chunk) in a thread of its own ahead of the
    job: that work is pure Python, and SQLite lets the other thread run while it writes a chunk's
    leads (the sqlite3 module releases the GIL inside SQLite), so both cores are used.

    Beyond the first AHEAD chunks, the thread reads the next one only when the job starts writing a
    chunk's leads (`writing`, which the job calls through Context.on_write): a long stretch without
    the GIL. While the job runs its duplicate lookups, each query, each row fetched, takes the GIL
    back, and a busy thread would make every one of them wait for it."""

    AHEAD = 2

    def __init__(self, ctx: Context, rows, chunk_size: int):
        self.ctx, self.rows, self.chunk_size = ctx, rows, chunk_size
        self.queue: queue.Queue = queue.Queue(maxsize=self.AHEAD)
        self.permits = threading.Semaphore(self.AHEAD)
        self.stop = threading.Event()
        self.app = current_app._get_current_object()
        self.thread = threading.Thread(target=self._read, name="lead-import-reader", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def writing(self) -> None:
        """The job is writing a chunk: time to read the next one."""
        self.permits.release()

    def _permit(self) -> bool:
        while not self.stop.is_set():
            if self.permits.acquire(timeout=0.1):
                return True
        return False

    def __exit__(self, *exc):
        self.stop.set()
        while self.thread.is_alive():
            try:
                self.queue.get(timeout=0.1)
            except queue.Empty:
                pass
        return False

    def _put(self, item) -> bool:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                pass
        return False

    def _read(self) -> None:
        try:
            with self.app.app_context():
                chunk: list = []
                if not self._permit():
                    return
                for item in self.rows:
                    chunk.append(item)
                    if len(chunk) == self.chunk_size:
                        if not self._put((chunk, prepare_chunk(self.ctx, chunk))) or not self._permit():
                            return
                        chunk = []
                if chunk and not self._put((chunk, prepare_chunk(self.ctx, chunk))):
                    return
                self._put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the job's thread, which raises it
            self._put(exc)

    def __iter__(self):
        while True:
            item = self.queue.get()
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item


def _finish(imp: LeadImport, state: str, checkpoint: int) -> None:
    held = db.session.execute(sa.update(LeadImport).where(LeadImport.id == imp.id, LeadImport.state == "running")
                              .values(state=state, finished_at=utcnow(), heartbeat_at=utcnow(), checkpoint=checkpoint,
                                      processed=checkpoint, total=checkpoint)
                              .execution_options(synchronize_session=False)).rowcount
    if held != 1:
        db.session.rollback()
        raise Stopped()
    db.session.commit()


def _requeue(imp: LeadImport) -> None:
    db.session.execute(sa.update(LeadImport).where(LeadImport.id == imp.id, LeadImport.state == "running")
                       .values(state="queued").execution_options(synchronize_session=False))
    db.session.commit()


# Undo and rollback

UNDO_BATCH = 2000


def undo_import(imp: LeadImport, *, actor: User | None) -> LeadImport:
    """Take back what the import did: the leads it created are deleted (those converted since are
    kept), those it updated get their values back. A finished import ends "undone", an interrupted or
    failed one "rolled_back". :raises WrongState:

    Commits a batch at a time, so that a large undo never holds the database long: the import is
    marked "undoing" (or "rolling_back") first, and an undo cut off mid-way is simply run again
    (every step can be repeated)."""
    state = state_of(imp)
    if state in ("done", "undoing"):
        final, working, allowed = "undone", "undoing", ("done", "undoing")
    elif state in ("interrupted", "failed", "rolling_back"):
        final, working, allowed = "rolled_back", "rolling_back", ("interrupted", "failed", "running", "rolling_back")
    else:
        raise WrongState(_l("This import cannot be undone now."))
    # Take the import first: a late worker's next chunk then finds it gone and rolls itself back.
    taken = db.session.execute(sa.update(LeadImport).where(LeadImport.id == imp.id, LeadImport.state.in_(allowed))
                               .values(state=working).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        db.session.rollback()
        raise WrongState(_l("This import cannot be undone now."))
    from crm.audit import log_event

    log_event("import_undone", f"leads from {imp.file_name}", actor=actor, target=imp)
    db.session.commit()
    records = LeadImportRecord.__table__
    created = sa.select(records.c.lead_id).where(records.c.import_id == imp.id, records.c.action == "created")
    ids = list(db.session.scalars(created.join(Lead.__table__, Lead.id == records.c.lead_id)
                                  .where(Lead.converted_at.is_(None))))
    for batch in _batches(ids, UNDO_BATCH):
        db.session.execute(sa.delete(RecentView).where(RecentView.record_type == "lead",
                                                       RecentView.record_id.in_(batch)))
        # Their match keys, campaign memberships, activities and import records go with them (cascade).
        db.session.execute(sa.delete(Lead).where(Lead.id.in_(batch)).execution_options(synchronize_session=False))
        db.session.commit()
    updated = db.session.execute(sa.select(records.c.lead_id, records.c.previous, records.c.campaign_member_id)
                                 .where(records.c.import_id == imp.id, records.c.action == "updated")
                                 .order_by(records.c.id.desc())).all()
    restore, members = [], []
    for lead_id, previous, member_id in updated:
        if member_id is not None:
            members.append(member_id)
        # Updated twice by one import (rows of the same person in two chunks): applied newest
        # first, so the values from before the import are the ones left.
        if previous:
            restore.append({"_id": lead_id, **{f"v_{k}": restored(v) for k, v in previous.items()}})
    table = Lead.__table__
    for batch in _batches(restore, UNDO_BATCH):
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("_id"), table.c.converted_at.is_(None))
                           .values({name: sa.bindparam(f"v_{name}") for name in UPDATE_COLUMNS}), batch,
                           execution_options={"synchronize_session": False})
        _rewrite_match_keys(sorted({row["_id"] for row in batch}))
        db.session.commit()
    for batch in _batches(members):
        db.session.execute(sa.delete(CampaignMember).where(CampaignMember.id.in_(batch))
                           .execution_options(synchronize_session=False))
    db.session.execute(sa.update(LeadImport).where(LeadImport.id == imp.id)
                       .values(state=final, undone_at=utcnow(), undone_by_id=actor.id if actor else None)
                       .execution_options(synchronize_session=False))
    db.session.commit()
    db.session.refresh(imp)
    return imp


# The report

def neutralise(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text (a leading apostrophe)."""
    return "'" + cell if cell and cell.startswith(FORMULA_PREFIXES) else cell


def rejected_rows(imp: LeadImport, limit: int | None = None) -> list[LeadImportRejection]:
    query = sa.select(LeadImportRejection).where(LeadImportRejection.import_id == imp.id) \
        .order_by(LeadImportRejection.row_number, LeadImportRejection.id)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def rejected_csv(imp: LeadImport) -> str:
    """The rejected rows as CSV: the file's own columns, then the row number and the reasons, every
    cell safe from formula injection."""
    out = io.StringIO()
    writer = csv.writer(out)
    headers = [str(h) for h in imp.headers]
    writer.writerow([neutralise(h) for h in headers] + [str(_l("Row")), str(_l("Reason"))])
    query = sa.select(LeadImportRejection.row_number, LeadImportRejection.reasons, LeadImportRejection.cells) \
        .where(LeadImportRejection.import_id == imp.id).order_by(LeadImportRejection.row_number)
    for row_number, reasons, cells in db.session.execute(query):
        cells = list(cells) + [""] * max(0, len(headers) - len(cells))
        writer.writerow([neutralise(str(c)) for c in cells]
                        + [str(row_number), neutralise(" ".join(str(message(r)) for r in reasons))])
    return "\ufeff" + out.getvalue()  # a BOM: Excel then reads the file as UTF-8


def describe_reasons(reasons: list[dict]) -> list[str]:
    return [str(message(r)) for r in reasons]


def options_json(imp: LeadImport) -> str:
    return json.dumps(imp.options, sort_keys=True)
