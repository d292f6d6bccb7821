"""onestop's Camunda Modeler element templates (bpmn/element-templates/onestop.json): well-formed for the
Camunda 7 element-templates schema, one per connector, and a file drawn with them is accepted at upload
and runs, its step forms included."""
import json
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.interop import connectors
from procedures.step_forms import STEP_FORMS
from tests.conftest import submit

TEMPLATES = json.loads((Path(__file__).resolve().parent.parent / "bpmn" / "element-templates" / "onestop.json")
                       .read_text(encoding="utf-8"))
BY_ID = {template["id"]: template for template in TEMPLATES}
# What the Camunda 7 element-templates JSON schema requires (@camunda/element-templates-json-schema).
TEMPLATE_KEYS = {"name", "id", "appliesTo", "properties"}
BINDINGS_WITH_NAME = {"property", "camunda:property", "camunda:inputParameter", "camunda:in", "camunda:field"}
BINDINGS = BINDINGS_WITH_NAME | {"camunda:outputParameter", "camunda:out", "camunda:in:businessKey",
                                 "camunda:executionListener", "camunda:errorEventDefinition"}
PROPERTY_TYPES = {"String", "Text", "Boolean", "Dropdown", "Hidden"}
NAMESPACED = re.compile(r"^[\w\d]+:[\w\d]+$")


@pytest.mark.parametrize("template", TEMPLATES, ids=[t["id"] for t in TEMPLATES])
def test_each_template_has_what_the_schema_requires(template):
    assert TEMPLATE_KEYS <= set(template), TEMPLATE_KEYS - set(template)
    assert isinstance(template["name"], str) and template["name"] and isinstance(template["version"], int)
    assert template["appliesTo"] and all(NAMESPACED.match(kind) for kind in template["appliesTo"])
    if "elementType" in template:
        assert NAMESPACED.match(template["elementType"]["value"])
    for prop in template["properties"]:
        assert prop.get("type", "String") in PROPERTY_TYPES
        binding = prop["binding"]
        assert binding["type"] in BINDINGS
        if binding["type"] in BINDINGS_WITH_NAME:
            assert binding["name"]
        if prop.get("type") == "Dropdown":
            assert prop["choices"] and all({"name", "value"} <= set(c) for c in prop["choices"])
        if prop.get("type") == "Hidden":
            assert "value" in prop


def test_ids_are_unique_and_every_connector_and_step_form_has_its_template(db):
    assert len(BY_ID) == len(TEMPLATES)
    for name in connectors.known_operators():
        template = BY_ID[f"onestop.{name}"]
        topic = [p["value"] for p in template["properties"] if p["binding"].get("name") == "camunda:topic"]
        assert topic == [name]
        given = {p["binding"]["name"] for p in template["properties"]
                 if p["binding"]["type"] == "camunda:inputParameter"}
        assert set(connectors.get_operator(name).params_schema.get("required", [])) <= given
    assert {t for t in BY_ID if t.startswith("onestop.step.")} == set(STEP_FORMS)


def apply(template_id, tag, element_id, extra=""):
    """The XML Camunda Modeler writes when the template is applied to a new element."""
    template = BY_ID[template_id]
    attributes = {"id": element_id, "camunda:modelerTemplate": template_id}
    inputs, properties = [], []
    for prop in template["properties"]:
        binding, value = prop["binding"], prop.get("value", "")
        if binding["type"] == "property":
            attributes[binding["name"]] = value
        elif binding["type"] == "camunda:inputParameter":
            inputs.append(f'<camunda:inputParameter name="{binding["name"]}">{value}</camunda:inputParameter>')
        elif binding["type"] == "camunda:property":
            properties.append(f'<camunda:property name="{binding["name"]}" value="{value}" />')
    body = ""
    if inputs or properties:
        body = "<bpmn:extensionElements>" + (f"<camunda:inputOutput>{''.join(inputs)}</camunda:inputOutput>"
                                             if inputs else "")
        body += (f"<camunda:properties>{''.join(properties)}</camunda:properties>" if properties else "")
        body += "</bpmn:extensionElements>"
    attrs = " ".join(f'{k}="{v}"' for k, v in attributes.items())
    return f"<bpmn:{tag} {attrs}>{body}{extra}</bpmn:{tag}>"


