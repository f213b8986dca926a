"""Duplicates: one set of matching rules for leads and contacts, the likely pairs, merging leads and undoing it.

Matching: the same email (case ignored), the same phone (E.164, whatever the typed format), or a
similar name at a similar company (rapidfuzz on accent-free names and company keys without legal
suffixes). Candidates are only ever looked for among records that share an indexed key (email,
E.164 phone, folded last name + company key): never all pairs. Entry (the lead form), imports and
web-to-lead call `find_duplicates()`; the Duplicates page calls `likely_pairs()`.

Services flush and never commit: the route commits once.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.leads.services import EDITABLE_FIELDS, LeadError, e164
from crm.models import Account, Activity, CampaignMember, Contact, Lead, LeadMatchKey, LeadMerge, LeadStatus, User
from crm.models.account import company_key
from crm.models.lead import fold
from crm.models.merge import match_key_values, name_key
from crm.models.user import utcnow

# Name and company must each be at least this similar (0-100) for a "similar name and company".
NAME_THRESHOLD = 85
# A key shared by more records than this is not a sign of duplication (a switchboard number, a
# shared info@ address): the likely-pairs page leaves such blocks out, and lookups stop there.
MAX_BLOCK = 25
PER_PAGE = 50
# The Duplicates page scores at most this many candidate pairs per request, then offers "Next".
MAX_SCAN = 2000
SCORE_CHUNK = 200
# Within a last name, at most this many leads are scored when looking for one record's duplicates.
MAX_NAME_CANDIDATES = 200
MERGE_FIELDS = (*EDITABLE_FIELDS, "owner_id")
REASONS = {"email": _l("Same email"), "phone": _l("Same phone"), "name": _l("Similar name and company")}


class MergeError(LeadError):
    """Leads that cannot be merged, or a merge that cannot be undone; the message is for the user,
    the code ("count", "deleted", "converted", "undo", "purged") for callers."""

    def __init__(self, message, code: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Candidate:
    """A record's fields as matching sees them."""

    email: str = ""
    phones: frozenset = frozenset()
    first: str = ""
    last: str = ""
    company: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}".strip()


@dataclass
class Match:
    """A stored record that looks like the candidate: a lead or a contact, how likely, and why."""

    record: object
    score: int
    reasons: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "contact" if isinstance(self.record, Contact) else "lead"

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def reason_labels(self) -> list:
        return [REASONS[r] for r in self.reasons]


@dataclass
class Pair:
    first: Lead
    second: Lead
    score: int
    reasons: list

    @property
    def reason_labels(self) -> list:
        return [REASONS[r] for r in self.reasons]


@dataclass
class PairPage:
    items: list
    after: str | None
    next_after: str | None  # the cursor of the next page, None on the last one
    scanned: int

    @property
    def has_next(self) -> bool:
        return self.next_after is not None


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def candidate(fields: dict) -> Candidate:
    """Normalise a form's, an import row's or a record's fields (first_name, last_name, company,
    email, phone, mobile; phone_e164/mobile_e164 when already known)."""
    phones = {fields.get("phone_e164"), fields.get("mobile_e164"),
              e164(_text(fields.get("phone"))), e164(_text(fields.get("mobile")))}
    return Candidate(email=normalise_email(fields.get("email")), phones=frozenset(p for p in phones if p),
                     first=" ".join(fold(fields.get("first_name")).split()), last=name_key(fields.get("last_name")),
                     company=company_key(fields.get("company")))


def _text(value):
    return value.strip() if isinstance(value, str) else value


def lead_candidate(lead: Lead) -> Candidate:
    return Candidate(email=normalise_email(lead.email),
                     phones=frozenset(p for p in (lead.phone_e164, lead.mobile_e164) if p),
                     first=" ".join(fold(lead.first_name).split()), last=name_key(lead.last_name),
                     company=company_key(lead.company))


def contact_candidate(contact: Contact) -> Candidate:
    return Candidate(email=normalise_email(contact.email),
                     phones=frozenset(p for p in (contact.phone_e164, contact.mobile_e164) if p),
                     first=" ".join(fold(contact.first_name).split()), last=name_key(contact.last_name),
                     company=contact.account.name_key if contact.account else "")


