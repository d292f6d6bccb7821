"""The step forms of onestop's Camunda Modeler element templates (``bpmn/element-templates/onestop.json``).

Camunda 7 element templates cannot write ``camunda:formData``, so a user task made from a step template
("Ward leader signs") carries only ``camunda:modelerTemplate="onestop.step.leader_signs"``. At upload, a
user task with such a template and no form of its own gets the template's form here: the decision field
with its options and a notes field, as docs/bpmn-conventions.md describes. A form written in the file wins.
Option ids are past participles (``signed``) so that they do not take the id a task is likely to have
(``sign``): SpiffWorkflow indexes both in one namespace.
"""
from lxml import etree

from onestop.engine import parsing

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = parsing.BPMN_MODEL_NS

# template id -> [(field id, label, type, [(option id, option label)])]
STEP_FORMS = {
    "onestop.step.specialist_review": [
        ("decision", "Kết quả thẩm định / Review result", "enum",
         [("approve", "Đồng ý / Approve"), ("supplement", "Yêu cầu bổ sung / Request supplementation"),
          ("refuse", "Từ chối / Refuse")]),
        ("review_notes", "Ý kiến thẩm định / Review notes", "string", []),
    ],
    "onestop.step.leader_signs": [
        ("sign_decision", "Quyết định của lãnh đạo / Leader's decision", "enum",
         [("signed", "Ký duyệt / Sign"), ("refuse", "Từ chối / Refuse")]),
        ("sign_notes", "Ý kiến của lãnh đạo / Leader's notes", "string", []),
    ],
    "onestop.step.desk_confirms": [
        ("confirm_decision", "Xác nhận / Confirmation", "enum",
         [("confirmed", "Đã xác nhận / Confirmed"), ("refuse", "Từ chối / Refuse")]),
        ("confirm_notes", "Ghi chú / Notes", "string", []),
    ],
}


def apply_step_forms(xml_bytes: bytes) -> bytes:
    """``xml_bytes`` with the template's form added to every templated user task that has none; the bytes
    unchanged when there is nothing to add (or the file cannot be read: the report will say why)."""
    if b"onestop.step." not in xml_bytes:
        return xml_bytes
    try:
        root = parsing.read_xml(xml_bytes)
    except parsing.BpmnError:
        return xml_bytes
    changed = False
    for task in root.iter(f"{{{BPMN}}}userTask"):
        fields = STEP_FORMS.get(task.get(f"{{{CAMUNDA}}}modelerTemplate"))
        if fields is None:
            continue
        extensions = task.find(f"{{{BPMN}}}extensionElements")
        if extensions is None:
            extensions = etree.Element(f"{{{BPMN}}}extensionElements")
            documentation = task.findall(f"{{{BPMN}}}documentation")
            task.insert(len(documentation), extensions)  # after documentation, before the flows
        if extensions.find(f"{{{CAMUNDA}}}formData") is not None:
            continue
        extensions.insert(0, _form_data(fields))
        changed = True
    if not changed:
        return xml_bytes
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _form_data(fields):
    form = etree.Element(f"{{{CAMUNDA}}}formData")
    for field_id, label, kind, options in fields:
        field = etree.SubElement(form, f"{{{CAMUNDA}}}formField", id=field_id, label=label, type=kind)
        if kind == "enum":
            validation = etree.SubElement(field, f"{{{CAMUNDA}}}validation")
            etree.SubElement(validation, f"{{{CAMUNDA}}}constraint", name="required")
        for option_id, option_label in options:
            etree.SubElement(field, f"{{{CAMUNDA}}}value", id=option_id, name=option_label)
    return form
