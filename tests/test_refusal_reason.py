"""A dossier is never refused without a reason, and the applicant reads it at the top of the dossier."""
import pytest
from django.test import Client

from onestop.core.exceptions import InvalidInput
from onestop.worklist.forms import clean_submission
from procedures import services as procedure_services
from tests.conftest import BIRTH_FORM, submit

# "not_found" says nothing of a refusal by its name; its path ends with outcome "refused".
REGISTER_CHECK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://onestop.test">
  <bpmn:process id="register_check" name="Trích lục hộ tịch" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Phường [ward]">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>look_up</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>gw</bpmn:flowNodeRef><bpmn:flowNodeRef>issued</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>refused</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="look_up" name="Tra sổ hộ tịch / Look up the register" camunda:candidateGroups="specialist">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="Kết quả tra sổ" type="enum">
          <camunda:value id="found" name="Có trong sổ / Found"/>
          <camunda:value id="not_found" name="Không có trong sổ / Not found"/>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw"/>
    <bpmn:endEvent id="issued"/>
    <bpmn:endEvent id="refused"><bpmn:extensionElements><camunda:properties>
      <camunda:property name="outcome" value="refused"/></camunda:properties></bpmn:extensionElements></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="look_up"/>
    <bpmn:sequenceFlow id="f2" sourceRef="look_up" targetRef="gw"/>
    <bpmn:sequenceFlow id="f3" sourceRef="gw" targetRef="issued">
      <bpmn:conditionExpression>decision == "found"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="gw" targetRef="refused">
      <bpmn:conditionExpression>decision == "not_found"</bpmn:conditionExpression></bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>""".encode()

# A step's form as the engine gives it: ``not_found`` leads to an end with outcome ``refused``.
CHECK_FORM = [
    {"id": "decision", "type": "enum", "label": "Kết quả kiểm tra", "options": [
        {"id": "found", "name": "Có trong sổ / Found"},
        {"id": "not_found", "name": "Không có trong sổ / Not found", "requires_reason": True},
    ]},
    {"id": "check_notes", "type": "string", "label": "Ghi chú", "options": []},
]


def test_an_option_that_can_refuse_needs_a_reason_whatever_its_name():
    with pytest.raises(InvalidInput) as refused:
        clean_submission(CHECK_FORM, "not_found", {}, "  ")
    assert "comment" in refused.value.errors
    assert clean_submission(CHECK_FORM, "not_found", {}, "Không có tên trong sổ hộ tịch") == {"decision": "not_found"}
    assert clean_submission(CHECK_FORM, "found", {"check_notes": "ok"}, "") == {"decision": "found",
                                                                                "check_notes": "ok"}


def test_refuse_by_its_name_still_needs_a_reason():
    form = [{"id": "decision", "type": "enum", "label": "Quyết định",
             "options": [{"id": "approve", "name": "Đồng ý"}, {"id": "refuse", "name": "Từ chối"}]}]
    with pytest.raises(InvalidInput):
        clean_submission(form, "refuse", {}, "")


def _page(username, code):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(f"/my/dossiers/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_step_refusing_without_a_reason_is_refused_and_the_reason_reaches_the_applicant(as_user):
    citizen, desk, officer = as_user("citizen1"), as_user("bennghe.receiver"), as_user("bennghe.specialist")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    assert citizen.dossier(code)["refusal"] is None

    item = officer.item(code)
    assert officer.post(f"/api/v1/work-items/{item['id']}/claim/").status_code == 200
    answer = officer.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "refuse", "comment": ""})
    assert answer.status_code == 400 and "comment" in answer.json()["errors"]
    assert citizen.dossier(code)["status"] == "processing"

    reason = "Giấy chứng sinh không do cơ sở y tế cấp"
    officer.act(code, "refuse", comment=reason)
    seen = citizen.dossier(code)
    assert seen["status"] == "refused"
    assert seen["refusal"]["reason"] == reason
    assert seen["refusal"]["agency"]["code"] == "q1-bennghe"
    assert seen["refusal"]["step"].startswith("Thẩm định")

    page = _page("citizen1", code)
    box = page.index('id="refusal"')
    assert reason in page[box:page.index("</section>", box)]
    assert box < page.index('id="timeline"')  # at the top, before the form and the history


def test_the_desk_refusal_reason_is_shown_too(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    reason = "Thủ tục không thuộc thẩm quyền của phường"
    desk.act(code, "refuse", comment=reason)
    seen = citizen.dossier(code)
    assert (seen["status"], seen["refusal"]["reason"], seen["refusal"]["step"]) == (
        "refused", reason, "Tiếp nhận hồ sơ")
    assert reason in _page("citizen1", code)


def test_a_decision_whose_path_ends_refused_needs_a_reason_end_to_end(as_user):
    schema = {"type": "object", "required": ["entry"], "properties": {"entry": {"type": "string", "title": "Số"}}}
    procedure_services.import_bpmn(REGISTER_CHECK, "T.0006", publish=True, defaults={"form_schema": schema})
    citizen, desk, officer = as_user("citizen1"), as_user("bennghe.receiver"), as_user("bennghe.specialist")
    code = submit(citizen, "T.0006", "q1-bennghe", {"entry": "12/1990"})["code"]
    desk.act(code, "accept")
    item = officer.item(code)
    options = {o["id"]: o for o in item["form"][0]["options"]}
    assert options["not_found"].get("requires_reason") and not options["found"].get("requires_reason")

    assert officer.post(f"/api/v1/work-items/{item['id']}/claim/").status_code == 200
    answer = officer.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "not_found", "comment": " "})
    assert answer.status_code == 400 and "comment" in answer.json()["errors"]
    assert citizen.dossier(code)["status"] == "processing"

    reason = "Sổ hộ tịch năm 1990 không có số 12"
    officer.act(code, "not_found", comment=reason)
    seen = citizen.dossier(code)
    assert (seen["status"], seen["refusal"]["reason"]) == ("refused", reason)
    assert reason in _page("citizen1", code)


def test_the_written_refusal_is_handed_over_at_the_desk_like_a_result(as_user):
    citizen, desk, officer = as_user("citizen1"), as_user("bennghe.receiver"), as_user("bennghe.specialist")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    officer.act(code, "refuse", comment="Giấy chứng sinh không hợp lệ")
    item = desk.item(code)
    assert (item["kind"], item["name"]) == ("return", "Trả văn bản từ chối")
    page = _page("citizen1", code)
    assert 'id="refusal-collect"' in page and "Phường Bến Nghé" in page

    desk.act(code, "returned", {"collected_by": "Nguyễn Văn An"})
    seen = citizen.dossier(code)
    assert (seen["status"], seen["open_steps"], seen["timeline"][-1]["action"]) == ("refused", [], "return_completed")
    assert seen["refusal"]["reason"] == "Giấy chứng sinh không hợp lệ"
    assert 'id="refusal-collect"' not in _page("citizen1", code)
