"""Birth registration at ward level: one agency (desk, justice officer, chairman), end to end via the API."""
import re
from datetime import date

from django.utils import timezone

from onestop.deadlines.working_days import add_working_days, received_at
from tests.conftest import BIRTH_FORM, submit


def test_birth_registration_end_to_end(as_user):
    citizen = as_user("citizen1")
    desk, officer, chairman = as_user("bennghe.receiver"), as_user("bennghe.specialist"), as_user("bennghe.leader")
    other_ward_desk = as_user("benthanh.receiver")

    dossier = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)
    code = dossier["code"]
    today = timezone.localdate()
    receipt_day = timezone.localdate(received_at(timezone.now()))  # the next opening, outside office hours
    assert re.fullmatch(rf"H29\.01\.01-{receipt_day:%y%m%d}-\d{{4}}", code)
    assert dossier["status"] == "submitted"
    assert dossier["receiving_agency"]["code"] == "q1-bennghe"
    assert dossier["appointment_date"] is None

    # Only the desk of the receiving ward sees it.
    assert [i["kind"] for i in desk.queue() if i["dossier"] == code] == ["reception"]
    assert not [i for i in officer.queue() if i["dossier"] == code]
    assert not [i for i in other_ward_desk.queue() if i["dossier"] == code]
    assert other_ward_desk.get(f"/api/v1/dossiers/{code}/").status_code == 404

    desk.act(code, "accept")
    seen = citizen.dossier(code)
    assert seen["status"] == "processing"
    # The mother's record came from the population database (the peer service), not from the citizen.
    [lookup] = seen["exchanges"]
    assert (lookup["operator"], lookup["state"]) == ("population.lookup_citizen", "succeeded")
    assert lookup["system"] == "Cơ sở dữ liệu quốc gia về dân cư"
    # The record is the mother's: the officer reads it, the applicant (the father) does not.
    assert lookup["result"] == {"found": True} and not lookup["about_applicant"]
    assert officer.dossier(code)["exchanges"][0]["result"]["full_name"] == "Lê Thị Hoa"
    # One working day after the receipt (the next opening, when the desk acts outside office hours).
    received = received_at(timezone.now()).date()
    assert seen["appointment_date"] == add_working_days(received, 1).isoformat()
    assert date.fromisoformat(seen["appointment_date"]) > today
    assert [s["name"] for s in seen["open_steps"]] == ["Thẩm định hồ sơ khai sinh"]  # one language
    assert [a["code"] for a in seen["current_agencies"]] == ["q1-bennghe"]

    review = officer.item(code)
    assert review["role"] == "specialist" and review["agency"] == "q1-bennghe"
    assert review["due_date"] == seen["appointment_date"]
    assert {f["id"] for f in review["form"]} >= {"decision", "review_notes"}
    assert not [i for i in chairman.queue() if i["dossier"] == code]
    officer.act(code, "approve", {"review_notes": "Hồ sơ đầy đủ"})

    sign = chairman.item(code)
    assert sign["name"].startswith("Ký giấy khai sinh")
    chairman.act(code, "sign")

    # Signing reaches the service task "enter in the birth register", done in the background.
    seen = citizen.dossier(code)
    assert seen["status"] == "result_ready"
    exchange = seen["exchanges"][-1]
    assert exchange["operator"] == "civil_status.register_birth"
    assert exchange["state"] == "succeeded"
    assert exchange["result"]["register_number"] == f"1/{today.year}"
    assert [s["kind"] for s in seen["open_steps"]] == ["return"]
    desk.act(code, "returned", {"collected_by": "Nguyễn Văn An"})

    seen = citizen.dossier(code)
    assert seen["status"] == "returned"
    assert seen["open_steps"] == []
    steps = [(e["action"], e["from_status"], e["to_status"], e["actor"]) for e in seen["timeline"]]
    actions = [s[0] for s in steps]
    assert actions == [
        "submitted",
        "claimed", "reception_completed",
        "exchange_completed",
        "claimed", "task_completed",
        "claimed", "task_completed",
        "exchange_completed",
        "claimed", "return_completed",
    ]
    # The answers came to the background worker: the trail does not credit them to the officials who asked.
    assert [s[3] for s in steps if s[0] == "exchange_completed"] == [None, None]
    assert steps[2][1:3] == ("submitted", "processing")
    assert steps[-1][1:3] == ("result_ready", "returned")
    assert all(e["at"] for e in seen["timeline"])
    # One agency only: the route is the online submission to the ward desk.
    assert [(r["from_agency"], r["to_agency"]["code"]) for r in seen["route"]] == [(None, "q1-bennghe")]
    assert seen["route"][0]["received_by"] is not None


