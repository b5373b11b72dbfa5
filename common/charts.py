"""Bar charts drawn on the server as SVG: no script, no external file. Each chart is an
image with a title and a description for assistive technology, and the page shows the
same numbers in a table next to it (the table is the accessible form of the chart)."""

import math

from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

BAR_HEIGHT = 18  # with 13px text (site.css): read on a phone at about 80 %
GAP = 6
LABEL_WIDTH = 170
BAR_WIDTH = 220
VALUE_WIDTH = 70


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    bars: list[tuple[str, float | None]],
    maximum: float = 100.0,
    unit: str = "%",
    reference: tuple[str, float] | None = None,
    label_width: int = LABEL_WIDTH,
) -> SafeString:
    """A horizontal bar chart: one bar per (label, value); a value of None is drawn as
    no bar and "—". ``reference`` (label, value) draws a dashed line across all bars
    (the public figure)."""
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP + (BAR_HEIGHT if reference else 0)
    width = label_width + BAR_WIDTH + VALUE_WIDTH

    def x(value: float) -> float:
        return label_width + BAR_WIDTH * max(0.0, min(value, maximum)) / maximum

    rows = []
    for index, (label, value) in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        shown = "—" if value is None else f"{number_format(value)} {unit}".strip()
        bar = (
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar"></rect>',
                label_width,
                y,
                f"{x(value) - label_width:.1f}",
                BAR_HEIGHT,
            )
            if value is not None
            else ""
        )
        rows.append(
            format_html(
                '<g><text x="{}" y="{}" text-anchor="end">{}</text>{}'
                '<text x="{}" y="{}">{}</text></g>',
                label_width - 6,
                y + BAR_HEIGHT - 4,
                label,
                bar,
                label_width + BAR_WIDTH + 6,
                y + BAR_HEIGHT - 4,
                shown,
            )
        )
    line = ""
    if reference:
        label, value = reference
        bottom = height - BAR_HEIGHT
        line = format_html(
            '<line x1="{0}" y1="0" x2="{0}" y2="{1}" class="reference" '
            'stroke-dasharray="4 3"></line><text x="{0}" y="{2}" text-anchor="middle">'
            "{3}</text>",
            f"{x(value):.1f}",
            bottom,
            height - 4,
            label,
        )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{w}" '
        'height="{h}" viewBox="0 0 {w} {h}" aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "{rows}{line}</svg>",
        w=width,
        h=height,
        id=chart_id,
        title=title,
        desc=description,
        rows=format_html_join("", "{}", ((row,) for row in rows)),
        line=line,
    )


# Column and line charts over time (the programme figures). Colours: dark enough for 3:1
# against white (WCAG 1.4.11), told apart by hue and, in stacks, by white gaps; the
# legend is HTML beside the chart (``SERIES_COLOURS`` names the classes in site.css).
SERIES_COLOURS = ("series-1", "series-2", "series-3", "series-4")
WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 12, 44


def nice_maximum(value: float) -> float:
    """The top of the axis: 1, 2, 2.5 or 5 times a power of ten, at or above ``value``."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def _axes(labels: list[str], top: float, every: int) -> SafeString:
    """Horizontal grid lines with their values (a quarter of the axis apart) and every
    ``every``-th label under the plot."""
    plot_h = HEIGHT - TOP - BOTTOM
    parts = []
    for quarter in range(5):
        value = top * quarter / 4
        y = round(TOP + plot_h - plot_h * quarter / 4, 1)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"></line>'
                '<text x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                y,
                WIDTH - RIGHT,
                y,
                LEFT - 6,
                y + 4,
                number_format(
                    int(value) if value == int(value) else round(value, 1), force_grouping=True
                ),
            )
        )
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle">{}</text>',
                    round(LEFT + step * (index + 0.5), 1),
                    HEIGHT - BOTTOM + 18,
                    label,
                )
            )
    return format_html_join("", "{}", ((part,) for part in parts))


def _svg(chart_id: str, title: str, description: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{w}" '
        'height="{h}" viewBox="0 0 {w} {h}" aria-labelledby="{id}-title {id}-desc">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
        "{body}</svg>",
        w=WIDTH, h=HEIGHT, id=chart_id, title=title, desc=description, body=body,
    )  # fmt: skip


def _every(count: int) -> int:
    """Label one column in ``every``: six labels at most, so they never overlap."""
    return max(1, math.ceil(count / 6))


def column_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[list[int]],
) -> SafeString:
    """Columns over time, one per label, each the stack of ``series`` (in the order of
    ``SERIES_COLOURS``), with white gaps between the parts of a stack."""
    totals = [sum(values) for values in zip(*series, strict=True)] if series else []
    top = nice_maximum(max(totals, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    width = max(step * 0.8, 1.0)
    rects = []
    for index in range(len(labels)):
        base = 0
        for number, values in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            y = TOP + plot_h - plot_h * (base + value) / top
            rects.append(
                format_html(
                    '<rect x="{}" y="{}" width="{}" height="{}" class="{}"></rect>',
                    round(LEFT + step * index + (step - width) / 2, 1),
                    round(y, 1),
                    round(width, 1),
                    round(plot_h * value / top, 1),
                    SERIES_COLOURS[number % len(SERIES_COLOURS)],
                )
            )
            base += value
    body = format_html(
        "{}{}",
        _axes(labels, top, _every(len(labels))),
        format_html_join("", "{}", ((rect,) for rect in rects)),
    )
    return _svg(chart_id, title, description, body)


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: list[str],
    series: list[list[float | None]],
    marker: tuple[int, str] | None = None,
) -> SafeString:
    """Lines over time, one per series (a None leaves a gap); ``marker`` (index, label)
    rings the first series' point at that index and names it (the peak)."""
    values = [v for line in series for v in line if v is not None]
    top = nice_maximum(max(values, default=0))
    plot_h = HEIGHT - TOP - BOTTOM
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)

    def point(index: int, value: float) -> tuple[float, float]:
        return round(LEFT + step * (index + 0.5), 1), round(TOP + plot_h - plot_h * value / top, 1)

    paths = []
    for number, line in enumerate(series):
        segments: list[list[str]] = [[]]
        for index, value in enumerate(line):
            if value is None:
                segments.append([])
                continue
            x, y = point(index, value)
            segments[-1].append(f"{x:.1f},{y:.1f}")
        for segment in segments:
            if segment:
                # One point alone is drawn as a dot (a line of length zero shows nothing).
                shape = (
                    format_html('<polyline points="{}" class="line {}"></polyline>',
                                " ".join(segment), SERIES_COLOURS[number])
                    if len(segment) > 1
                    else format_html('<circle cx="{}" cy="{}" r="3" class="dot {}"></circle>',
                                     *segment[0].split(","), SERIES_COLOURS[number])
                )  # fmt: skip
                paths.append(shape)
    ring = ""
    if marker is not None and series and series[0][marker[0]] is not None:
        x, y = point(marker[0], series[0][marker[0]] or 0)
        anchor = "end" if x > WIDTH / 2 else "start"
        ring = format_html(
            '<circle cx="{}" cy="{}" r="6" class="marker"></circle>'
            '<text x="{}" y="{}" text-anchor="{}" class="marker-label">{}</text>',
            x, y, x + (-10 if anchor == "end" else 10), round(max(y - 8, TOP + 12), 1), anchor,
            marker[1],
        )  # fmt: skip
    body = format_html(
        "{}{}{}",
        _axes(labels, top, _every(len(labels))),
        format_html_join("", "{}", ((path,) for path in paths)),
        ring,
    )
    return _svg(chart_id, title, description, body)
