"""Procedure versions through the admin API: upload with a report, diff, publish, retire, migrate."""
import hashlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from onestop.dossiers.models import Dossier, Incident
from procedures.models import CatalogueEvent, ProcedureVersion
from tests.conftest import BIRTH_FORM, Actor, submit

BIRTH = (Path(__file__).resolve().parent.parent / "bpmn" / "birth_registration.bpmn").read_bytes()
# v2: the review step renamed, nothing else changed.
RENAMED = BIRTH.replace("Thẩm định hồ sơ khai sinh / Review the birth registration".encode(),
                        "Thẩm định hồ sơ khai sinh (mẫu mới) / Review the birth registration (new form)".encode())
# v3: the review step is gone (a new id), so a dossier waiting in it cannot move.
REPLACED = BIRTH.replace(b'"review"', b'"review_v3"').replace(b">review<", b">review_v3<")
SMUGGLED = BIRTH.replace(b'camunda:topic="population.lookup_citizen"', b'camunda:topic="no.such_operator"')


@pytest.fixture
def admin(demo):
    return Actor("admin")


def upload(actor, code, xml, name="upload.bpmn"):
    return actor.client.post(f"/api/v1/procedures/{code}/versions/",
                             {"bpmn_file": SimpleUploadedFile(name, xml, content_type="application/xml")})


def waiting_in_review(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    assert as_user("bennghe.specialist").item(code)["task_spec_id"] == "review"
    return code


def test_only_admins_upload(as_user):
    for username in ("citizen1", "bennghe.leader"):
        assert upload(as_user(username), "1.001193", RENAMED).status_code == 403
    assert ProcedureVersion.objects.filter(procedure__code="1.001193").count() == 1


def test_upload_gives_a_draft_with_its_report_and_diff(admin):
    response = upload(admin, "1.001193", RENAMED, "khai-sinh-v2.bpmn")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["number"], body["state"], body["created"], body["filename"]) == (2, "draft", True,
                                                                                  "khai-sinh-v2.bpmn")
    assert body["report"]["ok"] is True
    # The same file again is recognised, not stored twice.
    again = upload(admin, "1.001193", RENAMED)
    assert (again.status_code, again.json()["number"], again.json()["created"]) == (200, 2, False)
    detail = admin.get("/api/v1/procedures/1.001193/versions/2/").json()
    assert detail["diff"]["against"] == 1
    assert detail["diff"]["tasks"]["renamed"] == [{
        "id": "review", "from": "Thẩm định hồ sơ khai sinh / Review the birth registration",
        "to": "Thẩm định hồ sơ khai sinh (mẫu mới) / Review the birth registration (new form)"}]
    assert detail["diff"]["tasks"]["added"] == detail["diff"]["tasks"]["removed"] == []
    xml = admin.client.get("/api/v1/procedures/1.001193/versions/2/bpmn/")
    assert xml.status_code == 200 and xml.content == RENAMED


def test_file_with_errors_is_kept_as_draft_but_cannot_be_published(admin):
    response = upload(admin, "1.001193", SMUGGLED)
    assert response.status_code == 201
    report = response.json()["report"]
    assert report["ok"] is False
    [entry] = [e for e in report["entries"] if e["level"] == "error"]
    assert entry["element_id"] == "lookup_mother" and "no.such_operator" in entry["message"]
    assert entry["message_vi"] and entry["line"]
    number = response.json()["number"]
    response = admin.post(f"/api/v1/procedures/1.001193/versions/{number}/publish/")
    assert response.status_code == 409
    assert admin.client.delete(f"/api/v1/procedures/1.001193/versions/{number}/").status_code == 204
    assert not ProcedureVersion.objects.filter(procedure__code="1.001193", number=number).exists()


def test_unreadable_file_is_refused_with_a_report(admin):
    response = upload(admin, "1.001193", b"<html>not bpmn</html>")
    assert response.status_code == 400
    assert response.json()["report"]["entries"][0]["level"] == "error"
    response = admin.client.post("/api/v1/procedures/1.001193/versions/", {})
    assert response.status_code == 400 and "bpmn_file" in response.json()


def test_publish_new_version_while_dossiers_run_on_the_old_one(admin, as_user):
    old = waiting_in_review(as_user)
    upload(admin, "1.001193", RENAMED)
    assert admin.post("/api/v1/procedures/1.001193/versions/2/publish/").json()["state"] == "published"
    assert ProcedureVersion.objects.get(procedure__code="1.001193", number=1).state == "retired"
    new = waiting_in_review(as_user)
    specialist = as_user("bennghe.specialist")
    assert specialist.item(old)["name"] == "Thẩm định hồ sơ khai sinh"  # the step's name in the request's language
    assert specialist.item(new)["name"] == "Thẩm định hồ sơ khai sinh (mẫu mới)"
    for code in (old, new):
        specialist.act(code, "approve")
        as_user("bennghe.leader").act(code, "sign")
        assert as_user("citizen1").dossier(code)["status"] == "result_ready"
    assert Dossier.objects.get(code=old).version.number == 1
    assert Dossier.objects.get(code=new).version.number == 2


