"""A Django form drawn from a procedure's JSON Schema (``Procedure.form_schema``).

The form only renders fields and turns what the browser sends into JSON values; the validation is
``onestop.dossiers.forms.form_errors``, the same rules as the API, and its messages are put next to
their fields. Supported: string (minLength, maxLength, pattern, format date or email), enum (radios up
to four options, else a select), integer, number, boolean. ``title`` is the label, ``description`` the
help. The schema is given in the page's language (``procedures.content.schema``). Fields come in
``ui:order`` when the schema gives one, else in the order of ``properties``.
"""
import datetime

from django import forms
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from onestop.core.widgets import DayMonthYearInput
from onestop.dossiers.forms import form_errors

RADIO_LIMIT = 4


def _choices(spec):
    """``[(value, label)]`` from ``enum`` or from ``oneOf: [{const, title}]``; ``x-labels`` (``{value: label}``,
    set when the schema is read in English: ``procedures.content.schema``) names the options instead."""
    labels = spec.get("x-labels") if isinstance(spec.get("x-labels"), dict) else {}
    if "enum" in spec:
        return [(str(value), str(labels.get(str(value)) or value)) for value in spec["enum"]]
    options = spec.get("oneOf") or spec.get("anyOf") or []
    if options and all(isinstance(o, dict) and "const" in o for o in options):
        return [(str(o["const"]), str(labels.get(str(o["const"])) or o.get("title", o["const"]))) for o in options]
    return None


def _field(spec, required):
    kind = spec.get("type")
    common = {"label": spec.get("title") or "", "help_text": spec.get("description", ""), "required": required}
    choices = _choices(spec)
    if choices is not None:
        blank = [] if len(choices) <= RADIO_LIMIT else [("", _("— choose —"))]
        widget = forms.RadioSelect if len(choices) <= RADIO_LIMIT else forms.Select
        return forms.ChoiceField(choices=blank + choices, widget=widget, **common)
    if kind == "boolean":
        return forms.BooleanField(**{**common, "required": False})
    if kind in ("integer", "number"):
        attrs = {"step": "1" if kind == "integer" else "any", "inputmode": "numeric" if kind == "integer"
                 else "decimal"}
        for key, attr in (("minimum", "min"), ("maximum", "max")):
            if key in spec:
                attrs[attr] = spec[key]
        return forms.CharField(widget=forms.NumberInput(attrs=attrs), **common)
    if kind == "string" or kind is None:
        fmt = spec.get("format")
        if fmt == "date":
            return forms.CharField(widget=DayMonthYearInput(), **{
                **common, "help_text": common["help_text"] or _("Day/month/year, for example 20/11/2026.")})
        attrs = {}
        if "maxLength" in spec:
            attrs["maxlength"] = spec["maxLength"]
        if "pattern" in spec and spec["pattern"] == "^[0-9]{12}$":
            attrs["inputmode"] = "numeric"
        widget = forms.EmailInput(attrs=attrs) if fmt == "email" else forms.TextInput(attrs=attrs)
        if spec.get("maxLength", 0) > 500:
            widget = forms.Textarea(attrs=attrs)
        return forms.CharField(widget=widget, **common)
    return None  # objects and arrays are not asked on a web form


def field_order(schema):
    properties = (schema or {}).get("properties") or {}
    order = [name for name in (schema or {}).get("ui:order", []) if name in properties]
    return order + [name for name in properties if name not in order]


def _parse_date(text):
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return text  # the schema check says it is not a date


def _parse_number(text, kind):
    text = text.replace(" ", "")
    try:
        if kind == "integer":
            return int(text)
        value = float(text.replace(",", "."))
        return int(value) if value.is_integer() else value
    except ValueError:
        return text  # the schema check says it is the wrong kind of value


class SchemaForm(forms.Form):
    """``SchemaForm(schema, data=request.POST, initial=form_data)``; ``.json_data()`` once valid."""

    def __init__(self, schema, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.schema = schema or {}
        properties = self.schema.get("properties") or {}
        required = set(self.schema.get("required") or [])
        for name in field_order(self.schema):
            field = _field(properties[name], name in required)
            if field is not None:
                self.fields[name] = field

    def json_data(self):
        """What the browser sent, as the JSON values the schema describes; empty optional fields left out."""
        properties = self.schema.get("properties") or {}
        data = {}
        for name, field in self.fields.items():
            raw = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
            spec = properties[name]
            kind = spec.get("type")
            if isinstance(field, forms.BooleanField):
                data[name] = bool(field.to_python(raw))
                continue
            text = (raw or "").strip() if isinstance(raw, str) else ""
            if not text:
                continue
            if kind in ("integer", "number"):
                data[name] = _parse_number(text, kind)
            elif spec.get("format") == "date":
                data[name] = _parse_date(text)
            else:
                data[name] = text
        return data

    def full_clean(self):
        self._errors = ErrorDict()
        if not self.is_bound:
            return
        self.cleaned_data = self.json_data()
        for name, messages in form_errors(self.schema, self.cleaned_data).items():
            self.add_error(name if name in self.fields else None, list(messages))


def describe(schema, data):
    """``[(label, text)]`` of ``data`` for reading back: dates as dd/mm/yyyy, choices by their label."""
    from django.utils.formats import number_format

    properties = (schema or {}).get("properties") or {}
    rows = []
    for name in field_order(schema):
        if name not in data:
            continue
        spec, value = properties[name], data[name]
        labels = dict(_choices(spec) or [])
        if isinstance(value, bool):
            text = _("Yes") if value else _("No")
        elif spec.get("format") == "date" and isinstance(value, str):
            try:
                text = datetime.date.fromisoformat(value).strftime("%d/%m/%Y")
            except ValueError:
                text = value
        elif isinstance(value, (int, float)):
            text = number_format(value, force_grouping=True)
        else:
            text = labels.get(str(value), str(value))
        rows.append((spec.get("title") or name, text))
    return rows
