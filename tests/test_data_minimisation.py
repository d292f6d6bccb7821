"""Data minimisation for exchanges: the applicant never reads another person's registry record, sees their
own, and the person looked up finds the read in their data tracker; officials still read what they need."""
import json

from django.contrib.auth import get_user_model
from django.test import Client

from onestop.interop.models import PersonalDataRead
from tests.conftest import BIRTH_FORM, submit

# Trần Thị Bình's record in the population database (onestop/peers/data.json): someone other than citizen1.
STRANGER_ID = "079190000002"
STRANGER_RECORD = ["Trần Thị Bình", "1990-07-22", "45 Nguyễn Thị Minh Khai", "HO-079-0034502"]


def _page(username, url):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_applicant_never_reads_a_strangers_record(as_user):
    citizen, desk, officer = as_user("citizen1"), as_user("bennghe.receiver"), as_user("bennghe.specialist")
    # The mother's name as typed by the applicant; her ID number is a stranger's.
    code = submit(citizen, "1.001193", "q1-bennghe", {**BIRTH_FORM, "mother_id_number": STRANGER_ID})["code"]
    desk.act(code, "accept")

    seen = citizen.dossier(code)
    [lookup] = seen["exchanges"]
    assert (lookup["operator"], lookup["state"], lookup["about_applicant"]) == (
        "population.lookup_citizen", "succeeded", False)
    # Which system, when, by whom and for what: yes. The record: no field of it.
    assert lookup["system"] and lookup["step"].startswith("Tra cứu") and lookup["created_at"]
    assert lookup["requested_by"] == "Cán bộ một cửa Phường Bến Nghé"
    assert lookup["result"] == {"found": True}
    text = json.dumps(seen, ensure_ascii=False)
    assert not [value for value in STRANGER_RECORD if value in text]
    page = _page("citizen1", f"/my/dossiers/{code}/")
    assert 'id="lookups"' in page and "Cán bộ một cửa Phường Bến Nghé" in page
    assert not [value for value in STRANGER_RECORD if value in page]

    # The officials of the agency holding the dossier read the whole answer: their step needs it.
    answer = officer.dossier(code)["exchanges"][0]["result"]
    assert answer["full_name"] == "Trần Thị Bình" and answer["household_id"] == "HO-079-0034502"
    assert "Trần Thị Bình" in _page("bennghe.specialist", f"/work/items/{officer.item(code)['id']}/")

    # The read is logged as the stranger's, and she finds it in her data tracker; citizen1 sees the lookup
    # his dossier made, but not what was read.
    [read] = PersonalDataRead.objects.filter(dossier__code=code)
    assert (read.subject_id_number, read.agency.code, read.actor.username, read.operator) == (
        STRANGER_ID, "q1-bennghe", "bennghe.receiver", "population.lookup_citizen")
    assert {"full_name", "birth_date", "permanent_address", "household_id"} <= set(read.fields)
    assert "found" not in read.fields
    hers = [t for t in as_user("citizen2").get("/api/v1/data-tracker/").json()["results"] if t["dossier"] == code]
    assert [(t["about_me"], t["requested_by"]) for t in hers] == [(True, "Cán bộ một cửa Phường Bến Nghé")]
    assert "household_id" in hers[0]["fields_read"]
    his = [t for t in citizen.get("/api/v1/data-tracker/").json()["results"] if t["dossier"] == code]
    assert [(t["about_me"], t["fields_read"]) for t in his] == [(False, None)]
    # An admin reads the access log.
    log = _page("admin", f"/admin/interop/personaldataread/?q={STRANGER_ID}")
    assert code in log


def test_the_applicant_reads_their_own_record(as_user):
    citizen, desk = as_user("citizen2"), as_user("bennghe.receiver")
    form = {**BIRTH_FORM, "mother_full_name": "Trần Thị Bình", "mother_id_number": STRANGER_ID,
            "applicant_relationship": "mẹ"}
    code = submit(citizen, "1.001193", "q1-bennghe", form)["code"]
    desk.act(code, "accept")
    [lookup] = citizen.dossier(code)["exchanges"]
    assert lookup["about_applicant"] is True
    assert lookup["result"]["birth_date"] == "1990-07-22" and lookup["result"]["household_id"] == "HO-079-0034502"
    assert "Mã hộ: HO-079-0034502" in _page("citizen2", f"/my/dossiers/{code}/")  # labelled, as people read it


def test_a_parcel_lookup_shows_the_land_but_not_another_owner(as_user):
    """The construction permit looks up a parcel: its area and use are for the applicant to read, its owner's
    name, ID number and certificate only when the applicant owns it."""
    from tests.test_construction_permit import FORM

    owner, stranger = as_user("citizen1"), as_user("citizen2")
    for applicant, owns in ((owner, True), (stranger, False)):
        code = submit(applicant, "1.009794", "q1", FORM)["code"]
        as_user("q1.receiver").act(code, "accept")
        [parcel] = applicant.dossier(code)["exchanges"]
        assert parcel["result"]["area_m2"] == 120.5
        assert ("owner_id_number" in parcel["result"]) is owns and ("certificate_no" in parcel["result"]) is owns
        assert as_user("q1.specialist").dossier(code)["exchanges"][0]["result"]["owner_full_name"] == "Nguyễn Văn An"
