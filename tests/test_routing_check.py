"""Routing is checked before it can fail: publishing lists the receiving agencies a lane cannot be routed
from, the portal does not offer them, submission there is refused with the missing level, and a change of
the agency tree shows on the admin pages."""
from django.contrib.auth import get_user_model
from django.test import Client

from onestop.dossiers.models import Dossier
from onestop.organisation.models import Agency
from procedures.models import CatalogueEvent, Procedure
from procedures.selectors import published_version, unroutable_agencies
from tests.test_business_household import FORM

HOUSEHOLD = "2.000720"  # ward verifies, district registers: a two-tier province's commune has no district


def admin_client():
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    return client


def test_publishing_lists_the_agencies_a_lane_cannot_be_routed_from(as_user):
    admin = as_user("admin")
    version = published_version(Procedure.objects.get(code=HOUSEHOLD))
    # The two-tier province's commune and ward: no district above them.
    broken, _ward = unroutable_agencies(version)
    assert (broken["agency"], _ward["agency"]) == ("tn-anbinh", "tn-tanninh")
    [lane] = broken["lanes"]
    assert lane["role"] == "district" and "district" in lane["message"]
    # The publication's audit event names it; the version's API answer lists it with the reason.
    event = CatalogueEvent.objects.filter(procedure__code=HOUSEHOLD, action="published").last()
    assert event.data["unroutable_agencies"] == ["tn-anbinh", "tn-tanninh"]
    detail = admin.get(f"/api/v1/procedures/{HOUSEHOLD}/versions/{version.number}/").json()
    assert [(a["agency"], [lane["role"] for lane in a["lanes"]]) for a in detail["unroutable_agencies"]] == [
        ("tn-anbinh", ["district"]), ("tn-tanninh", ["district"])]
    # Birth registration stays in the ward: every commune can take it.
    birth = published_version(Procedure.objects.get(code="1.001193"))
    assert unroutable_agencies(birth) == []


def test_submission_where_a_lane_does_not_resolve_is_refused_naming_the_level(as_user):
    citizen = as_user("citizen2")
    response = citizen.post("/api/v1/dossiers/", {"procedure": HOUSEHOLD, "agency": "tn-anbinh", "form_data": FORM})
    assert response.status_code == 400, response.content
    body = response.json()
    assert "district" in str(body["errors"]["agency"])
    assert not Dossier.objects.exists()
    english = citizen.client.post("/api/v1/dossiers/", {"procedure": HOUSEHOLD, "agency": "tn-anbinh",
                                                        "form_data": FORM}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and "district" in str(english.json()["errors"]["agency"])
    # Elsewhere it is received as before.
    assert citizen.post("/api/v1/dossiers/", {"procedure": HOUSEHOLD, "agency": "q1-benthanh",
                                              "form_data": FORM}).status_code == 201


def test_the_portal_offers_only_agencies_that_can_route_the_procedure(demo):
    client = Client()
    client.force_login(get_user_model().objects.get(username="citizen2"))
    household = client.get(f"/procedures/{HOUSEHOLD}/apply/").content.decode()
    assert "q1-benthanh" in household and "tn-anbinh" not in household
    birth = client.get("/procedures/1.001193/apply/").content.decode()
    assert "tn-anbinh" in birth


def test_agency_tree_changes_show_on_the_admin_pages(demo):
    client = admin_client()
    procedure = Procedure.objects.get(code=HOUSEHOLD)
    version = published_version(procedure)
    page = client.get(f"/catalogue/procedures/{HOUSEHOLD}/versions/{version.number}/").content.decode()
    assert 'data-agency="tn-anbinh"' in page
    change = client.get(f"/admin/procedures/procedure/{procedure.pk}/change/").content.decode()
    assert 'data-agency="tn-anbinh"' in change and 'data-agency="q1-benthanh"' not in change

    # The province gets a district tier again above the commune: the procedure can be offered there.
    tn = Agency.objects.get(code="tn")
    district = Agency.objects.create(code="tn-hoathanh", name="Huyện Hòa Thành", level="district", parent=tn)
    Agency.objects.filter(code__in=["tn-anbinh", "tn-tanninh"]).update(parent=district)
    Agency.objects.get(code="tn-anbinh").save()  # what the admin's save does: the routing cache is forgotten
    assert unroutable_agencies(version) == []
    change = client.get(f"/admin/procedures/procedure/{procedure.pk}/change/").content.decode()
    assert 'data-routing-status="ok"' in change

    # A ward moved out from under its district breaks the procedure there; the admin sees it at once.
    ward = Agency.objects.get(code="q1-benthanh")
    ward.parent = Agency.objects.get(code="hcm")
    ward.save()
    change = client.get(f"/admin/procedures/procedure/{procedure.pk}/change/").content.decode()
    assert 'data-agency="q1-benthanh"' in change
    citizen = Client()
    citizen.force_login(get_user_model().objects.get(username="citizen2"))
    assert "q1-benthanh" not in citizen.get(f"/procedures/{HOUSEHOLD}/apply/").content.decode()
