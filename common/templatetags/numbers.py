from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def grouped(value: int | float | str | None) -> str:
    """A count as the page's language writes it: 12,345 in English, 12 345 in French
    (with a no-break space); a missing figure is a dash."""
    if value is None or value == "":
        return "—"
    return number_format(value, force_grouping=True)
