"""The extension form of the officials' page (``workspace.extension``); the rules stay in the lifecycle
(``dossiers.lifecycle.extensions.extend``)."""
from django import forms
from django.utils.translation import gettext_lazy as _

from onestop.core.widgets import DayMonthYearInput


class ExtendForm(forms.Form):
    new_date = forms.DateField(label=_("New appointment date"), widget=DayMonthYearInput(),
                               input_formats=["%d/%m/%Y", "%Y-%m-%d"],
                               help_text=_("dd/mm/yyyy, a working day after the current appointment date"))
    reason = forms.CharField(label=_("Reason for the delay"), widget=forms.Textarea(attrs={"rows": 4}),
                             max_length=2000,
                             help_text=_("Quoted in the apology letter (form 04) sent to the applicant"))
