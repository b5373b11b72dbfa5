"""Bar charts drawn on the server as SVG: no script, no external file. Each chart is an
image with a title and a description for assistive technology, and the page shows the
same numbers in a table next to it (the table is the accessible form of the chart)."""

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
) -> SafeString:
    """A horizontal bar chart: one bar per (label, value); a value of None is drawn as
    no bar and "—". ``reference`` (label, value) draws a dashed line across all bars
    (the public figure)."""
    height = len(bars) * (BAR_HEIGHT + GAP) + GAP + (BAR_HEIGHT if reference else 0)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH

    def x(value: float) -> float:
        return LABEL_WIDTH + BAR_WIDTH * max(0.0, min(value, maximum)) / maximum

    rows = []
    for index, (label, value) in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        shown = "—" if value is None else f"{number_format(value)} {unit}".strip()
        bar = (
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="bar"></rect>',
                LABEL_WIDTH,
                y,
                f"{x(value) - LABEL_WIDTH:.1f}",
                BAR_HEIGHT,
            )
            if value is not None
            else ""
        )
        rows.append(
            format_html(
                '<g><text x="{}" y="{}" text-anchor="end">{}</text>{}'
                '<text x="{}" y="{}">{}</text></g>',
                LABEL_WIDTH - 6,
                y + BAR_HEIGHT - 4,
                label,
                bar,
                LABEL_WIDTH + BAR_WIDTH + 6,
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