def test_compatible_migration_moves_a_waiting_dossier(admin, as_user):
    code = waiting_in_review(as_user)
    upload(admin, "1.001193", RENAMED)
    admin.post("/api/v1/procedures/1.001193/versions/2/publish/")
    response = admin.post("/api/v1/procedures/1.001193/versions/2/migrate/", {"from_version": 1})
    assert response.status_code == 200, response.content
    assert response.json()["moved"] == [code]
    dossier = Dossier.objects.get(code=code)
    assert (dossier.version.number, dossier.process.version.number) == (2, 2)
    specialist = as_user("bennghe.specialist")
    specialist.act(code, "approve")
    as_user("bennghe.leader").act(code, "sign")
    assert as_user("citizen1").dossier(code)["status"] == "result_ready"
    actions = [e["action"] for e in as_user("citizen1").dossier(code)["timeline"]]
    assert "migrated" in actions
    events = CatalogueEvent.objects.filter(procedure__code="1.001193").order_by("at", "id")
    assert [(e.action, e.version_number, e.actor.username if e.actor else None) for e in events][-4:] == [
        ("uploaded", 2, "admin"), ("retired", 1, "admin"), ("published", 2, "admin"), ("migrated", 2, "admin")]


def test_incompatible_migration_is_refused_with_the_blockers(admin, as_user):
    code = waiting_in_review(as_user)
    assert upload(admin, "1.001193", REPLACED).json()["report"]["ok"] is True
    response = admin.post("/api/v1/procedures/1.001193/versions/2/migrate/", {"from_version": 1})
    assert response.status_code == 409
    assert response.json()["errors"]["blockers"] == [
        {"dossier": code, "steps": ["Thẩm định hồ sơ khai sinh / Review the birth registration"]}]
    assert Dossier.objects.get(code=code).version.number == 1


def test_retired_version_keeps_its_dossiers_running(admin, as_user):
    code = waiting_in_review(as_user)
    assert admin.post("/api/v1/procedures/1.001193/versions/1/retire/").json()["state"] == "retired"
    response = as_user("citizen1").post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                               "form_data": BIRTH_FORM})
    assert response.status_code == 400  # no published version: not open for submissions
    as_user("bennghe.specialist").act(code, "approve")
    as_user("bennghe.leader").act(code, "sign")
    assert as_user("citizen1").dossier(code)["status"] == "result_ready"


def test_script_smuggled_into_a_running_version_ends_as_an_incident(admin, as_user):
    """A version that bypassed the validator (inserted straight into the database) tries to run os.kill."""
    evil = BIRTH.replace(
        b'<bpmn:serviceTask id="register_birth"',
        b'<bpmn:scriptTask id="evil" name="Evil"><bpmn:incoming>x</bpmn:incoming>'
        b'<bpmn:script>from os import kill\nkill(1, 9)</bpmn:script></bpmn:scriptTask>'
        b'<bpmn:serviceTask id="register_birth"',
    )
    assert evil != BIRTH
    evil = _route_through(evil)
    version = ProcedureVersion.objects.get(procedure__code="1.001193", number=1)
    # Its own checksum, so that the engine's spec cache does not mix it up with the real version 1.
    ProcedureVersion.objects.filter(pk=version.pk).update(bpmn_xml=evil.decode(),
                                                          checksum=hashlib.sha256(evil).hexdigest())
    code = waiting_in_review(as_user)
    as_user("bennghe.specialist").act(code, "approve")
    response = as_user("bennghe.leader").post(
        f"/api/v1/work-items/{as_user('bennghe.leader').item(code)['id']}/complete/", {"decision": "sign"})
    assert response.status_code == 200  # the official's step counts; the failure is the process's
    incident = Incident.objects.get(dossier__code=code)
    assert incident.kind == "process_error" and incident.element_id == "evil"
    assert "import" in incident.message.lower()
    listed = admin.get("/api/v1/incidents/").json()["results"]
    assert [i["element_id"] for i in listed] == ["evil"]


def _route_through(xml):
    """Send the signed flow through the inserted script task before the birth register step."""
    return xml.replace(b'<bpmn:incoming>x</bpmn:incoming>', b'<bpmn:incoming>flow_sign_sign</bpmn:incoming>'
                       b'<bpmn:outgoing>flow_evil_register</bpmn:outgoing>').replace(
        b'sourceRef="gw_sign" targetRef="register_birth"', b'sourceRef="gw_sign" targetRef="evil"'
    ).replace(b'</bpmn:process>', b'<bpmn:sequenceFlow id="flow_evil_register" sourceRef="evil" '
              b'targetRef="register_birth" /></bpmn:process>')


CONFORMANCE = Path(__file__).resolve().parents[2] / "shared" / "bpmn-conformance" / "miwg-reference"
FOREIGN = sorted(p.name for p in CONFORMANCE.glob("*.bpmn")) if CONFORMANCE.is_dir() else []


