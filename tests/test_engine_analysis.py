"""What the engine reads from a procedure's graph and code: which decisions can refuse the dossier (they
need a written reason), and which applicant fields the process reads. No database."""
import pytest

from onestop.engine import analysis, runtime
from onestop.engine.validation import ValidationContext, validate

CONTEXT = ValidationContext(role_codes=set(), official_roles={"specialist", "leader"}, operators={})


def procedure(gateway_flows, after="", sign_next="end_ok"):
    """A check step whose decision (found / not_found) is routed by ``gateway_flows``."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="d" targetNamespace="http://example.org/t">
<bpmn:process id="p" name="Trích lục hộ tịch" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
  <bpmn:userTask id="check" name="Kiểm tra sổ" camunda:candidateGroups="specialist">
    <bpmn:extensionElements><camunda:formData>
      <camunda:formField id="decision" label="Kết quả kiểm tra" type="enum">
        <camunda:value id="found" name="Có trong sổ"/><camunda:value id="not_found" name="Không có trong sổ"/>
      </camunda:formField>
    </camunda:formData></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="gw"/>
  {gateway_flows}
  <bpmn:userTask id="sign" name="Ký trích lục" camunda:candidateGroups="leader"/>
  <bpmn:sequenceFlow id="f5" sourceRef="sign" targetRef="{sign_next}"/>
  <bpmn:endEvent id="end_ok"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="outcome" value="issued"/></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
  <bpmn:endEvent id="end_refused"><bpmn:extensionElements><camunda:properties>
    <camunda:property name="outcome" value="refused"/></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
  {after}
</bpmn:process>
</bpmn:definitions>""".encode()


def condition(flow_id, target, expression):
    return (f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="gw" targetRef="{target}">'
            f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{expression}</bpmn:conditionExpression>'
            "</bpmn:sequenceFlow>")


CONDITIONS = ('<bpmn:exclusiveGateway id="gw"/>' + condition("f3", "sign", 'decision == "found"')
              + condition("f4", "end_refused", 'decision == "not_found"'))
DEFAULT = ('<bpmn:exclusiveGateway id="gw" default="f4"/>' + condition("f3", "sign", 'decision in ("found",)')
           + '<bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="end_refused"/>')


def decision_options(xml):
    [task] = runtime.trial(xml).ready
    [field] = [f for f in task.form if f["id"] == "decision"]
    return {o["id"]: o.get("requires_reason", False) for o in field["options"]}


@pytest.mark.parametrize("flows", [CONDITIONS, DEFAULT], ids=["conditions", "default flow"])
def test_an_option_whose_path_ends_refused_requires_a_reason_whatever_its_name(flows):
    xml = procedure(flows)
    assert decision_options(xml) == {"found": False, "not_found": True}
    report = validate(xml, context=CONTEXT)
    assert report.ok
    [entry] = [e for e in report.warnings if e.code == "decision_requires_reason"]
    assert entry.element_id == "check" and "not_found" in entry.message and "not_found" in entry.message_vi
    assert "found”" not in entry.message.replace("Không có trong sổ", "")


def test_a_refusal_decided_later_by_someone_else_does_not_bind_this_step():
    # The leader signs or refuses after the check: the check's own options cannot refuse.
    flows = ('<bpmn:exclusiveGateway id="gw"/>' + condition("f3", "sign", 'decision == "found"')
             + condition("f4", "sign", 'decision == "not_found"'))
    after = ('<bpmn:exclusiveGateway id="gw2" default="f8"/>'
             '<bpmn:sequenceFlow id="f7" sourceRef="gw2" targetRef="end_refused"><bpmn:conditionExpression>'
             'sign_decision == "refuse"</bpmn:conditionExpression></bpmn:sequenceFlow>'
             '<bpmn:sequenceFlow id="f8" sourceRef="gw2" targetRef="end_ok"/>')
    assert decision_options(procedure(flows, after, sign_next="gw2")) == {"found": False, "not_found": False}


def test_a_condition_on_other_data_may_refuse_so_a_reason_is_required():
    flows = ('<bpmn:exclusiveGateway id="gw"/>' + condition("f3", "sign", 'decision == "found" and form["age"] &gt; 0')
             + condition("f4", "end_refused", 'decision == "not_found" or form["age"] == 0'))
    assert decision_options(procedure(flows)) == {"found": True, "not_found": True}


def test_applicant_fields_read_by_conditions_scripts_and_parameters():
    after = ('<bpmn:scriptTask id="s"><bpmn:script>name = form["full_name"].upper()\n'
             'when = form.get("birth_date", "")\nkind = form.kind\nkeys = form.keys()</bpmn:script></bpmn:scriptTask>'
             '<bpmn:serviceTask id="lookup" camunda:type="external" camunda:topic="population.lookup_citizen">'
             '<bpmn:extensionElements><camunda:inputOutput><camunda:inputParameter name="id_number">'
             'form["id_number"]</camunda:inputParameter></camunda:inputOutput></bpmn:extensionElements>'
             "</bpmn:serviceTask>")
    flows = ('<bpmn:exclusiveGateway id="gw"/>' + condition("f3", "sign", 'form.get("urgent") or decision == "found"')
             + condition("f4", "end_refused", 'decision == "not_found"'))
    assert analysis.applicant_fields_read(procedure(flows, after)) == {"full_name", "birth_date", "kind", "id_number",
                                                                        "urgent"}


def test_applicant_fields_read_takes_a_version(demo):
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    assert analysis.applicant_fields_read(version) == {"mother_id_number", "child_full_name"}