def similar_name_and_company(a: Candidate, b: Candidate) -> int:
    """0-100: how alike the names and companies are; 0 when either lacks a last name or a company."""
    if not (a.last and b.last and a.company and b.company):
        return 0
    if a.first and b.first:
        name = fuzz.token_sort_ratio(a.name, b.name)
    else:
        # "Bosu" and "Aparna Bosu": only the last names can be compared.
        name = fuzz.ratio(a.last, b.last)
    company = fuzz.token_sort_ratio(a.company, b.company)
    return round(min(name, company)) if min(name, company) >= NAME_THRESHOLD else 0


def score(a: Candidate, b: Candidate) -> tuple[int, list]:
    """How likely two records are the same (0-100) and the reasons ("email", "phone", "name")."""
    reasons, parts = [], []
    if a.email and a.email == b.email:
        reasons.append("email")
        parts.append(100)
    if a.phones & b.phones:
        reasons.append("phone")
        parts.append(90)
    if similarity := similar_name_and_company(a, b):
        reasons.append("name")
        parts.append(round(similarity * 0.9))
    if not parts:
        return 0, []
    return min(100, max(parts) + 5 * (len(parts) - 1)), reasons


def _live_leads(query, model=Lead):
    """Leads that matching considers: not in the recycle bin, not converted."""
    converted = sa.select(LeadStatus.id).where(LeadStatus.is_converted)
    return query.where(model.deleted_at.is_(None), model.status_id.not_in(converted))


def find_duplicates(fields: dict, *, exclude_lead_id: int | None = None, limit: int = 10) -> list[Match]:
    """Leads (not deleted, not converted) and contacts (not deleted) that look like `fields`, most likely first."""
    wanted = candidate(fields)
    phones = sorted(wanted.phones)
    # Each block (same email, same phone, same folded last name) is capped on its own; the leads of
    # all of them are loaded in one query.
    blocks = []
    if wanted.email:
        blocks.append(_live_leads(sa.select(Lead.id).where(Lead.email == wanted.email)).limit(MAX_BLOCK))
    if phones:
        # One block per column: with an OR of the two, SQLite reads every live lead instead.
        blocks += [_live_leads(sa.select(Lead.id).where(Lead.phone_e164.in_(phones))).limit(MAX_BLOCK),
                   _live_leads(sa.select(Lead.id).where(Lead.mobile_e164.in_(phones))).limit(MAX_BLOCK)]
    if wanted.last and wanted.company:
        # Same folded last name: the company is compared fuzzily below, so typos in it still match.
        blocks.append(_live_leads(
            sa.select(Lead.id).join(LeadMatchKey, LeadMatchKey.lead_id == Lead.id)
            .where(LeadMatchKey.name_key == wanted.last)).limit(MAX_NAME_CANDIDATES))
    matches = []
    if blocks:
        # SQLite allows no LIMIT inside a UNION's members: each block is its own subquery.
        found = sa.union(*(sa.select(b.subquery().c.id) for b in blocks)).subquery()
        query = sa.select(Lead).where(Lead.id.in_(sa.select(found.c.id)))
        if exclude_lead_id is not None:
            query = query.where(Lead.id != exclude_lead_id)
        matches = [Match(lead, *score(wanted, lead_candidate(lead))) for lead in db.session.scalars(query)]

    # Contacts the same way: one indexed block per key, joined by UNION. An OR of the keys in one
    # WHERE makes SQLite scan the whole table (27 ms at 30,000 contacts, on every public form post).
    contact_blocks = []
    if wanted.email:
        contact_blocks.append(sa.select(Contact.id).where(Contact.email == wanted.email))
    if phones:
        contact_blocks += [sa.select(Contact.id).where(Contact.phone_e164.in_(phones)),
                           sa.select(Contact.id).where(Contact.mobile_e164.in_(phones))]
    if wanted.last and wanted.company:
        contact_blocks.append(sa.select(Contact.id).join(Account, Account.id == Contact.account_id)
                              .where(Account.name_key == wanted.company, Account.deleted_at.is_(None)))
    if contact_blocks:
        found = sa.union(*contact_blocks).subquery()
        # A join, not `id IN (...)`: with IN, SQLite reads every live contact by deleted_at instead.
        contacts = db.session.scalars(sa.select(Contact).join(found, found.c.id == Contact.id)
                                      .options(joinedload(Contact.account))  # scored by its name
                                      .where(Contact.deleted_at.is_(None)).limit(MAX_NAME_CANDIDATES))
        matches += [Match(c, *score(wanted, contact_candidate(c))) for c in contacts]
    matches = [m for m in matches if m.reasons]
    matches.sort(key=lambda m: (-m.score, m.kind != "lead", -m.id))
    return matches[:limit]


