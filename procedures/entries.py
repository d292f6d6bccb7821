"""The catalogue entry of a procedure as its author gives it: through the API (``POST``/``PATCH`` on
``/api/v1/procedures/``), in the side file uploaded beside the BPMN (``<name>.catalogue.json``) or to
``import_bpmn --catalogue``. One serializer checks all three, so each says the same thing about the same
mistake. The applicant's form is given as a JSON Schema (``form_schema``) or as a Camunda Forms document
(``form``, converted by ``formjs``).
"""
import json

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from rest_framework import serializers

from onestop.core.exceptions import InvalidInput
from onestop.organisation.models import Level

from . import formjs
from .models import Procedure

MAX_SIDE_FILE_BYTES = 512 * 1024
FORM_TYPES = {"string", "integer", "number", "boolean"}
IGNORED_KEYS = {"bpmn", "$schema"}  # the sample catalogue names its BPMN file; editors add a schema link


class DocumentSerializer(serializers.Serializer):
    """A paper the applicant hands in; ``required: false`` with a ``condition`` when only some need it."""

    name = serializers.CharField(max_length=500)
    name_en = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    originals = serializers.IntegerField(min_value=0, max_value=20, default=1)
    copies = serializers.IntegerField(min_value=0, max_value=20, default=0)
    required = serializers.BooleanField(default=True, help_text="False: only in the case the condition says")
    condition = serializers.CharField(max_length=500, required=False, allow_blank=True,
                                      help_text="When it is needed, e.g. “trường hợp ủy quyền”")
    condition_en = serializers.CharField(max_length=500, required=False, allow_blank=True)

    def validate(self, attrs):
        for name, default in (("name_en", ""), ("originals", 1), ("copies", 0), ("required", True)):
            attrs.setdefault(name, default)  # also when the entry is a partial change
        if not attrs["required"] and not attrs.get("condition"):
            raise serializers.ValidationError(
                {"condition": [gettext_lazy("Say in which case this document is needed.")]})
        return attrs


class CatalogueEntrySerializer(serializers.Serializer):
    """What the catalogue says about a procedure. On ``PATCH`` every field is optional."""

    code = serializers.RegexField(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,29}$", max_length=30,
                                  help_text="The national code, e.g. 1.001193 (letters, digits, . _ -)")
    name = serializers.CharField(max_length=300, help_text="Vietnamese name")
    name_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    field = serializers.CharField(max_length=200, required=False, allow_blank=True)
    field_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    competent_level = serializers.ChoiceField(Level.choices, help_text="Level of the agency that decides")
    receiving_level = serializers.ChoiceField(Level.choices, help_text="Level of the agencies whose desk receives "
                                                                       "the dossiers")
    processing_days = serializers.IntegerField(min_value=1, max_value=365,
                                               help_text="Legal processing time, in working days")
    fee = serializers.IntegerField(min_value=0, max_value=1_000_000_000, required=False, help_text="VND")
    fee_note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    fee_note_en = serializers.CharField(max_length=300, required=False, allow_blank=True)
    online_level = serializers.ChoiceField(Procedure.OnlineLevel.choices, required=False)
    documents = DocumentSerializer(many=True, required=False)
    form_schema = serializers.JSONField(required=False, help_text="The applicant's form, a JSON Schema object")
    form = serializers.JSONField(required=False, write_only=True,
                                 help_text="The applicant's form drawn in Camunda Modeler (Camunda Forms JSON); "
                                           "converted to form_schema")
    is_active = serializers.BooleanField(required=False)

    def validate_form_schema(self, value):
        return check_form_schema(value)

    def validate_form(self, value):
        if not formjs.is_camunda_form(value):
            raise serializers.ValidationError(_("A Camunda form has a “components” list."))
        try:
            return check_form_schema(formjs.to_json_schema(value))
        except formjs.FormConversionError as exc:
            raise serializers.ValidationError(exc.errors) from None

    def to_internal_value(self, data):
        """Every field's errors at once, a misspelt field name among them (it would be ignored silently)."""
        unknown = {key: [_("Unknown field.")] for key in sorted(set(data) - set(self.fields) - IGNORED_KEYS)} \
            if isinstance(data, dict) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**unknown, **exc.detail}) from None
        if unknown:
            raise serializers.ValidationError(unknown)
        return value

    def validate(self, attrs):
        if "form" in attrs:
            if "form_schema" in self.initial_data:
                raise serializers.ValidationError(
                    {"form": [_("Give the applicant's form once: as “form” or as “form_schema”.")]})
            attrs["form_schema"] = attrs.pop("form")
        if self.instance is not None and attrs.get("code", self.instance.code) != self.instance.code:
            raise serializers.ValidationError({"code": [_("A procedure's code cannot change.")]})
        return attrs


