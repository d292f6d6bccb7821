"""Background work on a real Celery worker process, on committed data (``make test``: Redis, PostgreSQL)."""
import time

import pytest
from django.db import transaction

from onestop.dossiers.models import Dossier, DossierEvent
from onestop.interop.models import Exchange, RegisterBook
from onestop.interop.tasks import run_exchange
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def signed_off(celery_worker_process, peers):
    """A birth registration approved and ready for signing by the ward chairman."""
    load_demo(peers)
    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    specialist = Actor("bennghe.specialist")
    # The worker looks the mother up in the population database before the review step opens.
    wait_for(lambda: [i for i in specialist.queue() if i["dossier"] == code])
    specialist.act(code, "approve")
    return citizen, code


def test_worker_does_the_service_task_and_resumes_the_process(signed_off):
    citizen, code = signed_off
    Actor("bennghe.leader").act(code, "sign")

    seen = wait_for(lambda: (d := citizen.dossier(code))["status"] == "result_ready" and d)
    lookup, exchange = seen["exchanges"]
    assert lookup["operator"] == "population.lookup_citizen"
    assert exchange["state"] == "succeeded"
    assert exchange["result"]["register_number"].startswith("1/")
    assert [s["kind"] for s in seen["open_steps"]] == ["return"]
    assert seen["timeline"][-1]["action"] == "exchange_completed"


def test_repeated_delivery_has_no_second_effect(signed_off):
    citizen, code = signed_off
    Actor("bennghe.leader").act(code, "sign")
    register = Exchange.objects.filter(dossier__code=code, operator="civil_status.register_birth")
    wait_for(lambda: register.filter(state="succeeded").exists())
    exchange = register.get()

    # The broker delivers the same job again (e.g. after a worker was killed before acknowledging).
    run_exchange.delay(exchange.pk)
    run_exchange.delay(exchange.pk)
    time.sleep(2)
    assert RegisterBook.objects.get().last == 1
    # One event for the mother's lookup, one for the register: none for the repeated deliveries.
    assert DossierEvent.objects.filter(dossier__code=code, action="exchange_completed").count() == 2
    assert Dossier.objects.get(code=code).status == "result_ready"


def test_exchange_of_a_rolled_back_request_is_never_sent(signed_off):
    citizen, code = signed_off
    leader = Actor("bennghe.leader")
    item = leader.item(code)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        # The raw client: the on-commit hooks wait for the outer block, which rolls back.
        response = leader.client.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "sign"},
                                      format="json")
        assert response.status_code == 200
        assert Exchange.objects.filter(dossier__code=code).exists()  # recorded, not yet committed
        raise Abort

    time.sleep(2)
    assert not Exchange.objects.filter(dossier__code=code, operator="civil_status.register_birth").exists()
    assert not RegisterBook.objects.exists()
    assert Dossier.objects.get(code=code).status == "processing"
    assert leader.item(code)["task_spec_id"] == "sign_certificate"


def test_script_smuggled_behind_the_validator_is_an_incident_and_the_worker_lives(celery_worker_process, peers):
    """A version edited straight in the database runs ``os.kill`` after the mother's lookup, in the worker."""
    import hashlib
    from pathlib import Path

    from onestop import celery_app
    from onestop.dossiers.models import Incident
    from procedures.models import ProcedureVersion

    load_demo(peers)
    xml = (Path(__file__).resolve().parent.parent / "bpmn" / "birth_registration.bpmn").read_bytes()
    evil = xml.replace(
        b'<bpmn:sequenceFlow id="flow_lookup_mother_review" sourceRef="lookup_mother" targetRef="review" />',
        b'<bpmn:sequenceFlow id="flow_lookup_mother_review" sourceRef="lookup_mother" targetRef="evil" />'
        b'<bpmn:scriptTask id="evil" name="Evil"><bpmn:script>from os import kill\nkill(1, 9)</bpmn:script>'
        b'</bpmn:scriptTask><bpmn:sequenceFlow id="flow_evil_review" sourceRef="evil" targetRef="review" />',
    )
    assert evil != xml
    ProcedureVersion.objects.filter(procedure__code="1.001193").update(
        bpmn_xml=evil.decode(), checksum=hashlib.sha256(evil).hexdigest())

    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    incident = wait_for(lambda: Incident.objects.filter(dossier__code=code).first())
    assert (incident.kind, incident.element_id) == ("process_error", "evil")
    assert "import" in incident.message
    assert celery_worker_process.poll() is None and celery_app.control.ping(timeout=2)
    assert Dossier.objects.get(code=code).status == "processing"
    assert not [i for i in Actor("bennghe.specialist").queue() if i["dossier"] == code]
