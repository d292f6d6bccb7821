"""The procedure author owns the whole procedure: the catalogue entry and the applicant's form come with the
upload (side file, Camunda form) or through the API, and publishing waits until the form holds every field
the process reads."""
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from procedures.models import CatalogueEvent, Procedure
from tests.conftest import submit

EXAMPLE = Path(__file__).resolve().parent.parent / "bpmn" / "examples"
HOUSEHOLD_XML = (Path(__file__).resolve().parent.parent / "bpmn" / "business_household_registration.bpmn").read_bytes()
ENTRY = {
    "code": "9.000100", "name": "Thủ tục thử", "name_en": "Trial procedure", "competent_level": "district",
    "receiving_level": "ward", "processing_days": 5, "fee": 50000, "online_level": "full",
    "documents": [{"name": "Đơn đề nghị", "originals": 1},
                  {"name": "Giấy ủy quyền", "required": False, "condition": "trường hợp ủy quyền", "copies": 1}],
    "form_schema": {"type": "object", "required": ["owner_id_number"], "properties": {
        "owner_id_number": {"type": "string", "title": "Số định danh", "pattern": "^[0-9]{12}$"}}},
}


@pytest.fixture
def admin(as_user):
    return as_user("admin")


def files(**named):
    return {field: SimpleUploadedFile(name, content, content_type="application/octet-stream")
            for field, (name, content) in named.items()}


def upload(actor, code, **named):
    return actor.client.post(f"/api/v1/procedures/{code}/versions/", files(**named))


def test_admins_create_and_change_the_catalogue_entry(admin, as_user):
    assert as_user("citizen1").post("/api/v1/procedures/", ENTRY).status_code == 403
    assert as_user("bennghe.leader").client.patch("/api/v1/procedures/1.001193/", {"fee": 1},
                                                  format="json").status_code == 403
    response = admin.post("/api/v1/procedures/", ENTRY)
    assert response.status_code == 201, response.content
    procedure = Procedure.objects.get(code="9.000100")
    assert (procedure.name_en, procedure.processing_days, procedure.fee) == ("Trial procedure", 5, 50000)
    assert procedure.documents[1] == {"name": "Giấy ủy quyền", "name_en": "", "originals": 1, "copies": 1,
                                      "required": False, "condition": "trường hợp ủy quyền"}
    assert admin.post("/api/v1/procedures/", ENTRY).status_code == 409  # the code is taken

    response = admin.client.patch("/api/v1/procedures/9.000100/", {"fee": 75000, "processing_days": 7},
                                  format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["fee"], response.json()["processing_days"]) == (75000, 7)
    events = [(e.action, e.data.get("fields"), e.actor.username) for e in
              CatalogueEvent.objects.filter(procedure__code="9.000100")]
    assert events[-1] == ("catalogue_changed", ["fee", "processing_days"], "admin")
    assert events[0][0] == "created"


