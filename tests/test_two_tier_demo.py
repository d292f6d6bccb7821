"""The default demo's two-tier province: a land change registration received at a commune, decided by the
provincial Department of Agriculture and Environment, and returned at the commune's desk."""
from pathlib import Path

from django.conf import settings
from django.test import Client

from procedures.models import CatalogueEvent
from tests.conftest import submit

LAND_CHANGE = "TN.DD.01"
BPMN = Path(settings.BASE_DIR) / "bpmn" / "land_change_registration.bpmn"
FORM = {
    "applicant_full_name": "Trần Thị Bình",
    "applicant_id_number": "079190000002",
    "change_kind": "chuyen_nhuong",
    "certificate_number": "CS 123456",
    "parcel_number": "215",
    "map_sheet_number": "12",
    "parcel_address": "Ấp Bình Hòa, xã An Bình, tỉnh Tây Ninh",
    "area_m2": 150.5,
}


def test_commune_receives_department_decides_commune_returns(as_user):
    citizen = as_user("citizen2")
    desk = as_user("anbinh.receiver")
    specialist, leader = as_user("snnmt.specialist"), as_user("snnmt.leader")

    code = submit(citizen, LAND_CHANGE, "tn-anbinh", FORM)["code"]
    assert code.startswith("H55.01-")
    assert not [i for i in specialist.queue() if i["dossier"] == code]
    desk.act(code, "accept")

    seen = citizen.dossier(code)
    assert seen["status"] == "processing"
    assert [a["code"] for a in seen["current_agencies"]] == ["tn-snnmt"]
    appraise = specialist.item(code)
    assert appraise["agency"] == "tn-snnmt" and appraise["task_spec_id"] == "appraise"
    # The commune holds no step while the department works, but still sees the dossier it received.
    assert not [i for i in as_user("anbinh.specialist").queue() if i["dossier"] == code]
    assert desk.get(f"/api/v1/dossiers/{code}/").status_code == 200
    # Another province's wards and the city's department have nothing of it.
    assert as_user("sxd.specialist").get(f"/api/v1/dossiers/{code}/").status_code == 404

    specialist.act(code, "approve", {"appraisal_notes": "Hồ sơ hợp lệ, đã cập nhật cơ sở dữ liệu đất đai"})
    assert citizen.dossier(code)["status"] == "processing"
    leader.act(code, "sign", {"register_entry": "CS 654321"})
    seen = citizen.dossier(code)
    assert seen["status"] == "result_ready"
    assert [a["code"] for a in seen["current_agencies"]] == ["tn-anbinh"]
    desk.act(code, "returned")

    seen = citizen.dossier(code)
    assert seen["status"] == "returned"
    route = [(r["from_agency"] and r["from_agency"]["code"], r["to_agency"]["code"]) for r in seen["route"]]
    assert route == [(None, "tn-anbinh"), ("tn-anbinh", "tn-snnmt"), ("tn-snnmt", "tn-anbinh")]
    assert all(leg["given_by"] and leg["received_by"] for leg in seen["route"][1:])
    acts = [(e["agency"]["code"], e["action"]) for e in seen["timeline"] if e["action"] != "claimed"]
    assert acts == [("tn-anbinh", "submitted"), ("tn-anbinh", "reception_completed"), ("tn-snnmt", "task_completed"),
                    ("tn-snnmt", "task_completed"), ("tn-anbinh", "return_completed")]
    # The applicant reads the register entry the department made public, not its internal notes.
    [signed] = seen["case_file"]
    assert signed["agency"] == "tn-snnmt"
    assert [(f["id"], f["value"]) for f in signed["fields"]] == [("register_entry", "CS 654321")]


def test_publishing_routes_every_agency_of_the_province_and_none_of_the_city(as_user):
    admin = as_user("admin")
    # The demo published bpmn/land_change_registration.bpmn: uploading the same file again finds that version.
    uploaded = admin.client.post(f"/api/v1/procedures/{LAND_CHANGE}/versions/",
                                 {"bpmn_file": BPMN.open("rb")}, format="multipart")
    assert uploaded.status_code == 200 and uploaded.json()["state"] == "published", uploaded.content
    event = CatalogueEvent.objects.filter(procedure__code=LAND_CHANGE, action="published").get()
    detail = admin.get(f"/api/v1/procedures/{LAND_CHANGE}/versions/{uploaded.json()['number']}/").json()
    unroutable = {entry["agency"] for entry in detail["unroutable_agencies"]}
    assert unroutable == set(event.data["unroutable_agencies"])
    # The Tây Ninh department serves Tây Ninh: its commune and ward route, the city's wards do not.
    assert not {code for code in unroutable if code.startswith("tn")}
    assert unroutable == {"q1-bennghe", "q1-benthanh", "q3-vothisau"}
    assert [lane["role"] for lane in detail["unroutable_agencies"][0]["lanes"]] == [
        "agriculture_environment_department"]

    # The portal offers the procedure at the province's commune and ward only.
    portal = Client()
    portal.force_login(as_user("citizen1").user)
    apply = portal.get(f"/procedures/{LAND_CHANGE}/apply/").content.decode()
    assert "tn-anbinh" in apply and "tn-tanninh" in apply and "q1-bennghe" not in apply
    assert submit(as_user("citizen1"), LAND_CHANGE, "tn-tanninh", FORM)["code"].startswith("H55.02-")
