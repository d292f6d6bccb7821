"""The one-stop forms as PDFs: what a citizen or an official reads on them, and who may get them."""
import io
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.graphics.barcode.qr import QrCodeWidget

from onestop.documents.forms_pdf import form_01, form_04
from onestop.dossiers.models import Dossier
from tests.conftest import BIRTH_FORM, submit


def _text(content):
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def _flat(text):
    """Extracted text with line breaks and repeated spaces folded (long lines wrap in the PDF)."""
    return re.sub(r"\s+", " ", text)


def _client(username):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


def _get(username, name, code):
    return _client(username).get(reverse(f"documents:{name}", kwargs={"code": code}))


@pytest.fixture
def accepted(as_user):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    return Dossier.objects.get(code=code)


def test_form_01_is_the_receipt_with_code_applicant_and_appointment(accepted):
    response = _get("citizen1", "form01", accepted.code)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{accepted.code}-01.pdf"'
    text = _flat(_text(response.content))
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert accepted.code in text
    assert "Nguyễn Văn An" in text  # the applicant, diacritics intact
    assert "079090000001" in text
    assert "12 Lê Lợi, Phường Bến Nghé, Quận 1" in text
    assert "Đăng ký khai sinh" in text
    assert f"ngày {accepted.appointment_date:%d/%m/%Y}" in text
    assert "01 ngày làm việc" in text
    assert "Tờ khai đăng ký khai sinh (theo mẫu)" in text  # the documents received, with counts
    # Accepted without files: the documents every applicant brings, not the power of attorney that only a
    # representative brings (nothing shows it was received).
    assert "Văn bản ủy quyền" not in text
    assert "Bộ phận Một cửa – Ủy ban nhân dân Phường Bến Nghé" in text  # where to collect the result
    receiver = accepted.events.get(action="reception_completed").actor
    assert receiver.get_full_name() and receiver.get_full_name() in text  # the receiving official
    year = timezone.localtime(accepted.received_at).year
    assert "Số: 1/TNHS" in text  # the first dossier of the agency's register this year
    assert f"Vào Sổ theo dõi hồ sơ năm {year}, số thứ tự: 1" in text


