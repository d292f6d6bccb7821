"""Validation of the applicant's form against the procedure's JSON Schema, with per-field messages."""
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator, FormatChecker


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


def form_errors(schema, data):
    """``{field: [messages]}`` for ``data`` against ``schema``; empty when the form is valid."""
    if not isinstance(data, dict):
        return {"__all__": [_("The form data must be an object.")]}
    errors = {}
    validator = Draft202012Validator(schema or {"type": "object"}, format_checker=FormatChecker())
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
