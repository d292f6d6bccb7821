"""Validation of the applicant's form against the procedure's JSON Schema, with per-field messages."""
import re
from functools import lru_cache

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError


@lru_cache(maxsize=256)
def _ecma_pattern(pattern):
    """``pattern`` with ECMA-262's meaning of ``$`` (the end of the text) in Python's syntax (``\\Z``).

    Python's ``$`` also matches before a final newline, so ``^[0-9]{12}$`` let "079190000003\\n" through
    (hypothesis found it); an unescaped ``$`` outside a character class becomes ``\\Z``.
    """
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
    return re.compile("".join(out))


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _ecma_pattern(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = validators.extend(Draft202012Validator, {"pattern": _pattern})


def has_nul(value):
    """Whether a NUL character hides anywhere in ``value`` (PostgreSQL cannot store one in text or jsonb)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def _message(error):
    kind = error.validator
    if kind == "type":
        return _("Wrong kind of value.")
    if kind == "format":
        return _("Not a valid %(format)s.") % {"format": error.validator_value}
    if kind == "pattern":
        return _("Not in the expected format.")
    if kind == "enum":
        return _("Choose one of: %(options)s.") % {"options": ", ".join(map(str, error.validator_value))}
    if kind in {"minimum", "exclusiveMinimum"}:
        return _("Must be at least %(limit)s.") % {"limit": error.validator_value}
    if kind in {"maximum", "exclusiveMaximum"}:
        return _("Must be at most %(limit)s.") % {"limit": error.validator_value}
    if kind == "minLength":
        return _("This field is required.") if error.validator_value == 1 else _("Too short.")
    if kind == "maxLength":
        return _("Too long.")
    return error.message


_ANY_OBJECT = {"type": "object"}
_FORMATS = FormatChecker()
_validators = {}  # id(schema) -> (schema, its validator)


def _validator(schema):
    """The validator of ``schema``, kept while the same schema object comes back: the procedures kept per
    process (``dossiers.lifecycle.submission``) hand the same dictionary to every submission."""
    kept = _validators.get(id(schema))
    if kept is not None and kept[0] is schema:  # kept[0] is held here, so its id cannot be another's meanwhile
        return kept[1]
    if len(_validators) >= 256:
        _validators.clear()
    validator = Validator(schema, format_checker=_FORMATS)
    _validators[id(schema)] = (schema, validator)
    return validator


# --- A quicker "valid" for the common form ------------------------------------------------------------------
# Most forms are an object of text fields (type, length, pattern, choices, format). For such a schema the checks
# are run directly; a form they find valid is valid for jsonschema too, and any other form (or schema) goes
# through jsonschema, which gives the messages. Keywords that only describe (titles, x-*, ui:*) change nothing.
_DESCRIPTIVE = {"$schema", "$id", "$comment", "title", "description", "examples", "default", "readOnly", "writeOnly",
                "deprecated"}
_TEXT_CHECKS = {"type", "minLength", "maxLength", "pattern", "enum", "format"}
_plain_forms = {}  # id(schema) -> (schema, its checks or None)


def _descriptive(key):
    return key in _DESCRIPTIVE or key.startswith(("x-", "ui:"))


def _text_checks(schema):
    """``(required, properties, extras allowed)`` for an object of text fields, else None."""
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return None
    if any(key not in {"type", "properties", "required", "additionalProperties"} and not _descriptive(key)
           for key in schema):
        return None
    required, extras = schema.get("required", []), schema.get("additionalProperties", True)
    fields = schema.get("properties", {})
    if (not isinstance(required, list) or not all(isinstance(n, str) for n in required) or type(extras) is not bool
            or not isinstance(fields, dict)):
        return None
    properties = {}
    for name, field in fields.items():
        if not isinstance(field, dict) or field.get("type") != "string" or any(
                key not in _TEXT_CHECKS and not _descriptive(key) for key in field):
            return None
        low, high = field.get("minLength", 0), field.get("maxLength")
        pattern, choices, fmt = field.get("pattern"), field.get("enum"), field.get("format")
        if (type(low) is not int or (high is not None and type(high) is not int)
                or (pattern is not None and not isinstance(pattern, str))
                or (choices is not None and not (isinstance(choices, list)
                                                 and all(isinstance(c, str) for c in choices)))
                or (fmt is not None and not isinstance(fmt, str))):
            return None
        properties[name] = (low, high, pattern and _ecma_pattern(pattern), choices, fmt)
    return required, properties, extras


def _plainly_valid(schema, data):
    """True when ``data`` (a dictionary) is valid against a schema of text fields; False: ask jsonschema."""
    kept = _plain_forms.get(id(schema))
    if kept is None or kept[0] is not schema:
        if len(_plain_forms) >= 256:
            _plain_forms.clear()
        kept = _plain_forms[id(schema)] = (schema, _text_checks(schema))
    if kept[1] is None:
        return False
    required, properties, extras = kept[1]
    for name in required:
        if name not in data:
            return False
    for name, value in data.items():
        field = properties.get(name)
        if field is None:
            if extras:
                continue
            return False
        if type(value) is not str:
            return False
        low, high, pattern, choices, fmt = field
        if len(value) < low or (high is not None and len(value) > high) or (
                pattern is not None and not pattern.search(value)) or (
                choices is not None and value not in choices) or (
                fmt is not None and not _FORMATS.conforms(value, fmt)):
            return False
    return True


def form_errors(schema, data):
    """``{field: [messages]}`` for ``data`` against ``schema``; empty when the form is valid."""
    if not isinstance(data, dict):
        return {"__all__": [_("The form data must be an object.")]}
    errors = {}
    # PostgreSQL cannot store a NUL character (a 500 instead of a message): such fields are refused here.
    for name in [name for name, value in data.items() if has_nul(name) or has_nul(value)]:
        errors[name.replace("\x00", "")] = [_("Not in the expected format.")]
        data = {k: v for k, v in data.items() if k != name}
    if not errors and _plainly_valid(schema or _ANY_OBJECT, data):
        return errors
    validator = _validator(schema or _ANY_OBJECT)
    for error in validator.iter_errors(data):
        if error.validator == "required" and not error.absolute_path:
            # jsonschema reports each missing property separately, each with the whole list.
            for name in error.validator_value:
                if name not in data and name not in errors:
                    errors[name] = [_("This field is required.")]
        elif error.validator == "additionalProperties" and not error.absolute_path:
            allowed = set((schema or {}).get("properties", {}))
            for name in data:
                if name not in allowed:
                    errors.setdefault(name, []).append(_("This form has no such field."))
        else:
            field = str(error.absolute_path[0]) if error.absolute_path else "__all__"
            errors.setdefault(field, []).append(_message(error))
    return errors
