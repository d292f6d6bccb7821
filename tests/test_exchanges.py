"""X-interconnection on the real stack: a Celery worker process, Redis, PostgreSQL, and the peer
service on a real socket. A small procedure looks up two registries in parallel, then an official checks."""
import threading

import pytest

from onestop.dossiers.models import Dossier, DossierEvent, Incident
from onestop.engine import runtime
from onestop.interop import signing
from onestop.interop.models import Exchange, Peer
from onestop.worklist.models import WorkItem
from procedures import services as procedure_services
from tests.conftest import Actor, load_demo, submit, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

LOOKUPS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://onestop.test">
  <bpmn:process id="lookups" name="Tra cứu thử" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Phường [ward]">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>split</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>citizen</bpmn:flowNodeRef><bpmn:flowNodeRef>parcel</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>join</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:parallelGateway id="split"/>
    <bpmn:serviceTask id="citizen" name="Tra cứu công dân" camunda:type="external"
        camunda:topic="population.lookup_citizen">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="id_number">form["id_number"]</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="parcel" name="Tra cứu thửa đất" camunda:type="external"
        camunda:topic="land_registry.parcel_info">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="map_sheet">"12"</camunda:inputParameter>
        <camunda:inputParameter name="parcel_number">"125"</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:parallelGateway id="join"/>
    <bpmn:userTask id="check" name="Kiểm tra kết quả tra cứu" camunda:candidateGroups="specialist">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="Kết luận" type="enum">
          <camunda:value id="approve" name="Đồng ý"/>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="split"/>
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="citizen"/>
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="parcel"/>
    <bpmn:sequenceFlow id="f4" sourceRef="citizen" targetRef="join"/>
    <bpmn:sequenceFlow id="f5" sourceRef="parcel" targetRef="join"/>
    <bpmn:sequenceFlow id="f6" sourceRef="join" targetRef="check"/>
    <bpmn:sequenceFlow id="f7" sourceRef="check" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


@pytest.fixture
def accepted(celery_worker_process, peers):
    """Start a lookups dossier at Ben Nghe ward: returns a function that gets it accepted."""
    load_demo(peers)
    procedure_services.import_bpmn(LOOKUPS, "T.0001", publish=True, defaults={
        "form_schema": {"type": "object", "required": ["id_number"], "properties": {"id_number": {"type": "string"}}}})

    def start(id_number="079090000001"):
        code = submit(Actor("citizen1"), "T.0001", "q1-bennghe", {"id_number": id_number})["code"]
        Actor("bennghe.receiver").act(code, "accept")
        return code

    return start


def check_item(code):
    return WorkItem.objects.filter(dossier__code=code, task_spec_id="check", state="open").first()


def check_data(code):
    dossier = Dossier.objects.get(code=code)
    return runtime.task_data(dossier.process, check_item(code).task_id)


def test_lookups_resume_the_process_with_signed_answers(accepted, peers):
    peers.control(delay=0.3)  # both exchanges answer, and resume the dossier, at about the same moment
    code = accepted()
    wait_for(lambda: check_item(code))
    data = check_data(code)
    assert data["citizen"]["found"] is True and data["citizen"]["full_name"] == "Nguyễn Văn An"
    assert data["parcel"]["certificate_no"] == "CS 01234"

    exchanges = list(Exchange.objects.filter(dossier__code=code).order_by("task_spec_id"))
    assert [(e.task_spec_id, e.state, e.attempts, e.http_status) for e in exchanges] == [
        ("citizen", "succeeded", 1, 200), ("parcel", "succeeded", 1, 200)]
    for exchange in exchanges:
        assert exchange.response_digest == signing.digest(exchange.response_body.encode())
        assert exchange.peer is not None and exchange.total_duration_ms >= 0
    log = peers.log()
    assert {r["issue"] for r in log} == {code}
    assert all(r["verified"] and r["user"] == "bennghe.receiver" and r["client"] == "onestop" for r in log)
    # The citizen sees which systems were asked, for which dossier, by whom.
    tracker = Actor("citizen1").get("/api/v1/data-tracker/").json()["results"]
    assert {(t["dossier"], t["operator"], t["requested_by"]) for t in tracker} >= {
        (code, "population.lookup_citizen", "Cán bộ một cửa Phường Bến Nghé"),
        (code, "land_registry.parcel_info", "Cán bộ một cửa Phường Bến Nghé")}
    actions = [e["action"] for e in Actor("citizen1").dossier(code)["timeline"]]
    assert actions.count("exchange_completed") == 2


def test_two_failures_then_success_after_retries(accepted, peers):
    peers.control(fail=[500, 503])
    code = accepted()
    wait_for(lambda: check_item(code), timeout=60)
    attempts = sorted(Exchange.objects.filter(dossier__code=code).values_list("attempts", flat=True))
    assert sum(attempts) == 4  # two failed answers, then one success for each exchange
    assert not Incident.objects.exists()
    keys = {}
    for request in peers.log():
        keys.setdefault(request["idempotency_key"], set()).add(request["request_id"])
    assert sorted(len(ids) for ids in keys.values()) == sorted(attempts)  # a new request id per attempt


