"""Form widgets every page app shares."""
import datetime

from django import forms


class DayMonthYearInput(forms.TextInput):
    """A date typed as dd/mm/yyyy whatever the browser's language: a native date picker follows the browser,
    not the page, and shows mm/dd/yyyy in an English browser, where a date's day and month get swapped.

    A date, or an ISO date string (how the applicant's form keeps its values, ``2026-11-20``), is shown as
    ``20/11/2026``; anything else is shown back as typed, beside its error. ``DATE_INPUT_FORMATS`` reads
    dd/mm/yyyy back into a ``DateField``.
    """

    def __init__(self, attrs=None):
        super().__init__({"placeholder": "dd/mm/yyyy", "inputmode": "numeric", "autocomplete": "off",
                          "maxlength": 10, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return value.strftime("%d/%m/%Y")
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                return value  # as typed, shown back with its error
        return super().format_value(value)
