"""Files written by other tools and engines: each is accepted and runs as drawn, or is refused with its reason.

The corpus is under tests/data/foreign/<source>/, each source with its licence. No database: the
report is built with a hand-made context and ``runtime.trial`` runs the process in memory, through
the serializer, up to its first wait.
"""
from pathlib import Path

import pytest

from onestop.engine import runtime
from onestop.engine.validation import ValidationContext, validate

FOREIGN = Path(__file__).resolve().parent / "data" / "foreign"
CONTEXT = ValidationContext(role_codes=set(), official_roles=set(), operators={})
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# file -> ("runs", the human tasks ready after the start, data) or ("refused", the report's error codes)
CORPUS = {
    # Flowable (and Activiti) write sequence flows without ids: they get one and run as drawn.
    "flowable/ParallelGatewayTest.testForkJoin.bpmn20.xml": ("runs", ["receivePayment", "shipOrder"], {}),
    "flowable/ParallelGatewayTest.testUnbalancedForkJoin.bpmn20.xml": ("runs", ["task1", "task2", "task3"], {}),
    # A bare ISO duration (PT1H) on a boundary timer, outside Camunda files.
    "flowable/timerOnTask.bpmn20.xml": ("runs", ["firstLineSupport"], {}),
    # Multi-instance, sequential and parallel, over a cardinality or a collection (bpmn.io, Camunda Modeler).
    "spiffworkflow/sequential_multiinstance_cardinality.bpmn": ("runs", ["any_task"], {}),
    "spiffworkflow/parallel_multiinstance_cardinality.bpmn": ("runs", ["any_task"] * 3, {"input_data": 3}),
    "spiffworkflow/parallel_multiinstance_collection.bpmn": ("runs", ["any_task"] * 3, {"input_data": [1, 2, 3]}),
    # A process with nothing but a timer: accepted, with a warning that no official acts on it.
    "spiffworkflow/timer.bpmn": ("runs", [], {}),
    # Messages that only another process could send: nothing in onestop would ever deliver them.
    "spiffworkflow/collaboration.bpmn": ("refused", {"correlation_undefined", "message_never_sent"}),
    "spiffworkflow/default_correlation_key.bpmn": ("refused", {"message_never_sent"}),
    "spiffworkflow/waiting_event.bpmn": ("refused", {"message_never_sent"}),
    # A signal thrown and caught in the same process runs, but its payload reads names nothing defines.
    "spiffworkflow/signal_event_payload.bpmn": ("refused", {"payload_undefined"}),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_foreign_file_runs_as_drawn_or_is_refused_with_its_reason(name):
    expected = CORPUS[name]
    xml = (FOREIGN / name).read_bytes()
    report = validate(xml, context=CONTEXT)
    if expected[0] == "refused":
        assert report.codes("error") == expected[1], [(e.code, e.message) for e in report.errors]
        for entry in report.errors:
            assert entry.message and entry.message_vi and entry.element_id
        return
    assert report.ok, [(e.code, e.message) for e in report.errors]
    snapshot = runtime.trial(xml, data=expected[2])
    assert sorted(task.spec_id for task in snapshot.ready) == expected[1]
    assert not snapshot.completed and not snapshot.errors


def test_every_source_of_the_corpus_carries_its_licence():
    for source in FOREIGN.iterdir():
        assert (source / "LICENSE").is_file() and (source / "NOTICE").is_file(), source
    on_disk = {str(p.relative_to(FOREIGN)) for p in FOREIGN.rglob("*") if p.suffix in (".bpmn", ".xml")}
    assert on_disk == set(CORPUS)


def test_flows_without_ids_are_named_in_the_report():
    xml = (FOREIGN / "flowable/ParallelGatewayTest.testForkJoin.bpmn20.xml").read_bytes()
    named = [e for e in validate(xml, context=CONTEXT).warnings if e.code == "flow_without_id"]
    assert [e.element_id for e in named] == ["flow_fork_receivePayment", "flow_fork_shipOrder",
                                             "flow_receivePayment_join", "flow_shipOrder_join",
                                             "flow_join_archiveOrder", "flow_archiveOrder_theEnd"]
    assert "receivePayment" in named[0].message and "receivePayment" in named[0].message_vi


def test_the_timer_of_a_foreign_file_waits_for_its_duration():
    xml = (FOREIGN / "flowable/timerOnTask.bpmn20.xml").read_bytes()
    [timer] = runtime.trial(xml).timers
    assert (timer.spec_id, timer.duration, timer.interrupting) == ("escalationTimer", "PT1H", True)


def test_a_duplicate_id_names_both_lines():
    xml = (FOREIGN / "flowable/ParallelGatewayTest.testForkJoin.bpmn20.xml").read_bytes()
    xml = xml.replace(b'<userTask id="shipOrder"', b'<userTask id="receivePayment"')
    report = validate(xml, context=CONTEXT)
    [entry] = [e for e in report.errors if e.code == "duplicate_id"]
    assert "line 16" in entry.message and "line 19" in entry.message and "dòng 16" in entry.message_vi
    assert not any("xs:ID" in e.message for e in report.entries)


def test_a_process_without_a_human_step_is_accepted_with_a_warning_unless_marked_automatic():
    xml = (FOREIGN / "spiffworkflow/timer.bpmn").read_bytes()
    report = validate(xml, context=CONTEXT)
    [entry] = [e for e in report.warnings if e.code == "no_human_step"]
    assert "onestop:automatic" in entry.message and "onestop:automatic" in entry.message_vi
    marked = xml.replace(b'isExecutable="true">', b'isExecutable="true"><bpmn:extensionElements><camunda:properties>'
                         b'<camunda:property name="onestop:automatic" value="true" /></camunda:properties>'
                         b'</bpmn:extensionElements>', 1)
    marked = marked.replace(b"<bpmn:definitions ",
                            b'<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ', 1)
    assert "no_human_step" not in validate(marked, context=CONTEXT).codes()


def test_a_correlation_that_fails_at_run_time_is_an_engine_error_naming_the_step():
    xml = (FOREIGN / "spiffworkflow/collaboration.bpmn").read_bytes()
    with pytest.raises(runtime.EngineError) as caught:
        runtime.trial(xml)
    assert "lover_name" in str(caught.value)


MESSAGES = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://e.org/t">
<bpmn:message id="m_done" name="review_done"/>
<bpmn:signal id="s_done" name="review_done"/>
<bpmn:process id="p" name="Thẩm định rồi thông báo" isExecutable="true">
  <bpmn:startEvent id="start"/>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="fork"/>
  <bpmn:parallelGateway id="fork"/>
  <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="review"/>
  <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="wait"/>
  <bpmn:userTask id="review" name="Thẩm định"/>
  <bpmn:sequenceFlow id="f4" sourceRef="review" targetRef="tell"/>
  <bpmn:intermediateThrowEvent id="tell" name="Báo"><bpmn:messageEventDefinition messageRef="m_done"/>
  </bpmn:intermediateThrowEvent>
  <bpmn:sequenceFlow id="f5" sourceRef="tell" targetRef="join"/>
  <bpmn:intermediateCatchEvent id="wait" name="Chờ"><bpmn:messageEventDefinition messageRef="m_done"/>
  </bpmn:intermediateCatchEvent>
  <bpmn:sequenceFlow id="f6" sourceRef="wait" targetRef="notify"/>
  <bpmn:userTask id="notify" name="Thông báo"/>
  <bpmn:sequenceFlow id="f7" sourceRef="notify" targetRef="join"/>
  <bpmn:parallelGateway id="join"/>
  <bpmn:sequenceFlow id="f8" sourceRef="join" targetRef="end"/>
  <bpmn:endEvent id="end"/>
</bpmn:process>
</bpmn:definitions>"""


def messages(replacements=()):
    text = MESSAGES
    for old, new in replacements:
        assert old in text
        text = text.replace(old, new)
    return text.encode()


TO_SIGNAL = [('messageEventDefinition messageRef="m_done"', 'signalEventDefinition signalRef="s_done"')]


@pytest.mark.parametrize("kind", ["message", "signal"])
def test_a_message_or_signal_thrown_in_the_same_process_is_delivered(kind):
    xml = messages(TO_SIGNAL if kind == "signal" else ())
    assert validate(xml, context=CONTEXT).ok
    assert [t.spec_id for t in runtime.trial(xml).ready] == ["review"]
    assert [t.spec_id for t in runtime.trial(xml, complete=("review",)).ready] == ["notify"]
    assert runtime.trial(xml, complete=("review", "notify")).completed


@pytest.mark.parametrize("kind", ["message", "signal"])
def test_a_wait_for_what_the_process_never_throws_is_refused(kind):
    silent = [('name="Báo"><bpmn:messageEventDefinition messageRef="m_done"/>', 'name="Báo">')]
    xml = messages(silent + (TO_SIGNAL if kind == "signal" else []))
    [entry] = validate(xml, context=CONTEXT).errors
    assert (entry.code, entry.element_id) == (f"{kind}_never_sent", "wait")
    assert "review_done" in entry.message and "review_done" in entry.message_vi


def test_send_and_receive_tasks_without_a_message_are_refused():
    xml = messages([('<bpmn:userTask id="notify" name="Thông báo"/>', '<bpmn:sendTask id="notify" name="Gửi"/>')])
    [entry] = validate(xml, context=CONTEXT).errors
    assert (entry.code, entry.element_id) == ("message_missing", "notify")


def test_pre_and_post_scripts_are_checked_like_script_tasks():
    xml = messages([
        ('<bpmn:userTask id="review" name="Thẩm định"/>',
         '<bpmn:userTask id="review" name="Thẩm định"><bpmn:extensionElements>'
         "<spiffworkflow:preScript>import os</spiffworkflow:preScript>"
         "<spiffworkflow:postScript>x = (</spiffworkflow:postScript></bpmn:extensionElements></bpmn:userTask>"),
        ("<bpmn:definitions ", f"<bpmn:definitions xmlns:spiffworkflow=\"{SPIFF_NS}\" "),
    ])
    report = validate(xml, context=CONTEXT)
    assert {(e.code, e.element_id) for e in report.errors} == {("script_refused", "review"),
                                                               ("script_invalid", "review")}
    refused = next(e for e in report.errors if e.code == "script_refused")
    assert "pre-script" in refused.message and "imports are not allowed" in refused.message