def test_form_01_numbers_each_dossier_in_its_agency_register_of_the_year(accepted, as_user):
    code = submit(as_user("citizen2"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    second = _flat(_text(_get("citizen2", "form01", code).content))
    assert "Số: 2/TNHS" in second and "số thứ tự: 2" in second
    first = _flat(_text(_get("citizen1", "form01", accepted.code).content))
    assert "Số: 1/TNHS" in first  # printing again gives the same number


def test_form_01_gives_the_hour_of_a_result_due_within_the_day(accepted):
    accepted.procedure.processing_days = 0
    text = _flat(_text(form_01(accepted)))
    assert f"trước 17 giờ 00 phút, ngày {accepted.appointment_date:%d/%m/%Y}" in text
    assert "trong ngày làm việc" in text


def test_an_official_of_the_receiving_agency_gets_the_receipt_and_another_citizen_does_not(accepted):
    assert _get("bennghe.receiver", "form01", accepted.code).status_code == 200
    assert _get("citizen2", "form01", accepted.code).status_code == 404
    assert _get("vothisau.receiver", "form01", accepted.code).status_code == 404
    assert _get("citizen1", "form01", "NO-SUCH-CODE").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(accepted):
    response = Client().get(reverse("documents:form01", kwargs={"code": accepted.code}))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_forms_that_do_not_apply_are_404(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    for name in ("form01", "form02", "form03"):  # waiting for reception: no paper yet
        assert _get("citizen1", name, code).status_code == 404


def test_form_02_lists_every_missing_document_and_why(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    missing = ["Giấy chứng sinh (bản chính)", "Giấy chứng nhận kết hôn của cha, mẹ (bản sao)"]
    desk.act(code, "supplement", data={"missing_documents": missing}, comment="Hồ sơ thiếu giấy chứng sinh")
    response = _get("citizen1", "form02", code)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="{code}-02.pdf"'
    text = _flat(_text(response.content))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert code in text and "Nguyễn Văn An" in text
    assert "1. Giấy chứng sinh (bản chính)" in text
    assert "2. Giấy chứng nhận kết hôn của cha, mẹ (bản sao)" in text
    assert "Lý do: Hồ sơ thiếu giấy chứng sinh" in text
    assert _get("citizen1", "form01", code).status_code == 404
    assert _get("citizen1", "form03", code).status_code == 404

    # Once answered and accepted, the request is still printable as it was given.
    assert citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã bổ sung"}).status_code == 200
    desk.act(code, "accept")
    text = _flat(_text(_get("bennghe.receiver", "form02", code).content))
    assert "2. Giấy chứng nhận kết hôn của cha, mẹ (bản sao)" in text
    assert _get("citizen1", "form01", code).status_code == 200


def test_form_03_gives_the_reason_for_refusal(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "refuse", comment="Không thuộc thẩm quyền giải quyết của phường")
    response = _get("citizen1", "form03", code)
    assert response.status_code == 200
    text = _flat(_text(response.content))
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert code in text and "Nguyễn Văn An" in text
    assert "Không thuộc thẩm quyền giải quyết của phường" in text
    assert _get("citizen2", "form03", code).status_code == 404
    assert _get("citizen1", "form01", code).status_code == 404


def test_form_04_apologises_with_the_new_date(accepted):
    leader = accepted.receiving_agency.memberships.get(role="leader").user
    content = form_04(accepted, reason="Chờ kết quả xác minh của cơ quan có liên quan",
                      new_date=date(2027, 1, 8), official=leader)
    text = _flat(_text(content))
    assert "Mẫu số 04" in text
    assert "VĂN BẢN XIN LỖI VÀ ĐỀ NGHỊ GIA HẠN THỜI GIAN GIẢI QUYẾT" in text
    assert accepted.code in text and "Nguyễn Văn An" in text
    assert "Chờ kết quả xác minh của cơ quan có liên quan" in text
    assert "trân trọng xin lỗi Ông/Bà và đề nghị Ông/Bà đồng ý gia hạn thời gian giải quyết hồ sơ" in text
    assert "trả kết quả vào ngày 08/01/2027" in text
    assert f"ngày {accepted.appointment_date:%d/%m/%Y}" in text  # the date that could not be kept
    assert leader.get_full_name() in text


def _qr_read_back(content):
    """The dark modules of the QR code drawn in the footer of page 1, as a set of (row, column)."""
    page = PdfReader(io.BytesIO(content)).pages[0]
    stream = ContentStream(page.get_contents(), page.pdf)
    rects = [[float(v) for v in operands] for operands, op in stream.operations if op == b"re"]
    # The footer's square (10 to 34 mm up, a QR_SIZE wide): a long table may reach the footer's height too.
    mm = 72 / 25.4
    rects = [r for r in rects if r[3] > 0 and 10 * mm - 1 <= r[1] and r[1] + r[3] <= 34 * mm + 1 and r[2] < 24 * mm]
    box = min(h for _x, _y, _w, h in rects)
    left, top = min(x for x, *_ in rects), max(y + h for _x, y, _w, h in rects)  # finder patterns sit there
    dark = set()
    for x, y, w, h in rects:
        row, col = round((top - y - h) / box), round((x - left) / box)
        dark.update((row, col + i) for i in range(round(w / box)))
    return dark


def _qr_encoded(code):
    qr = QrCodeWidget(code, barLevel="M").qr
    qr.make()
    return {(r, c) for r, row in enumerate(qr.modules) for c, m in enumerate(row) if m}


def test_each_form_carries_a_qr_code_opening_the_lookup_of_its_dossier(accepted, client):
    """No pure-Python QR decoder is at hand: the modules read back from the PDF are compared with the
    matrix reportlab's QR encoder gives for the lookup link of the dossier; the link opens the public lookup
    with the code filled in."""
    from django.conf import settings

    link = f"{settings.ONESTOP_SITE_URL}/lookup/?code={accepted.code}"
    drawn = _qr_read_back(_get("citizen1", "form01", accepted.code).content)
    assert len(drawn) > 200
    assert drawn == _qr_encoded(link)
    assert drawn != _qr_encoded(accepted.code)
    page = client.get(link.removeprefix(settings.ONESTOP_SITE_URL))
    assert page.status_code == 200
    assert f'value="{accepted.code}"' in page.content.decode()


def test_form_04_page_prints_the_extension_once_granted(accepted):
    from onestop.deadlines.models import Extension

    code = accepted.code
    assert _get("citizen1", "form04", code).status_code == 404  # not extended
    leader = accepted.receiving_agency.memberships.get(role="leader").user
    Extension.objects.create(dossier=accepted, requested_by=leader, agency=accepted.receiving_agency,
                             reason="Chờ ý kiến của Công an phường", previous_date=accepted.appointment_date,
                             new_date=date(2027, 1, 8))
    response = _get("citizen1", "form04", code)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="{code}-04.pdf"'
    text = _flat(_text(response.content))
    assert "Chờ ý kiến của Công an phường" in text and "ngày 08/01/2027" in text
    assert f"ngày {accepted.appointment_date:%d/%m/%Y}" in text
    assert _get("citizen2", "form04", code).status_code == 404


def test_what_officials_type_prints_as_typed(as_user):
    """A reason with markup characters prints literally and does not break the PDF."""
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    reason = "Thiếu <bản sao> giấy chứng sinh & giấy tờ \"chứng thực\""
    as_user("bennghe.receiver").act(code, "refuse", comment=reason)
    text = _flat(_text(_get("citizen1", "form03", code).content))
    assert reason in text


def test_form_01_counts_the_files_received_for_each_document(accepted):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.dossiers.attachments import add_attachment

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for name in ("giay-chung-sinh-1.pdf", "giay-chung-sinh-2.pdf"):
        add_attachment(accepted, SimpleUploadedFile(name, pdf, content_type="application/pdf"),
                       user=accepted.applicant, document_index=1)
    text = _flat(_text(_get("citizen1", "form01", accepted.code).content))
    # Only the document that came with files is listed (with its 2 files), not the whole checklist.
    assert "giấy cam đoan về việc sinh 1 0 2" in text
    assert "Tờ khai đăng ký khai sinh" not in text


def test_form_02_is_given_for_a_request_made_during_processing(accepted, as_user):
    code = accepted.code
    as_user("bennghe.specialist").act(code, "supplement", comment="Thiếu giấy chứng sinh bản chính")
    response = _get("citizen1", "form02", code)
    assert response.status_code == 200
    text = _flat(_text(response.content))
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert "Trong quá trình giải quyết hồ sơ, Ủy ban nhân dân Phường Bến Nghé yêu cầu hoàn thiện hồ sơ." in text
    assert "1. Thiếu giấy chứng sinh bản chính" in text  # the step gave no list: its reason is what to add
    specialist = accepted.events.filter(action="task_completed").last().actor
    assert specialist.get_full_name() in text  # who asked, named as the contact
    page = _client("citizen1").get(reverse("portal:dossier", kwargs={"code": code})).content.decode()
    assert reverse("documents:form02", kwargs={"code": code}) in page


def test_form_06_shows_every_hand_over_between_officials_and_agencies(accepted, as_user):
    """Desk, specialist, leader, desk, applicant: each hand-over with giver, receiver, time and result, on the
    page and in the printable PDF."""
    code = accepted.code
    as_user("bennghe.specialist").act(code, "approve", {"review_notes": "Đầy đủ"})
    as_user("bennghe.leader").act(code, "sign")
    as_user("bennghe.receiver").act(code, "returned")
    from django.contrib.auth import get_user_model

    names = {u.username: u.get_full_name() for u in get_user_model().objects.filter(
        username__in=("bennghe.receiver", "bennghe.specialist", "bennghe.leader"))}
    desk, specialist, leader = names["bennghe.receiver"], names["bennghe.specialist"], names["bennghe.leader"]
    url = reverse("reports:control-sheet", kwargs={"code": code})
    rows = _client("bennghe.leader").get(url).context["rows"]
    assert [(r[2], r[4]) for r in rows] == [
        ("Nguyễn Văn An", desk), (desk, specialist), (specialist, leader), (leader, desk),
        (desk, "Nguyễn Văn An (079090000001)")]
    assert all(r[5] for r in rows)  # each with its time
    assert rows[-1][9] == "Đã trả kết quả"

    response = _client("bennghe.leader").get(url, {"format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _flat(_text(response.content))
    assert "Mẫu số 06" in text and "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    for column in ("Bên giao", "Bên nhận", "Thời gian giao, nhận hồ sơ", "Ghi chú"):
        assert column in text
    assert text.count("Người giao:") == 5 and f"Người nhận: {specialist}" in text
    assert _client("citizen2").get(url, {"format": "pdf"}).status_code == 404


def test_form_07_prints_the_register_with_every_column(accepted):
    url = reverse("reports:register")
    day = timezone.localtime(accepted.received_at).strftime("%d/%m/%Y")
    response = _client("bennghe.leader").get(url, {"agency": "q1-bennghe", "date_from": day, "date_to": day,
                                                   "format": "pdf"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _flat(_text(response.content))
    assert "Mẫu số 07" in text and "SỔ THEO DÕI HỒ SƠ" in text
    packed = re.sub(r"\s", "", text)  # narrow columns wrap their words
    for column in ("Số lượng hồ sơ (bộ)", "Cơ quan chủ trì giải quyết", "Ký nhận", "Ghi chú", "Hẹn trả kết quả"):
        assert column.replace(" ", "") in packed
    assert accepted.code in packed and "NguyễnVănAn" in packed and "Đăngkýkhaisinh" in packed
    assert f"Từ ngày {day} đến ngày {day}" in text


def test_form_05_notifies_that_the_handling_stops_with_the_reason(accepted):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from onestop.documents.forms_pdf import form_05

    leader = accepted.receiving_agency.memberships.get(role="leader").user
    stopped = datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    text = _flat(_text(form_05(accepted, reason="Người nộp hồ sơ đề nghị rút hồ sơ", official=leader, at=stopped)))
    assert "Mẫu số 05" in text and "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text
    assert accepted.code in text and "Nguyễn Văn An" in text
    assert "thông báo dừng giải quyết hồ sơ nêu trên kể từ 09 giờ 30 phút, ngày 07/12/2026" in text
    assert "Lý do: Người nộp hồ sơ đề nghị rút hồ sơ" in text
    assert leader.get_full_name() in text


def test_form_05_page_prints_the_notice_once_the_dossier_is_stopped(as_user, peers):
    from django.contrib.auth import get_user_model

    from onestop.dossiers import lifecycle
    from onestop.dossiers.models import Incident

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    assert _get("citizen1", "form05", code).status_code == 404  # not stopped
    peers.control(down=True)
    try:
        as_user("bennghe.receiver").act(code, "accept")
    finally:
        peers.control(down=False)
    admin = get_user_model().objects.get(username="admin")
    lifecycle.stop_dossier(Incident.objects.get(dossier__code=code).pk, admin,
                           reason="Cơ sở dữ liệu dân cư không trả lời")
    response = _get("citizen1", "form05", code)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'inline; filename="{code}-05.pdf"'
    text = _flat(_text(response.content))
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text and code in text
    assert "Lý do: Cơ sở dữ liệu dân cư không trả lời" in text
    assert _get("citizen2", "form05", code).status_code == 404
