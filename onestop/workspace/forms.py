"""Forms of the officials' pages. Validation rules stay in the services; these only render and convert.

- ``StepForm``: a BPMN step's own form (``WorkItem.form``, from ``camunda:formData``), checked afterwards by
  ``worklist.forms.clean_submission`` through ``complete_work_item``.
- the applicant's form of a paper dossier is the portal's ``SchemaForm`` (``onestop.web.schema_forms``).
"""
from django import forms
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from onestop.core.text import bilingual
from onestop.core.widgets import DayMonthYearInput
from onestop.dossiers.attachments import ACCEPT
from onestop.worklist.forms import decision_field, options_needing_reason
from onestop.worklist.models import WorkItem


def apply_errors(form, errors, *, rename=None):
    """Put a service's ``InvalidInput.errors`` next to the fields they name (the rest on the form)."""
    rename = rename or {}
    for key, messages in (errors or {}).items():
        if isinstance(messages, dict):  # {"form_data": {field: [...]}}
            apply_errors(form, messages, rename=rename)
            continue
        name = rename.get(key, key)
        for message in messages if isinstance(messages, list) else [messages]:
            form.add_error(name if name in form.fields else None, str(message))


# --- a step of the process ------------------------------------------------------------------------------

class StepForm(forms.Form):
    """The fields of a BPMN user task: enum, string, long, boolean, date; the decision as radio buttons."""

    def __init__(self, fields, *args, **kwargs):
        kwargs.setdefault("prefix", "step")
        super().__init__(*args, **kwargs)
        self.spec = [f for f in fields if f.get("type") != "list"]
        chosen = decision_field(fields)
        self.decision_id = chosen["id"] if chosen else None
        for field in self.spec:
            self.fields[field["id"]] = self._field(field, is_decision=field["id"] == self.decision_id)
        self.fields["comment"] = forms.CharField(
            label=_("Comment"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_("Required as the reason when you send the dossier back or propose a refusal."),
            error_messages={"required": _("Write the reason for this decision in the comment.")},
        )
        # The decision chosen needs a reason: the comment is marked required and said so beside it and in the
        # error summary (the service checks it too).
        if self.is_bound and self.decision_id:
            chosen_value = self.data.get(self.add_prefix(self.decision_id))
            if chosen_value in {o["id"] for o in options_needing_reason(self.spec)}:
                self.fields["comment"].required = True

    @staticmethod
    def _field(field, *, is_decision):
        label, kind = bilingual(field.get("label")) or field["id"], field["type"]
        if kind == "enum":
            choices = [(o["id"], bilingual(o["name"])) for o in field.get("options", [])]
            if is_decision:
                return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect,
                                         error_messages={"required": _("Choose a decision.")})
            return forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=False)
        if kind == "long":
            return forms.IntegerField(label=label, required=False)
        if kind == "boolean":
            return forms.BooleanField(label=label, required=False)
        if kind == "date":
            return forms.DateField(label=label, required=False, widget=DayMonthYearInput())
        return forms.CharField(label=label, required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))

    def reasons_needed(self):
        """The decision options that need a written reason (sending back, refusing)."""
        if not self.decision_id:
            return []
        needing = {o["id"] for o in options_needing_reason(self.spec)}
        return [str(label) for value, label in self.fields[self.decision_id].choices if value in needing]

    def submission(self):
        """``(decision, data, comment)`` for ``complete_work_item``; empty optional fields are left out."""
        data = {}
        decision = ""
        for field in self.spec:
            value = self.cleaned_data.get(field["id"])
            if field["id"] == self.decision_id:
                decision = value or ""
            elif field["type"] == "boolean":
                data[field["id"]] = bool(value)
            elif value not in (None, ""):
                data[field["id"]] = value.isoformat() if field["type"] == "date" else value
        return decision, data, self.cleaned_data.get("comment", "")

    def error_names(self):
        return {"decision": self.decision_id or "decision"}


# --- the desk ----------------------------------------------------------------------------------------------

def document_label(document, language=None):
    """A required document as the checklist names it, in ``language`` (the active one when None): its English
    name on an English page when it has one."""
    language = language or translation.get_language() or "vi"
    name = document.get("name_en") if language.startswith("en") and document.get("name_en") else document.get("name")
    with translation.override(language):
        return str(_("%(name)s (originals: %(originals)s, copies: %(copies)s)") % {
            "name": name or "", "originals": document.get("originals", 0), "copies": document.get("copies", 0)})


