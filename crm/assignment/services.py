"""Lead assignment: which user or queue gets a new lead, queue members taking leads, and the admin's
edits of rules, queues and the default owner. Services flush; the caller commits.

As in Salesforce: the active rules are tried in order and the first whose criteria all match
wins (an empty criterion matches anything); it gives the lead to a user, or to a queue. A queue
with round-robin deals its leads to its active members in turn; without it the queue owns the
lead (owner_id NULL, queue_id set) until a member takes it. No rule matching: the default owner.

Web-to-lead, imports and the lead form call `assign(lead)` after creating the lead.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import AssignmentRule, AssignmentSettings, Lead, Queue, QueueMember, User, fold
from crm.models.user import utcnow
from crm.ordering import DIRECTIONS  # noqa: F401  (callers read it here)
from crm.ordering import move as _move
from crm.ordering import renumber as _renumber
from crm.ordering import same_label as _same_label

# What a rule form may write; anything else is ignored.
RULE_FIELDS = ("name", "active", "country", "state", "postal_code_prefix", "lead_source", "campaign_id",
               "employees_min", "employees_max", "owner_user_id", "queue_id")
TEXT_CRITERIA = ("country", "state", "lead_source")


class AssignmentError(Exception):
    """An assignment rule was broken; `message` is for the user."""

    message = _l("This change is not allowed.")

    def __str__(self) -> str:
        return str(self.message)


class TargetRequired(AssignmentError):
    """A rule gives its leads to exactly one user or one queue."""

    message = _l("Choose a user or a queue, not both.")


class EmployeesRange(AssignmentError):
    """The minimum number of employees is above the maximum."""

    message = _l("The minimum cannot be above the maximum.")


class NameTaken(AssignmentError):
    """Another queue has this name (compared case-insensitively)."""

    message = _l("A queue with this name already exists.")


class AlreadyMember(AssignmentError):
    """The user is already a member of the queue."""

    message = _l("This user is already a member of the queue.")


class QueueInUse(AssignmentError):
    """Leads or rules still point at the queue, so it cannot be deleted."""

    def __init__(self, leads: int, rules: int):
        super().__init__(leads, rules)
        self.leads, self.rules = leads, rules


class NotAMember(AssignmentError):
    """Only a member of the queue that owns the lead may take it."""

    message = _l("Only a member of the queue can take this lead.")


class AlreadyTaken(AssignmentError):
    """The lead is no longer owned by a queue (someone took it first)."""

    message = _l("Someone already took this lead.")


@sa.event.listens_for(Lead.owner_id, "set")
def _user_owner_replaces_queue(lead: Lead, value, oldvalue, initiator) -> None:
    """A lead has a user owner or a queue, never both: giving it a user (the edit form, a
    conversion) takes it out of its queue."""
    if value is not None and lead.queue_id is not None:
        lead.queue_id = None


# Assigning

def _text(value: str | None) -> str:
    return fold(value).strip()


def _postal(value: str | None) -> str:
    # "75 008" and "75008" are the same postal code.
    return "".join(_text(value).split())


def matches(rule: AssignmentRule, lead: Lead) -> bool:
    """True when every criterion the rule sets holds for the lead (case and accents ignored)."""
    for name in TEXT_CRITERIA:
        wanted = getattr(rule, name)
        if wanted and _text(wanted) != _text(getattr(lead, name)):
            return False
    if rule.postal_code_prefix and not _postal(lead.postal_code).startswith(_postal(rule.postal_code_prefix)):
        return False
    if rule.campaign_id is not None and rule.campaign_id != lead.campaign_id:
        return False
    if rule.employees_min is not None or rule.employees_max is not None:
        if lead.employees is None:
            return False
        if rule.employees_min is not None and lead.employees < rule.employees_min:
            return False
        if rule.employees_max is not None and lead.employees > rule.employees_max:
            return False
    return True


def active_rules() -> list[AssignmentRule]:
    return list(db.session.scalars(
        sa.select(AssignmentRule).where(AssignmentRule.active).order_by(AssignmentRule.position, AssignmentRule.id)))


def active_members(queue: Queue) -> list[QueueMember]:
    """The queue's members who can still sign in, in the order they joined."""
    return list(db.session.scalars(
        sa.select(QueueMember).join(QueueMember.user)
        .where(QueueMember.queue_id == queue.id, User.active).order_by(QueueMember.id)))


def next_member(queue: Queue) -> QueueMember | None:
    """The member whose turn it is, advancing the queue's counter; None when it has no active member.

    One UPDATE advances the counter and the value is read back inside the same transaction: the
    UPDATE holds the row (PostgreSQL) or the database (SQLite) until commit, so two concurrent
    assignments never share a turn.
    """
    members = active_members(queue)
    if not members:
        return None
    db.session.execute(sa.update(Queue).where(Queue.id == queue.id)
                       .values(round_robin_counter=Queue.round_robin_counter + 1)
                       .execution_options(synchronize_session=False))
    counter = db.session.scalar(sa.select(Queue.round_robin_counter).where(Queue.id == queue.id))
    db.session.expire(queue, ["round_robin_counter"])
    return members[(counter - 1) % len(members)]


