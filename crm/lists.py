"""What every record list shares: reading its query string, canonical links, and paging.

Paging never counts the whole table: a page fetches one row more than it shows to know if
there is a next page, and the total is counted only up to COUNT_CAP ("more than 1,000").
"""

from dataclasses import dataclass, fields

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from crm.extensions import db
from crm.search import MAX_QUERY

PER_PAGE = 50
COUNT_CAP = 1000
MAX_PAGE = 10_000


def as_id(raw) -> int | None:
    """A record id typed into a URL or a form, or None: past 9 digits it would overflow the
    database's integer (a 500), and no record has such an id anyway."""
    raw = str(raw or "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def page_arg(args: MultiDict) -> int:
    """The `page` of a list that Flask-SQLAlchemy's paginate() pages (it would read any number)."""
    page = as_id(args.get("page"))
    return max(1, min(page, MAX_PAGE)) if page else 1


@dataclass
class ListFilters:
    """The state of a list, read from and written back to its URL. Subclasses add their own
    filters as string fields (80 characters at most) and set the class constants below."""

    VIEWS = ("mine", "all", "recent")
    DEFAULT_VIEW = "mine"
    SORT_KEYS = ()
    DEFAULT_SORT = "-updated"

    q: str = ""
    view: str = ""
    owner: str = ""  # "" (anyone), "me", or a user id
    sort: str = ""
    page: int = 1

    def __post_init__(self):
        self.view = self.view or self.DEFAULT_VIEW
        self.sort = self.sort or self.DEFAULT_SORT

    @classmethod
    def from_args(cls, args: MultiDict):
        """Read the query string; anything unknown falls back to the default (never an error)."""
        view, sort, owner, page = (args.get(k, "") for k in ("view", "sort", "owner", "page"))
        values = {
            "q": args.get("q", "")[:MAX_QUERY],
            "view": view if view in cls.VIEWS else cls.DEFAULT_VIEW,
            "owner": owner if owner == "me" or (owner.isdigit() and len(owner) < 10) else "",
            "sort": sort if sort.lstrip("-") in cls.SORT_KEYS else cls.DEFAULT_SORT,
            "page": max(1, min(int(page), MAX_PAGE)) if page.isdigit() and len(page) < 10 else 1,
        }
        for field in fields(cls):
            if field.name not in values:
                values[field.name] = cls.parse_extra(field.name, args.get(field.name, ""))
        return cls(**values)

    @classmethod
    def parse_extra(cls, name: str, raw: str):
        """A list-specific filter from the query string (override for non-text filters)."""
        return raw[:80]

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    def args(self, **changes) -> dict:
        """Query-string arguments for a link that changes some filters; defaults are left out."""
        values = {field.name: getattr(self, field.name) for field in fields(self)} | changes
        defaults = {"sort": self.DEFAULT_SORT, "page": 1, "view": self.DEFAULT_VIEW}
        return {k: v for k, v in values.items() if v not in (None, "") and defaults.get(k) != v}


def owner_filter(query: sa.Select, owner_column, owner: str, user) -> sa.Select:
    if owner == "me":
        return query.where(owner_column == user.id)
    if owner:
        return query.where(owner_column == int(owner))
    return query


def ordered(query: sa.Select, columns, id_column, descending: bool) -> sa.Select:
    """Order by `columns`, then the id so that pages never overlap."""
    order = [c.desc() if descending else c.asc() for c in (*columns, id_column)]
    return query.order_by(*order)


@dataclass
class Page:
    items: list
    page: int
    has_next: bool
    total: int
    total_capped: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def page_of(query: sa.Select, id_column, page: int, *options, per_page: int | None = None,
            cap: int | None = None, shape=None) -> Page:
    """One page of `query` (per_page + 1 rows fetched) and its count up to `cap`.

    `shape`, when given, turns the paged query into a select of the columns the page shows
    (joins included) and is applied to each row it returns: no ORM objects for a list. The
    count then comes in the same statement, as a column: one round trip, and a search's
    full-text match (a CTE, crm/search.py) is run once for the rows and the count."""
    per_page, cap = per_page or PER_PAGE, cap or COUNT_CAP
    paged = query.limit(per_page + 1).offset((page - 1) * per_page)
    capped = query.with_only_columns(id_column).order_by(None).limit(cap + 1).subquery()
    count = sa.select(sa.func.count()).select_from(capped)
    total = None
    if shape is not None:
        found = db.session.execute(shape.select(paged).add_columns(count.scalar_subquery())).all()
        rows = [shape.row(r[:-1]) for r in found]
        if found:
            total = found[0][-1]
        elif page == 1:
            total = 0
    else:
        rows = list(db.session.scalars(paged.options(*options)).unique())
    if total is None:
        total = db.session.scalar(count)
    return Page(items=rows[:per_page], page=page, has_next=len(rows) > per_page,
                total=min(total, cap), total_capped=total > cap)


def recently_viewed(query: sa.Select, model, record_type: str, user) -> sa.Select:
    """Only the records `user` opened (crm.leads.services.record_view), last opened first
    unless the list asks for another order."""
    from crm.models import RecentView

    return query.join(RecentView, sa.and_(RecentView.record_type == record_type, RecentView.record_id == model.id,
                                          RecentView.user_id == user.id))


def last_viewed_first(query: sa.Select, model) -> sa.Select:
    from crm.models import RecentView

    return query.order_by(RecentView.viewed_at.desc(), model.id.desc())
