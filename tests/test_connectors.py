"""The connector layer against the peer service on a real socket: one attempt at a time."""
import itertools

import pytest

from onestop.dossiers.models import Dossier
from onestop.interop import connectors, services
from onestop.interop.models import Exchange, Peer, RestConnector
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, submit


@pytest.fixture
def exchange_for(as_user):
    """Exchanges of a submitted dossier, made directly (no process step)."""
    dossier = Dossier.objects.get(code=submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"])
    count = itertools.count(1)

    def make(operator, params):
        known = connectors.get_operator(operator)
        peer = Peer.objects.filter(code=known.peer).first() if known and known.peer else None
        return Exchange.objects.create(dossier=dossier, task_id=f"t{next(count)}", task_name="test",
                                       operator=operator, params=params, peer=peer)

    return make


def test_lookup_sends_a_signed_request_and_verifies_the_answer(exchange_for, peers):
    exchange = exchange_for("land_registry.parcel_info", {"map_sheet": "12", "parcel_number": "125"})
    outcome = connectors.call(exchange)
    assert outcome.error == "" and outcome.http_status == 200
    assert outcome.result["found"] is True and outcome.result["land_use_type"] == "ODT"
    [request] = peers.log()
    assert request["verified"] and request["request_id"] == outcome.request_id
    assert request["idempotency_key"] == str(exchange.idempotency_key)
    assert request["issue"] == exchange.dossier.code


def test_bad_parameters_are_refused_before_any_call(exchange_for, peers):
    outcome = connectors.call(exchange_for("population.lookup_citizen", {"id_number": "12"}))
    assert "Bad parameters" in outcome.error and not outcome.retry
    assert peers.log() == []
    outcome = connectors.call(exchange_for("no.such_operator", {}))
    assert "No connector" in outcome.error


def test_timeouts_and_server_errors_are_retried_client_errors_are_not(exchange_for, peers):
    Peer.objects.filter(code="population").update(read_timeout=0.2)
    peers.control(delay=0.6)
    outcome = connectors.call(exchange_for("population.lookup_citizen", {"id_number": "079090000001"}))
    assert outcome.retry and "time limit" in outcome.error
    peers.control(delay=0, fail=[502])
    outcome = connectors.call(exchange_for("population.lookup_citizen", {"id_number": "079090000001"}))
    assert outcome.retry and outcome.http_status == 502
    outcome = connectors.call(exchange_for("business_registry.lookup_household", {"owner_id_number": "0790"}))
    assert "Bad parameters" in outcome.error
    peers.control(fail=[400])
    outcome = connectors.call(exchange_for("population.lookup_citizen", {"id_number": "079090000001"}))
    assert not outcome.retry and outcome.http_status == 400 and outcome.result is None


def test_attempts_back_off_then_fail_for_good(exchange_for, peers):
    peers.control(down=True)
    exchange = exchange_for("population.lookup_citizen", {"id_number": "079090000001"})
    delays = []
    for _ in range(3):
        attempt = services.perform(exchange.pk)
        delays.append(attempt.retry_in)
    exchange.refresh_from_db()
    assert delays == [0.05, 0.1, None]  # the demo peers are set to 3 attempts, 0.05 s first delay
    assert (exchange.state, exchange.attempts) == ("failed", 3)
    assert services.perform(exchange.pk).exchange.attempts == 3  # a failed exchange is not tried again


def test_rest_connector_configured_without_code(exchange_for, peers):
    RestConnector.objects.create(
        operator="population.citizen_address", peer=Peer.objects.get(code="population"),
        path_template="/population/citizens/{id_number}",
        params_schema={"type": "object", "required": ["id_number"]},
        response_mapping={"address": "permanent_address", "name": "full_name"},
    )
    assert "population.citizen_address" in connectors.known_operators()
    outcome = connectors.call(exchange_for("population.citizen_address", {"id_number": "079190000002"}))
    assert outcome.result == {"address": outcome.result["address"], "name": "Trần Thị Bình"}
    assert "Nguyễn Thị Minh Khai" in outcome.result["address"]


def test_without_a_broker_a_dead_peer_gives_an_incident_not_an_error(as_user, peers):
    """The demo runs tasks eagerly: the attempts happen at once, and the request still succeeds."""
    from onestop.dossiers.models import Incident

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    peers.control(down=True)
    desk = as_user("bennghe.receiver")
    response = desk.post(f"/api/v1/work-items/{desk.item(code)['id']}/complete/", {"decision": "accept"})
    assert response.status_code == 200
    exchange = Exchange.objects.get(dossier__code=code)
    assert (exchange.state, exchange.attempts) == ("failed", 3)
    assert Incident.objects.get(dossier__code=code).exchange == exchange


SPIFF_LOOKUP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="http://x">
  <bpmn:process id="spiff_lookup" name="Tra cứu (SpiffArena)" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Phường [ward]">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>lookup</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="lookup" name="Tra cứu người mẹ">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="population.lookup_citizen" resultVariable="mother">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="id_number" type="str" value="form[&quot;mother_id_number&quot;]"/>
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:userTask id="check" name="Kiểm tra"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="lookup"/>
    <bpmn:sequenceFlow id="f2" sourceRef="lookup" targetRef="check"/>
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_spiffarena_service_task_runs_as_an_exchange(as_user, peers):
    """The SpiffArena dialect: serviceTaskOperator with parameters and a result variable."""
    from onestop.engine import runtime
    from procedures import services as procedure_services
    from procedures.models import Procedure

    birth_form = Procedure.objects.get(code="1.001193").form_schema
    version = procedure_services.import_bpmn(SPIFF_LOOKUP.encode(), "T.SPIFF", publish=True,
                                             defaults={"form_schema": birth_form})
    assert version.dialect == "spiff"
    code = submit(as_user("citizen1"), "T.SPIFF", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    exchange = Exchange.objects.get(dossier__code=code)
    assert (exchange.operator, exchange.params, exchange.state) == (
        "population.lookup_citizen", {"id_number": "079190000003"}, "succeeded")
    item = as_user("bennghe.specialist").item(code)
    dossier = Dossier.objects.get(code=code)
    data = runtime.task_data(dossier.process, WorkItem.objects.get(pk=item["id"]).task_id)
    assert data["mother"]["full_name"] == "Lê Thị Hoa"  # under the file's resultVariable
