"""The queue's filters, search and sorting; every one of them lives in the URL, so a view can be shared."""

import datetime as dt
import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q

from returns_desk.core import clock
from returns_desk.core.actors import display_name
from returns_desk.core.money import parse_money
from returns_desk.customers.models import CustomerFlag
from returns_desk.policies.models import ReasonCode
from returns_desk.returns.models import ReturnItem, ReturnRequest, ReturnStatus

AGES = [("today", "Opened today"), ("3d", "1–3 days"), ("7d", "3–7 days"), ("older", "Older than a week")]
SORTS = [
    ("sla", "SLA due, soonest first"),
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("value", "Highest value first"),
    ("priority", "Highest priority first"),
    ("updated", "Last changed first"),
]
SORT_FIELDS = {
    "sla": ("sla_due_at", "created_at"),
    "newest": ("-created_at",),
    "oldest": ("created_at",),
    "value": ("-quoted_amount", "-created_at"),
    "priority": ("-priority", "-created_at"),
    "updated": ("-status_changed_at",),
}
RMA = re.compile(r"^(?:RMA-?)?0*(\d{1,9})$", re.IGNORECASE)


def staff_choices() -> list[tuple[str, str]]:
    """Everyone on the desk, for assignee pickers; cached a minute (staff change rarely, pages are many)."""
    cached = cache.get("desk-staff-choices")
    if cached is not None:
        return cached
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=["Agents", "Managers"]))
        .distinct()
        .order_by("first_name", "username")
    )
    choices = [(str(u.pk), display_name(u)) for u in users]
    cache.set("desk-staff-choices", choices, 60)
    return choices


class ReturnFilterForm(forms.Form):
    """Says what is wrong with a value instead of silently ignoring it."""

    def _clean_money(self, name):
        value = (self.cleaned_data.get(name) or "").strip()
        if value:
            try:
                parse_money(value)
            except ValueError as error:
                raise forms.ValidationError(str(error)) from error
        return value

    def clean_min_value(self):
        return self._clean_money("min_value")

    def clean_max_value(self):
        return self._clean_money("max_value")


class ReturnFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(attrs={"placeholder": "RMA, order, email, name or tracking number", "type": "search"}),
    )
    status = django_filters.MultipleChoiceFilter(
        choices=ReturnStatus.choices, label="State", widget=forms.SelectMultiple(attrs={"size": 4})
    )
    reason = django_filters.ChoiceFilter(method="by_reason", label="Reason", empty_label="Any reason")
    assignee = django_filters.ChoiceFilter(method="by_assignee", label="Assignee", empty_label="Anyone")
    age = django_filters.ChoiceFilter(choices=AGES, method="by_age", label="Age", empty_label="Any age")
    min_value = django_filters.CharFilter(method="by_min_value", label="Value from")
    max_value = django_filters.CharFilter(method="by_max_value", label="Value up to")
    flagged = django_filters.BooleanFilter(
        method="by_flag", label="Flagged customer", widget=forms.CheckboxInput, required=False
    )
    sort = django_filters.ChoiceFilter(choices=SORTS, method="sort_by", label="Sort", empty_label="Queue's order")

    class Meta:
        model = ReturnRequest
        fields: list[str] = []
        form = ReturnFilterForm

    def __init__(self, *args, user=None, staff: list[tuple[str, str]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.filters["reason"].extra["choices"] = list(
            ReasonCode.objects.filter(is_active=True).values_list("code", "label")
        )
        staff = staff if staff is not None else staff_choices()
        self.filters["assignee"].extra["choices"] = [("me", "Me"), ("none", "Nobody"), *staff]

    def search(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        if match := RMA.match(text):
            number = f"RMA-{int(match.group(1)):06d}"
            return queryset.filter(Q(rma_number=number) | Q(order__number=text) | Q(tracking_number=text))
        if "@" in text:
            return queryset.filter(email__iexact=text)
        return queryset.filter(
            Q(order__number__iexact=text) | Q(tracking_number=text) | Q(customer_name__icontains=text)
        )

    def by_reason(self, queryset, name, value):
        return queryset.filter(Exists(ReturnItem.objects.filter(return_request=OuterRef("pk"), reason__code=value)))

    def by_assignee(self, queryset, name, value):
        if value == "me":
            return queryset.filter(assignee=self.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        return queryset.filter(assignee_id=value)

    def by_age(self, queryset, name, value):
        now = clock.now()
        day = dt.timedelta(days=1)
        bounds = {"today": (now - day, None), "3d": (now - 3 * day, now - day), "7d": (now - 7 * day, now - 3 * day)}
        if value == "older":
            return queryset.filter(created_at__lt=now - 7 * day)
        start, end = bounds[value]
        queryset = queryset.filter(created_at__gte=start)
        return queryset.filter(created_at__lt=end) if end else queryset

    def _money(self, value):
        try:
            return parse_money(value)
        except ValueError:
            return None

    def by_min_value(self, queryset, name, value):
        amount = self._money(value)
        return queryset if amount is None else queryset.filter(quoted_amount__gte=amount)

    def by_max_value(self, queryset, name, value):
        amount = self._money(value)
        return queryset if amount is None else queryset.filter(quoted_amount__lte=amount)

    def by_flag(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            Exists(CustomerFlag.objects.filter(email=OuterRef("email"), kind__in=CustomerFlag.FLAGGED))
        )

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORT_FIELDS[value], "-pk")