def sync_match_keys(limit: int = 20_000) -> int:
    """Give match keys to leads inserted in bulk (demo seed, imports), at most `limit`; return how many."""
    missing = db.session.execute(
        sa.select(Lead.id, Lead.last_name, Lead.company)
        .outerjoin(LeadMatchKey, LeadMatchKey.lead_id == Lead.id)
        .where(LeadMatchKey.lead_id.is_(None), Lead.deleted_at.is_(None)).limit(limit)).all()
    if missing:
        db.session.execute(sa.insert(LeadMatchKey), [
            {"lead_id": row.id, **match_key_values(row.last_name, row.company)} for row in missing])
    return len(missing)


def _candidate_pairs():
    """(first_id, second_id) of live leads sharing an email, a phone, or a last name and company key.

    The shared keys come first, by GROUP BY over their indexes (a key held by more than MAX_BLOCK
    leads is left out: a switchboard, a shared info@ address); only the leads holding those keys
    are then paired, so the work follows the number of duplicates, not the size of the table."""
    count = sa.func.count()
    email_keys = sa.select(Lead.email).where(Lead.email.is_not(None)).group_by(Lead.email) \
        .having(count.between(2, MAX_BLOCK))
    numbers = sa.union_all(sa.select(Lead.phone_e164.label("number")).where(Lead.phone_e164.is_not(None)),
                           sa.select(Lead.mobile_e164.label("number")).where(Lead.mobile_e164.is_not(None))).subquery()
    number_keys = sa.select(numbers.c.number).group_by(numbers.c.number).having(count.between(2, MAX_BLOCK))
    block = sa.tuple_(LeadMatchKey.name_key, LeadMatchKey.company_key)
    name_keys = sa.select(LeadMatchKey.name_key, LeadMatchKey.company_key) \
        .where(LeadMatchKey.name_key != "", LeadMatchKey.company_key != "") \
        .group_by(LeadMatchKey.name_key, LeadMatchKey.company_key).having(count.between(2, MAX_BLOCK))
    # Each kind of key gets its own prefix, so that an email never meets a phone number.
    keyed = sa.union_all(
        _live_leads(sa.select(Lead.id.label("lead_id"), ("e:" + Lead.email).label("key"))
                    .where(Lead.email.in_(email_keys))),
        _live_leads(sa.select(Lead.id, "p:" + Lead.phone_e164).where(Lead.phone_e164.in_(number_keys))),
        _live_leads(sa.select(Lead.id, "p:" + Lead.mobile_e164).where(Lead.mobile_e164.in_(number_keys))),
        _live_leads(sa.select(Lead.id, "n:" + LeadMatchKey.name_key + "|" + LeadMatchKey.company_key)
                    .join(LeadMatchKey, LeadMatchKey.lead_id == Lead.id).where(block.in_(name_keys))),
    ).cte("keyed")
    x, y = keyed.alias("x"), keyed.alias("y")
    return sa.select(x.c.lead_id.label("first_id"), y.c.lead_id.label("second_id")) \
        .join(y, sa.and_(y.c.key == x.c.key, y.c.lead_id > x.c.lead_id)).distinct().subquery()


def _parse_cursor(after: str | None) -> tuple[int, int] | None:
    try:
        second, first = (int(x) for x in (after or "").split("-", 1))
    except ValueError:
        return None
    return second, first