class ReceptionForm(forms.Form):
    """One of the desk's three outcomes on a dossier waiting for reception."""

    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("supplement", _("Request supplementation")),
                                          ("refuse", _("Refuse"))], widget=forms.HiddenInput)
    missing = forms.MultipleChoiceField(label=_("Documents missing or incomplete"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    other_missing = forms.CharField(
        label=_("Other documents to add"), required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line. Give everything that is missing now: the applicant is asked only once."))
    note = forms.CharField(label=_("Note to the applicant"), required=False, max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, documents, *args, language=None, **kwargs):
        """``language``: the one the procedure's content is shown in on this page (``procedures.content``)."""
        super().__init__(*args, **kwargs)
        self.documents = documents
        self.fields["missing"].choices = [(str(i), document_label(d, language)) for i, d in enumerate(documents)]
        if self.data.get(self.add_prefix("decision")) == "refuse":
            self.fields["note"].label = _("Reason for refusal")

    def missing_documents(self):
        """What the applicant is asked for, as recorded on the dossier and printed on form 02: in Vietnamese,
        whatever the official's page showed."""
        chosen = [document_label(self.documents[int(i)], "vi") for i in self.cleaned_data.get("missing", [])]
        others = [line.strip() for line in self.cleaned_data.get("other_missing", "").splitlines() if line.strip()]
        return chosen + others


class ReturnForm(forms.Form):
    collector_name = forms.CharField(label=_("Collected by (full name)"), max_length=200)
    collector_id_number = forms.CharField(label=_("Citizen ID number of the person collecting"), max_length=12,
                                          widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                        "autocomplete": "off"}))
    result_file = forms.FileField(label=_("Result file (scan of the signed result)"), required=False,
                                  help_text=_("PDF, JPEG or PNG. Optional."),
                                  widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(forms.Form):
    official = forms.ModelChoiceField(label=_("Give this step to"), queryset=None,
                                      empty_label=_("Choose an official"))

    def __init__(self, officials, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["official"].queryset = officials
        self.fields["official"].label_from_instance = lambda u: u.get_full_name() or u.get_username()


# --- a paper dossier at the desk ---------------------------------------------------------------------------

class FindCitizenForm(forms.Form):
    """First step of a paper dossier: who and what (a GET form)."""

    id_number = forms.RegexField(label=_("Applicant's citizen ID number"), regex=r"^[0-9]{12}$", max_length=12,
                                 error_messages={"invalid": _("Enter the 12 digits of the citizen ID number.")},
                                 widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    procedure = forms.ChoiceField(label=_("Procedure"))

    def __init__(self, procedures, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("Choose a procedure")),
                                            *[(p.code, f"{p.code} — {p.display_name}") for p in procedures]]


class IntakeForm(forms.Form):
    """A paper dossier: the applicant (found or new), the receiving desk and the scan. The applicant's form
    itself is the portal's ``SchemaForm`` (same rendering and rules as online)."""

    full_name = forms.CharField(label=_("Applicant's full name"), max_length=200, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    agency = forms.ChoiceField(label=_("Receiving desk"))
    scan = forms.FileField(label=_("Scan of the paper dossier"), help_text=_("PDF, JPEG or PNG."),
                           widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}))

    def __init__(self, agencies, citizen, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if citizen is not None:  # known applicant: the profile is not edited here
            for name in ("full_name", "phone", "address"):
                del self.fields[name]
        else:
            self.fields["full_name"].required = True
        self.fields["agency"].choices = [(a.code, a.name) for a in agencies]

    def applicant_fields(self):
        return [self[n] for n in ("full_name", "phone", "address") if n in self.fields]


WORK_ITEM_KINDS = [(k, label) for k, label in WorkItem.Kind.choices if k != WorkItem.Kind.APPLICANT]


# The queue's filters are on every queue page: their widgets write the HTML of Django's form templates
# (input.html, select.html, select_option.html, attrs.html) in Python, without a template include per option.

def _attrs(attrs):
    return "".join(f" {conditional_escape(k)}" if v is True else f' {conditional_escape(k)}="{conditional_escape(v)}"'
                   for k, v in attrs.items() if v is not False and v is not None)


class _PlainInput:
    def render(self, name, value, attrs=None, renderer=None):
        w = self.get_context(name, value, attrs)["widget"]
        shown = "" if w["value"] is None else f' value="{conditional_escape(w["value"])}"'
        name = conditional_escape(w["name"])
        return mark_safe(f'<input type="{w["type"]}" name="{name}"{shown}{_attrs(w["attrs"])}>')


class PlainHiddenInput(_PlainInput, forms.HiddenInput):
    pass


class PlainDayMonthYearInput(_PlainInput, DayMonthYearInput):
    pass


class PlainSelect(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        w = self.get_context(name, value, attrs)["widget"]
        html = [f'<select name="{conditional_escape(w["name"])}"{_attrs(w["attrs"])}>']
        for group, options, _index in w["optgroups"]:
            if group:
                html.append(f'<optgroup label="{conditional_escape(group)}">')
            html.extend(f'\n  <option value="{conditional_escape(o["value"])}"{_attrs(o["attrs"])}>'
                        f'{conditional_escape(o["label"])}</option>' for o in options)
            if group:
                html.append("</optgroup>")
        html.append("\n</select>")
        return mark_safe("".join(html))


class QueueFilterForm(forms.Form):
    """The queue's filters (a GET form; every value optional and checked)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": _("Dossier code or applicant's name")}))
    procedure = forms.ChoiceField(label=_("Procedure"), required=False, widget=PlainSelect)
    state = forms.ChoiceField(label=_("State"), required=False, widget=PlainSelect,
                              choices=[("", _("Any")), *WorkItem.State.choices])
    kind = forms.ChoiceField(label=_("Kind of step"), required=False, widget=PlainSelect,
                             choices=[("", _("Any")), *WORK_ITEM_KINDS])
    due_from = forms.DateField(label=_("Due from"), required=False, widget=PlainDayMonthYearInput())
    due_to = forms.DateField(label=_("Due until"), required=False, widget=PlainDayMonthYearInput())
    tab = forms.CharField(required=False, widget=PlainHiddenInput)
    sort = forms.CharField(required=False, widget=PlainHiddenInput)

    def __init__(self, procedures, *args, **kwargs):
        """``procedures``: (code, name) pairs."""
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("Any")), *[(code, f"{code} — {name}") for code, name in procedures]]
