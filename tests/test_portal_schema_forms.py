"""The form drawn from a procedure's JSON Schema: widgets, conversion of what the browser sends, and the
API's validation messages put next to the fields."""
from django.test import override_settings

from onestop.web.schema_forms import SchemaForm, describe, field_order

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Họ và tên", "minLength": 1, "maxLength": 100,
                 "description": "Ghi bằng chữ in hoa có dấu"},
        "id_number": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$"},
        "born": {"type": "string", "format": "date", "title": "Ngày sinh"},
        "email": {"type": "string", "format": "email", "title": "Thư điện tử"},
        "sex": {"type": "string", "enum": ["nam", "nữ"], "title": "Giới tính"},
        "district": {"type": "string", "enum": ["Quận 1", "Quận 3", "Quận 5", "Quận 7", "Quận 10"], "title": "Quận"},
        "kind": {"type": "string", "title": "Loại", "oneOf": [{"const": "a", "title": "Cá nhân"},
                                                              {"const": "b", "title": "Tổ chức"}]},
        "floors": {"type": "integer", "minimum": 1, "maximum": 10, "title": "Số tầng"},
        "area": {"type": "number", "exclusiveMinimum": 0, "title": "Diện tích (m²)"},
        "urgent": {"type": "boolean", "title": "Cần gấp"},
    },
    "required": ["name", "born", "sex", "floors"],
    "additionalProperties": False,
}
GOOD = {"name": "Nguyễn Văn An", "born": "2026-11-20", "sex": "nam", "floors": "3"}


def test_widgets_labels_and_help_come_from_the_schema():
    form = SchemaForm(SCHEMA)
    html = str(form["name"])
    assert 'maxlength="100"' in html and 'required' in html
    assert form["name"].label == "Họ và tên" and form["name"].help_text == "Ghi bằng chữ in hoa có dấu"
    # Dates are typed dd/mm/yyyy on the page whatever the browser's language (no native picker's mm/dd/yyyy).
    assert 'type="text"' in str(form["born"]) and 'placeholder="dd/mm/yyyy"' in str(form["born"])
    assert 'value="20/11/2026"' in str(SchemaForm(SCHEMA, initial={"born": "2026-11-20"})["born"])
    assert 'type="email"' in str(form["email"])
    assert form["sex"].widget_type == "radioselect" and form["district"].widget_type == "select"
    assert [c[1] for c in form.fields["kind"].choices] == ["Cá nhân", "Tổ chức"]
    assert 'min="1"' in str(form["floors"]) and 'max="10"' in str(form["floors"])
    assert form["urgent"].widget_type == "checkbox" and not form.fields["urgent"].required
    assert not form.fields["id_number"].required and form.fields["name"].required


def test_browser_values_become_json_values_and_empty_optional_fields_are_left_out():
    form = SchemaForm(SCHEMA, {**GOOD, "area": "72,5", "id_number": "", "urgent": "on", "district": ""})
    assert form.is_valid(), form.errors
    assert form.cleaned_data == {"name": "Nguyễn Văn An", "born": "2026-11-20", "sex": "nam", "floors": 3,
                                 "area": 72.5, "urgent": True}
    # A date typed as dd/mm/yyyy, as the page asks, is stored as an ISO date.
    form = SchemaForm(SCHEMA, {**GOOD, "born": "20/11/2026"})
    assert form.is_valid() and form.cleaned_data["born"] == "2026-11-20"
    assert 'value="20/11/2026"' in str(form["born"])


@override_settings(LANGUAGE_CODE="en")
def test_the_apis_rules_give_the_messages_next_to_each_field_and_values_are_kept():
    form = SchemaForm(SCHEMA, {"name": "", "born": "31/02/2026", "sex": "khác", "floors": "ba", "area": "0",
                               "id_number": "0791", "email": "not-an-email"})
    assert not form.is_valid()
    assert set(form.errors) == {"name", "born", "sex", "floors", "area", "id_number", "email"}
    assert form.errors["name"] == ["This field is required."]
    assert form.errors["id_number"] == ["Not in the expected format."]
    assert form.errors["floors"] == ["Wrong kind of value."]
    assert 'value="0791"' in str(form["id_number"])  # what the person typed stays in the field


def test_order_and_read_back():
    schema = {**SCHEMA, "ui:order": ["sex", "name"]}
    assert field_order(schema)[:3] == ["sex", "name", "id_number"]
    rows = dict(describe(SCHEMA, {"name": "An", "born": "2026-11-20", "kind": "b", "urgent": False, "floors": 3}))
    assert rows["Ngày sinh"] == "20/11/2026" and rows["Loại"] == "Tổ chức" and rows["Số tầng"] == "3"
    assert rows["Cần gấp"] in ("No", "Không")


def test_the_form_keeps_the_field_order_of_the_catalogue_on_every_database(demo):
    """PostgreSQL's jsonb reorders keys; the procedure keeps the order it was given in ``ui:order``."""
    import json

    from procedures.models import Procedure
    from tests.conftest import ROOT

    catalogue = json.loads((ROOT / "bpmn" / "catalogue.json").read_text())["procedures"]
    given = next(p for p in catalogue if p["code"] == "1.001193")["form_schema"]["properties"]
    stored = Procedure.objects.get(code="1.001193").form_schema
    assert stored["ui:order"] == list(given)
    assert list(SchemaForm(stored).fields)[:2] == ["child_full_name", "child_birth_date"]
