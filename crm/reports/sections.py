"""Each report as sections: a chart and a table of the same figures, every bar and count linking to
the list of the records behind it. The figures come from crm/reports/queries.py; this module only
labels, formats (in the reader's locale) and links them.

Links use the filters the lists accept: /opportunities (view, stage, pipeline, owner, close_from,
close_to, forecast) and /leads (view, status, source, campaign, owner, created_from, created_to).
Where a list still lacks a filter a report needs (opportunities by creation date, or by a stage
reached in the past), the link goes to the closest list and the section's note says what it shows.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask import url_for
from flask_babel import format_date, format_decimal, format_number, format_percent, ngettext
from flask_babel import gettext as _

from crm.leads.labels import label
from crm.opportunities import services as opportunity_services
from crm.reports import queries
from crm.reports.charts import Chart, Row, Segment, bar_chart
from crm.reports.filters import ReportFilters


@dataclass
class Cell:
    text: str
    href: str | None = None
    numeric: bool = False


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    footer: list[Cell] | None = None


@dataclass
class Section:
    title: str
    chart: Chart | None
    table: Table
    notes: list[str] = field(default_factory=list)


class Figure(str):
    """A figure formatted for the reader that keeps its raw value: the page shows the text, an
    export writes the number (a spreadsheet must be able to add it up)."""

    value: object

    def __new__(cls, text: str, value):
        figure = super().__new__(cls, text)
        figure.value = value
        return figure


def number(value: int) -> str:
    return Figure(format_number(value), value)


def money(value: Decimal | None) -> str:
    return "" if value is None else Figure(format_decimal(value, format="#,##0.00"), value)


def days(value: float | None) -> str:
    return "" if value is None else Figure(format_decimal(value, format="#,##0.0"), round(value, 1))


def percent(value: float) -> str:
    return format_percent(value, format="#,##0.#%")


def _url(endpoint: str, **args) -> str:
    return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})


def opportunities_url(filters: ReportFilters, view: str = "all", start: date | None = None,
                      end: date | None = None, **extra) -> str:
    """The opportunity list of the owner and pipeline closing in the period (or between start and end)."""
    start, end = (start, end) if start or end else (filters.start, filters.end)
    args = {"view": view, "owner": filters.owner.id if filters.owner else None,
            "pipeline": filters.pipeline.id if filters.pipeline else None,
            "close_from": start.isoformat() if start else None, "close_to": end.isoformat() if end else None}
    return _url("opportunities.index", **(args | extra))


def leads_url(filters: ReportFilters, view: str = "all", **extra) -> str:
    """The lead list of the owner, created in the period."""
    args = {"view": view, "owner": filters.owner.id if filters.owner else None,
            "created_from": filters.start.isoformat() if filters.start else None,
            "created_to": filters.end.isoformat() if filters.end else None}
    return _url("leads.index", **(args | extra))


def chosen_pipeline(filters: ReportFilters):
    """The filter's pipeline, else the default one: stages only make sense within one pipeline."""
    return filters.pipeline or opportunity_services.default_pipeline()


# -- The reports ---------------------------------------------------------------------------------

def pipeline_report(filters: ReportFilters) -> list[Section]:
    pipeline = chosen_pipeline(filters)
    rows = queries.pipeline_by_stage(filters.scope(pipeline), pipeline.id)
    chart_rows, table_rows = [], []
    for row in rows:
        href = opportunities_url(filters, stage=row.stage_id, pipeline=pipeline.id)
        name = label(row.stage)
        deals = ngettext("%(count)s deal", "%(count)s deals", row.count, count=number(row.count))
        chart_rows.append(Row(
            name, f"{money(row.amount)} · {deals}", href=href,
            segments=[Segment(float(row.weighted), "weighted", _("Weighted amount")),
                      Segment(float(row.amount - row.weighted), "unweighted", _("Rest of the amount"))]))
        table_rows.append([Cell(name, href), Cell(number(row.count), href, True),
                           Cell(money(row.amount), None, True), Cell(money(row.weighted), None, True)])
    total = [Cell(_("Total")), Cell(number(sum(r.count for r in rows)), None, True),
             Cell(money(sum((r.amount for r in rows), Decimal(0))), None, True),
             Cell(money(sum((r.weighted for r in rows), Decimal(0))), None, True)]
    title = _("Pipeline by stage: %(pipeline)s", pipeline=label(pipeline.name))
    chart = bar_chart("chart-pipeline", title,
                      _("Amount of the deals closing in the period, per stage; the darker part is the weighted "
                        "amount (amount × probability)."), chart_rows,
                      legend=[("weighted", _("Weighted amount")), ("unweighted", _("Rest of the amount"))])
    table = Table(title, [_("Stage"), _("Deals"), _("Amount"), _("Weighted amount")], table_rows, total)
    return [Section(title, chart, table)]


