"""Compact durations for dense tables: "45 min", "3 h", "2 d"."""

from django import template

from returns_desk.core import clock

register = template.Library()


def short_duration(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds < 3600:
        return f"{max(int(seconds // 60), 1)} min"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


@register.filter
def short_since(moment) -> str:
    return short_duration((clock.now() - moment).total_seconds()) if moment else ""


@register.filter
def short_until(moment) -> str:
    return short_duration((moment - clock.now()).total_seconds()) if moment else ""


@register.filter
def is_past(moment) -> bool:
    return bool(moment) and moment < clock.now()