def check_form_schema(value):
    """``value`` if it is a JSON Schema of an object whose fields the portal can ask, else a ValidationError."""
    if not isinstance(value, dict):
        raise serializers.ValidationError(_("The form must be a JSON object (a JSON Schema)."))
    try:
        Draft202012Validator.check_schema(value)
    except SchemaError as exc:
        raise serializers.ValidationError(_("The form is not a valid JSON Schema: %(msg)s") % {"msg": exc.message}) \
            from None
    if value and value.get("type") != "object":
        raise serializers.ValidationError(_("The form's schema must describe an object (\"type\": \"object\")."))
    properties = value.get("properties") or {}
    if not isinstance(properties, dict):
        raise serializers.ValidationError(_("The form's “properties” must be an object."))
    problems = []
    for name, spec in properties.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in FORM_TYPES:
            problems.append(_("Field “%(name)s”: the type must be one of string, integer, number, boolean.")
                            % {"name": name})
        elif not spec.get("title"):
            problems.append(_("Field “%(name)s” has no title: the applicant would see no label.") % {"name": name})
    problems.extend(_english_problems(value))
    missing = [name for name in value.get("required") or [] if name not in properties]
    if missing:
        problems.append(_("Required fields that the form does not define: %(names)s.")
                        % {"names": ", ".join(missing)})
    if problems:
        raise serializers.ValidationError(problems)
    return value


def _english_problems(schema):
    """What is wrong with the form's English texts (``x-en``, docs/forms.md): they must be text, and option
    names must name options the field has."""
    problems = []

    def check(where, english, keys, options=None):
        if english is None:
            return
        if not isinstance(english, dict):
            problems.append(_("%(where)s: “x-en” must be an object.") % {"where": where})
            return
        for key in sorted(set(english) - set(keys) - ({"options"} if options is not None else set())):
            problems.append(_("%(where)s: “x-en” has no “%(key)s”; it takes %(keys)s.")
                            % {"where": where, "key": key, "keys": ", ".join(keys + (["options"] if options
                                                                                       is not None else []))})
        for key in keys:
            if key in english and not isinstance(english[key], str):
                problems.append(_("%(where)s: the English “%(key)s” must be text.") % {"where": where, "key": key})
        if options is not None and "options" in english:
            names = english["options"]
            if not isinstance(names, dict) or not all(isinstance(v, str) for v in names.values()):
                problems.append(_("%(where)s: “x-en.options” must map each option's value to its English name.")
                                % {"where": where})
            else:
                unknown = sorted(set(names) - set(options))
                if unknown:
                    problems.append(_("%(where)s: “x-en.options” names values the field does not offer: %(v)s.")
                                    % {"where": where, "v": ", ".join(unknown)})

    check(_("The form"), schema.get("x-en"), ["title"])
    for name, spec in (schema.get("properties") or {}).items():
        if isinstance(spec, dict):
            values = [str(v) for v in spec.get("enum") or []] or [
                str(o.get("const")) for o in spec.get("oneOf") or [] if isinstance(o, dict)]
            check(_("Field “%(name)s”") % {"name": name}, spec.get("x-en"), ["title", "description"], values)
    return problems


def read_side_file(content: bytes, *, code: str | None = None, partial: bool = True) -> dict:
    """The checked catalogue entry of a side file (JSON). ``code``: the procedure it is uploaded for.

    Raises ``InvalidInput`` with the same per-field errors as the API.
    """
    if len(content) > MAX_SIDE_FILE_BYTES:
        raise InvalidInput(_("The catalogue file is larger than 512 KB."))
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(_("The catalogue file is not JSON: %(msg)s") % {"msg": exc}) from None
    if not isinstance(document, dict):
        raise InvalidInput(_("The catalogue file must hold one JSON object."))
    if code is not None and document.setdefault("code", code) != code:
        raise InvalidInput(_("The catalogue file is for procedure %(file)s, not %(code)s.")
                           % {"file": document["code"], "code": code})
    return check_entry(document, partial=partial)


def read_form_file(content: bytes) -> dict:
    """The JSON Schema of a form file: a Camunda Forms ``.form`` file or a JSON Schema. Raises ``InvalidInput``."""
    if len(content) > MAX_SIDE_FILE_BYTES:
        raise InvalidInput(_("The form file is larger than 512 KB."))
    try:
        document = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(_("The form file is not JSON: %(msg)s") % {"msg": exc}) from None
    key = "form" if formjs.is_camunda_form(document) else "form_schema"
    return check_entry({key: document}, partial=True)["form_schema"]


def check_entry(document: dict, *, partial: bool) -> dict:
    entry = CatalogueEntrySerializer(data=document, partial=partial)
    if not entry.is_valid():
        raise InvalidInput(_("The catalogue entry has errors."), errors=entry.errors)
    return dict(entry.validated_data)
