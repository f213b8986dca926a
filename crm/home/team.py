"""Teams: a user's manager, and who a manager's (or an admin's) team is.

A manager's team is the users whose manager_id is them; an admin's team is everyone. Reps have
no team: asking for one gives their own figures.
"""

import sqlalchemy as sa

from crm.extensions import db
from crm.models import User

TEAM_ROLES = ("manager", "admin")


class InvalidManager(Exception):
    """A manager is an existing, active user other than the one managed."""


def has_team(user: User) -> bool:
    """Managers and admins can look at their team's dashboard."""
    return user.role in TEAM_ROLES


def manager_choices(current_manager_id: int | None = None) -> list[User]:
    """Who can be picked as a manager: active managers and admins (and the current one, even if
    deactivated since, so that the form still validates), by name."""
    condition = sa.and_(User.active, User.role.in_(TEAM_ROLES))
    if current_manager_id is not None:
        condition = sa.or_(condition, User.id == current_manager_id)
    return list(db.session.scalars(sa.select(User).where(condition).order_by(User.name, User.id)))


def set_manager(user: User, manager_id: int | None) -> User:
    """Give `user` a manager, or none. :raises InvalidManager:"""
    if manager_id is not None and manager_id != user.manager_id:
        manager = db.session.get(User, manager_id)
        if manager is None or manager.id == user.id or not manager.active:
            raise InvalidManager(manager_id)
    elif manager_id is not None and manager_id == user.id:
        raise InvalidManager(manager_id)
    user.manager_id = manager_id
    db.session.flush()
    return user


def team_member_ids(user: User) -> sa.Select | None:
    """A select of the ids of `user`'s team, or None for everyone (an admin's team)."""
    if user.is_admin:
        return None
    return sa.select(User.id).where(User.manager_id == user.id)


def team_members(user: User, limit: int = 100) -> list[User]:
    """The members of `user`'s team, by name (at most `limit`)."""
    query = sa.select(User).order_by(User.active.desc(), User.name, User.id).limit(limit)
    if (ids := team_member_ids(user)) is not None:
        query = query.where(User.id.in_(ids))
    return list(db.session.scalars(query))