def _give_to_queue(lead: Lead, queue: Queue) -> None:
    member = next_member(queue) if queue.round_robin else None
    if member is None:
        lead.owner_id, lead.queue_id = None, queue.id
    else:
        lead.owner_id, lead.queue_id = member.user_id, None


def _usable(rule: AssignmentRule) -> bool:
    # A rule that points at a deactivated user is passed over, as if it were inactive.
    return rule.queue_id is not None or (rule.owner_user is not None and rule.owner_user.active)


def assign(lead: Lead, *, actor: User | None = None) -> AssignmentRule | None:
    """Give the lead to the first active rule that matches it, else to the default owner.

    Returns the rule that assigned it (also stored on the lead), or None. Without a matching rule
    or a default owner the lead keeps the owner it has.
    """
    if lead.assignment_rule_id is not None:  # setting None again would still write the row
        lead.assignment_rule_id = None
    for rule in active_rules():
        if matches(rule, lead) and _usable(rule):
            if rule.queue is not None:
                _give_to_queue(lead, rule.queue)
            else:
                lead.owner_id, lead.queue_id = rule.owner_user_id, None
            lead.assignment_rule_id = rule.id
            break
    else:
        rule = None
        owner = settings().default_owner
        if owner is not None and owner.active:
            lead.owner_id, lead.queue_id = owner.id, None
    if actor is not None and lead.id is not None:
        lead.updated_by_id, lead.updated_at = actor.id, utcnow()
    db.session.flush()
    db.session.expire(lead, ["owner", "queue", "assignment_rule"])
    return rule


def is_member(queue_id: int | None, user: User) -> bool:
    if queue_id is None:
        return False
    return db.session.scalar(sa.select(sa.func.count()).select_from(QueueMember)
                             .where(QueueMember.queue_id == queue_id, QueueMember.user_id == user.id)) > 0


def user_queue_ids(user: User) -> list[int]:
    """The queues the user is a member of."""
    return list(db.session.scalars(sa.select(QueueMember.queue_id).where(QueueMember.user_id == user.id)))


