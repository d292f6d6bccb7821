"""Business household registration: the ward verifies, the district registers (two agencies)."""
from django.contrib.auth import get_user_model
from django.test import Client

from tests.conftest import submit

FORM = {
    "household_name": "Hộ kinh doanh Phở Bình",
    "business_line": "Dịch vụ ăn uống",
    "capital_vnd": 200_000_000,
    "business_address": "7 Lê Thánh Tôn, Phường Bến Thành, Quận 1",
    "owner_full_name": "Trần Thị Bình",
    "owner_id_number": "079190000002",
    "employees": 3,
}


def test_ward_verifies_district_registers(as_user):
    citizen = as_user("citizen2")
    ward_desk, ward_officer = as_user("benthanh.receiver"), as_user("benthanh.specialist")
    district_officer, district_leader = as_user("q1.specialist"), as_user("q1.leader")
    other_district = as_user("q3.specialist")

    code = submit(citizen, "2.000720", "q1-benthanh", FORM)["code"]
    assert code.startswith("H29.01.02-")
    ward_desk.act(code, "accept")
    assert citizen.dossier(code)["appointment_date"] is not None

    # Nothing in the district yet.
    assert not [i for i in district_officer.queue() if i["dossier"] == code]
    ward_officer.act(code, "forward", {"verify_notes": "Địa điểm kinh doanh đúng thực tế"})

    seen = citizen.dossier(code)
    assert [a["code"] for a in seen["current_agencies"]] == ["q1"]
    [check] = seen["exchanges"]
    assert check["operator"] == "business_registry.lookup_household" and check["result"]["households"] == []
    register = district_officer.item(code)
    assert register["agency"] == "q1" and register["task_spec_id"] == "register"
    assert not [i for i in other_district.queue() if i["dossier"] == code]
    assert other_district.get(f"/api/v1/dossiers/{code}/").status_code == 404
    # The ward no longer holds a step, but still sees the dossier it received.
    assert not [i for i in ward_officer.queue() if i["dossier"] == code]
    assert ward_officer.get(f"/api/v1/dossiers/{code}/").status_code == 200

    district_officer.act(code, "approve")
    district_leader.act(code, "sign")
    ward_desk.act(code, "returned")

    seen = citizen.dossier(code)
    assert seen["status"] == "returned"
    route = [(r["from_agency"] and r["from_agency"]["code"], r["to_agency"]["code"], r["result"])
             for r in seen["route"]]
    assert route[0][:2] == (None, "q1-benthanh")
    assert route[1] == ("q1-benthanh", "q1", "forward")
    assert route[2] == ("q1", "q1-benthanh", "sign")  # the result goes back to the ward desk
    assert seen["route"][1]["given_by"] and seen["route"][1]["received_by"]
    agencies = [e["agency"]["code"] for e in seen["timeline"] if e["action"] == "task_completed"]
    assert agencies == ["q1-benthanh", "q1", "q1"]


def test_district_refusal_ends_the_dossier(as_user):
    citizen = as_user("citizen2")
    code = submit(citizen, "2.000720", "q1-benthanh", FORM)["code"]
    as_user("benthanh.receiver").act(code, "accept")
    as_user("benthanh.specialist").act(code, "forward")
    as_user("q1.specialist").act(code, "refuse", comment="Ngành nghề kinh doanh có điều kiện")
    seen = citizen.dossier(code)
    assert seen["status"] == "refused"
    # The written refusal goes back to the ward's desk that received the dossier, to be handed over.
    assert [(s["kind"], s["agency"]["code"]) for s in seen["open_steps"]] == [("return", "q1-benthanh")]
    assert seen["timeline"][-1]["comment"] == "Ngành nghề kinh doanh có điều kiện"


def _route_of(username, item, language):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(f"/work/items/{item['id']}/")
    assert response.status_code == 200
    page = response.content.decode()
    return page[page.index('id="route-title"'):page.index("</section>", page.index('id="route-title"'))]


def test_the_route_names_the_decision_that_handed_the_dossier_over(as_user):
    citizen, ward_desk, ward_officer = as_user("citizen2"), as_user("benthanh.receiver"), as_user("benthanh.specialist")
    code = submit(citizen, "2.000720", "q1-benthanh", FORM)["code"]
    ward_desk.act(code, "accept")
    ward_officer.act(code, "forward", {"verify_notes": "Đúng thực tế"})
    item = as_user("q1.specialist").item(code)
    # The district reads the ward's decision by its name, in the page's language, not as ``forward``.
    route = _route_of("q1.specialist", item, "vi")
    assert "Chuyển cấp huyện xử lý" in route and "forward" not in route.lower() and "Forward" not in route
    route = _route_of("q1.specialist", item, "en")
    assert "Forward to the district" in route and "Chuyển cấp" not in route
