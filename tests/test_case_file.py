"""The dossier is the case file: what an official enters at a step is kept with the step and read by the
officials of later steps, the leader who signs, and (fields the procedure marks public) the applicant."""
from django.contrib.auth import get_user_model
from django.test import Client

from procedures import services as procedure_services
from tests.conftest import BIRTH_FORM, submit

CASE_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://onestop.test">
  <bpmn:process id="recording" name="Ghi chép hồ sơ" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Phường [ward]">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>approve_entry</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="check" name="Kiểm tra / Check" camunda:candidateGroups="specialist">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="Kết luận" type="enum">
          <camunda:value id="ok" name="Đạt / Passed"/>
        </camunda:formField>
        <camunda:formField id="register_entry" label="Số vào sổ / Register entry" type="string">
          <camunda:properties><camunda:property id="public" value="true"/></camunda:properties>
        </camunda:formField>
        <camunda:formField id="visit_date" label="Ngày xác minh / Visit date" type="date">
          <camunda:properties><camunda:property id="public" value="true"/></camunda:properties>
        </camunda:formField>
        <camunda:formField id="internal_note" label="Ghi chú nội bộ / Internal note" type="string"/>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="approve_entry" name="Lãnh đạo ký / Leader signs" camunda:candidateGroups="leader">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="sign_decision" label="Quyết định" type="enum">
          <camunda:value id="signed" name="Ký / Sign"/>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="approve_entry"/>
    <bpmn:sequenceFlow id="f3" sourceRef="approve_entry" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()

FORM_SCHEMA = {"type": "object", "required": ["subject"],
               "properties": {"subject": {"type": "string", "title": "Nội dung"}}}
SECRET = "Người nộp từng bị nhắc nhở"


def _page(username, url):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_what_a_step_records_reaches_the_leader_and_its_public_part_the_applicant(as_user):
    procedure_services.import_bpmn(CASE_BPMN, "T.0005", publish=True, defaults={"form_schema": FORM_SCHEMA})
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    specialist, leader = as_user("bennghe.specialist"), as_user("bennghe.leader")
    code = submit(citizen, "T.0005", "q1-bennghe", {"subject": "Xác nhận"})["code"]
    desk.act(code, "accept")
    specialist.act(code, "ok", {"register_entry": "125/2026", "visit_date": "2026-12-03", "internal_note": SECRET},
                   comment="Đã xác minh tại nhà")

    # The leader who signs reads every field of the earlier step, with its label, over the API...
    item = leader.item(code)
    detail = leader.get(f"/api/v1/work-items/{item['id']}/").json()
    check = next(e for e in detail["case_file"] if e["step"] == "Kiểm tra")  # one language: Vietnamese first
    assert [(f["label"], f["text"]) for f in check["fields"]] == [
        ("Số vào sổ", "125/2026"), ("Ngày xác minh", "03/12/2026"), ("Ghi chú nội bộ", SECRET)]
    assert (check["decision_label"], check["comment"], check["agency"]) == (
        "Đạt", "Đã xác minh tại nhà", "q1-bennghe")
    # In English the BPMN's English halves, never both.
    english = leader.client.get(f"/api/v1/work-items/{item['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    check = next(e for e in english["case_file"] if e["step"] == "Check")
    assert [f["label"] for f in check["fields"]] == ["Register entry", "Visit date", "Internal note"]
    assert check["decision_label"] == "Passed"
    assert check["official"]
    # The step itself: its name, its agency's and its procedure's in English, one language per field.
    assert english["name"] == "Leader signs" and "/" not in english["agency_name"]
    assert english["agency_name"] == "Ben Nghe Ward People's Committee"
    vietnamese = leader.client.get(f"/api/v1/work-items/{item['id']}/").json()
    assert vietnamese["name"] == "Lãnh đạo ký" and vietnamese["agency_name"] == "Ủy ban nhân dân Phường Bến Nghé"
    # ... and on the step's page.
    page = _page("bennghe.leader", f"/work/items/{item['id']}/")
    assert 'id="case-file"' in page and SECRET in page and "03/12/2026" in page
    # The completed step keeps its own data.
    done = specialist.get("/api/v1/work-items/", state="completed").json()["results"]
    assert next(i for i in done if i["dossier"] == code)["data"]["register_entry"] == "125/2026"
    # Officials reading the dossier see the case file too.
    assert SECRET in str(desk.dossier(code)["case_file"])

    # The applicant reads the public fields only, in the API and on the portal.
    seen = citizen.dossier(code)
    assert [[(f["id"], f["text"]) for f in e["fields"]] for e in seen["case_file"]] == [
        [("register_entry", "125/2026"), ("visit_date", "03/12/2026")]]
    assert SECRET not in str(seen) and "official" not in seen["case_file"][0]
    portal = _page("citizen1", f"/my/dossiers/{code}/")
    assert "125/2026" in portal and "03/12/2026" in portal and SECRET not in portal


def test_the_birth_review_notes_reach_the_chairman(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    officer, chairman = as_user("bennghe.specialist"), as_user("bennghe.leader")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    officer.act(code, "approve", {"review_notes": "Giấy chứng sinh hợp lệ"})
    item = chairman.item(code)
    entries = chairman.get(f"/api/v1/work-items/{item['id']}/").json()["case_file"]
    review = next(e for e in entries if e["kind"] == "task")
    assert review["fields"] == [{"id": "review_notes", "label": "Ý kiến thẩm định", "value": "Giấy chứng sinh hợp lệ",
                                 "text": "Giấy chứng sinh hợp lệ"}]
    assert review["decision"] == "approve"
    # Nothing in the birth registration is marked public: the applicant's case file is empty.
    assert citizen.dossier(code)["case_file"] == []
