"""Report routes: /reports lists the reports, /reports/<name> shows one with its filter form.

The filters live in the query string (a GET form), so a report is a link one can share; htmx swaps
only #report-body when a filter changes and pushes the canonical URL.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask import abort, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from crm.exports import export_rows
from crm.htmx import render, wants_fragment
from crm.models.user import utcnow
from crm.opportunities import services as opportunity_services
from crm.reports import bp, sections
from crm.reports.filters import PERIODS, ReportFilters, owners


@dataclass(frozen=True)
class Report:
    name: str
    title: str
    summary: str
    build: Callable
    uses_pipeline: bool = True  # lead reports have no pipeline
    one_pipeline: bool = False  # stage reports show one pipeline (the default one unless chosen)


REPORTS = {report.name: report for report in (
    Report("pipeline", _l("Pipeline by stage"),
           _l("Deals, amount and weighted amount in each stage of a pipeline."), sections.pipeline_report,
           one_pipeline=True),
    Report("forecast", _l("Forecast"),
           _l("Amount by close month and forecast category: Closed, Commit, Best Case, Pipeline."),
           sections.forecast_report),
    Report("leads", _l("Lead funnel and conversion"),
           _l("Leads per status, and conversion rates by lead source and by campaign."), sections.leads_report,
           uses_pipeline=False),
    Report("win-rate", _l("Win rate, deal size and sales cycle"),
           _l("Per owner: won out of closed deals, average won amount, days from creation to close."),
           sections.win_rate_report),
    Report("speed-to-lead", _l("Speed to lead"),
           _l("Hours from a lead's creation to its first activity, per owner."), sections.speed_report,
           uses_pipeline=False),
    Report("stages", _l("Stage conversion and days in stage"),
           _l("From the stage history: how many deals reach each stage and how long they stay."),
           sections.stages_report, one_pipeline=True),
)}


def report_and_filters(name: str) -> tuple[Report, ReportFilters]:
    """The report (404 when unknown) and the filters of the address that apply to it."""
    report = REPORTS.get(name) or abort(404)
    filters = ReportFilters.read(request.args, utcnow().date())
    if not report.uses_pipeline:
        filters.pipeline = None
    return report, filters


@bp.route("")
@login_required
def index():
    """The reports, as cards; the filters of the address (if any) follow into each one."""
    filters = ReportFilters.read(request.args, utcnow().date())
    return render_template("reports/index.html", reports=REPORTS.values(), filters=filters)


@bp.route("/<name>")
@login_required
def show(name: str):
    """One report: its filters, charts and tables; htmx (a filter changed) gets the body alone."""
    report, filters = report_and_filters(name)
    pipelines = opportunity_services.pipelines()
    response = render("reports/show.html", "reports/_body.html", report=report, reports=REPORTS.values(),
                      filters=filters, sections=report.build(filters), periods=PERIODS, owners=owners(),
                      pipelines=pipelines, default_pipeline=opportunity_services.default_pipeline(),
                      user=current_user)
    if wants_fragment():
        # The address bar shows the canonical URL, without the form's empty fields.
        response.headers["HX-Push-Url"] = url_for("reports.show", name=name, **filters.args())
    return response


@bp.route("/<name>/export.<any(csv, xlsx):fmt>")
@login_required
def export(name: str, fmt: str):
    """One table of a report, with the same filters, as CSV or XLSX (numbers as numbers)."""
    report, filters = report_and_filters(name)
    # `section` counts the report's sections from 1, as the page numbers them.
    built = report.build(filters)
    index = request.args.get("section", "1")
    if not index.isdigit() or not 1 <= int(index) <= len(built) or not built[int(index) - 1].table:
        abort(404)
    table = built[int(index) - 1].table
    rows = [*table.rows, *([table.footer] if table.footer and table.rows else [])]
    values = ([getattr(cell.text, "value", cell.text) for cell in row] for row in rows)
    return export_rows(f"{name}-{index}", table.headers, values, fmt)