def drawn_with_templates():
    lane = BY_ID["onestop.lane"]["properties"][0]["choices"][0]["value"]
    nodes = {"start": "", "lookup": "", "review": "", "gw_review": "", "sign": "", "gw_sign": "",
             "end_issued": "", "end_refused": ""}
    refs = "".join(f"<bpmn:flowNodeRef>{n}</bpmn:flowNodeRef>" for n in nodes)
    flows = [("f1", "start", "lookup", ""), ("f2", "lookup", "review", ""), ("f3", "review", "gw_review", ""),
             ("f4", "gw_review", "sign", 'decision == "approve"'),
             ("f5", "gw_review", "end_refused", 'decision != "approve"'), ("f6", "sign", "gw_sign", ""),
             ("f7", "gw_sign", "end_issued", 'sign_decision == "signed"'),
             ("f8", "gw_sign", "end_refused", 'sign_decision != "signed"')]
    flow_xml = "".join(
        f'<bpmn:sequenceFlow id="{i}" sourceRef="{s}" targetRef="{t}">'
        + (f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{c.replace(chr(34), "&quot;")}'
           '</bpmn:conditionExpression>' if c else "") + "</bpmn:sequenceFlow>" for i, s, t, c in flows)
    named = {"lookup": "Tra cứu / Look up", "review": "Thẩm định / Review", "sign": "Ký / Sign"}
    templated = {
        "lookup": apply("onestop.population.lookup_citizen", "serviceTask", "lookup").replace(
            'form["id_number"]', 'form["person_id_number"]'),
        "review": apply("onestop.step.specialist_review", "userTask", "review"),
        "sign": apply("onestop.step.leader_signs", "userTask", "sign"),
    }
    for node, xml in templated.items():
        templated[node] = xml.replace(f'id="{node}"', f'id="{node}" name="{named[node]}"', 1)
    ends = "".join(
        f'<bpmn:endEvent id="end_{outcome}"><bpmn:extensionElements><camunda:properties>'
        f'<camunda:property name="outcome" value="{outcome}" /></camunda:properties></bpmn:extensionElements>'
        "</bpmn:endEvent>" for outcome in ("issued", "refused"))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    id="defs" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="templated" name="Drawn with templates" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_ward" name="{lane}" camunda:modelerTemplate="onestop.lane">{refs}</bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    {templated["lookup"]}
    {templated["review"]}
    <bpmn:exclusiveGateway id="gw_review" />
    {templated["sign"]}
    <bpmn:exclusiveGateway id="gw_sign" />
    {ends}
    {flow_xml}
  </bpmn:process>
</bpmn:definitions>""".encode()


FORM = {"type": "object", "required": ["person_id_number"], "properties": {
    "person_id_number": {"type": "string", "title": "Số định danh cá nhân", "pattern": "^[0-9]{12}$"}}}


def test_a_file_drawn_with_the_templates_is_accepted_and_its_steps_have_their_forms(as_user):
    admin = as_user("admin")
    response = admin.client.post("/api/v1/procedures/9.000200/versions/", {
        "bpmn_file": SimpleUploadedFile("templated.bpmn", drawn_with_templates()),
        "form_file": SimpleUploadedFile("form.json", json.dumps(FORM).encode())})
    assert response.status_code == 201, response.content
    report = response.json()["report"]
    assert report["ok"] is True and not [e for e in report["entries"] if e["level"] == "error"], report
    assert admin.post("/api/v1/procedures/9.000200/versions/1/publish/").status_code == 200

    code = submit(as_user("citizen1"), "9.000200", "q1-bennghe", {"person_id_number": "079090000001"})["code"]
    as_user("bennghe.receiver").act(code, "accept")
    review = as_user("bennghe.specialist").item(code)
    [decision] = [f for f in review["form"] if f["id"] == "decision"]
    assert [o["id"] for o in decision["options"]] == ["approve", "supplement", "refuse"]
    as_user("bennghe.specialist").act(code, "approve")
    sign = as_user("bennghe.leader").item(code)
    [decision] = [f for f in sign["form"] if f["id"] == "sign_decision"]
    assert [o["id"] for o in decision["options"]] == ["signed", "refuse"]
    assert sign["due_at"]  # the template's budget (4 office hours) gives the step its own due time
    as_user("bennghe.leader").act(code, "signed")
    assert as_user("citizen1").dossier(code)["status"] == "result_ready"
