"""Lead imports (a file, its mapping, the background job's progress), what each import did to which
lead (so that it can be undone or rolled back), the rows it rejected, and saved mappings."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from crm.extensions import db
from crm.models.user import User, utcnow

# mapping: the user maps the columns and picks the options; queued: waiting for a worker;
# running: a worker holds it (heartbeat_at says it is alive); then one of the final states.
# "interrupted": the worker died or was stopped mid-way; the user resumes or rolls back.
# "undoing" / "rolling_back": an undo in progress (or cut off: running it again finishes it).
IMPORT_STATES = ("mapping", "queued", "running", "done", "interrupted", "failed", "rolled_back", "undone",
                 "undoing", "rolling_back")
DUPLICATE_CHOICES = ("skip", "update", "create")


class LeadImport(db.Model):
    """One uploaded file and its import job. The file's bytes are kept here, so that a worker on
    another machine can read them, and a resumed job reads the very same rows."""

    __tablename__ = "lead_imports"
    __table_args__ = (
        sa.Index("ix_lead_imports_state", "state", "id"),
        sa.Index("ix_lead_imports_created_by", "created_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    file_name: Mapped[str] = mapped_column(sa.String(255))
    # Loaded only by the job and the preview, never with a list of imports.
    content: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    file_format: Mapped[str] = mapped_column(sa.String(10))  # "csv" or "xlsx"
    encoding: Mapped[str | None] = mapped_column(sa.String(20))
    delimiter: Mapped[str | None] = mapped_column(sa.String(4))
    # The file's header row, as read.
    headers: Mapped[list] = mapped_column(sa.JSON, default=list)
    # One lead field name (or "") per column of the file, in the columns' order.
    mapping: Mapped[list] = mapped_column(sa.JSON, default=list)
    # {"duplicates": "skip"|"update"|"create", "owner_id": int|None, "use_rules": bool,
    #  "lead_source": str|None, "campaign_id": int|None}
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    state: Mapped[str] = mapped_column(sa.String(20), default="mapping")
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    # Data rows (blank rows excluded) whose outcome is committed: a resumed job starts after them.
    checkpoint: Mapped[int] = mapped_column(default=0)
    heartbeat_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])

    def __repr__(self) -> str:
        return f"<LeadImport {self.id} {self.file_name} {self.state}>"

    @property
    def is_finished(self) -> bool:
        return self.state in ("done", "interrupted", "failed", "rolled_back", "undone", "undoing", "rolling_back")

    @property
    def percent(self) -> int:
        return min(100, self.processed * 100 // self.total) if self.total else (100 if self.is_finished else 0)


class LeadImportRecord(db.Model):
    """A lead an import created or updated; for an update, the lead's values before it."""

    __tablename__ = "lead_import_records"
    __table_args__ = (sa.Index("ix_lead_import_records_import", "import_id", "action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("lead_imports.id", ondelete="CASCADE"))
    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(sa.String(10))  # "created" or "updated"
    # The columns the update wrote, with their values before (JSON: decimals as strings).
    previous: Mapped[dict | None] = mapped_column(sa.JSON)
    # The campaign membership the import gave an updated lead (undo removes it).
    campaign_member_id: Mapped[int | None]


class LeadImportRejection(db.Model):
    """A row the import refused, with its reasons and its cells as read (the rejected-rows CSV).

    Reasons are stored as codes ({"field": "email", "code": "email"}, crm/imports/fields.py) and put
    into words when shown, in the reader's language."""

    __tablename__ = "lead_import_rejections"
    __table_args__ = (sa.Index("ix_lead_import_rejections_import", "import_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(sa.ForeignKey("lead_imports.id", ondelete="CASCADE"))
    # The row's line in the file (the header is line 1), as a spreadsheet numbers it.
    row_number: Mapped[int]
    reasons: Mapped[list] = mapped_column(sa.JSON)
    cells: Mapped[list] = mapped_column(sa.JSON)


class LeadImportMapping(db.Model):
    """A named mapping, saved from an import to be reused with files that have the same headers."""

    __tablename__ = "lead_import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # {folded header: lead field}
    fields: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
