"""Multi-instance elements and loops run within limits, and every engine failure is an EngineError.

No database: ``runtime.trial`` runs a file's process in memory, stores it through the serializer and
reads it back, as the first dossier would.
"""
import pytest

from onestop.engine import runtime
from onestop.engine.errors import InstanceLimitExceeded, ProcessFailed, StepNotWaiting, WorkBudgetExceeded
from onestop.engine.validation import ValidationContext, validate

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CONTEXT = ValidationContext(role_codes={"ward"}, official_roles={"specialist"}, operators={})


def document(body, namespaces=f'xmlns:camunda="{CAMUNDA_NS}"'):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" {namespaces} id="defs" targetNamespace="http://example.org/t">\n'
        f'<bpmn:process id="p" name="Thử" isExecutable="true">\n{body}\n</bpmn:process>\n</bpmn:definitions>\n'
    ).encode()


def multi_instance_script(loop, script="done = True"):
    return document(f"""
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc"/>
  <bpmn:scriptTask id="calc" name="Tính" scriptFormat="python">{loop}<bpmn:script>{script}</bpmn:script>
  </bpmn:scriptTask>
  <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="review"/>
  <bpmn:userTask id="review" name="Thẩm định"/>
  <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>
  <bpmn:endEvent id="end"/>""")


def cardinality(n, sequential=True):
    return (f'<bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}">'
            f"<bpmn:loopCardinality>{n}</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>")



def reviews_per_item(sequential=False):
    """A user task once per item of ``items`` (Camunda's collection and element variable)."""
    return document(f"""
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
  <bpmn:userTask id="review" name="Thẩm định từng hồ sơ">
    <bpmn:multiInstanceLoopCharacteristics isSequential="{str(sequential).lower()}" camunda:collection="items"
      camunda:elementVariable="item" />
  </bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
  <bpmn:endEvent id="end"/>""")


@pytest.mark.parametrize("sequential", [True, False])
@pytest.mark.parametrize("namespaces", [f'xmlns:camunda="{CAMUNDA_NS}"', f'xmlns:spiffworkflow="{SPIFF_NS}"', ""])
def test_multi_instance_scripts_run_and_their_state_is_stored_in_every_dialect(sequential, namespaces):
    xml = multi_instance_script(cardinality(30, sequential)).replace(
        f'xmlns:camunda="{CAMUNDA_NS}"'.encode(), namespaces.encode())
    snapshot = runtime.trial(xml)
    assert [task.spec_id for task in snapshot.ready] == ["review"]


@pytest.mark.parametrize(("sequential", "ready"), [(False, 3), (True, 1)])
def test_a_collection_makes_one_human_task_per_item(sequential, ready):
    snapshot = runtime.trial(reviews_per_item(sequential), data={"items": ["a", "b", "c"]})
    assert [t.spec_id for t in snapshot.ready] == ["review"] * ready


@pytest.mark.parametrize("sequential", [True, False])
def test_more_instances_than_allowed_stop_the_advance_naming_the_element(settings, sequential):
    settings.ONESTOP_MAX_INSTANCES = 20
    with pytest.raises(InstanceLimitExceeded) as caught:
        runtime.trial(multi_instance_script(cardinality("n", sequential)), data={"n": 21})
    assert caught.value.element_id == "calc" and "21" in str(caught.value)
    assert isinstance(caught.value, runtime.EngineError)
    assert runtime.trial(multi_instance_script(cardinality("n", sequential)), data={"n": 20}).ready


@pytest.mark.parametrize("sequential", [True, False])
def test_a_collection_longer_than_allowed_is_refused(settings, sequential):
    settings.ONESTOP_MAX_INSTANCES = 5
    with pytest.raises(InstanceLimitExceeded) as caught:
        runtime.trial(reviews_per_item(sequential), data={"items": list(range(6))})
    assert caught.value.element_id == "review"
    assert runtime.trial(reviews_per_item(sequential), data={"items": list(range(5))}).ready


def test_a_literal_cardinality_beyond_the_limit_is_refused_at_upload(settings):
    settings.ONESTOP_MAX_INSTANCES = 100
    report = validate(multi_instance_script(cardinality(2000)), context=CONTEXT)
    [entry] = [e for e in report.errors if e.code == "multi_instance_too_many"]
    assert entry.element_id == "calc" and "2000" in entry.message and "2000" in entry.message_vi
    assert "multi_instance_too_many" not in validate(multi_instance_script(cardinality(100)), context=CONTEXT).codes()