def _loaded_leads(ids) -> dict:
    return {lead.id: (lead, lead_candidate(lead))
            for lead in db.session.scalars(sa.select(Lead).where(Lead.id.in_(ids)))}


def _loaded_contacts(ids) -> dict:
    return {contact.id: (contact, contact_candidate(contact))
            for contact in db.session.scalars(sa.select(Contact).where(Contact.id.in_(ids)))}


def _scored_page(query, after, per_page: int, max_scan: int, load_first, load_second, pair, *, cursor) -> PairPage:
    """Score the candidate pairs `query` gives ((first_id, second_id) rows, in page order) until
    `per_page` are likely or `max_scan` are scored. Records are loaded a chunk of pairs at a time
    (a full page usually needs only the first chunk); `cursor(first_id, second_id)` is the
    `after` of the next page."""
    rows = db.session.execute(query.limit(max_scan + 1)).all()
    more, rows = len(rows) > max_scan, rows[:max_scan]
    # Pairs of the same kind (lead and lead) share one dict, loaded in one query a chunk.
    same_kind = load_first is load_second
    items, scanned, firsts = [], 0, {}
    seconds = firsts if same_kind else {}
    while scanned < len(rows) and len(items) < per_page:
        chunk = rows[scanned:scanned + SCORE_CHUNK]
        if same_kind:
            firsts |= load_first({i for row in chunk for i in row} - firsts.keys())
        else:
            firsts |= load_first({row[0] for row in chunk} - firsts.keys())
            seconds |= load_second({row[1] for row in chunk} - seconds.keys())
        for first_id, second_id in chunk:
            scanned += 1
            (first, first_key), (second, second_key) = firsts[first_id], seconds[second_id]
            value, reasons = score(first_key, second_key)
            if reasons:
                items.append(pair(first, second, value, reasons))
                if len(items) == per_page:
                    break
    has_next = more or scanned < len(rows)
    last = rows[scanned - 1] if scanned else None
    return PairPage(items=items, after=after, scanned=scanned,
                    next_after=cursor(*last) if has_next and last else None)


def likely_pairs(after: str | None = None, *, per_page: int = PER_PAGE, max_scan: int = MAX_SCAN) -> PairPage:
    """One page of likely duplicate pairs of leads, newest first. Paged by cursor (`after`:
    "second_id-first_id" of the last pair scanned) so a page never rescans the ones before it;
    at most `max_scan` candidate pairs are scored per request."""
    pairs = _candidate_pairs()
    query = sa.select(pairs.c.first_id, pairs.c.second_id).order_by(pairs.c.second_id.desc(), pairs.c.first_id.desc())
    if cursor := _parse_cursor(after):
        second, first = cursor
        query = query.where(sa.or_(pairs.c.second_id < second,
                                   sa.and_(pairs.c.second_id == second, pairs.c.first_id < first)))
    return _scored_page(query, after, per_page, max_scan, _loaded_leads, _loaded_leads, Pair,
                        cursor=lambda first, second: f"{second}-{first}")


@dataclass
class ContactPair:
    """A lead that looks like a stored contact: the same person, already a customer's contact."""

    lead: Lead
    contact: Contact
    score: int
    reasons: list

    @property
    def reason_labels(self) -> list:
        return [REASONS[r] for r in self.reasons]


def _live_contacts(query):
    return query.where(Contact.deleted_at.is_(None))


def _lead_contact_candidates():
    """(lead_id, contact_id) of live leads and contacts sharing an email, a phone, or a company:
    every branch joins through an indexed key (email, E.164 number, account name key)."""
    branches = [
        _live_contacts(_live_leads(sa.select(Lead.id.label("lead_id"), Contact.id.label("contact_id"))
                                   .join(Contact, Contact.email == Lead.email)))]
    for lead_phone in (Lead.phone_e164, Lead.mobile_e164):
        for contact_phone in (Contact.phone_e164, Contact.mobile_e164):
            branches.append(_live_contacts(_live_leads(
                sa.select(Lead.id, Contact.id).join(Contact, contact_phone == lead_phone)
                .where(lead_phone.is_not(None)))))
    # Same company (the lead's company key is the account's name key): the names are compared by score().
    branches.append(_live_contacts(_live_leads(
        sa.select(Lead.id, Contact.id).join(LeadMatchKey, LeadMatchKey.lead_id == Lead.id)
        .join(Account, sa.and_(Account.name_key == LeadMatchKey.company_key, Account.deleted_at.is_(None)))
        .join(Contact, Contact.account_id == Account.id)
        .where(LeadMatchKey.company_key != ""))))
    return sa.union(*branches).subquery()