def _month_label(month: str) -> tuple[str, date, date]:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    last = date(year + number // 12, number % 12 + 1, 1).toordinal() - 1
    return format_date(first, "MMM y"), first, date.fromordinal(last)


# The most rows a chart of campaigns or sources shows (the most leads first); the table has them all.
CHART_ROWS = 15
CATEGORY_CLASSES = {"Closed": "closed", "Commit": "commit", "Best Case": "best-case", "Pipeline": "pipeline"}


def forecast_report(filters: ReportFilters) -> list[Section]:
    rows = queries.forecast(filters.scope())
    months: dict[str, dict[str, queries.ForecastFigures]] = {}
    for row in rows:  # a dozen months × four categories, already summed by the database
        months.setdefault(row.month, {})[row.category] = row
    categories = {c: label_category(c) for c in queries.FORECAST_CATEGORIES}
    chart_rows, table_rows = [], []
    for month, by_category in months.items():
        name, first, last = _month_label(month)
        segments, cells = [], [Cell(name, opportunities_url(filters, start=first, end=last))]
        total = Decimal(0)
        for category, category_name in categories.items():
            figures = by_category.get(category)
            amount = figures.amount if figures else Decimal(0)
            total += amount
            href = opportunities_url(filters, forecast=category, start=first, end=last)
            segments.append(Segment(float(amount), CATEGORY_CLASSES[category],
                                    _("%(month)s, %(category)s: %(amount)s", month=name, category=category_name,
                                      amount=money(amount)), href if figures else None))
            cells.append(Cell(money(amount) if figures else "", href if figures else None, True))
        cells.append(Cell(money(total), None, True))
        chart_rows.append(Row(name, money(total), segments, opportunities_url(filters, start=first, end=last)))
        table_rows.append(cells)
    title = _("Forecast by close month")
    chart = bar_chart("chart-forecast", title,
                      _("Amount of the deals closing each month, stacked by forecast category: Closed, Commit, "
                        "Best Case, Pipeline."), chart_rows,
                      legend=[(CATEGORY_CLASSES[c], name) for c, name in categories.items()])
    table = Table(title, [_("Month"), *categories.values(), _("Total")], table_rows)
    return [Section(title, chart, table)]


def label_category(category: str) -> str:
    return {"Closed": _("Closed"), "Commit": _("Commit"), "Best Case": _("Best Case"),
            "Pipeline": _("Pipeline")}.get(category, category)


def _conversion_section(filters: ReportFilters, rows: list[queries.ConversionFigures], *, by_campaign: bool) -> Section:
    chart_rows, table_rows = [], []
    for row in rows:
        if by_campaign:
            name = row.name or _("No campaign")
            href = leads_url(filters, campaign=row.key) if row.key is not None else None
            converted_href = leads_url(filters, view="converted", campaign=row.key) if row.key is not None else None
            other_href = href
        else:
            name = label(row.key) if row.key else _("No lead source")
            href = leads_url(filters, source=row.key) if row.key else None
            converted_href = leads_url(filters, view="converted", source=row.key) if row.key else None
            other_href = href
        rate = percent(row.rate)
        chart_rows.append(Row(
            name, _("%(converted)s of %(leads)s · %(rate)s", converted=number(row.converted),
                    leads=number(row.leads), rate=rate), href=href,
            segments=[Segment(row.converted, "converted",
                              _("%(name)s, converted: %(count)s", name=name, count=number(row.converted)),
                              converted_href),
                      Segment(row.leads - row.converted, "not-converted",
                              _("%(name)s, not converted: %(count)s", name=name,
                                count=number(row.leads - row.converted)), other_href)]))
        table_rows.append([Cell(name, href), Cell(number(row.leads), href, True),
                           Cell(number(row.converted), converted_href, True), Cell(rate, None, True)])
    leads, converted = sum(r.leads for r in rows), sum(r.converted for r in rows)
    footer = [Cell(_("Total")), Cell(number(leads), None, True), Cell(number(converted), None, True),
              Cell(percent(converted / leads if leads else 0), None, True)]
    title = _("Conversion by campaign") if by_campaign else _("Conversion by lead source")
    first = _("Campaign") if by_campaign else _("Lead source")
    chart = bar_chart("chart-campaigns" if by_campaign else "chart-sources", title,
                      _("Leads created in the period and how many of them were converted."),
                      chart_rows[:CHART_ROWS],
                      legend=[("converted", _("Converted")), ("not-converted", _("Not converted"))])
    table = Table(title, [first, _("Leads"), _("Converted"), _("Conversion rate")], table_rows, footer)
    notes = []
    if len(chart_rows) > CHART_ROWS:
        notes.append(_("The chart shows the %(count)s with the most leads; the table lists them all.",
                       count=CHART_ROWS))
    return Section(title, chart, table, notes)


def leads_report(filters: ReportFilters) -> list[Section]:
    scope = filters.scope()
    statuses = queries.lead_funnel(scope)
    chart_rows, table_rows = [], []
    for row in statuses:
        name, href = label(row.status), leads_url(filters, status=row.status_id)
        count = ngettext("%(count)s lead", "%(count)s leads", row.count, count=number(row.count))
        chart_rows.append(Row(name, count, [Segment(row.count, "converted" if row.is_converted else "leads", name)],
                              href))
        table_rows.append([Cell(name, href), Cell(number(row.count), href, True)])
    title = _("Lead funnel by status")
    funnel = Section(
        title, bar_chart("chart-funnel", title, _("Leads created in the period, per status."), chart_rows),
        Table(title, [_("Status"), _("Leads")], table_rows,
              [Cell(_("Total")), Cell(number(sum(r.count for r in statuses)), None, True)]))
    return [funnel, _conversion_section(filters, queries.conversion_by_source(scope), by_campaign=False),
            _conversion_section(filters, queries.conversion_by_campaign(scope), by_campaign=True)]


def win_rate_report(filters: ReportFilters) -> list[Section]:
    rows = queries.win_rates(filters.scope())
    table_rows = []
    rate_rows, size_rows, cycle_rows = [], [], []
    for row in rows:
        name = row.owner or _("No owner")
        won_href = opportunities_url(filters, view="won", owner=row.owner_id) if row.owner_id else None
        lost_href = opportunities_url(filters, view="lost", owner=row.owner_id) if row.owner_id else None
        rate = percent(row.win_rate)
        rate_rows.append(Row(name, _("%(rate)s (%(won)s of %(closed)s)", rate=rate, won=number(row.won),
                                     closed=number(row.closed)),
                             [Segment(row.win_rate * 100, "won", _("Won"))], won_href))
        size_rows.append(Row(name, money(row.average_deal), [Segment(float(row.average_deal or 0), "amount", name)],
                             won_href))
        cycle_rows.append(Row(name, _("%(days)s days", days=days(row.cycle_days)) if row.cycle_days is not None else "",
                              [Segment(row.cycle_days or 0, "days", name)], won_href))
        table_rows.append([Cell(name), Cell(number(row.closed), None, True),
                           Cell(number(row.won), won_href, True),
                           Cell(number(row.closed - row.won), lost_href, True), Cell(rate, None, True),
                           Cell(money(row.won_amount), None, True), Cell(money(row.average_deal), None, True),
                           Cell(days(row.cycle_days), None, True)])
    title = _("Win rate by owner")
    closed, won = sum(r.closed for r in rows), sum(r.won for r in rows)
    footer = [Cell(_("Total")), Cell(number(closed), None, True), Cell(number(won), None, True),
              Cell(number(closed - won), None, True), Cell(percent(won / closed if closed else 0), None, True),
              Cell(money(sum((r.won_amount for r in rows), Decimal(0))), None, True), Cell(""), Cell("")]
    table = Table(_("Win rate, average deal size and sales cycle by owner"),
                  [_("Owner"), _("Closed"), _("Won"), _("Lost"), _("Win rate"), _("Won amount"),
                   _("Average deal size"), _("Sales cycle (days)")], table_rows, footer)
    return [
        Section(title, bar_chart("chart-win-rate", title,
                                 _("Won deals out of the deals closed (won or lost) in the period, per owner."),
                                 rate_rows, scale_to=100), table),
        Section(_("Average deal size by owner"),
                bar_chart("chart-deal-size", _("Average deal size by owner"),
                          _("Average amount of the deals won in the period, per owner."), size_rows), None),
        Section(_("Sales cycle by owner"),
                bar_chart("chart-sales-cycle", _("Sales cycle by owner"),
                          _("Average days from creation to close date of the deals won in the period, per owner."),
                          cycle_rows), None),
    ]


def hours(value: float | None) -> str:
    return "" if value is None else Figure(format_decimal(value, format="#,##0.0"), round(value, 1))


def speed_report(filters: ReportFilters) -> list[Section]:
    rows, everyone = queries.speed_to_lead(filters.scope())
    chart_rows, table_rows = [], []
    for row in rows:
        name = row.owner or _("No owner (queue)")
        href = leads_url(filters, owner=row.owner_id) if row.owner_id else None
        text = (_("%(hours)s h", hours=hours(row.average_hours)) if row.average_hours is not None
                else _("No activity yet"))
        chart_rows.append(Row(name, text, [Segment(row.average_hours or 0, "hours", name)], href))
        table_rows.append([Cell(name, href), Cell(number(row.leads), href, True),
                           Cell(number(row.contacted), None, True), Cell(hours(row.average_hours), None, True),
                           Cell(hours(row.median_hours), None, True)])
    footer = [Cell(_("Everyone")), Cell(number(everyone.leads), None, True),
              Cell(number(everyone.contacted), None, True), Cell(hours(everyone.average_hours), None, True),
              Cell(hours(everyone.median_hours), None, True)]
    title = _("Speed to lead by owner")
    chart = bar_chart("chart-speed", title,
                      _("Average hours from a lead's creation to its first activity, per owner, for the leads "
                        "created in the period."), chart_rows)
    table = Table(title, [_("Owner"), _("Leads"), _("With an activity"), _("Average hours"), _("Median hours")],
                  table_rows, footer)
    notes = [_("Leads without any activity yet are counted in Leads but not in the hours.")]
    return [Section(title, chart, table, notes)]


def stages_report(filters: ReportFilters) -> list[Section]:
    pipeline = chosen_pipeline(filters)
    rows = queries.stage_flow(filters.scope(pipeline), pipeline.id)
    reach_rows, day_rows, table_rows = [], [], []
    for n, row in enumerate(rows):
        name = label(row.stage)
        href = _url("opportunities.index", view="all", pipeline=pipeline.id, stage=row.stage_id,
                    owner=filters.owner.id if filters.owner else None)
        following = rows[n + 1] if n + 1 < len(rows) else None
        conversion = percent(following.reached / row.reached) if following and row.reached else ""
        reach_rows.append(Row(name, number(row.reached) + (f" · {conversion}" if conversion else ""),
                              [Segment(row.reached, "reached", name)], href))
        if not row.is_won:
            day_rows.append(Row(name, _("%(days)s d", days=days(row.average_days)) if row.average_days is not None
                                else "", [Segment(row.average_days or 0, "days", name)], href))
        table_rows.append([Cell(name, href), Cell(number(row.reached), None, True), Cell(conversion, None, True),
                           Cell(number(row.left), None, True), Cell(days(row.average_days), None, True)])
    title = _("Stage-to-stage conversion: %(pipeline)s", pipeline=label(pipeline.name))
    table = Table(title, [_("Stage"), _("Reached"), _("To the next stage"), _("Moves out"), _("Average days")],
                  table_rows)
    notes = [_("Deals created in the period, from their stage history. A deal counts at every stage up to the "
               "furthest it reached; lost stages are left out."),
             _("A stage links to the deals now in it: the opportunity list cannot filter by stage history.")]
    return [
        Section(title, bar_chart("chart-stage-conversion", title,
                                 _("Deals created in the period that reached each stage, and the share that "
                                   "went on to the next one."), reach_rows), table, notes),
        Section(_("Average days in each stage"),
                bar_chart("chart-stage-days", _("Average days in each stage"),
                          _("Average days a deal spent in a stage before moving on, from the stage history."),
                          day_rows), None),
    ]
