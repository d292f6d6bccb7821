"""The run contract (docs/run-contract.md): whatever fails while a dossier advances, the dossier advances, or
the request changes nothing and says why, or an incident names the dossier, the element and the cause and can
be resolved. Never a 500, never a completed step whose consequence is lost, never a dossier left with no way
forward. On a real Celery worker (``make test``: Redis, PostgreSQL)."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from onestop.dossiers.lifecycle import incidents
from onestop.dossiers.models import Dossier, DossierEvent, Incident
from onestop.interop.models import Exchange
from onestop.ops.metrics import exposition
from onestop.organisation.models import Agency
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit, wait_for
from tests.test_business_household import FORM as HOUSEHOLD_FORM

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_on_worker(celery_worker_process, peers):
    load_demo(peers)


def test_a_step_routed_to_a_missing_district_opens_an_incident_and_the_dossier_can_be_stopped(demo_on_worker):
    citizen = Actor("citizen1")
    # The two-tier province has communes only: the household registration is refused there at submission.
    refused = citizen.post("/api/v1/dossiers/", {"procedure": "2.000720", "agency": "tn-anbinh",
                                                 "form_data": HOUSEHOLD_FORM})
    assert refused.status_code == 400 and "district" in str(refused.json())
    assert not Dossier.objects.filter(receiving_agency__code="tn-anbinh").exists()

    # A ward's dossier is accepted; then the ward is attached to the city directly (a reorganisation): its
    # district step has nowhere to go when the verification forwards it.
    code = submit(citizen, "2.000720", "q1-benthanh", HOUSEHOLD_FORM)["code"]
    Actor("benthanh.receiver").act(code, "accept")
    ward = Agency.objects.get(code="q1-benthanh")
    ward.parent = Agency.objects.get(code="hcm")
    ward.save()
    Actor("benthanh.specialist").act(code, "forward")  # answers 200: the verification is recorded

    # The worker checks the registry, then the process cannot open the district's step: an incident says so.
    incident = wait_for(lambda: Incident.objects.filter(dossier__code=code, resolved_at__isnull=True).first())
    assert incident.kind == "advance_failed" and incident.element_id == "register"
    assert "district" in incident.message and "Bến Thành" in incident.message
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == "processing"
    assert Exchange.objects.get(dossier=dossier).state == "succeeded"  # the registry's answer is kept
    assert dossier.work_items.get(task_spec_id="verify").state == "completed"
    assert DossierEvent.objects.filter(dossier=dossier, action="incident_raised").count() == 1

    # The admin and the agency holding the dossier see it; another agency does not.
    for who in ("admin", "benthanh.leader"):
        seen = Actor(who).get("/api/v1/incidents/", open="true").json()["results"]
        assert [i["dossier"] for i in seen if i["id"] == incident.pk] == [code]
    assert Actor("bennghe.leader").get(f"/api/v1/incidents/{incident.pk}/").status_code == 404

    # Sent again by hand, the exchanges change nothing and the command ends normally.
    call_command("requeue_exchanges", "--older-than", "0")

    # Retrying before the agency tree is fixed changes nothing and says why.
    admin = Actor("admin")
    again = admin.post(f"/api/v1/incidents/{incident.pk}/retry/")
    assert again.status_code == 409 and "district" in again.json()["detail"]
    assert Incident.objects.get(pk=incident.pk).resolved_at is None

    # Stopping needs a reason, then ends the dossier with it.
    assert admin.post(f"/api/v1/incidents/{incident.pk}/stop/", {"reason": ""}).status_code == 400
    stopped = admin.post(f"/api/v1/incidents/{incident.pk}/stop/",
                         {"reason": "Phường chưa có cơ quan đăng ký hộ kinh doanh"})
    assert stopped.status_code == 200 and stopped.json()["resolution"] == "stopped"
    seen = citizen.dossier(code)
    assert seen["status"] == "stopped" and not seen["open_steps"]
    assert seen["timeline"][-1]["action"] == "stopped"
    assert seen["timeline"][-1]["comment"] == "Phường chưa có cơ quan đăng ký hộ kinh doanh"


def test_the_sweep_finds_a_dossier_with_no_way_forward_and_a_retry_gives_it_back_its_step(demo_on_worker):
    from onestop.dossiers.tasks import sweep_stuck_dossiers

    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    # Its reception step is lost (as a restore of an older backup of one table would leave it).
    WorkItem.objects.filter(dossier__code=code).update(state="cancelled")

    sweep_stuck_dossiers.delay()
    incident = wait_for(lambda: Incident.objects.filter(dossier__code=code, kind="stuck").first())
    assert incident.resolved_at is None and "Đã nộp" in incident.message
    assert b"onestop_dossiers_stuck 1.0" in exposition()[0]
    assert [i["id"] for i in Actor("bennghe.receiver").get("/api/v1/incidents/").json()["results"]] == [incident.pk]

    assert Actor("admin").post(f"/api/v1/incidents/{incident.pk}/retry/").status_code == 200
    assert Actor("bennghe.receiver").item(code)["kind"] == "reception"  # the desk has it again
    assert incidents.sweep_stuck_dossiers() == 0  # nothing is stuck any more: no second incident
    Actor("bennghe.receiver").act(code, "accept")
    assert Incident.objects.filter(dossier__code=code).count() == 1


def _with_multi_instance_script_before_the_lookup() -> bytes:
    """The birth registration with a sequential multi-instance script task (3 instances) before the mother's
    lookup: the process state then holds a multi-instance task when the exchange resumes it."""
    xml = (ROOT / "bpmn" / "birth_registration.bpmn").read_text(encoding="utf-8")
    node = "<bpmn:flowNodeRef>lookup_mother</bpmn:flowNodeRef>"
    xml = xml.replace(node, "<bpmn:flowNodeRef>tally</bpmn:flowNodeRef>" + node)
    xml = xml.replace('sourceRef="start" targetRef="lookup_mother" />',
                      'sourceRef="start" targetRef="tally" />'
                      '<bpmn:sequenceFlow id="flow_tally_lookup" sourceRef="tally" targetRef="lookup_mother" />')
    lookup_in = "<bpmn:incoming>flow_start_review</bpmn:incoming>\n      <bpmn:outgoing>flow_lookup_mother_review"
    xml = xml.replace(lookup_in, lookup_in.replace("flow_start_review", "flow_tally_lookup"))
    tally = '''    <bpmn:scriptTask id="tally" name="Đếm bản sao / Count the copies" scriptFormat="python">
      <bpmn:incoming>flow_start_review</bpmn:incoming>
      <bpmn:outgoing>flow_tally_lookup</bpmn:outgoing>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true">
        <bpmn:loopCardinality>3</bpmn:loopCardinality>
      </bpmn:multiInstanceLoopCharacteristics>
      <bpmn:script>copies = 1</bpmn:script>
    </bpmn:scriptTask>
'''
    xml = xml.replace('    <bpmn:serviceTask id="lookup_mother"', tally + '    <bpmn:serviceTask id="lookup_mother"', 1)
    assert xml.count('id="tally"') == 1 and 'targetRef="tally"' in xml
    return xml.encode("utf-8")


def test_a_multi_instance_script_before_an_exchange_never_leaves_the_dossier_stuck(demo_on_worker):
    admin = Actor("admin")
    upload = admin.client.post("/api/v1/procedures/1.001193/versions/", {"bpmn_file": SimpleUploadedFile(
        "tally.bpmn", _with_multi_instance_script_before_the_lookup(), content_type="application/xml")})
    assert upload.status_code == 201, upload.content
    number = upload.json()["number"]
    assert admin.post(f"/api/v1/procedures/1.001193/versions/{number}/publish/").status_code == 200

    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    specialist = Actor("bennghe.specialist")

    # The worker looks the mother up and resumes the process: it reaches the review, or an incident says why.
    def outcome():
        if [i for i in specialist.queue() if i["dossier"] == code]:
            return "advanced"
        if Incident.objects.filter(dossier__code=code, resolved_at__isnull=True).exists():
            return "incident"
        return None

    assert wait_for(outcome) == "advanced"
    assert Exchange.objects.get(dossier__code=code, operator="population.lookup_citizen").state == "succeeded"
    specialist.act(code, "approve")
    assert citizen.dossier(code)["status"] == "processing"
