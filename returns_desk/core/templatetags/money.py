"""Money in templates: integer minor units shown with their currency."""

from django import template

from returns_desk.core.money import format_money

register = template.Library()


@register.filter
def money(amount: int, currency: str) -> str:
    return format_money(amount or 0, currency)


@register.filter
def money_abs(amount: int, currency: str) -> str:
    """The size of an amount; the template shows the sign (deductions in a breakdown)."""
    return format_money(abs(amount or 0), currency)