def test_a_loop_that_does_not_wait_stops_at_the_step_budget(settings):
    settings.ONESTOP_MAX_STEPS = 300
    xml = document("""
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count"/>
  <bpmn:scriptTask id="count" name="Đếm"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="again"/>
  <bpmn:exclusiveGateway id="again" name="Lặp lại?" default="f4"/>
  <bpmn:sequenceFlow id="f3" sourceRef="again" targetRef="count">
    <bpmn:conditionExpression>n &lt; 10000</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:sequenceFlow id="f4" sourceRef="again" targetRef="end"/>
  <bpmn:endEvent id="end"/>""")
    with pytest.raises(WorkBudgetExceeded) as caught:
        runtime.trial(xml, data={"n": 0})
    assert "300" in str(caught.value) and caught.value.element_id in {"count", "again", "f3"}
    assert runtime.trial(xml, data={"n": 9990}).completed


def test_failures_outside_a_step_are_engine_errors_not_bare_exceptions():
    with pytest.raises(ProcessFailed) as caught:
        runtime.trial(b"<not-bpmn/>")
    assert caught.value.cause == "BpmnError"


def test_a_step_that_is_not_waiting_is_a_step_not_waiting_error(demo):
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="2.000720", state="published")
    instance, _snapshot = runtime.start(version, data={"form": {"household_name": "Phở Bình"}})
    with pytest.raises(StepNotWaiting):
        runtime.complete_task(instance, "not-a-uuid", {})


@pytest.mark.django_db
def test_a_stored_multi_instance_process_is_read_back_and_completed(settings):
    """The version's spec is serialized apart from each dossier's state: a multi-instance spec too."""
    import hashlib

    from procedures.models import Procedure, ProcedureVersion

    xml = multi_instance_script(cardinality("n", sequential=False))
    procedure = Procedure.objects.create(code="9.999001", name="Thử đa thể hiện", competent_level="ward",
                                         receiving_level="ward", processing_days=1, online_level="full")
    version = ProcedureVersion.objects.create(procedure=procedure, number=1, bpmn_xml=xml.decode(),
                                              checksum=hashlib.sha256(xml).hexdigest(), process_id="p",
                                              dialect="camunda", state="published")
    instance, snapshot = runtime.start(version, data={"n": 3})
    runtime._specs.clear()
    runtime._spec_jsons.clear()  # as in a fresh worker process
    [review] = runtime.snapshot(instance).ready
    assert review.spec_id == "review" and review.id == snapshot.ready[0].id
    assert runtime.complete_task(instance, review.id, {}).completed


@pytest.mark.django_db
def test_dossiers_of_a_version_whose_spec_changes_as_it_runs_each_get_their_own_copy():
    """Camunda's multi-instance user task rewrites its own spec from the data (a cardinality naming a
    collection): a second dossier on the same version, in the same worker process, runs as the first did."""
    import hashlib

    from procedures.models import Procedure, ProcedureVersion

    xml = document("""
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
  <bpmn:userTask id="review" name="Thẩm định từng hồ sơ">
    <bpmn:multiInstanceLoopCharacteristics isSequential="false">
      <bpmn:loopCardinality>items</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>
  </bpmn:userTask>
  <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="end"/>
  <bpmn:endEvent id="end"/>""")
    procedure = Procedure.objects.create(code="9.999002", name="Thử đa thể hiện", competent_level="ward",
                                         receiving_level="ward", processing_days=1, online_level="full")
    version = ProcedureVersion.objects.create(procedure=procedure, number=1, bpmn_xml=xml.decode(),
                                              checksum=hashlib.sha256(xml).hexdigest(), process_id="p",
                                              dialect="camunda", state="published")
    first, snapshot = runtime.start(version, data={"items": ["a", "b"]})
    assert len(snapshot.ready) == 2
    second, snapshot = runtime.start(version, data={"items": ["a", "b", "c"]})
    assert len(snapshot.ready) == 3
    for instance, count in ((first, 2), (second, 3)):
        ready = runtime.snapshot(instance).ready
        assert len(ready) == count
        for task in ready:
            snapshot = runtime.complete_task(instance, task.id, {})
        assert snapshot.completed
