"""The chart geometry and the filters' reading, without a database round trip where none is needed."""

from datetime import date

import pytest
from werkzeug.datastructures import MultiDict

from crm.reports.charts import ROW, WIDTH, Row, Segment, bar_chart
from crm.reports.filters import ReportFilters, period_range

TODAY = date(2026, 11, 24)


def test_bars_scale_to_the_largest_row_and_stack_their_segments():
    chart = bar_chart("c", "Title", "Description", [
        Row("A", "10", [Segment(6, "weighted", "a1"), Segment(4, "unweighted", "a2")]),
        Row("B", "5", [Segment(5, "amount", "b")]),
        Row("C", "0", [Segment(0, "amount", "c")]),
    ])
    full = WIDTH - 8
    a, b, c = chart.rows
    assert [s.width for s in a.segments] == [round(full * 0.6, 2), round(full * 0.4, 2)]
    assert a.segments[1].x == a.segments[0].x + a.segments[0].width
    assert b.segments[0].width == full / 2 and c.segments[0].width == 0
    assert [r.y for r in chart.rows] == [4, 4 + ROW, 4 + 2 * ROW] and chart.height == 8 + 3 * ROW


def test_percentages_scale_to_a_hundred_and_empty_charts_have_no_bars():
    chart = bar_chart("c", "T", "D", [Row("A", "50%", [Segment(50, "won", "a")])], scale_to=100)
    assert chart.rows[0].segments[0].width == (WIDTH - 8) / 2
    assert bar_chart("c", "T", "D", []).rows == []


def test_long_labels_are_cut_to_leave_room_for_the_value():
    row = Row("A very long campaign name that would run into its value", "12,345.00 · 3 deals", [])
    assert row.short_label.endswith("…") and len(row.short_label) + len(row.text) <= 40
    assert Row("Web", "1", []).short_label == "Web"


@pytest.mark.parametrize("period, start, end", [
    ("this-month", date(2026, 11, 1), date(2026, 11, 30)),
    ("last-month", date(2026, 10, 1), date(2026, 10, 31)),
    ("this-quarter", date(2026, 10, 1), date(2026, 12, 31)),
    ("last-quarter", date(2026, 7, 1), date(2026, 9, 30)),
    ("next-quarter", date(2027, 1, 1), date(2027, 3, 31)),
    ("this-year", date(2026, 1, 1), date(2026, 12, 31)),
    ("last-year", date(2025, 1, 1), date(2025, 12, 31)),
    ("last-12-months", date(2025, 12, 1), date(2026, 11, 30)),
    ("all", None, None),
])
def test_period_presets(period, start, end):
    assert period_range(period, TODAY) == (start, end)


def test_filters_read_and_write_the_query_string(app_ctx):
    filters = ReportFilters.read(MultiDict({"period": "custom", "from": "2026-02-01", "to": "2026-03-15"}), TODAY)
    assert (filters.start, filters.end, filters.errors) == (date(2026, 2, 1), date(2026, 3, 15), [])
    assert filters.args() == {"period": "custom", "from": "2026-02-01", "to": "2026-03-15"}
    default = ReportFilters.read(MultiDict(), TODAY)
    assert (default.period, default.start, default.end, default.args()) == \
        ("this-year", date(2026, 1, 1), date(2026, 12, 31), {})
    swapped = ReportFilters.read(MultiDict({"period": "custom", "from": "2026-03-15", "to": "2026-02-01"}), TODAY)
    assert (swapped.start, swapped.end, len(swapped.errors)) == (date(2026, 2, 1), date(2026, 3, 15), 1)
    bad = ReportFilters.read(MultiDict({"period": "soon", "owner": "9" * 20, "pipeline": "x"}), TODAY)
    assert bad.period == "this-year" and bad.owner is None and bad.pipeline is None and len(bad.errors) == 3