def test_peer_down_past_the_limit_raises_an_incident_and_manual_entry_resumes(accepted, peers):
    peers.control(down=True)
    code = accepted()
    wait_for(lambda: Incident.objects.filter(dossier__code=code).count() == 2, timeout=60)
    assert all(e.state == "failed" and e.attempts == 3 for e in Exchange.objects.filter(dossier__code=code))
    assert check_item(code) is None
    peers.control(down=False)

    official = Actor("bennghe.specialist")
    listed = official.get("/api/v1/incidents/", open="true").json()["results"]
    assert {i["dossier"] for i in listed} == {code} and "connection failed" in listed[0]["message"]
    assert Actor("citizen1").get("/api/v1/incidents/").json()["results"] == []
    assert Actor("benthanh.specialist").get("/api/v1/incidents/").json()["results"] == []

    by_step = {i.element_id: i for i in Incident.objects.filter(dossier__code=code)}
    url = f"/api/v1/incidents/{by_step['citizen'].pk}/enter-manually/"
    assert official.post(url, {"data": {"full_name": "Nguyễn Văn An"}}).status_code == 400  # no reason
    response = official.post(url, {"data": {"found": True, "full_name": "Nguyễn Văn An"},
                                   "reason": "Đối chiếu căn cước bản giấy tại quầy"})
    assert response.status_code == 200, response.content
    assert official.post(f"/api/v1/incidents/{by_step['parcel'].pk}/retry/").status_code == 200

    wait_for(lambda: check_item(code), timeout=60)
    data = check_data(code)
    assert data["citizen"] == {"found": True, "full_name": "Nguyễn Văn An"}
    assert data["parcel"]["found"] is True
    events = DossierEvent.objects.filter(dossier__code=code)
    manual = events.get(action="exchange_entered_manually")
    assert manual.actor.username == "bennghe.specialist" and manual.comment.startswith("Đối chiếu")
    assert events.filter(action="incident_raised").count() == 2


def test_wrong_signature_is_refused_by_the_peer_without_retrying(accepted, peers):
    Peer.objects.filter(code="population").update(secret="not-the-shared-secret")
    code = accepted()
    incident = wait_for(lambda: Incident.objects.filter(dossier__code=code).first(), timeout=60)
    exchange = incident.exchange
    assert (exchange.operator, exchange.attempts, exchange.http_status) == ("population.lookup_citizen", 1, 401)
    assert "401" in incident.message and "bad signature" in incident.message
    assert [r["verified"] for r in peers.log() if r["path"].startswith("/population")] == [False]


def test_repeated_delivery_has_exactly_one_effect(accepted, peers):
    """The broker gives the same job to a second worker (as after a worker killed before it acknowledged)."""
    from onestop.interop.tasks import run_exchange

    peers.control(delay=1.0)
    code = accepted()
    exchange = wait_for(lambda: Exchange.objects.filter(dossier__code=code, task_spec_id="citizen").first())
    run_exchange.delay(exchange.pk)
    run_exchange.delay(exchange.pk)
    wait_for(lambda: check_item(code), timeout=60)
    threading.Event().wait(2.5)  # let the repeated deliveries finish
    assert DossierEvent.objects.filter(dossier__code=code, action="exchange_completed").count() == 2
    assert WorkItem.objects.filter(dossier__code=code, task_spec_id="check").count() == 1
    exchange.refresh_from_db()
    assert exchange.state == "succeeded"
    citizen_requests = [r for r in peers.log() if r["path"].startswith("/population")]
    assert {r["idempotency_key"] for r in citizen_requests} == {str(exchange.idempotency_key)}


def test_unknown_citizen_is_an_answer_not_a_failure(accepted, peers):
    code = accepted(id_number="079000000999")
    wait_for(lambda: check_item(code))
    assert check_data(code)["citizen"] == {"found": False}
    assert not Incident.objects.exists()


def test_an_answer_after_its_step_was_left_is_kept_and_changes_nothing_else(demo, peers, monkeypatch):
    """The process went on without the service task (a boundary timer, say): the answer is kept, the exchange ends,
    and the dossier, its process and its trail stay as they were."""
    from onestop.dossiers.lifecycle import resume_after_exchange
    from onestop.engine.errors import StepNotWaiting
    from onestop.engine.models import ProcessInstance
    from tests.conftest import stalled_at_lookup

    code = stalled_at_lookup(peers)
    exchange = Exchange.objects.get(dossier__code=code)  # its population lookup, failed
    Exchange.objects.filter(pk=exchange.pk).update(state=Exchange.State.PENDING, result={"found": True})
    dossier = Dossier.objects.get(code=code)
    process_state = ProcessInstance.objects.get(pk=dossier.process_id).state
    events = DossierEvent.objects.filter(dossier=dossier).count()

    def left(*args, **kwargs):
        raise StepNotWaiting("not waiting")

    monkeypatch.setattr(runtime, "complete_service_task", left)
    resume_after_exchange(exchange.pk)
    exchange.refresh_from_db()
    assert (exchange.state, exchange.result) == ("succeeded", {"found": True})
    assert Dossier.objects.get(code=code).status == dossier.status
    assert ProcessInstance.objects.get(pk=dossier.process_id).state == process_state
    assert DossierEvent.objects.filter(dossier=dossier).count() == events