def take(lead: Lead, user: User) -> Lead:
    """A member of the queue that owns the lead becomes its owner.

    The conditional UPDATE is the claim: of two members taking it at once, one wins.
    :raises AlreadyTaken: :raises NotAMember:
    """
    if lead.queue_id is None:
        raise AlreadyTaken()
    if not is_member(lead.queue_id, user):
        raise NotAMember()
    now = utcnow()
    claimed = db.session.execute(
        sa.update(Lead).where(Lead.id == lead.id, Lead.queue_id == lead.queue_id, Lead.owner_id.is_(None))
        .values(owner_id=user.id, queue_id=None, updated_at=now, updated_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise AlreadyTaken()
    db.session.refresh(lead)
    return lead


# Most leads changed by one "Change owner" from the list (a page of the list is 50).
MAX_REASSIGN = 200


def reassign(leads: list[Lead], *, actor: User, owner: User | None = None, queue: Queue | None = None,
             use_rules: bool = False) -> int:
    """Give several leads at once to a user, to a queue, or to whatever the active rules say.

    Converted leads keep their owner (read-only). A hand-picked owner clears the rule that had
    assigned the lead; a queue with round-robin deals them out in turn. Returns how many changed.
    """
    changed = 0
    now = utcnow()
    for lead in leads:
        if lead.is_converted:
            continue
        before = (lead.owner_id, lead.queue_id)
        if use_rules:
            assign(lead, actor=actor)
        elif queue is not None:
            _give_to_queue(lead, queue)
            lead.assignment_rule_id = None
        else:
            lead.owner_id, lead.queue_id, lead.assignment_rule_id = owner.id, None, None
        if (lead.owner_id, lead.queue_id) != before:
            lead.updated_by_id, lead.updated_at = actor.id, now
            changed += 1
    db.session.flush()
    return changed


# Rules

def rules() -> list[AssignmentRule]:
    """Every rule, active or not, in the order they are tried."""
    return list(db.session.scalars(sa.select(AssignmentRule).order_by(AssignmentRule.position, AssignmentRule.id)))


def _clean_rule(data: dict) -> dict:
    values = {}
    for name in RULE_FIELDS:
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, str):
            value = value.strip() or None
        values[name] = value
    if values.get("name") is None and "name" in data:
        values["name"] = ""
    return values


def _check_rule(rule: AssignmentRule) -> None:
    if (rule.owner_user_id is None) == (rule.queue_id is None):
        raise TargetRequired()
    if rule.employees_min is not None and rule.employees_max is not None and rule.employees_min > rule.employees_max:
        raise EmployeesRange()


def create_rule(**data) -> AssignmentRule:
    """Add a rule at the end of the order. :raises TargetRequired: :raises EmployeesRange:"""
    last = db.session.scalar(sa.select(sa.func.max(AssignmentRule.position))) or 0
    rule = AssignmentRule(position=last + 1, **({"active": True} | _clean_rule(data)))
    _check_rule(rule)
    db.session.add(rule)
    db.session.flush()
    return rule


def update_rule(rule: AssignmentRule, **data) -> AssignmentRule:
    """Change a rule's name, criteria, target or active flag. :raises TargetRequired: :raises EmployeesRange:"""
    for name, value in _clean_rule(data).items():
        setattr(rule, name, value)
    _check_rule(rule)
    db.session.flush()
    return rule


def move_rule(rule: AssignmentRule, direction: str) -> bool:
    """Move a rule one place "up" or "down"; False when it is already at that end."""
    moved = _move(rules(), rule, direction)
    db.session.flush()
    return moved


def set_rule_active(rule: AssignmentRule, active: bool) -> AssignmentRule:
    rule.active = active
    db.session.flush()
    return rule


def delete_rule(rule: AssignmentRule) -> None:
    """Delete a rule; the leads it assigned keep their owner and forget the rule."""
    db.session.delete(rule)
    db.session.flush()
    _renumber(rules())
    db.session.flush()


# Queues

def queues() -> list[Queue]:
    return list(db.session.scalars(sa.select(Queue).options(sa.orm.selectinload(Queue.members)).order_by(Queue.name)))


def queue_lead_counts() -> dict[int, int]:
    """How many leads (the recycle bin included) each queue owns."""
    rows = db.session.execute(sa.select(Lead.queue_id, sa.func.count()).where(Lead.queue_id.is_not(None))
                              .group_by(Lead.queue_id))
    return dict(rows.all())


def _check_name_free(name: str, exclude_id: int | None = None) -> None:
    query = sa.select(Queue.name)
    if exclude_id is not None:
        query = query.where(Queue.id != exclude_id)
    if any(_same_label(other, name) for other in db.session.scalars(query)):
        raise NameTaken()


def create_queue(*, name: str, round_robin: bool = False) -> Queue:
    """Add a queue. :raises NameTaken:"""
    name = name.strip()
    _check_name_free(name)
    queue = Queue(name=name, round_robin=bool(round_robin))
    db.session.add(queue)
    db.session.flush()
    return queue


def update_queue(queue: Queue, *, name: str, round_robin: bool) -> Queue:
    """Rename a queue, turn round-robin on or off. :raises NameTaken:"""
    name = name.strip()
    _check_name_free(name, exclude_id=queue.id)
    queue.name, queue.round_robin = name, bool(round_robin)
    db.session.flush()
    return queue


def delete_queue(queue: Queue) -> None:
    """Delete a queue that owns no lead and that no rule targets. :raises QueueInUse:"""
    leads = queue_lead_counts().get(queue.id, 0)
    rules_ = db.session.scalar(sa.select(sa.func.count()).select_from(AssignmentRule)
                               .where(AssignmentRule.queue_id == queue.id))
    if leads or rules_:
        raise QueueInUse(leads, rules_)
    db.session.delete(queue)
    db.session.flush()


def add_member(queue: Queue, user: User) -> QueueMember:
    """Make a user a member of the queue. :raises AlreadyMember:"""
    if is_member(queue.id, user):
        raise AlreadyMember()
    member = QueueMember(queue_id=queue.id, user_id=user.id)
    db.session.add(member)
    db.session.flush()
    db.session.expire(queue, ["members"])
    return member


def remove_member(queue: Queue, user_id: int) -> bool:
    """Remove a member; False when the user was not one."""
    removed = db.session.execute(sa.delete(QueueMember).where(QueueMember.queue_id == queue.id,
                                                              QueueMember.user_id == user_id)).rowcount
    db.session.expire(queue, ["members"])
    return removed > 0


# The default owner

def settings() -> AssignmentSettings:
    """The one settings row (migration 0007 creates it; made here if it is missing)."""
    row = db.session.get(AssignmentSettings, 1)
    if row is None:
        row = AssignmentSettings(id=1)
        db.session.add(row)
        db.session.flush()
    return row


def set_default_owner(user: User | None) -> AssignmentSettings:
    """Who gets a lead that no rule matches (None: the lead keeps the owner it was created with)."""
    row = settings()
    row.default_owner_id = user.id if user else None
    db.session.flush()
    db.session.expire(row, ["default_owner"])
    return row