def test_supplementation_loop_in_processing(as_user):
    citizen = as_user("citizen1")
    desk, officer = as_user("bennghe.receiver"), as_user("bennghe.specialist")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")

    # Asking for supplementation needs a reason.
    item = officer.item(code)
    officer.post(f"/api/v1/work-items/{item['id']}/claim/")
    response = officer.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "supplement"})
    assert response.status_code == 400
    assert "comment" in response.json()["errors"]
    response = officer.post(
        f"/api/v1/work-items/{item['id']}/complete/",
        {"decision": "supplement", "comment": "Thiếu giấy chứng sinh bản chính"},
    )
    assert response.status_code == 200

    seen = citizen.dossier(code)
    assert seen["status"] == "supplement_requested"
    assert [s["kind"] for s in seen["open_steps"]] == ["applicant"]

    response = citizen.post(
        f"/api/v1/dossiers/{code}/supplement/",
        {"form_data": {"child_birth_place": "Bệnh viện Hùng Vương"}, "comment": "Đã bổ sung giấy chứng sinh"},
    )
    assert response.status_code == 200, response.content
    seen = response.json()
    assert seen["code"] == code
    assert seen["status"] == "processing"
    assert seen["form_data"]["child_birth_place"] == "Bệnh viện Hùng Vương"
    # The same officer reviews again, on the same dossier code.
    officer.act(code, "refuse", comment="Người đi đăng ký không có quyền")
    seen = citizen.dossier(code)
    assert seen["status"] == "refused"
    # The written refusal is handed over at the desk, like a result.
    assert [(s["kind"], s["agency"]["code"]) for s in seen["open_steps"]] == [("return", "q1-bennghe")]
    assert [e["action"] for e in seen["timeline"]][-3:] == ["supplemented", "claimed", "task_completed"]
    assert len(seen["exchanges"]) == 1  # the mother is looked up once, not again after supplementation


def test_a_submission_answers_with_its_summary_and_where_the_detail_is(as_user, django_assert_max_num_queries):
    citizen = as_user("citizen1")
    with django_assert_max_num_queries(25):
        response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                      "form_data": BIRTH_FORM})
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/dossiers/{body['code']}/"
    assert (body["status"], body["procedure"], body["receiving_agency"]["code"]) == ("submitted", "1.001193",
                                                                                   "q1-bennghe")
    detail = citizen.get(response["Location"]).json()
    assert detail["code"] == body["code"] and [s["kind"] for s in detail["open_steps"]] == ["reception"]


def test_the_demos_database_without_arrays_runs_a_dossier_to_its_end(as_user, monkeypatch):
    """``make run``'s SQLite has no arrays: the lifecycle then reads the process alone and the advance reads its
    steps, timers and exchanges itself; a dossier goes through every step, its exchanges included."""
    from onestop.dossiers.lifecycle import locking

    monkeypatch.setattr(locking, "connection", type("NoArrays", (), {"vendor": "sqlite"})())
    citizen = as_user("citizen1")
    desk, officer, chairman = as_user("bennghe.receiver"), as_user("bennghe.specialist"), as_user("bennghe.leader")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    officer.act(code, "approve", {"review_notes": "Hồ sơ đầy đủ"})
    chairman.act(code, "sign")
    assert [e["state"] for e in citizen.dossier(code)["exchanges"]] == ["succeeded", "succeeded"]
    desk.act(code, "returned", {"collected_by": "Nguyễn Văn An"})
    seen = citizen.dossier(code)
    assert (seen["status"], seen["open_steps"]) == ("returned", [])