def likely_contact_pairs(after: str | None = None, *, per_page: int = PER_PAGE,
                         max_scan: int = MAX_SCAN) -> PairPage:
    """One page of leads that look like a stored contact, newest lead first, by the same rules and
    the same cursor paging as likely_pairs() ("lead_id-contact_id" of the last pair scanned)."""
    pairs = _lead_contact_candidates()
    query = sa.select(pairs.c.lead_id, pairs.c.contact_id).order_by(pairs.c.lead_id.desc(), pairs.c.contact_id.desc())
    if cursor := _parse_cursor(after):
        lead_id, contact_id = cursor
        query = query.where(sa.or_(pairs.c.lead_id < lead_id,
                                   sa.and_(pairs.c.lead_id == lead_id, pairs.c.contact_id < contact_id)))
    return _scored_page(query, after, per_page, max_scan, _loaded_leads, _loaded_contacts, ContactPair,
                        cursor=lambda lead_id, contact_id: f"{lead_id}-{contact_id}")


# Merging

def jsonable(value):
    """A field value as JSON can hold it (a merge's or an import's snapshot, to restore on undo)."""
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    return value


def restored(value):
    """The field value that jsonable() stored."""
    if isinstance(value, dict) and "decimal" in value:
        return Decimal(value["decimal"])
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    return value


def check_mergeable(leads: list[Lead]) -> None:
    """:raises MergeError: unless these are two or three distinct, live, unconverted leads."""
    if len({lead.id for lead in leads}) != len(leads) or not 2 <= len(leads) <= 3:
        raise MergeError(_l("Choose two or three different leads to merge."), "count")
    for lead in leads:
        if lead.deleted_at is not None:
            raise MergeError(_l("%(name)s is in the recycle bin: restore it before merging.", name=lead.name),
                             "deleted")
        if lead.is_converted or lead.converted_at is not None:
            raise MergeError(_l("%(name)s is converted: a converted lead cannot be merged.", name=lead.name),
                             "converted")


def _normalise(lead: Lead, name: str, value):
    if isinstance(value, str):
        value = value.strip() or None
    if name == "email" and value:
        value = value.lower()
    return value


