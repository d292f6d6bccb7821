"""The run contract (docs/run-contract.md) for procedures an admin uploads through the API: a file whose
sequence flows have no ids runs as drawn on a real worker, and files that wait for messages nothing in onestop
sends, or whose message correlation fails when the process starts, are refused at upload with the reason and
can never be published, so no dossier is ever started on them."""
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.dossiers.models import Dossier, Incident
from procedures.models import ProcedureVersion
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit, wait_for

ROOT = Path(__file__).resolve().parent.parent
FOREIGN = ROOT / "tests" / "data" / "foreign" / "spiffworkflow"
BIRTH = "1.001193"


def upload(admin: Actor, code: str, xml: bytes, name: str):
    return admin.client.post(f"/api/v1/procedures/{code}/versions/",
                             {"bpmn_file": SimpleUploadedFile(name, xml, content_type="application/xml")})


def _birth_registration_without_flow_ids() -> bytes:
    """The birth registration as a tool that writes no sequence flow ids exports it (as Flowable's and
    Activiti's examples do): no ``id`` on any flow, so no ``incoming``/``outgoing`` reference and no diagram
    edge can name one either."""
    xml = (ROOT / "bpmn" / "birth_registration.bpmn").read_text(encoding="utf-8")
    xml, flows = re.subn(r'<bpmn:sequenceFlow id="[^"]+" ', "<bpmn:sequenceFlow ", xml)
    xml = re.sub(r"\s*<bpmn:(incoming|outgoing)>flow_[^<]*</bpmn:\1>", "", xml)
    xml = re.sub(r"\s*<bpmndi:BPMNEdge .*?</bpmndi:BPMNEdge>", "", xml, flags=re.DOTALL)
    assert flows == 11 and "flow_" not in xml
    return xml.encode("utf-8")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_procedure_whose_flows_have_no_ids_runs_as_drawn(celery_worker_process, peers):
    load_demo(peers)
    admin = Actor("admin")
    response = upload(admin, BIRTH, _birth_registration_without_flow_ids(), "khai-sinh-khong-id.bpmn")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["report"]["ok"] is True, body["report"]
    # The upload names each flow after its ends, so the author can find it in the report.
    unnamed = [e for e in body["report"]["entries"] if e["code"] == "flow_without_id"]
    assert len(unnamed) == 11 and all(e["message"] and e["message_vi"] for e in unnamed)
    published = admin.post(f"/api/v1/procedures/{BIRTH}/versions/{body['number']}/publish/")
    assert published.status_code == 200 and published.json()["state"] == "published"

    citizen = Actor("citizen1")
    code = submit(citizen, BIRTH, "q1-bennghe", BIRTH_FORM)["code"]
    assert Dossier.objects.get(code=code).version.number == body["number"]
    Actor("bennghe.receiver").act(code, "accept")

    # The worker looks the mother up, then the ward's specialist reviews: not "result ready" at once.
    specialist = Actor("bennghe.specialist")
    wait_for(lambda: [i for i in specialist.queue() if i["dossier"] == code])
    assert specialist.item(code)["task_spec_id"] == "review"
    assert citizen.dossier(code)["status"] == "processing"
    specialist.act(code, "approve")

    leader = Actor("bennghe.leader")
    assert leader.item(code)["task_spec_id"] == "sign_certificate"
    leader.act(code, "sign")
    wait_for(lambda: citizen.dossier(code)["status"] == "result_ready")
    assert not Incident.objects.filter(dossier__code=code).exists()


# Files that wait for a message only another process could send, or whose correlation fails at start.
REFUSED = {
    "waiting_event.bpmn": {"message_never_sent"},
    "default_correlation_key.bpmn": {"message_never_sent"},
    "collaboration.bpmn": {"correlation_undefined", "message_never_sent"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_process_no_message_would_ever_reach_is_refused_at_upload_and_cannot_be_published(name, demo):
    admin = Actor("admin")
    before = set(ProcedureVersion.objects.values_list("pk", "state"))
    for code in (BIRTH, f"SPIFF.{name.split('.')[0]}"):  # a new version of a procedure, and a new procedure
        response = upload(admin, code, (FOREIGN / name).read_bytes(), name)
        assert response.status_code in (201, 400), response.content
        report = response.json()["report"]
        assert report["ok"] is False
        errors = [e for e in report["entries"] if e["level"] == "error"]
        assert {e["code"] for e in errors} == REFUSED[name], errors
        for entry in errors:  # the reason, in words a person reads, in both languages
            assert entry["element_id"] and entry["message"] and entry["message_vi"]
            assert entry["message"] != entry["message_vi"]
        if response.status_code == 201:  # kept as a draft to mend: publishing it says why not
            number = response.json()["number"]
            refused = admin.post(f"/api/v1/procedures/{code}/versions/{number}/publish/")
            assert refused.status_code == 409, refused.content
            assert "báo cáo" in refused.json()["detail"]  # it points at the report above
            assert ProcedureVersion.objects.get(procedure__code=code, number=number).state == "draft"
        # No version became published, so no dossier can be started on this file.
        published = ProcedureVersion.objects.filter(procedure__code=code, state="published")
        assert not published.exclude(pk__in=[pk for pk, state in before if state == "published"]).exists()

    citizen = Actor("citizen1")
    refused = citizen.post("/api/v1/dossiers/", {"procedure": f"SPIFF.{name.split('.')[0]}",
                                                 "agency": "q1-bennghe", "form_data": BIRTH_FORM})
    assert refused.status_code in (400, 404) and not Dossier.objects.filter(
        version__procedure__code=f"SPIFF.{name.split('.')[0]}").exists()
    # The published birth registration is still the one that runs.
    assert set(ProcedureVersion.objects.filter(procedure__code=BIRTH, state="published")
               .values_list("number", flat=True)) == {1}
