"""The engine wrapper: dialects, safe XML, the spec cache, and a stalled process detected."""
from pathlib import Path

import pytest

from onestop.engine import parsing, runtime
from onestop.engine.parsing import BpmnError, parse_bpmn
from procedures import services as procedure_services
from tests.conftest import BIRTH_FORM

BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"
CONFORMANCE = Path(__file__).resolve().parent.parent.parent / "shared" / "bpmn-conformance" / "miwg-reference"

PLAIN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="p" name="Plain" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Desk [receiving]">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>t</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Check"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_dialects_are_detected_and_extensions_kept():
    parsed = parse_bpmn((BPMN_DIR / "construction_permit.bpmn").read_bytes())
    assert (parsed.dialect, parsed.process_id) == ("camunda", "construction_permit")
    assert parsed.name == "Cấp giấy phép xây dựng nhà ở riêng lẻ"
    sign = parsed.spec.task_specs["sign_permit"]
    assert sign.extensions["candidateGroups"] == "leader"
    assert sign.lane.endswith("[district]")
    assert [f.id for f in sign.form.fields][:1] == ["sign_decision"]
    outcomes = {t.extensions.get("outcome") for t in parsed.spec.task_specs.values()
                if type(t).__name__ == "EndEvent"}
    assert outcomes == {"issued", "refused"}
    assert parse_bpmn(PLAIN).dialect == "bpmn"


@pytest.mark.parametrize("xml, message", [
    (b"not xml at all", "well-formed"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>',
     "DOCTYPE"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>',
     "DOCTYPE"),
    (b'<html><body/></html>', "BPMN 2.0"),
    (PLAIN.replace(b'isExecutable="true"', b'isExecutable="false"'), "executable"),
    (PLAIN.replace(b'sourceRef="t" targetRef="e"', b'sourceRef="t" targetRef="nowhere"'), "nowhere"),
])
def test_bad_files_are_refused_with_a_reason(xml, message):
    from django.utils import translation

    with translation.override("en"), pytest.raises(BpmnError) as caught:
        parse_bpmn(xml)
    text = str(caught.value) + " ".join(caught.value.errors or [])
    assert message.lower() in text.lower()


def test_oversized_file_is_refused_before_parsing():
    with pytest.raises(BpmnError, match="5 MB"):  # the same in both languages
        parse_bpmn(b" " * (parsing.MAX_BPMN_BYTES + 1))


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="shared/bpmn-conformance is not beside this clone")
@pytest.mark.parametrize("name", sorted(p.name for p in CONFORMANCE.glob("*.bpmn")) if CONFORMANCE.is_dir() else [])
def test_foreign_files_are_accepted_or_refused_cleanly(name):
    """Files from other tools: a parsed process or a BpmnError, never a raw exception."""
    try:
        parsed = parse_bpmn((CONFORMANCE / name).read_bytes(), filename=name)
    except BpmnError as exc:
        assert str(exc)
    else:
        assert parsed.process_id


def test_spec_is_parsed_once_per_version(demo, monkeypatch):
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    runtime._specs.clear()
    calls = []
    real = parsing.parse_bpmn
    monkeypatch.setattr(parsing, "parse_bpmn", lambda xml, *a, **k: calls.append(1) or real(xml, *a, **k))
    for _ in range(3):
        instance, snapshot = runtime.start(version, data={"form": BIRTH_FORM})
        [lookup] = snapshot.waiting
        snapshot = runtime.complete_service_task(instance, lookup.id, {"lookup_mother": {"found": True}})
        runtime.complete_task(instance, snapshot.ready[0].id, {"decision": "approve"})
    assert len(calls) == 1


def test_engine_refuses_a_task_that_is_not_waiting(demo):
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    instance, snapshot = runtime.start(version, data={"form": BIRTH_FORM})
    assert snapshot.ready == ()
    [lookup] = snapshot.waiting
    assert (lookup.operator, lookup.params) == ("population.lookup_citizen", {"id_number": "079190000003"})
    with pytest.raises(runtime.EngineError):  # a service task is not a human task
        runtime.complete_task(instance, lookup.id, {})
    snapshot = runtime.complete_service_task(instance, lookup.id, {"lookup_mother": {"found": True}})
    with pytest.raises(runtime.EngineError):  # and is done only once
        runtime.complete_service_task(instance, lookup.id, {"lookup_mother": {"found": True}})
    task_id = snapshot.ready[0].id
    runtime.complete_task(instance, task_id, {"decision": "approve"})
    with pytest.raises(runtime.EngineError):
        runtime.complete_task(instance, task_id, {"decision": "approve"})
    with pytest.raises(runtime.EngineError):
        runtime.complete_task(instance, "not-a-uuid", {})