def test_a_wrong_entry_is_refused_field_by_field_in_the_readers_language(admin):
    wrong = {**ENTRY, "code": "9.000101", "processing_days": 0, "receiving_level": "village", "fee": -1,
             "documents": [{"name": "Giấy ủy quyền", "required": False}], "procesing_days": 3,
             "form_schema": {"type": "object", "properties": {"x": {"type": "array", "title": "X"}}}}
    response = admin.client.post("/api/v1/procedures/", wrong, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()["errors"] if "errors" in response.json() else response.json()
    assert {"processing_days", "receiving_level", "fee", "documents", "form_schema", "procesing_days"} <= set(errors)
    assert "Say in which case" in json.dumps(errors["documents"])
    assert "string, integer, number, boolean" in json.dumps(errors["form_schema"])
    vietnamese = admin.client.post("/api/v1/procedures/", wrong, format="json")
    assert vietnamese.status_code == 400 and "Say in which case" not in vietnamese.content.decode()
    assert not Procedure.objects.filter(code="9.000101").exists()


def test_a_camunda_form_becomes_the_applicants_form_with_its_labels(admin):
    form = json.loads((EXAMPLE / "marital_status.form").read_text(encoding="utf-8"))
    admin.post("/api/v1/procedures/", {**ENTRY, "form_schema": {}})
    response = admin.client.patch("/api/v1/procedures/9.000100/", {"form": form}, format="json")
    assert response.status_code == 200, response.content
    schema = Procedure.objects.get(code="9.000100").form_schema
    assert schema["ui:order"] == ["person_full_name", "person_id_number", "marital_status", "purpose", "copies"]
    assert schema["properties"]["marital_status"]["oneOf"][1] == {"const": "divorced", "title": "Đã ly hôn"}
    # The components' custom properties label_en, description_en and option_en:<value> give the English texts.
    assert schema["properties"]["person_id_number"] == {
        "type": "string", "pattern": "^[0-9]{12}$", "title": "Số định danh cá nhân", "description": "12 chữ số",
        "x-en": {"title": "Personal identification number", "description": "12 digits"}}
    assert schema["properties"]["copies"] == {"type": "integer", "minimum": 1, "maximum": 10,
                                              "title": "Số bản cần cấp", "x-en": {"title": "Number of copies"}}
    assert schema["properties"]["marital_status"]["x-en"]["options"]["divorced"] == "Divorced"
    assert set(schema["required"]) == {"person_full_name", "person_id_number", "marital_status", "purpose"}
    # What the applicant's form cannot ask is refused with the field, not dropped.
    form["components"].append({"type": "filepicker", "key": "scan", "label": "Bản chụp"})
    response = admin.client.patch("/api/v1/procedures/9.000100/", {"form": form}, format="json",
                                  HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400 and "scan" in response.content.decode()


def test_publishing_waits_for_a_form_that_defines_what_the_process_reads(admin):
    response = upload(admin, "9.000102", bpmn_file=("hkd.bpmn", HOUSEHOLD_XML))
    assert response.status_code == 201 and response.json()["report"]["ok"] is True
    refused = admin.client.post("/api/v1/procedures/9.000102/versions/1/publish/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409
    assert "form is empty" in json.dumps(refused.json())
    admin.client.patch("/api/v1/procedures/9.000102/", {"form_schema": {"type": "object", "properties": {
        "household_name": {"type": "string", "title": "Tên hộ kinh doanh"}}}}, format="json")
    refused = admin.client.post("/api/v1/procedures/9.000102/versions/1/publish/", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 409 and "owner_id_number" in json.dumps(refused.json())
    assert Procedure.objects.get(code="9.000102").versions.get().state == "draft"
    # The admin's version page says the same when its Publish button is pressed.
    page = Client()
    page.force_login(admin.user)
    answer = page.post("/catalogue/procedures/9.000102/versions/1/publish/", follow=True).content.decode()
    assert "owner_id_number" in answer and Procedure.objects.get(code="9.000102").versions.get().state == "draft"
    admin.client.patch("/api/v1/procedures/9.000102/", {"form_schema": ENTRY["form_schema"]}, format="json")
    published = admin.post("/api/v1/procedures/9.000102/versions/1/publish/")
    assert published.status_code == 200 and published.json()["state"] == "published"


def test_a_procedure_written_from_the_conventions_alone_uploads_publishes_and_runs(admin, as_user):
    """The example of docs/bpmn-conventions.md: BPMN, catalogue side file and Camunda form, through the API."""
    response = upload(admin, "1.004873",
                      bpmn_file=("marital_status.bpmn", (EXAMPLE / "marital_status.bpmn").read_bytes()),
                      catalogue_file=("marital_status.catalogue.json",
                                      (EXAMPLE / "marital_status.catalogue.json").read_bytes()),
                      form_file=("marital_status.form", (EXAMPLE / "marital_status.form").read_bytes()))
    assert response.status_code == 201, response.content
    assert response.json()["report"]["ok"] is True, response.json()["report"]
    published = admin.post("/api/v1/procedures/1.004873/versions/1/publish/")
    assert published.status_code == 200, published.content
    assert published.json()["unroutable_agencies"] == []
    entry = as_user("citizen1").get("/api/v1/procedures/1.004873/").json()
    assert (entry["name_en"], entry["processing_days"], entry["fee"]) == ("Certificate of marital status", 3, 15000)
    assert entry["documents"][1]["condition_en"] == "if the applicant is divorced"

    citizen = as_user("citizen1")
    form = {"person_full_name": "Nguyễn Văn An", "person_id_number": "079090000001", "marital_status": "single",
            "purpose": "marriage", "copies": 2}
    assert citizen.post("/api/v1/dossiers/", {"procedure": "1.004873", "agency": "q1-bennghe",
                                              "form_data": {}}).status_code == 400  # the form is asked
    approved = submit(citizen, "1.004873", "q1-bennghe", form)["code"]
    as_user("bennghe.receiver").act(approved, "accept")
    as_user("bennghe.specialist").act(approved, "approve", {"review_notes": "Đúng"})
    as_user("bennghe.leader").act(approved, "sign_approve")
    assert citizen.dossier(approved)["status"] == "result_ready"

    refused = submit(citizen, "1.004873", "q1-bennghe", {**form, "marital_status": "married"})["code"]
    as_user("bennghe.receiver").act(refused, "accept")
    as_user("bennghe.specialist").act(refused, "refuse", comment="Người yêu cầu đang có vợ/chồng")
    assert citizen.dossier(refused)["status"] == "refused"


def test_the_entry_carries_english_texts_and_the_api_answers_in_one_language(admin):
    english = {**ENTRY, "field": "Hộ tịch", "field_en": "Civil status", "fee_note": "Nộp khi nhận kết quả.",
               "fee_note_en": "Paid when the result is collected.",
               "documents": [{"name": "Đơn đề nghị", "name_en": "Application"}],
               "form_schema": {"type": "object", "properties": {"sex": {
                   "type": "string", "title": "Giới tính", "enum": ["nam", "nữ"],
                   "x-en": {"title": "Sex", "options": {"nam": "Male", "nữ": "Female"}}}}}}
    response = admin.post("/api/v1/procedures/", english)
    assert response.status_code == 201, response.content
    assert Procedure.objects.get(code="9.000100").fee_note_en == "Paid when the result is collected."
    read = admin.client.get("/api/v1/procedures/9.000100/", HTTP_ACCEPT_LANGUAGE="en")
    assert read.status_code == 404  # not published yet: the admin's answer to POST is what is checked
    answer = admin.client.patch("/api/v1/procedures/9.000100/", {"fee": 1}, format="json",
                                HTTP_ACCEPT_LANGUAGE="en").json()
    assert (answer["language"], answer["name"], answer["field"], answer["fee_note"]) == (
        "en", "Trial procedure", "Civil status", "Paid when the result is collected.")
    answer = admin.client.patch("/api/v1/procedures/9.000100/", {"fee_note_en": ""}, format="json",
                                HTTP_ACCEPT_LANGUAGE="en").json()
    # One English text missing: the whole entry answers in Vietnamese, never a mix.
    assert (answer["language"], answer["name"], answer["field"]) == ("vi", "Thủ tục thử", "Hộ tịch")


def test_wrong_english_texts_of_the_form_are_refused_with_the_field(admin):
    wrong = {**ENTRY, "form_schema": {"type": "object", "properties": {"sex": {
        "type": "string", "title": "Giới tính", "enum": ["nam", "nữ"],
        "x-en": {"title": 3, "label": "Sex", "options": {"male": "Male"}}}}}}
    response = admin.client.post("/api/v1/procedures/", wrong, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "“sex”: “x-en” has no “label”" in text and "must be text" in text and "does not offer: male" in text
    assert not Procedure.objects.filter(code=ENTRY["code"]).exists()


def test_the_public_catalogue_names_the_demo_procedures_in_the_language_asked(demo):
    english = Client().get("/api/v1/procedures/", HTTP_ACCEPT_LANGUAGE="en").json()
    rows = english["results"] if isinstance(english, dict) else english
    assert {row["language"] for row in rows} == {"en"}
    assert "Birth registration" in [row["name"] for row in rows]
    assert not [row for row in rows if " / " in row["name"] or row["name"] == row.get("name_vi")]
    vietnamese = Client().get("/api/v1/procedures/").json()
    rows = vietnamese["results"] if isinstance(vietnamese, dict) else vietnamese
    assert "Đăng ký khai sinh" in [row["name"] for row in rows] and {row["language"] for row in rows} == {"vi"}


def test_the_dossier_api_names_steps_agencies_and_the_procedure_in_the_language_asked(as_user):
    from tests.conftest import BIRTH_FORM

    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    english = citizen.client.get(f"/api/v1/dossiers/{code}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["procedure_name"] == "Birth registration"
    assert english["receiving_agency"]["name"] == "Ben Nghe Ward People's Committee"
    assert [step["name"] for step in english["open_steps"]] == ["Receive the dossier"]
    vietnamese = citizen.client.get(f"/api/v1/dossiers/{code}/").json()
    assert vietnamese["procedure_name"] == "Đăng ký khai sinh"
    assert vietnamese["receiving_agency"]["name"] == "Ủy ban nhân dân Phường Bến Nghé"
    assert [step["name"] for step in vietnamese["open_steps"]] == ["Tiếp nhận hồ sơ"]
    for answer in (english, vietnamese):
        assert " / " not in json.dumps(answer, ensure_ascii=False)


def test_a_completed_step_names_the_procedure_in_english_until_an_english_text_goes(as_user):
    from django.test import TestCase

    from tests.conftest import BIRTH_FORM

    citizen, receiver = as_user("citizen1"), as_user("bennghe.receiver")
    codes = [submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"] for _ in range(2)]

    def accept(code):
        item = receiver.item(code)
        with TestCase.captureOnCommitCallbacks(execute=True):
            answer = receiver.client.post(f"/api/v1/work-items/{item['id']}/complete/",
                                          {"decision": "accept", "data": {}}, format="json",
                                          HTTP_ACCEPT_LANGUAGE="en")
        assert answer.status_code == 200, answer.content
        return answer.json()["procedure_name"]

    assert accept(codes[0]) == "Birth registration"
    as_user("admin").client.patch("/api/v1/procedures/1.001193/", {"fee_note_en": ""}, format="json")
    # Whether a procedure reads in English is kept per process, but an admin's change is seen at once.
    assert accept(codes[1]) == "Đăng ký khai sinh"
