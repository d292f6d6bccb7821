"""The one-stop desk: accept, request supplementation (the list given at once), refuse; withdrawal."""
from onestop.dossiers.models import Dossier
from tests.conftest import BIRTH_FORM, submit


def test_desk_requests_supplementation_and_citizen_answers_on_same_code(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]

    item = desk.item(code)
    desk.post(f"/api/v1/work-items/{item['id']}/claim/")
    response = desk.post(f"/api/v1/work-items/{item['id']}/complete/",
                         {"decision": "supplement", "comment": "Thiếu giấy tờ"})
    assert response.status_code == 400  # the list of documents is required
    assert "missing_documents" in response.json()["errors"]
    response = desk.post(f"/api/v1/work-items/{item['id']}/complete/", {
        "decision": "supplement", "comment": "Thiếu giấy tờ",
        "data": {"missing_documents": ["Giấy chứng sinh (bản chính)", "Giấy chứng nhận kết hôn (bản sao)"]},
    })
    assert response.status_code == 200, response.content

    seen = citizen.dossier(code)
    assert seen["status"] == "supplement_requested"
    assert seen["missing_documents"] == ["Giấy chứng sinh (bản chính)", "Giấy chứng nhận kết hôn (bản sao)"]
    assert seen["appointment_date"] is None
    assert not [i for i in desk.queue() if i["dossier"] == code]

    response = citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã bổ sung"})
    assert response.status_code == 200
    seen = response.json()
    assert (seen["code"], seen["status"], seen["missing_documents"]) == (code, "submitted", [])
    assert desk.item(code)["kind"] == "reception"
    desk.act(code, "accept")
    assert citizen.dossier(code)["status"] == "processing"
    assert Dossier.objects.filter(applicant__username="citizen1").count() == 1


def test_desk_refusal_needs_a_reason(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    item = desk.item(code)
    response = desk.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "refuse"})
    assert response.status_code == 400
    assert citizen.dossier(code)["status"] == "submitted"
    desk.act(code, "refuse", comment="Không thuộc thẩm quyền")
    seen = citizen.dossier(code)
    assert seen["status"] == "refused"
    assert seen["timeline"][-1]["comment"] == "Không thuộc thẩm quyền"


def test_citizen_withdraws_during_processing(as_user):
    citizen, desk, officer = as_user("citizen1"), as_user("bennghe.receiver"), as_user("bennghe.specialist")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    assert officer.item(code)
    response = citizen.post(f"/api/v1/dossiers/{code}/withdraw/", {"reason": "Nộp nhầm"})
    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert not [i for i in officer.queue() if i["dossier"] == code]
    # Withdrawn is final.
    assert citizen.post(f"/api/v1/dossiers/{code}/withdraw/").status_code == 409
    assert citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "x"}).status_code == 409


def test_two_tier_province_commune_receives_ward_level_procedure(as_user):
    """Since 2025 a province may have only communes: the same procedure runs there."""
    citizen, desk = as_user("citizen2"), as_user("anbinh.receiver")
    code = submit(citizen, "1.001193", "tn-anbinh", BIRTH_FORM)["code"]
    assert code.startswith("H55.01-")
    desk.act(code, "accept")
    as_user("anbinh.specialist").act(code, "approve")
    as_user("anbinh.leader").act(code, "sign")
    assert citizen.dossier(code)["status"] == "result_ready"


def test_the_api_hands_a_result_over_only_to_a_named_collector(as_user):
    """As at the desk's page: who collected the result, with a valid ID number, or nothing is handed over."""
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    as_user("bennghe.specialist").act(code, "approve", {"review_notes": "Đầy đủ"})
    as_user("bennghe.leader").act(code, "sign")
    item = desk.item(code)
    desk.post(f"/api/v1/work-items/{item['id']}/claim/")
    url = f"/api/v1/work-items/{item['id']}/complete/"

    response = desk.post(url, {"decision": "returned", "data": {}})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"collector_name", "collector_id_number"}
    response = desk.post(url, {"decision": "returned", "data": {"collector_name": "Nguyễn Văn An",
                                                                "collector_id_number": "12"}})
    assert response.status_code == 400 and set(response.json()["errors"]) == {"collector_id_number"}
    assert citizen.dossier(code)["status"] == "result_ready"

    response = desk.post(url, {"decision": "returned", "data": {"collector_name": "Nguyễn Văn An",
                                                                "collector_id_number": "079090000001"}})
    assert response.status_code == 200, response.content
    assert citizen.dossier(code)["status"] == "returned"
    handed = Dossier.objects.get(code=code).events.get(action="return_completed")
    assert handed.data["collected_by"] == "Nguyễn Văn An (079090000001)"


