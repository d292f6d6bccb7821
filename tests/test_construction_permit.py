"""Construction permit for a private house: district and the city's Department of Construction in
parallel, a supplementation loop and refusals (three parties: two agencies and the applicant)."""
from tests.conftest import submit

FORM = {
    "applicant_full_name": "Nguyễn Văn An",
    "owner_id_number": "079090000001",
    "land_use_certificate_no": "CS 01234",
    "parcel_number": "125",
    "map_sheet_number": "12",
    "construction_address": "12 Lê Lợi, Phường Bến Nghé, Quận 1",
    "floor_area_m2": 240.5,
    "floors": 4,
}


def test_parallel_consultation_with_supplementation(as_user):
    citizen = as_user("citizen1")
    desk, appraiser, leader = as_user("q1.receiver"), as_user("q1.specialist"), as_user("q1.leader")
    department = as_user("sxd.specialist")

    code = submit(citizen, "1.009794", "q1", FORM)["code"]
    assert code.startswith("H29.01-")
    desk.act(code, "accept")

    seen = citizen.dossier(code)
    assert sorted(a["code"] for a in seen["current_agencies"]) == ["hcm-sxd", "q1"]
    [parcel] = seen["exchanges"]
    assert parcel["result"]["owner_id_number"] == "079090000001" and parcel["result"]["area_m2"] == 120.5
    assert appraiser.item(code)["task_spec_id"] == "appraise"
    assert department.item(code)["task_spec_id"] == "consult"

    # The district asks for more documents while the department is still reading.
    appraiser.act(code, "supplement", comment="Bổ sung bản vẽ mặt bằng móng")
    seen = citizen.dossier(code)
    assert seen["status"] == "supplement_requested"
    assert [a["code"] for a in seen["current_agencies"]] == ["hcm-sxd"]
    assert sorted(s["kind"] for s in seen["open_steps"]) == ["applicant", "task"]
    assert citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã nộp bản vẽ"}).status_code == 200

    # The district appraises a second time; the join waits for the department.
    assert citizen.dossier(code)["status"] == "processing"
    appraiser.act(code, "approve")
    assert not [i for i in leader.queue() if i["dossier"] == code]
    department.act(code, "agree", {"opinion_notes": "Phù hợp quy hoạch"})
    leader.act(code, "sign")
    desk.act(code, "returned")

    seen = citizen.dossier(code)
    assert seen["status"] == "returned"
    completed = [(e["agency"] and e["agency"]["code"], e["action"]) for e in seen["timeline"]
                 if e["action"].endswith("completed") or e["action"] == "supplemented"]
    assert completed == [
        ("q1", "reception_completed"),
        ("q1", "exchange_completed"),
        ("q1", "task_completed"),
        (None, "supplemented"),
        ("q1", "task_completed"), ("hcm-sxd", "task_completed"),
        ("q1", "task_completed"),
        ("q1", "return_completed"),
    ]
    legs = [(r["from_agency"] and r["from_agency"]["code"], r["to_agency"]["code"]) for r in seen["route"]]
    assert legs[:2] == [(None, "q1"), ("q1", "hcm-sxd")]
    assert ("hcm-sxd", "q1") in legs  # the department's opinion goes back to the district leader


def test_leader_refuses_permit(as_user):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.009794", "q1", FORM)["code"]
    as_user("q1.receiver").act(code, "accept")
    as_user("q1.specialist").act(code, "approve")
    as_user("sxd.specialist").act(code, "disagree", comment="Vượt chiều cao cho phép")
    as_user("q1.leader").act(code, "refuse", comment="Theo ý kiến của Sở Xây dựng")
    seen = citizen.dossier(code)
    assert seen["status"] == "refused"
    assert seen["closed_at"]
