"""The reports' filters (period, owner, pipeline): read from the query string, written back to links.

A filter that cannot be read is reported with a message and left out, never a 500: the report
still shows, for the default period, with the message above it.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.extensions import db
from crm.models import Pipeline, User
from crm.reports.queries import Scope

DEFAULT_PERIOD = "this-year"
# The period presets the form offers, in its order; "custom" reads the from and to dates.
PERIODS = {
    "this-month": _l("This month"),
    "last-month": _l("Last month"),
    "this-quarter": _l("This quarter"),
    "last-quarter": _l("Last quarter"),
    "next-quarter": _l("Next quarter"),
    "this-year": _l("This year"),
    "last-year": _l("Last year"),
    "last-12-months": _l("Last 12 months"),
    "all": _l("All time"),
    "custom": _l("Custom dates"),
}


def _month_start(day: date, months_ahead: int = 0) -> date:
    months = day.year * 12 + day.month - 1 + months_ahead
    return date(months // 12, months % 12 + 1, 1)


def period_range(period: str, today: date) -> tuple[date | None, date | None]:
    """The first and last days of a preset period (None: open-ended)."""
    quarter = _month_start(today, -((today.month - 1) % 3))
    ranges = {
        "this-month": (_month_start(today), _month_start(today, 1)),
        "last-month": (_month_start(today, -1), _month_start(today)),
        "this-quarter": (quarter, _month_start(quarter, 3)),
        "last-quarter": (_month_start(quarter, -3), quarter),
        "next-quarter": (_month_start(quarter, 3), _month_start(quarter, 6)),
        "this-year": (date(today.year, 1, 1), date(today.year + 1, 1, 1)),
        "last-year": (date(today.year - 1, 1, 1), date(today.year, 1, 1)),
        "last-12-months": (_month_start(today, -11), _month_start(today, 1)),
    }
    if period not in ranges:
        return None, None
    start, after = ranges[period]
    return start, after - timedelta(days=1)


def _date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


@dataclass
class ReportFilters:
    """What a report is about, as the URL says it."""

    period: str = DEFAULT_PERIOD
    start: date | None = None
    end: date | None = None
    owner: User | None = None
    pipeline: Pipeline | None = None
    typed: dict = field(default_factory=dict)  # from, to, owner, pipeline as typed (the form shows them)
    errors: list = field(default_factory=list)

    @classmethod
    def read(cls, args, today: date) -> "ReportFilters":
        """From the query string; what cannot be read is reported in `errors` and ignored."""
        filters = cls(typed={name: args.get(name, "")[:40] for name in ("from", "to", "owner", "pipeline")})
        period = args.get("period", "") or DEFAULT_PERIOD
        if period not in PERIODS:
            filters.errors.append(_l("Choose a period from the list."))
            period = DEFAULT_PERIOD
        filters.period = period
        if period == "custom":
            filters._read_dates()
        else:
            filters.start, filters.end = period_range(period, today)
        filters.owner = filters._read(User, "owner", _l("Choose an owner from the list."))
        filters.pipeline = filters._read(Pipeline, "pipeline", _l("Choose a pipeline from the list."))
        return filters

    def _read_dates(self) -> None:
        typed_from, typed_to = self.typed["from"], self.typed["to"]
        start, end = _date(typed_from), _date(typed_to)
        if (typed_from and start is None) or (typed_to and end is None):
            self.errors.append(_l("Enter a date as YYYY-MM-DD (for example 2027-03-31)."))
        if start and end and start > end:
            self.errors.append(_l("The start date is after the end date: they were swapped."))
            start, end = end, start
        self.start, self.end = start, end

    def _read(self, model, name: str, message):
        raw = self.typed[name]
        if not raw:
            return None
        record = db.session.get(model, int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if record is None:
            self.errors.append(message)
        return record

    def scope(self, pipeline: Pipeline | None = None) -> Scope:
        pipeline = pipeline or self.pipeline
        return Scope(self.start, self.end, self.owner.id if self.owner else None, pipeline.id if pipeline else None)

    def args(self) -> dict:
        """The query string that gives these filters back (defaults left out)."""
        values = {"period": None if self.period == DEFAULT_PERIOD else self.period,
                  "owner": self.owner.id if self.owner else None,
                  "pipeline": self.pipeline.id if self.pipeline else None}
        if self.period == "custom":
            values.update({"from": self.start.isoformat() if self.start else None,
                           "to": self.end.isoformat() if self.end else None})
        return {k: v for k, v in values.items() if v is not None}


def owners() -> list[User]:
    """The owners the form offers: active users, by name."""
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))