def _ask(desk, code, missing=("Giấy chứng sinh (bản chính)",)):
    item = desk.item(code)
    desk.post(f"/api/v1/work-items/{item['id']}/claim/")
    return desk.post(f"/api/v1/work-items/{item['id']}/complete/", {
        "decision": "supplement", "comment": "Thiếu giấy tờ", "data": {"missing_documents": list(missing)}})


def test_the_desk_asks_for_supplementation_once(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    assert _ask(desk, code).status_code == 200
    assert citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã bổ sung"}).status_code == 200

    response = _ask(desk, code, ["Giấy chứng nhận kết hôn (bản sao)"])
    assert response.status_code == 400
    assert "decision" in response.json()["errors"]
    assert "một lần" in response.json()["detail"]  # Vietnamese by default
    assert Dossier.objects.get(code=code).status == "submitted"  # still at the desk, to accept or refuse
    desk.act(code, "accept")


def test_an_empty_answer_to_a_supplementation_request_is_refused(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    _ask(desk, code)
    for body in ({}, {"comment": "   "}, {"form_data": {}}, {"form_data": BIRTH_FORM}):
        response = citizen.post(f"/api/v1/dossiers/{code}/supplement/", body)
        assert response.status_code == 400, body
        assert "comment" in response.json()["errors"]
    response = citizen.client.post(f"/api/v1/dossiers/{code}/supplement/", {}, format="json",
                                   HTTP_ACCEPT_LANGUAGE="en")
    assert "attach a document asked for, or write a note" in response.json()["detail"]
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == "supplement_requested" and not dossier.events.filter(action="supplemented").exists()
    # A corrected form is an answer too.
    response = citizen.post(f"/api/v1/dossiers/{code}/supplement/",
                            {"form_data": {"child_birth_place": "Bệnh viện Hùng Vương"}})
    assert response.status_code == 200, response.content


def test_an_online_dossier_sent_on_a_sunday_carries_the_monday_of_its_receipt_in_its_code(as_user, monkeypatch):
    """The code's date is the day of receipt: Sunday 29/11/2026 at 10:00 is received on Monday 30/11 at the
    opening; a paper dossier taken in at the desk carries the day it was taken in."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    sunday = datetime(2026, 11, 29, 10, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    monkeypatch.setattr(timezone, "now", lambda: sunday)
    first = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    second = submit(as_user("citizen2"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    assert (first, second) == ("H29.01.01-261130-0001", "H29.01.01-261130-0002")
    dossier = Dossier.objects.get(code=first)
    assert timezone.localtime(dossier.submitted_at).date().isoformat() == "2026-11-29"  # when it was sent


def test_an_english_reception_page_names_the_documents_in_english_and_records_them_in_vietnamese(as_user, client):
    """The desk working in English reads the checklist and the applicant's answers in English (the procedure has
    them); what it asks for is recorded as the dossier keeps it and form 02 prints it, in Vietnamese."""
    from django.contrib.auth import get_user_model

    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    item = desk.item(code)
    client.force_login(get_user_model().objects.get(username="bennghe.receiver"))
    client.cookies["django_language"] = "en"
    page = client.get(f"/work/items/{item['id']}/").content.decode()
    assert "Birth registration declaration form" in page
    assert "Tờ khai đăng ký khai sinh" not in page
    client.post(f"/work/items/{item['id']}/claim/")
    answer = client.post(f"/work/items/{item['id']}/receive/",
                         {"decision": "supplement", "missing": ["0"], "note": "Please sign the form"})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    assert Dossier.objects.get(code=code).missing_documents == [
        "Tờ khai đăng ký khai sinh (theo mẫu) (bản chính: 1, bản sao: 0)"]
