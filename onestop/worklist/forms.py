"""Check what an official submits against the step's form (from the BPMN), field by field."""
from datetime import date

from django.utils.translation import gettext as _

from onestop.core.exceptions import InvalidInput

# Decisions that send the dossier back to the citizen or end it need a written reason. Besides these names,
# an option carrying ``requires_reason`` (the engine sets it on every option whose path can end the dossier
# refused) needs one too: the applicant is never refused without being told why.
DECISIONS_NEEDING_COMMENT = {"supplement", "refuse", "disagree"}


def decision_field(form):
    """The enum field that carries the step's decision: ``decision`` or ``*_decision``."""
    for field in form:
        if field["type"] == "enum" and (field["id"] == "decision" or field["id"].endswith("_decision")):
            return field
    return None


def needs_reason(option):
    """Whether choosing this decision option needs a written reason in the comment."""
    return bool(option.get("requires_reason")) or option["id"] in DECISIONS_NEEDING_COMMENT


def options_needing_reason(form):
    """The decision options of ``form`` that need a written reason."""
    chosen = decision_field(form)
    return [o for o in chosen["options"] if needs_reason(o)] if chosen else []


def _check_value(field, value):
    kind = field["type"]
    if kind == "string":
        return isinstance(value, str) and "\x00" not in value  # PostgreSQL cannot store a NUL
    if kind == "long":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return True
    if kind == "enum":
        return value in {o["id"] for o in field["options"]}
    if kind == "list":
        return isinstance(value, list) and all(isinstance(v, str) and v.strip() and "\x00" not in v for v in value)
    return True


def clean_submission(form, decision, data, comment):
    """Return the task data to store, or raise ``InvalidInput`` with per-field errors."""
    errors = {}
    if not isinstance(data, dict):
        raise InvalidInput(_("The form data must be an object."), errors={"data": [_("Expected an object.")]})
    fields = {f["id"]: f for f in form}
    chosen = decision_field(form)
    clean = {}
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            errors[key] = [_("This step has no field “%(field)s”.") % {"field": key}]
        elif chosen is not None and key == chosen["id"]:
            errors[key] = [_("Give the decision in “decision”, not in the form data.")]
        elif not _check_value(field, value):
            errors[key] = [_("Not a valid value for “%(label)s”.") % {"label": field["label"]}]
        else:
            clean[key] = value
    if chosen is not None:
        options = [o["id"] for o in chosen["options"]]
        if decision not in options:
            errors["decision"] = [
                _("Choose one of: %(options)s.") % {"options": ", ".join(options)}
            ]
        else:
            clean[chosen["id"]] = decision
    elif decision:
        errors["decision"] = [_("This step takes no decision.")]
    needing = {o["id"] for o in options_needing_reason(form)} | DECISIONS_NEEDING_COMMENT
    if decision in needing and not (comment or "").strip():
        errors["comment"] = [_("Give the reason in the comment.")]
    if errors:
        raise InvalidInput(_("The submitted step has errors."), errors=errors)
    return clean