def merge_leads(survivor: Lead, others: list[Lead], chosen_values: dict, *, actor: User) -> LeadMerge:
    """Merge one or two leads into `survivor`: write the chosen values (field -> value, only
    MERGE_FIELDS), move activities and campaign memberships to it, soft-delete the others and
    record it all for undo. :raises MergeError:"""
    check_mergeable([survivor, *others])
    snapshot = {"fields": {name: jsonable(getattr(survivor, name)) for name in
                           (*MERGE_FIELDS, "phone_e164", "mobile_e164", "updated_at", "updated_by_id")},
                "activities": {}, "members": {}, "deleted": {}}
    for name, value in chosen_values.items():
        if name in MERGE_FIELDS:
            setattr(survivor, name, _normalise(survivor, name, value))
    survivor.phone_e164, survivor.mobile_e164 = e164(survivor.phone), e164(survivor.mobile)
    survivor.refresh_search_text()
    survivor.updated_by_id, survivor.updated_at = actor.id, utcnow()

    other_ids = [lead.id for lead in others]
    moved = db.session.execute(sa.select(Activity.id, Activity.lead_id).where(Activity.lead_id.in_(other_ids))).all()
    snapshot["activities"] = {str(i): lead_id for i, lead_id in moved}
    if moved:
        db.session.execute(sa.update(Activity).where(Activity.id.in_([i for i, _ in moved]))
                           .values(lead_id=survivor.id), execution_options={"synchronize_session": False})
    # A campaign the survivor is already in keeps the survivor's membership; the other one stays
    # with its (deleted) lead, so undo has nothing to recreate.
    campaigns = set(db.session.scalars(sa.select(CampaignMember.campaign_id)
                                       .where(CampaignMember.lead_id == survivor.id)))
    members = db.session.execute(sa.select(CampaignMember.id, CampaignMember.lead_id, CampaignMember.campaign_id)
                                 .where(CampaignMember.lead_id.in_(other_ids)).order_by(CampaignMember.id)).all()
    for member_id, lead_id, campaign_id in members:
        if campaign_id not in campaigns:
            campaigns.add(campaign_id)
            snapshot["members"][str(member_id)] = lead_id
    if snapshot["members"]:
        db.session.execute(sa.update(CampaignMember).where(CampaignMember.id.in_([int(i) for i in snapshot["members"]]))
                           .values(lead_id=survivor.id), execution_options={"synchronize_session": False})
    now = utcnow()
    for lead in others:
        snapshot["deleted"][str(lead.id)] = None
        lead.deleted_at, lead.deleted_by_id = now, actor.id
    merge = LeadMerge(survivor_id=survivor.id, merged_ids=other_ids, snapshot=snapshot, actor_id=actor.id,
                      created_at=now)
    db.session.add(merge)
    from crm.audit import log_event  # here: crm.audit imports the models, as this module does

    log_event("merge", f"lead {survivor.name} <- {other_ids}", actor=actor, target=survivor,
              details={"merged_ids": other_ids})
    db.session.flush()
    db.session.expire_all()
    return merge


def can_undo(merge: LeadMerge) -> bool:
    """Only the survivor's latest merge that is still in place can be undone."""
    if merge.undone_at is not None:
        return False
    later = db.session.scalar(sa.select(LeadMerge.id).where(
        LeadMerge.survivor_id == merge.survivor_id, LeadMerge.id > merge.id, LeadMerge.undone_at.is_(None)).limit(1))
    return later is None


def undo_merge(merge: LeadMerge, *, actor: User) -> Lead:
    """Put everything back as it was before the merge. :raises MergeError:"""
    if not can_undo(merge):
        raise MergeError(_l("This merge cannot be undone: it was undone already, "
                            "or a later merge must be undone first."), "undo")
    others = list(db.session.scalars(sa.select(Lead).where(Lead.id.in_(merge.merged_ids))))
    if len(others) != len(merge.merged_ids):
        raise MergeError(_l("A merged lead was removed for good from the recycle bin: the merge cannot be undone."),
                         "purged")
    survivor = merge.survivor
    for name, value in merge.snapshot["fields"].items():
        setattr(survivor, name, restored(value))
    survivor.refresh_search_text()
    for table, moved in ((Activity, merge.snapshot["activities"]), (CampaignMember, merge.snapshot["members"])):
        for record_id, lead_id in moved.items():
            # Only what is still on the survivor goes back (an activity deleted since stays deleted).
            db.session.execute(sa.update(table).where(table.id == int(record_id), table.lead_id == survivor.id)
                               .values(lead_id=lead_id), execution_options={"synchronize_session": False})
    for lead in others:
        lead.deleted_at, lead.deleted_by_id = restored(merge.snapshot["deleted"].get(str(lead.id))), None
    merge.undone_at, merge.undone_by_id = utcnow(), actor.id
    from crm.audit import log_event

    log_event("merge_undone", f"lead {survivor.name} -> {merge.merged_ids}", actor=actor, target=survivor,
              details={"merged_ids": merge.merged_ids})
    db.session.flush()
    db.session.expire_all()
    return survivor


def flag_if_duplicate(lead: Lead) -> bool:
    """Flag a lead that arrived unattended (web form, import) when it looks like a stored lead or
    contact. It is kept either way: a person checks the flag, nothing is rejected. Returns the flag."""
    fields = {name: getattr(lead, name) for name in ("email", "first_name", "last_name", "company", "phone", "mobile")}
    lead.possible_duplicate = bool(find_duplicates(fields, exclude_lead_id=lead.id, limit=1))
    return lead.possible_duplicate
