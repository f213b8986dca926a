"""Rows of figures turned into a horizontal bar chart's geometry, which templates/reports/_chart.html
draws as inline SVG (Jinja escapes every text; nothing here builds markup).

Horizontal bars read well on a 360 px phone: each row is a line with the label (left) and the value
(right), and the bar under it across the whole width, so long stage or source names never squeeze
the bars. The viewBox is 320 units wide, so a phone shows it about 1:1 inside the page's margins;
the SVG scales to its container. A bar may be stacked (segments, each with its link and CSS class);
a row links as a whole to the records behind it.
"""

from dataclasses import dataclass, field

WIDTH = 320
LEFT = 4
RIGHT = 4
ROW = 46
# About how many characters of 15-unit text fit on a line (labels longer than what is
# left beside the value are cut, in full in the table and the link's name).
LINE_CHARS = 38
LABEL_BASELINE = 16
BAR_TOP = 22
BAR_HEIGHT = 16
TOP = 4


@dataclass
class Segment:
    """One part of a bar: its value, class (its colour in reports.css), accessible name and link."""

    value: float
    css: str
    title: str
    href: str | None = None
    x: float = 0
    width: float = 0


@dataclass
class Row:
    label: str
    text: str  # the value as shown at the bar's end
    segments: list[Segment]
    href: str | None = None  # the row's records (the link's name is its label and value)
    y: float = 0

    @property
    def total(self) -> float:
        return sum(s.value for s in self.segments)

    @property
    def bar_y(self) -> float:
        return self.y + BAR_TOP

    @property
    def label_y(self) -> float:
        return self.y + LABEL_BASELINE

    @property
    def short_label(self) -> str:
        room = max(12, LINE_CHARS - len(self.text) - 2)
        return self.label if len(self.label) <= room else self.label[:room - 1].rstrip() + "…"

    @property
    def linked_segments(self) -> list[Segment]:
        """The segments with a link of their own (drawn as links beside the row's link)."""
        return [s for s in self.segments if s.href and s.width > 0]

    @property
    def plain_segments(self) -> list[Segment]:
        """The other segments, drawn inside the row's link."""
        return [s for s in self.segments if not s.href and s.width > 0]


@dataclass
class Chart:
    """A chart's id (for aria-labelledby), title, description and rows; the legend names the classes."""

    id: str
    title: str
    description: str
    rows: list[Row]
    legend: list[tuple[str, str]] = field(default_factory=list)
    width: int = WIDTH
    height: float = 0
    bar_height: int = BAR_HEIGHT
    row_height: int = ROW
    text_x: int = WIDTH - RIGHT


def layout(chart: Chart, scale_to: float = 0) -> Chart:
    """Place the rows and size the bars against the largest total, or `scale_to` if larger (100
    for a percentage); zero everywhere: no bar."""
    largest = max((row.total for row in chart.rows), default=scale_to)
    largest = max(largest, scale_to)
    scale = (WIDTH - LEFT - RIGHT) / largest if largest > 0 else 0
    for n, row in enumerate(chart.rows):
        row.y = TOP + n * ROW
        x = LEFT
        for segment in row.segments:
            segment.x = x
            segment.width = round(max(segment.value, 0) * scale, 2)
            x += segment.width
    chart.height = TOP * 2 + max(1, len(chart.rows)) * ROW
    return chart


def bar_chart(id: str, title: str, description: str, rows: list[Row], legend=(),  # noqa: A002
              scale_to: float = 0) -> Chart:
    return layout(Chart(id, title, description, rows, list(legend)), scale_to)
