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

# file -> ("runs", the human tasks ready after the start, data) or ("refused", the report's error codes)
CORPUS = {
    # Flowable (and Activiti) write sequence flows without ids: they get one and run as drawn.
    "flowable/ParallelGatewayTest.testForkJoin.bpmn20.xml": ("runs", ["receivePayment", "shipOrder"], {}),
    "flowable/ParallelGatewayTest.testUnbalancedForkJoin.bpmn20.xml": ("runs", ["task1", "task2", "task3"], {}),
    # A bare ISO duration (PT1H) on a boundary timer, outside Camunda files.
    "flowable/timerOnTask.bpmn20.xml": ("runs", ["firstLineSupport"], {}),
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
