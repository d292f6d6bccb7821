"""The report filters, one form for the pages, the exports and the API (one set of checks and messages)."""
from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.widgets import DayMonthYearInput
from onestop.dossiers.models import Channel
from onestop.organisation.models import Agency
from procedures.models import Procedure

from . import selectors

GROUPS = [("agency", _("Agency")), ("procedure", _("Procedure")), ("channel", _("Channel")), ("month", _("Month"))]
MAX_PERIOD = timedelta(days=366 * 5)


def _date_field(label, help_text=""):
    return forms.DateField(label=label, required=False, help_text=help_text, widget=DayMonthYearInput())


class ReportForm(forms.Form):
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))
    agency = forms.ChoiceField(label=_("Agency"), required=False,
                               help_text=_("The agency and the agencies below it."))
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    group = forms.ChoiceField(label=_("Rows by"), required=False, choices=GROUPS)
    as_of = _date_field(_("Pending as of"), _("Default: the end of the period, or today."))

    def __init__(self, data=None, *, scope=None, **kwargs):
        """``scope``: the agency ids the user may see (None: all)."""
        super().__init__(data, **kwargs)
        self.scope = scope
        agencies = Agency.objects.order_by("level", "name")
        if scope is not None:
            agencies = agencies.filter(pk__in=scope)
        self.agencies = {a.code: a for a in agencies}
        self.fields["agency"].choices = [("", _("All my agencies"))] + [(a.code, a.name) for a in agencies]
        procedures = Procedure.objects.order_by("code").only("pk", "code", "name")
        self.procedures = {p.code: p for p in procedures}
        self.fields["procedure"].choices = [("", _("All procedures"))] + [
            (p.code, f"{p.code} – {p.display_name}") for p in procedures]
        self.fields["channel"].choices = [("", _("All channels"))] + list(Channel.choices)

    def clean(self):
        data = super().clean()
        start, end = selectors.default_period()
        data["date_from"] = data.get("date_from") or start
        data["date_to"] = data.get("date_to") or max(end, data["date_from"])
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif data["date_to"] - data["date_from"] > MAX_PERIOD:
            self.add_error("date_to", _("A report covers at most five years."))
        return data

    def filters(self, group_by=None):
        """The cleaned form as report filters (call after ``is_valid``)."""
        data = self.cleaned_data
        agencies = self.scope
        if data.get("agency"):
            agencies = selectors.subtree({self.agencies[data["agency"]].pk})
            if self.scope is not None:
                agencies &= self.scope
        procedure = self.procedures.get(data.get("procedure") or "")
        return selectors.Filters(
            data["date_from"], data["date_to"], agencies=agencies, procedure_id=procedure.pk if procedure else None,
            channel=data.get("channel") or "", as_of=data.get("as_of"),
            group_by=group_by or (data.get("group") or "agency",),
        )


class RegisterForm(forms.Form):
    """Form 07 is kept per agency: one agency, one period."""

    agency = forms.ChoiceField(label=_("Agency"))
    date_from = _date_field(_("From"))
    date_to = _date_field(_("To"))
    q = forms.CharField(label=_("Dossier code or applicant"), required=False, max_length=100,
                        help_text=_("Any part of the code, or the name without marks: “0004”, “nguyen van”."))

    def __init__(self, data=None, *, scope=None, **kwargs):
        super().__init__(data, **kwargs)
        agencies = Agency.objects.order_by("level", "name")
        if scope is not None:
            agencies = agencies.filter(pk__in=scope)
        self.agencies = {a.code: a for a in agencies}
        self.fields["agency"].choices = [(a.code, a.name) for a in agencies]

    def clean(self):
        data = super().clean()
        today = selectors.default_period()[1]
        data["date_from"] = data.get("date_from") or today.replace(day=1)
        data["date_to"] = data.get("date_to") or max(today, data["date_from"])
        if data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end of the period is before its start."))
        elif data["date_to"] - data["date_from"] > MAX_PERIOD:
            self.add_error("date_to", _("A report covers at most five years."))
        return data
