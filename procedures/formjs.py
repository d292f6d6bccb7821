"""The applicant's form drawn in Camunda Modeler (Camunda Forms, the ``.form`` JSON of form-js) as the
JSON Schema the catalogue keeps (``Procedure.form_schema``), labels kept.

What the portal's schema form can ask is converted; anything else is refused with the component's key and
the reason, never dropped in silence:

================================  ====================================================================
form-js component                 JSON Schema property
================================  ====================================================================
``textfield``, ``textarea``       ``string``: ``minLength``, ``maxLength``, ``pattern``; email format
``number``                        ``integer`` (``decimalDigits: 0``) or ``number``; ``min``/``max``
``checkbox``                      ``boolean``
``radio``, ``select``             ``string`` with ``oneOf: [{const: value, title: label}]``
``datetime`` (subtype date)       ``string`` with ``format: date``
``group`` (no ``path``)           its fields, flattened
``text``, ``html``, ``image``,    nothing (no value to keep)
``spacer``, ``separator``
================================  ====================================================================

``label`` becomes ``title``, ``description`` stays ``description``, ``validate.required`` makes the field
required, ``defaultValue`` becomes ``default``. The order of the components is the form's order.

English texts are the components' custom properties (Camunda Modeler's "Custom properties" group):
``label_en``, ``description_en`` and, per option, ``option_en:<value>``; the form's own ``title_en``.
They become the property's ``x-en`` keyword (``{"title", "description", "options": {value: name}}``).
"""
from django.utils.translation import gettext as _

LAYOUT_ONLY = {"text", "html", "image", "spacer", "separator"}
TEXT = {"textfield", "textarea"}
CHOICE = {"radio", "select"}


class FormConversionError(ValueError):
    """The form cannot be converted; ``errors`` holds one sentence per component."""

    def __init__(self, errors):
        super().__init__("; ".join(errors))
        self.errors = errors


def is_camunda_form(document) -> bool:
    """Whether ``document`` (parsed JSON) is a Camunda Forms file rather than a JSON Schema."""
    return isinstance(document, dict) and isinstance(document.get("components"), list)


def to_json_schema(form: dict) -> dict:
    """The JSON Schema of a Camunda Forms document; raises ``FormConversionError`` listing every problem."""
    properties, required, errors = {}, [], []
    _convert(form.get("components") or [], properties, required, errors)
    if errors:
        raise FormConversionError(errors)
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": properties, "required": required, "additionalProperties": False,
              "ui:order": list(properties)}
    title = form.get("title") or form.get("name")
    if isinstance(title, str) and title:
        schema["title"] = title
    title_en = _custom(form).get("title_en")
    if isinstance(title_en, str) and title_en:
        schema["x-en"] = {"title": title_en}
    return schema


def _custom(component):
    properties = component.get("properties")
    return properties if isinstance(properties, dict) else {}


def _english(component):
    """The ``x-en`` keyword of a component, from its custom properties; empty when it has none."""
    custom, english = _custom(component), {}
    for source, target in (("label_en", "title"), ("description_en", "description")):
        if isinstance(custom.get(source), str) and custom[source]:
            english[target] = custom[source]
    options = {key.split(":", 1)[1]: value for key, value in custom.items()
               if key.startswith("option_en:") and isinstance(value, str) and value}
    if options:
        english["options"] = options
    return english


def _convert(components, properties, required, errors):
    for component in components:
        if not isinstance(component, dict):
            errors.append(_("A component of the form is not an object."))
            continue
        kind = component.get("type")
        if kind in LAYOUT_ONLY:
            continue
        if kind == "group" and not component.get("path"):
            _convert(component.get("components") or [], properties, required, errors)
            continue
        key = component.get("key")
        where = key or component.get("id") or kind
        if not isinstance(key, str) or not key:
            errors.append(_("Component “%(c)s” (%(type)s) has no key: the key names the field in the "
                            "dossier.") % {"c": where, "type": kind})
            continue
        if key in properties:
            errors.append(_("Two components have the key “%(key)s”.") % {"key": key})
            continue
        if component.get("valuesKey") or component.get("valuesExpression"):
            errors.append(_("Field “%(key)s” takes its options from data at run time; write its options in "
                            "the form.") % {"key": key})
            continue
        try:
            spec = _property(kind, component)
        except ValueError as exc:
            errors.append(str(exc))
            continue
        if component.get("label"):
            spec["title"] = str(component["label"])
        if component.get("description"):
            spec["description"] = str(component["description"])
        if "defaultValue" in component:
            spec["default"] = component["defaultValue"]
        english = _english(component)
        if english:
            spec["x-en"] = english
        properties[key] = spec
        if (component.get("validate") or {}).get("required"):
            required.append(key)


def _property(kind, component):
    validate = component.get("validate") or {}
    key = component.get("key")
    if kind in TEXT:
        spec = {"type": "string"}
        for source, target in (("minLength", "minLength"), ("maxLength", "maxLength"), ("pattern", "pattern")):
            if validate.get(source) not in (None, ""):
                spec[target] = validate[source]
        if validate.get("validationType") == "email":
            spec["format"] = "email"
        if kind == "textarea" and "maxLength" not in spec:
            spec["maxLength"] = 2000
        return spec
    if kind == "number":
        spec = {"type": "integer" if component.get("decimalDigits") == 0 else "number"}
        for source, target in (("min", "minimum"), ("max", "maximum")):
            if isinstance(validate.get(source), (int, float)):
                spec[target] = validate[source]
        return spec
    if kind == "checkbox":
        return {"type": "boolean"}
    if kind in CHOICE:
        values = component.get("values") or []
        options = [{"const": str(v["value"]), "title": str(v.get("label") or v["value"])}
                   for v in values if isinstance(v, dict) and "value" in v]
        if not options:
            raise ValueError(_("Field “%(key)s” offers no options.") % {"key": key})
        return {"type": "string", "oneOf": options}
    if kind == "datetime":
        if component.get("subtype", "date") != "date":
            raise ValueError(_("Field “%(key)s” asks a time; only dates are supported (subtype “date”).")
                             % {"key": key})
        return {"type": "string", "format": "date"}
    raise ValueError(_("Field “%(key)s” is a “%(type)s”, which the applicant's form does not support; use a "
                       "text field, number, checkbox, radio, select or date.") % {"key": key, "type": kind})