def test_state_is_stored_as_versioned_json_and_survives_reload(demo):
    import json

    from onestop.engine.models import ProcessInstance
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="2.000720", state="published")
    instance, snapshot = runtime.start(version, data={"form": {"household_name": "Phở Bình"}})
    stored = ProcessInstance.objects.get(pk=instance.pk)
    assert json.loads(stored.state)["serializer_version"] == stored.serializer_version
    # The spec is the version's, stored once with it, not in every dossier's state.
    assert "spec" not in json.loads(stored.state) and "subprocess_specs" not in json.loads(stored.state)
    runtime._specs.clear()  # as in a fresh worker process
    assert runtime.snapshot(stored) == snapshot
    assert runtime.task_data(stored, snapshot.ready[0].id)["form"] == {"household_name": "Phở Bình"}


def test_stored_state_is_what_the_serializer_writes_without_the_spec(demo):
    """Rows written earlier (SpiffWorkflow's ``serialize_json`` minus the spec) and rows written now are one
    format: the state is the same JSON, and the workflow read back runs on the version's parsed spec."""
    import json

    from onestop.engine.models import ProcessInstance
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    instance, snapshot = runtime.start(version, data={"form": BIRTH_FORM, "dossier_code": "X-1"})
    snapshot = runtime.complete_service_task(instance, snapshot.waiting[0].id, {"lookup_mother": {"found": True}})
    workflow = runtime._load(ProcessInstance.objects.get(pk=instance.pk))
    assert workflow.spec is runtime.parsed_version(version).spec
    serializer = runtime._serializers["camunda"]
    full = json.loads(serializer.serialize_json(workflow))
    del full["spec"], full["subprocess_specs"]
    assert json.loads(instance.state) == full
    assert list(json.loads(instance.state)) == list(full)
    snapshot = runtime.complete_task(instance, snapshot.ready[0].id, {"decision": "approve"})
    assert [t.spec_id for t in snapshot.ready] == ["sign_certificate"]
    stored = ProcessInstance.objects.get(pk=instance.pk)
    assert (stored.state, stored.version_id) == (instance.state, version.pk)


def test_import_is_idempotent_and_publishing_keeps_running_versions(demo):
    from procedures.models import ProcedureVersion

    xml = (BPMN_DIR / "birth_registration.bpmn").read_bytes()
    v1 = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    assert procedure_services.import_bpmn(xml, "1.001193") == v1
    v2 = procedure_services.import_bpmn(xml.replace(b"Review the birth", b"Review the  birth"), "1.001193",
                                        publish=True)
    v1.refresh_from_db()
    assert (v1.state, v2.state, v2.number) == ("retired", "published", v1.number + 1)


def test_state_of_a_finished_dossier_stays_small(demo):
    """A whole birth registration (lookup, review, signature, register): the state without the spec."""
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    instance, snapshot = runtime.start(version, data={"form": BIRTH_FORM, "dossier_code": "X-1"})
    snapshot = runtime.complete_service_task(instance, snapshot.waiting[0].id, {"lookup_mother": {"found": True}})
    snapshot = runtime.complete_task(instance, snapshot.ready[0].id, {"decision": "approve"})
    snapshot = runtime.complete_task(instance, snapshot.ready[0].id, {"sign_decision": "sign"})
    snapshot = runtime.complete_service_task(instance, snapshot.waiting[0].id, {"register_birth": {"n": "1/2026"}})
    assert snapshot.completed and snapshot.outcome == "issued"
    size = len(instance.state.encode())
    with_spec = len(runtime._spec_json(version).encode())
    assert size < 8 * 1024, size
    assert size < with_spec * 3  # the spec is not in it (and is bigger than a short run's state)


def test_a_step_form_is_worked_out_once_and_each_snapshot_gets_its_own(demo, monkeypatch):
    from onestop.engine import analysis
    from procedures.models import ProcedureVersion

    version = ProcedureVersion.objects.get(procedure__code="1.001193", state="published")
    instance, snapshot = runtime.start(version, data={"form": BIRTH_FORM})
    snapshot = runtime.complete_service_task(instance, snapshot.waiting[0].id, {"lookup_mother": {"found": True}})
    [review] = snapshot.ready
    refuse = next(o for o in review.form[0]["options"] if o["id"] == "refuse")
    assert refuse["requires_reason"] is True
    refuse["requires_reason"] = False  # a caller changing what it was given
    monkeypatch.setattr(analysis, "refusal_options", lambda spec: pytest.fail("worked out again"))
    [again] = runtime.snapshot(instance).ready
    assert next(o for o in again.form[0]["options"] if o["id"] == "refuse")["requires_reason"] is True
