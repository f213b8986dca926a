"""Lead assignment: ordered rules that give a new lead an owner (a user or a queue), queues and their members.

As in Salesforce's lead assignment rules, the first active rule whose criteria all match wins; a
queue-owned lead has no user owner (owner_id NULL, queue_id set) until a member takes it.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import db
from crm.models.user import User, utcnow


class Queue(db.Model):
    __tablename__ = "queues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    round_robin: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # How many leads round-robin has dealt: the next member is members[counter % len(members)].
    # Advanced by one UPDATE ... SET counter = counter + 1 and read back in the same
    # transaction, so two concurrent assignments never get the same turn.
    round_robin_counter: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list["QueueMember"]] = relationship(
        back_populates="queue", cascade="all, delete-orphan", passive_deletes=True,
        order_by="QueueMember.id")

    def __repr__(self) -> str:
        return f"<Queue {self.name}>"


class QueueMember(db.Model):
    __tablename__ = "queue_members"
    __table_args__ = (sa.UniqueConstraint("queue_id", "user_id", name="uq_queue_members_queue_user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_id: Mapped[int] = mapped_column(sa.ForeignKey("queues.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)

    queue: Mapped[Queue] = relationship(back_populates="members")
    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class AssignmentRule(db.Model):
    __tablename__ = "assignment_rules"
    __table_args__ = (
        # The target: exactly one of a user and a queue.
        sa.CheckConstraint("(owner_user_id IS NULL) <> (queue_id IS NULL)", name="one_target"),
        sa.CheckConstraint("employees_min IS NULL OR employees_max IS NULL OR employees_min <= employees_max",
                           name="employees_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(sa.String(80))
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Criteria, all optional and ANDed; text compares case- and accent-insensitively (fold()).
    country: Mapped[str | None] = mapped_column(sa.String(80))
    state: Mapped[str | None] = mapped_column(sa.String(80))
    postal_code_prefix: Mapped[str | None] = mapped_column(sa.String(20))
    lead_source: Mapped[str | None] = mapped_column(sa.String(80))
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    employees_min: Mapped[int | None]
    employees_max: Mapped[int | None]
    # Deleting a user or queue a rule targets deletes the rule (it could no longer assign).
    owner_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    queue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("queues.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    owner_user: Mapped[User | None] = relationship(foreign_keys=[owner_user_id])
    queue: Mapped[Queue | None] = relationship()
    campaign = relationship("Campaign")

    def __repr__(self) -> str:
        return f"<AssignmentRule {self.position} {self.name}>"


class AssignmentSettings(db.Model):
    """The one row of assignment settings (id 1): who gets a lead no rule matches.

    A single-row table rather than a flag on users: a foreign key keeps the default owner a real
    user (SET NULL if removed), and later settings (say, notify the new owner) get a home.
    """

    __tablename__ = "assignment_settings"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    default_owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    default_owner: Mapped[User | None] = relationship()
