import datetime as dt

from django import forms

from returns_desk.core import clock

from .queries.period import Period

MAX_DAYS = 731


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    category = forms.CharField(label="Category", required=False, widget=forms.Select)

    def offer_categories(self, categories: list[str]) -> None:
        """The categories the shop sold in the period (known once the report is built)."""
        chosen = (self.data.get("category") or "") if self.is_bound else ""
        names = sorted({*categories, *([chosen] if chosen else [])})
        self.fields["category"].widget.choices = [("", "All categories"), *[(c, c) for c in names]]

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end is before the start.")
            elif (end - start).days > MAX_DAYS:
                self.add_error("start", "Choose at most two years.")
            elif end > clock.today() + dt.timedelta(days=1):
                self.add_error("end", "The end is in the future.")
        return data

    def period(self) -> Period:
        return Period(self.cleaned_data["start"], self.cleaned_data["end"], self.cleaned_data.get("category") or "")
