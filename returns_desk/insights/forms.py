import datetime as dt

from django import forms

from returns_desk.core import clock

from .queries import Period

MAX_DAYS = 731


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    category = forms.ChoiceField(label="Category", required=False)

    def __init__(self, *args, categories: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "All categories"), *[(c, c) for c in categories]]

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