@pytest.mark.skipif(not FOREIGN, reason="shared/bpmn-conformance is not beside this clone")
def test_foreign_files_through_the_api_and_the_command(admin):
    """The 21 MIWG reference files: each accepted, or refused with a report; never a 500 or a traceback."""
    from django.core.management import CommandError, call_command

    for number, name in enumerate(FOREIGN, start=1):
        xml = (CONFORMANCE / name).read_bytes()
        response = upload(admin, f"MIWG.{number}", xml, name)
        assert response.status_code in (200, 201, 400), (name, response.status_code)
        report = response.json()["report"]
        for entry in report["entries"]:
            assert entry["message"] and entry["message_vi"], (name, entry)
        if response.status_code == 400:
            assert not report["ok"]
        try:
            call_command("import_bpmn", str(CONFORMANCE / name), "--procedure", f"MIWG.C{number}")
        except CommandError as exc:
            assert name in str(exc) and "Traceback" not in str(exc)


@pytest.mark.parametrize("xml", [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>',
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>',
])
def test_entity_attacks_are_refused_quickly(admin, xml):
    import time

    started = time.monotonic()
    response = upload(admin, "1.001193", xml)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 400
    assert "root:" not in response.content.decode()  # /etc/passwd was not read into the answer
    assert "DOCTYPE" in response.json()["report"]["entries"][0]["message"]


def test_script_that_imports_os_is_refused_at_upload(admin):
    script = ('<bpmn:scriptTask id="evil" name="Dọn dẹp"><bpmn:script>from os import kill\nkill(1, 9)</bpmn:script>'
              '</bpmn:scriptTask><bpmn:sequenceFlow id="flow_evil_review" sourceRef="evil" targetRef="review" />')
    flow = b'<bpmn:sequenceFlow id="flow_lookup_mother_review" sourceRef="lookup_mother" targetRef="review" />'
    evil = BIRTH.replace(flow, flow.replace(b'"review"', b'"evil"') + script.encode())
    assert evil != BIRTH
    report = upload(admin, "1.001193", evil).json()["report"]
    assert not report["ok"]
    [entry] = [e for e in report["entries"] if e["element_id"] == "evil" and e["level"] == "error"]
    assert "import" in entry["message"] and entry["element_name"] == "Dọn dẹp"


def test_admin_mends_a_failing_step_and_the_dossier_carries_on(admin, as_user):
    """A condition that fails at run time: an incident; the admin publishes a mended version, moves the
    dossier onto it and retries; the process continues from the failed step."""
    flow = b'<bpmn:sequenceFlow id="flow_lookup_mother_review" sourceRef="lookup_mother" targetRef="review" />'
    script = ('<bpmn:scriptTask id="check_age" name="Tính tuổi / Compute the age"><bpmn:script>{}</bpmn:script>'
              '</bpmn:scriptTask><bpmn:sequenceFlow id="flow_age_review" sourceRef="check_age" targetRef="review" />')
    broken = BIRTH.replace(flow, flow.replace(b'"review"', b'"check_age"')
                           + script.format('age = form["child_birth_date"] + 1').encode())
    mended = BIRTH.replace(flow, flow.replace(b'"review"', b'"check_age"')
                           + script.format('age = len(form["child_birth_date"]) + 1').encode())
    assert upload(admin, "1.001193", broken).json()["report"]["ok"] is True  # valid: it fails only on real data
    admin.post("/api/v1/procedures/1.001193/versions/2/publish/")
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")

    [incident] = admin.get("/api/v1/incidents/", open="true").json()["results"]
    assert (incident["dossier"], incident["element_id"], incident["kind"]) == (code, "check_age", "process_error")
    assert "str" in incident["message"]  # a text plus a number
    # Retrying without a fix fails again, into a new incident.
    assert admin.post(f"/api/v1/incidents/{incident['id']}/retry/").status_code == 200
    [incident] = admin.get("/api/v1/incidents/", open="true").json()["results"]

    assert upload(admin, "1.001193", mended).status_code == 201
    admin.post("/api/v1/procedures/1.001193/versions/3/publish/")
    response = admin.post("/api/v1/procedures/1.001193/versions/3/migrate/", {"from_version": 2})
    assert response.status_code == 200 and response.json()["moved"] == [code]
    assert admin.post(f"/api/v1/incidents/{incident['id']}/retry/").status_code == 200
    assert admin.get("/api/v1/incidents/", open="true").json()["results"] == []
    assert as_user("bennghe.specialist").item(code)["task_spec_id"] == "review"
    assert admin.post(f"/api/v1/incidents/{incident['id']}/retry/").status_code == 409  # resolved already


def test_dossier_diagram_page_marks_where_it_waits(as_user):
    code = waiting_in_review(as_user)
    citizen = as_user("citizen1")
    citizen.client.force_login(citizen.user)
    page = citizen.client.get(f"/dossiers/{code}/diagram/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-current="review"' in html and "lookup_mother" in html
    xml = citizen.client.get(f"/dossiers/{code}/diagram.bpmn")
    assert xml.status_code == 200 and xml.content == BIRTH
    intruder = as_user("citizen2")
    intruder.client.force_login(intruder.user)
    assert intruder.client.get(f"/dossiers/{code}/diagram/").status_code == 404
    assert intruder.client.get(f"/dossiers/{code}/diagram.bpmn").status_code == 404
