"""Duplicate matching keys of leads, and the record of lead merges (so that a merge can be undone)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crm.extensions import db
from crm.models.account import Contact, company_key
from crm.models.lead import Lead, fold
from crm.models.user import User, utcnow

# Duplicate blocking looks leads and contacts up by E.164 number: these indexes sit on tables
# other modules own, so they are declared here, next to the only code that needs them.
sa.Index("ix_leads_phone_e164", Lead.__table__.c.phone_e164)
sa.Index("ix_leads_mobile_e164", Lead.__table__.c.mobile_e164)
sa.Index("ix_contacts_phone_e164", Contact.__table__.c.phone_e164)
sa.Index("ix_contacts_mobile_e164", Contact.__table__.c.mobile_e164)


def name_key(last_name: str | None) -> str:
    """A last name as blocking sees it: no case, accents, punctuation or extra spaces."""
    return " ".join("".join(c if c.isalnum() else " " for c in fold(last_name)).split())


class LeadMatchKey(db.Model):
    """A lead's folded last name and company key, indexed: duplicates are looked for only among
    leads that share them (never all pairs). Kept in step by the flush listener below; leads
    inserted in bulk (demo seed, imports) get theirs from crm.leads.duplicates.sync_match_keys()."""

    __tablename__ = "lead_match_keys"
    __table_args__ = (sa.Index("ix_lead_match_keys_block", "name_key", "company_key"),)

    lead_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    name_key: Mapped[str] = mapped_column(sa.String(80))
    company_key: Mapped[str] = mapped_column(sa.String(255), default="", server_default="")


class LeadMerge(db.Model):
    """Two or three leads merged into one: what the survivor held before, and what moved to it."""

    __tablename__ = "lead_merges"
    __table_args__ = (sa.Index("ix_lead_merges_survivor", "survivor_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survivor_id: Mapped[int] = mapped_column(sa.ForeignKey("leads.id", ondelete="CASCADE"))
    # The ids of the leads merged into the survivor (and soft-deleted).
    merged_ids: Mapped[list] = mapped_column(sa.JSON)
    # {"fields": the survivor's values before, "activities": {id: from lead id},
    #  "members": {id: from lead id}, "deleted": {lead id: its deleted_at before}}
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    survivor: Mapped[Lead] = relationship(foreign_keys=[survivor_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    undone_by: Mapped[User | None] = relationship(foreign_keys=[undone_by_id])

    def __repr__(self) -> str:
        return f"<LeadMerge {self.id} into {self.survivor_id}>"


def match_key_values(last_name: str | None, company: str | None) -> dict:
    return {"name_key": name_key(last_name)[:80], "company_key": company_key(company)[:255]}


@event.listens_for(Session, "after_flush")
def _keep_match_keys(session, flush_context):
    """Rewrite the match key of every lead whose last name or company was just written."""
    changed = []
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, Lead) or obj.id is None:
            continue
        attrs = sa.inspect(obj).attrs
        if obj in session.new or attrs.last_name.history.has_changes() or attrs.company.history.has_changes():
            changed.append(obj)
    if not changed:
        return
    table = LeadMatchKey.__table__
    connection = session.connection()
    # A lead inserted in this flush has no key yet: only the others have one to replace.
    if stored := [lead.id for lead in changed if lead not in session.new]:
        connection.execute(table.delete().where(table.c.lead_id.in_(stored)))
    connection.execute(table.insert(), [{"lead_id": lead.id, **match_key_values(lead.last_name, lead.company)}
                                        for lead in changed])
