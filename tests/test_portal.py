"""The citizen portal's pages through Django's test client: sign-up, catalogue, apply, my dossiers,
supplementation, withdrawal, rating, and the public lookup."""
import os
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from onestop.dossiers.models import Attachment, Dossier, Rating
from onestop.organisation.models import Citizen
from onestop.portal import services
from tests.conftest import BIRTH_FORM, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 200
BIRTH = "1.001193"


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    cache.clear()
    yield
    cache.clear()


def client_for(username):
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def pdf(name="giay-chung-sinh.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def birth_post(**changes):
    data = {"agency": "q1-bennghe", **BIRTH_FORM, **changes}
    return {k: v for k, v in data.items() if v is not None}


def apply_for_birth(client, **changes):
    """Fill the form with two documents, review, submit; return the new dossier."""
    response = client.post(f"/procedures/{BIRTH}/apply/", {**birth_post(**changes), "doc_0": pdf("to-khai.pdf"),
                                                           "doc_1": pdf()})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == f"/procedures/{BIRTH}/apply/review/"
    response = client.post(f"/procedures/{BIRTH}/apply/review/")
    assert response.status_code == 302
    return Dossier.objects.get(code=response["Location"].split("/")[3])


# --- sign-up, home ----------------------------------------------------------------------------------------

def test_sign_up_creates_the_citizen_and_logs_in(demo):
    client = Client()
    form = {"username": "lan", "password1": "Khong-de-doan-2026", "password2": "Khong-de-doan-2026",
            "full_name": "Phạm Thị Lan", "id_number": "079301000123", "phone": "0901234567",
            "email": "lan@example.vn", "address": "45 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh"}
    # A citizen ID number already used, and passwords that differ: said next to each field, nothing created.
    response = client.post("/signup/", {**form, "id_number": "079090000001", "password2": "khac"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "id_id_number_error" in page and "id_password2_error" in page
    assert not get_user_model().objects.filter(username="lan").exists()

    response = client.post("/signup/", form)
    assert response.status_code == 302
    citizen = Citizen.objects.get(id_number="079301000123")
    assert (citizen.full_name, citizen.phone, citizen.user.username) == ("Phạm Thị Lan", "0901234567", "lan")
    assert citizen.address == "45 Nguyễn Huệ, Phường Sài Gòn, TP. Hồ Chí Minh"  # printed on forms 01 and 02
    assert client.get("/my/dossiers/").status_code == 200  # logged in


def test_sign_up_starts_in_the_first_field_asks_the_address_and_speaks_our_words(demo):
    page = Client().get("/signup/").content.decode()
    autofocus = [line for line in page.splitlines() if "autofocus" in line]
    assert len(autofocus) == 1 and 'name="full_name"' in autofocus[0]
    assert 'name="address"' in page and "required" in page.split('name="address"', 1)[1].split(">", 1)[0]
    assert "Your password can’t be too similar" not in page and "Mật khẩu của bạn không được" not in page
    assert "Ít nhất 8 ký tự" in page


def test_sign_up_attempts_are_limited_per_address(demo, settings):
    """The form tells whether an ID number has an account: a script must not ask for every one."""
    settings.ONESTOP_SIGNUPS_PER_HOUR = 3
    client = Client()
    taken = {"username": "x", "password1": "Khong-de-doan-2026", "password2": "Khong-de-doan-2026",
             "full_name": "X", "id_number": "079090000001", "phone": "0901234567", "address": "1 Lê Lợi"}
    for _ in range(3):
        assert client.post("/signup/", taken).status_code == 200
    response = client.post("/signup/", {**taken, "id_number": "079301000999", "username": "y"})
    assert response.status_code == 429
    assert "Thử lại sau một giờ" in response.content.decode()
    assert not get_user_model().objects.filter(username="y").exists()


def test_home_is_in_vietnamese_english_on_request_and_sends_officials_to_their_work(demo):
    page = Client().get("/").content.decode()
    assert 'lang="vi"' in page and "Dịch vụ công trực tuyến" in page
    page = Client().get(f"/procedures/{BIRTH}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'lang="en"' in page and "<h1>Birth registration</h1>" in page and "Documents to submit" in page
    # The demo procedure has all its English texts: no notice, no Vietnamese content on the English page.
    assert 'id="vietnamese-only"' not in page and "Medical birth certificate" in page and "Civil status" in page
    assert "No fee for a birth registered on time" in page and "Miễn lệ phí" not in page
    assert 'id="vietnamese-only"' not in Client().get(f"/procedures/{BIRTH}/").content.decode()
    response = client_for("bennghe.specialist").get("/")
    assert response.status_code == 302 and response["Location"] == reverse("workspace:queue")
    response = client_for("bennghe.receiver").get("/")  # the desk's officials land at the desk
    assert response.status_code == 302 and response["Location"] == reverse("workspace:desk")


# --- catalogue --------------------------------------------------------------------------------------------

def results(response):
    page = response.content.decode()
    return page[page.index('<section id="results"'):]


def test_catalogue_search_by_name_field_and_agency(demo):
    client = Client()
    found = results(client.get("/procedures/", {"q": "khai sinh"}))
    assert "Đăng ký khai sinh" in found and "hộ kinh doanh" not in found
    found = results(client.get("/procedures/", {"field": "Hộ tịch"}))
    assert "Đăng ký khai sinh" in found and "giấy phép xây dựng" not in found
    # A district receives construction permits; a ward receives birth and business registrations.
    found = results(client.get("/procedures/", {"agency": "q1"}))
    assert "giấy phép xây dựng" in found and "Đăng ký khai sinh" not in found
    found = results(client.get("/procedures/", {"agency": "q1-bennghe"}))
    assert "Đăng ký khai sinh" in found and "hộ kinh doanh" in found and "giấy phép xây dựng" not in found
    # Typed without the Vietnamese marks, in any case, words in any order.
    found = results(client.get("/procedures/", {"q": "KHAI sinh dang"}))
    assert "Đăng ký khai sinh" in found and "Tìm thấy 1 thủ tục" in found
    # htmx asks for the results only.
    part = client.get("/procedures/", {"q": "khai sinh"}, HTTP_HX_REQUEST="true").content.decode()
    assert part.lstrip().startswith("<section") and "Đăng ký khai sinh" in part


def test_procedure_page_lists_documents_fee_time_and_levels(demo):
    page = Client().get(f"/procedures/{BIRTH}/").content.decode()
    for text in ("Giấy chứng sinh", "1 ngày làm việc", "Miễn lệ phí", f"/procedures/{BIRTH}/apply/"):
        assert text in page
    business = Client().get("/procedures/2.000720/").content.decode()
    assert "100.000 ₫" in business
    assert Client().get("/procedures/9.999999/").status_code == 404


# --- apply ------------------------------------------------------------------------------------------------

def test_apply_shows_errors_next_to_fields_keeps_values_and_files_then_submits(demo, settings):
    client = client_for("citizen1")
    assert Client().get(f"/procedures/{BIRTH}/apply/").status_code == 302  # log in first
    page = client.get(f"/procedures/{BIRTH}/apply/").content.decode()
    assert "Họ, chữ đệm, tên của trẻ" in page and 'placeholder="dd/mm/yyyy"' in page and 'type="radio"' in page
    # The step bar says each step's number in its text ("1. Khai và đính kèm", not "...kèm2. Kiểm tra lại").
    assert '<li aria-current="step">1. Khai và đính kèm</li>' in page and "<li>2. Kiểm tra lại</li>" in page

    response = client.post(f"/procedures/{BIRTH}/apply/", {
        **birth_post(mother_id_number="07919", child_birth_place=""), "doc_0": pdf("to-khai.pdf")})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_mother_id_number_error"' in page and "Không đúng định dạng" in page
    assert 'id="id_child_birth_place_error"' in page
    assert 'value="Nguyễn Minh Khôi"' in page  # values kept
    assert "to-khai.pdf" in page  # the good file is kept for the next try
    assert 'id="id_doc_1_error"' in page  # the birth certificate is missing
    assert not Dossier.objects.exists()

    response = client.post(f"/procedures/{BIRTH}/apply/", {**birth_post(), "doc_1": pdf()})
    assert response.status_code == 302
    review = client.get(f"/procedures/{BIRTH}/apply/review/").content.decode()
    assert "Nguyễn Minh Khôi" in review and "20/11/2026" in review and "to-khai.pdf" in review
    assert "Phường Bến Nghé" in review

    response = client.post(f"/procedures/{BIRTH}/apply/review/")
    dossier = Dossier.objects.get()
    assert response["Location"] == f"/my/dossiers/{dossier.code}/submitted/"
    assert (dossier.status, dossier.receiving_agency.code, dossier.form_data) == ("submitted", "q1-bennghe", BIRTH_FORM)
    files = list(dossier.attachments.values_list("kind", "document_index", "original_name"))
    assert files == [("document", 0, "to-khai.pdf"), ("document", 1, "giay-chung-sinh.pdf")]
    confirmation = client.get(response["Location"]).content.decode()
    assert dossier.code in confirmation and "Phường Bến Nghé" in confirmation and "Đã nộp" in confirmation
    # The draft and its staged files are gone: a second submit does not make a second dossier.
    assert client.post(f"/procedures/{BIRTH}/apply/review/").status_code == 302
    assert Dossier.objects.count() == 1
    assert not any((settings.ATTACHMENTS_ROOT / "staging").glob("*/*"))


def test_one_draft_never_makes_two_dossiers_and_stale_uploads_are_cleaned(demo, settings):
    client = client_for("citizen1")
    response = client.post(f"/procedures/{BIRTH}/apply/", {**birth_post(), "doc_0": pdf(), "doc_1": pdf()})
    assert response.status_code == 302
    [staged] = (settings.ATTACHMENTS_ROOT / "staging").iterdir()
    # A second click that arrives while the first is being stored is turned away...
    (staged.parent / f"{staged.name}.submitting").mkdir()
    response = client.post(f"/procedures/{BIRTH}/apply/review/")
    assert response["Location"] == "/my/dossiers/" and not Dossier.objects.exists()
    (staged.parent / f"{staged.name}.submitting").rmdir()
    # ... and so is one that arrives after it, still carrying the draft.
    (staged.parent / f"{staged.name}.done").mkdir()
    response = client.post(f"/procedures/{BIRTH}/apply/review/")
    assert response["Location"] == "/my/dossiers/" and not Dossier.objects.exists()
    (staged.parent / f"{staged.name}.done").rmdir()
    response = client.post(f"/procedures/{BIRTH}/apply/review/")
    assert Dossier.objects.count() == 1 and (staged.parent / f"{staged.name}.done").is_dir()

    old = settings.ATTACHMENTS_ROOT / "staging" / ("0" * 32)
    old.mkdir()
    os.utime(old, (time.time() - 2 * 24 * 3600,) * 2)
    assert services.clean_stale_staging() == 1 and not old.exists()
    assert (staged.parent / f"{staged.name}.done").is_dir()  # not a day old yet


def test_apply_refuses_a_renamed_executable_and_an_oversize_file_next_to_the_field(demo, settings):
    settings.ONESTOP_MAX_UPLOAD_BYTES = 1024 * 1024
    client = client_for("citizen1")
    big = SimpleUploadedFile("giay-chung-sinh.pdf", PDF + b"\0" * (2 * 1024 * 1024))
    response = client.post(f"/procedures/{BIRTH}/apply/", {
        **birth_post(), "doc_0": SimpleUploadedFile("to-khai.pdf", ELF), "doc_1": big})
    assert response.status_code == 400
    page = response.content.decode()
    # Each refusal is said next to its own field, naming the file.
    doc_0 = page[page.index('id="document-0"'):page.index('id="document-1"')]
    doc_1 = page[page.index('id="document-1"'):page.index('id="document-2"')]
    assert 'id="id_doc_0_error"' in doc_0 and "to-khai.pdf" in doc_0
    assert 'id="id_doc_1_error"' in doc_1 and "giay-chung-sinh.pdf" in doc_1 and "1 MB" in doc_1
    assert client.get(f"/procedures/{BIRTH}/apply/review/").status_code == 302  # not reviewable
    assert not Dossier.objects.exists()


def test_only_citizens_apply(demo):
    assert client_for("bennghe.receiver").get(f"/procedures/{BIRTH}/apply/").status_code == 403


# --- the applicant's dossiers -----------------------------------------------------------------------------

def test_my_dossiers_and_the_dossier_page_are_the_applicants_only(demo):
    client = client_for("citizen1")
    dossier = apply_for_birth(client)
    page = client.get("/my/dossiers/").content.decode()
    assert dossier.code in page and "Đăng ký khai sinh" in page
    page = client.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert "Nộp trực tuyến" in page and "giay-chung-sinh.pdf" in page and "Phường Bến Nghé" in page
    key = dossier.attachments.first().key

    other = client_for("citizen2")
    assert dossier.code not in other.get("/my/dossiers/").content.decode()
    for url in (f"/my/dossiers/{dossier.code}/", f"/my/dossiers/{dossier.code}/submitted/",
                f"/my/dossiers/{dossier.code}/withdraw/", f"/dossiers/files/{key}/"):
        response = other.get(url)
        assert response.status_code == 404, url
    assert "Không tìm thấy trang" in other.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert other.post(f"/my/dossiers/{dossier.code}/supplement/", {"comment": "x"}).status_code == 404


def test_the_history_tells_a_lookup_from_an_entry_in_the_register(demo, as_user):
    """The mother's record is fetched from another agency's system; the birth register is the ward's own."""
    code = apply_for_birth(client_for("citizen1")).code
    as_user("bennghe.receiver").act(code, "accept")
    as_user("bennghe.specialist").act(code, "approve", {"review_notes": "Đủ"})
    as_user("bennghe.leader").act(code, "sign")
    page = client_for("citizen1").get(f"/my/dossiers/{code}/").content.decode()
    assert page.count("Đã khai thác dữ liệu từ hệ thống của cơ quan khác") == 1  # the lookup only
    assert "Đã ghi vào sổ: Ghi sổ đăng ký khai sinh" in page


def test_supplementation_is_answered_on_the_same_code_with_files_and_corrections(demo, as_user):
    client = client_for("citizen1")
    dossier = apply_for_birth(client)
    as_user("bennghe.receiver").act(dossier.code, "supplement", {"missing_documents": ["Giấy chứng sinh bản chính"]},
                                    comment="Bản scan bị mờ")
    page = client.get("/my/dossiers/").content.decode()
    assert "Bổ sung" in page
    page = client.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert "Giấy chứng sinh bản chính" in page and 'id="send-supplement"' in page

    # A renamed executable is refused and nothing changes.
    response = client.post(f"/my/dossiers/{dossier.code}/supplement/", {
        "files": [SimpleUploadedFile("ban-chinh.pdf", ELF)], "comment": "Đã bổ sung",
        **{f"form-{k}": v for k, v in BIRTH_FORM.items()}})
    assert response.status_code == 400
    assert "ban-chinh.pdf" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested"

    # Nothing attached, nothing written, nothing corrected: no answer.
    response = client.post(f"/my/dossiers/{dossier.code}/supplement/", {
        "comment": "", **{f"form-{k}": v for k, v in BIRTH_FORM.items()}})
    assert response.status_code == 400
    assert "Đính kèm ít nhất một giấy tờ được yêu cầu, hoặc ghi chú." in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == "supplement_requested"

    response = client.post(f"/my/dossiers/{dossier.code}/supplement/", {
        "files": [pdf("ban-chinh.pdf")], "comment": "Đã bổ sung bản chính",
        **{f"form-{k}": v for k, v in {**BIRTH_FORM, "child_birth_place": "Bệnh viện Hùng Vương"}.items()}})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert (dossier.status, dossier.form_data["child_birth_place"]) == ("submitted", "Bệnh viện Hùng Vương")
    assert dossier.attachments.filter(kind=Attachment.Kind.SUPPLEMENT, original_name="ban-chinh.pdf").exists()
    assert Dossier.objects.count() == 1
    assert as_user("bennghe.receiver").item(dossier.code)["kind"] == "reception"


def test_a_processing_step_asks_and_the_citizen_answers_through_the_page(demo, as_user):
    client = client_for("citizen1")
    dossier = apply_for_birth(client)
    as_user("bennghe.receiver").act(dossier.code, "accept")
    as_user("bennghe.specialist").act(dossier.code, "supplement", comment="Thiếu giấy chứng sinh bản chính")
    page = client.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert "Thiếu giấy chứng sinh bản chính" in page and 'id="send-supplement"' in page

    response = client.post(f"/my/dossiers/{dossier.code}/supplement/", {
        "files": [pdf("ban-chinh.pdf")], "comment": "Đã bổ sung bản chính",
        **{f"form-{k}": v for k, v in BIRTH_FORM.items()}})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "processing"
    added = dossier.attachments.get(kind=Attachment.Kind.SUPPLEMENT)
    assert added.work_item.kind == "applicant" and added.work_item.state == "completed"
    assert as_user("bennghe.specialist").item(dossier.code)["kind"] == "task"  # back with the officer


def test_withdraw_asks_for_confirmation_and_a_reason(demo):
    client = client_for("citizen1")
    dossier = apply_for_birth(client)
    page = client.get(f"/my/dossiers/{dossier.code}/withdraw/").content.decode()
    assert 'id="confirm-withdraw"' in page
    assert client.post(f"/my/dossiers/{dossier.code}/withdraw/", {"reason": ""}).status_code == 200
    dossier.refresh_from_db()
    assert dossier.status == "submitted"
    response = client.post(f"/my/dossiers/{dossier.code}/withdraw/", {"reason": "Nộp nhầm phường"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == "withdrawn"
    assert dossier.events.filter(action="withdrawn", comment="Nộp nhầm phường").exists()
    assert 'id="withdraw"' not in client.get(f"/my/dossiers/{dossier.code}/").content.decode()


def _finish_birth_registration(as_user, code):
    as_user("bennghe.receiver").act(code, "accept")
    as_user("bennghe.specialist").act(code, "approve", {"review_notes": "Hồ sơ đầy đủ"})
    as_user("bennghe.leader").act(code, "sign")
    as_user("bennghe.receiver").act(code, "returned", {"collected_by": "Nguyễn Văn An"})


def test_the_service_is_rated_once_after_the_result_is_returned(demo, as_user):
    client = client_for("citizen1")
    dossier = apply_for_birth(client)
    assert client.post(f"/my/dossiers/{dossier.code}/rate/", {"score": 5}).status_code == 302
    assert not Rating.objects.exists()  # not before the result is returned
    _finish_birth_registration(as_user, dossier.code)
    page = client.get("/my/dossiers/").content.decode()
    assert "Đánh giá" in page
    page = client.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert 'id="send-rating"' in page and "Đã trả kết quả" in page

    assert client.post(f"/my/dossiers/{dossier.code}/rate/", {"score": 9}).status_code == 400
    response = client.post(f"/my/dossiers/{dossier.code}/rate/", {"score": 4, "comment": "Nhanh, chu đáo"})
    assert response.status_code == 302
    page = client.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert "4/5" in page and "Nhanh, chu đáo" in page and 'id="send-rating"' not in page
    client.post(f"/my/dossiers/{dossier.code}/rate/", {"score": 1})
    assert list(Rating.objects.values_list("score", flat=True)) == [4]


# --- public lookup ----------------------------------------------------------------------------------------

def test_lookup_shows_status_only_for_the_right_digits(demo, as_user):
    code = submit(as_user("citizen1"), BIRTH, "q1-bennghe", BIRTH_FORM)["code"]  # citizen1: 079090000001
    client = Client()
    page = client.post("/lookup/", {"code": code, "id_digits": "0001"}).content.decode()
    assert 'id="lookup-result"' in page and code in page and "Đăng ký khai sinh" in page
    assert "Nguyễn Minh Khôi" not in page  # status only, no personal data
    wrong_digits = client.post("/lookup/", {"code": code, "id_digits": "0002"}).content.decode()
    wrong_code = client.post("/lookup/", {"code": code + "9", "id_digits": "0001"}).content.decode()
    assert 'id="lookup-none"' in wrong_digits and 'id="lookup-none"' in wrong_code
    assert code not in wrong_digits.replace(f'value="{code}"', "")


def test_lookup_is_rate_limited_per_client_address(demo, settings):
    settings.ONESTOP_LOOKUPS_PER_MINUTE = 10
    client = Client(REMOTE_ADDR="203.0.113.7")
    for _ in range(10):
        assert client.post("/lookup/", {"code": "X-1", "id_digits": "1234"}).status_code == 200
    response = client.post("/lookup/", {"code": "X-1", "id_digits": "1234"})
    assert response.status_code == 429
    assert 'id="lookup-limited"' in response.content.decode()
    # Another address is not held back.
    assert Client(REMOTE_ADDR="203.0.113.8").post("/lookup/", {"code": "X-1", "id_digits": "1234"}).status_code == 200



def _english_page(path, client=None):
    """The main content of ``path`` asked for in English."""
    page = (client or Client()).get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in page
    return page.split("<main", 1)[1].split("</main>", 1)[0]


def test_an_english_page_shows_the_procedure_wholly_in_english_or_wholly_in_vietnamese_with_one_notice(demo):
    from procedures.models import Procedure

    citizen = client_for("citizen1")
    page = _english_page(f"/procedures/{BIRTH}/apply/", citizen)
    # The form's title, labels, help and options, and the documents, all in English.
    assert "Birth registration declaration" in page and "Child&#x27;s full name" in page and " Female</label>" in page
    assert "12 digits" in page and "Medical birth certificate" in page
    assert "Giới tính" not in page and "Tờ khai" not in page and 'lang="vi"' not in page

    # One English text missing (the fee note): the whole procedure reads in Vietnamese, said once.
    Procedure.objects.filter(code=BIRTH).update(fee_note_en="")
    for path in (f"/procedures/{BIRTH}/", f"/procedures/{BIRTH}/apply/"):
        page = _english_page(path, citizen)
        assert page.count('id="vietnamese-only"') == 1 and "available in Vietnamese only" in page
        assert "Medical birth certificate" not in page and "Child&#x27;s full name" not in page
        assert 'lang="en"' not in page
    page = _english_page(f"/procedures/{BIRTH}/", citizen)
    assert 'lang="vi" id="fee-note">Miễn lệ phí' in page and '<td lang="vi">Giấy chứng sinh' in page
    page = _english_page(f"/procedures/{BIRTH}/apply/", citizen)
    assert '<div class="form" lang="vi">' in page and "Giới tính" in page and "> nữ</label>" in page
    # The Vietnamese page never shows the notice.
    assert 'id="vietnamese-only"' not in citizen.get(f"/procedures/{BIRTH}/apply/").content.decode()


def test_the_citizen_reads_back_their_answers_in_english_with_the_options_english_names(demo):
    from tests.conftest import Actor

    code = submit(Actor("citizen1"), BIRTH, "q1-bennghe", BIRTH_FORM)["code"]
    page = _english_page(f"/my/dossiers/{code}/", client_for("citizen1"))
    assert "<dt>Child&#x27;s full name</dt><dd>Nguyễn Minh Khôi</dd>" in page
    assert "<dt>Sex</dt><dd>Male</dd>" in page and "<dd>20/11/2026</dd>" in page and "Giới tính" not in page
    page = client_for("citizen1").get(f"/my/dossiers/{code}/").content.decode()
    assert "<dt>Giới tính</dt><dd>nam</dd>" in page
