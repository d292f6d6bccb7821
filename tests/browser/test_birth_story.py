"""The whole birth registration through the pages, each person in their own browser: the citizen applies
(one field error fixed first), the Bến Nghé desk receives it and opens form 01, the justice officer and the
chairman claim and complete their steps, the desk hands over the result, and the citizen downloads it and
rates the service. A second story: the desk asks for more documents and the citizen answers on the same code.
Screenshots in var/screenshots/."""
from datetime import date

import pytest
from django.urls import NoReverseMatch, reverse

from onestop.demo.seed import DEMO_PASSWORD
from onestop.dossiers.models import Dossier, Rating
from tests.browser.conftest import watch_console
from tests.browser.test_citizen_portal import PDF, fill_birth_form
from tests.conftest import BIRTH_FORM, load_demo


def _installed(name):
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


QUEUE, DESK = _installed("workspace:queue"), _installed("workspace:desk")
pytestmark = pytest.mark.skipif(not _installed("workspace:queue"), reason="the workspace pages are not installed")


@pytest.fixture
def site(live_server, peers, transactional_db, settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    load_demo(peers)
    return live_server.url


@pytest.fixture
def person(browser, site):
    """``person("bennghe.leader", QUEUE)``: a logged-in page in a browser context of its own."""
    contexts = []

    def open_as(username, next_url):
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watch_console(page)
        page.goto(f"{site}/login/?next={next_url}")
        page.fill("#id_username", username)
        page.fill("#id_password", DEMO_PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"**{next_url}")
        return page

    yield open_as
    for context in contexts:
        context.close()


def apply_for_birth_registration(citizen, tmp_path, screenshot):
    scan = tmp_path / "giay-chung-sinh.pdf"
    scan.write_bytes(PDF)
    citizen.click("#apply")
    fill_birth_form(citizen, child_birth_date="")  # forgotten: said next to the field
    citizen.set_input_files("#id_doc_0", str(scan))
    citizen.set_input_files("#id_doc_1", str(scan))
    citizen.click("#to-review")
    assert citizen.locator("#id_child_birth_date_error").is_visible()
    screenshot(citizen, "citizen-field-error")
    day = date.fromisoformat(BIRTH_FORM["child_birth_date"]).strftime("%d/%m/%Y")  # typed as the page asks
    citizen.fill("#id_child_birth_date", day)
    citizen.click("#to-review")
    citizen.click("#submit-dossier")
    code = citizen.inner_text("#dossier-code")
    screenshot(citizen, "citizen-confirmation")
    return code


def open_from_queue(page, code, url):
    page.goto(url)
    page.get_by_role("link", name=code).first.click()


def test_birth_registration_story(person, site, tmp_path, screenshot):
    citizen = person("citizen1", "/procedures/1.001193/")
    code = apply_for_birth_registration(citizen, tmp_path, screenshot)

    # The Bến Nghé desk receives it and opens form 01, the receipt with the appointment date.
    desk = person("bennghe.receiver", DESK)
    open_from_queue(desk, code, site + DESK)
    desk.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).click()
    screenshot(desk, "desk-accepted")
    form01 = desk.get_by_role("link", name="mẫu 01", exact=False).get_attribute("href")
    pdf = desk.request.get(site + form01 if form01.startswith("/") else form01)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")

    # The justice officer reviews, the chairman signs: each claims the step, then completes it.
    officer = person("bennghe.specialist", QUEUE)
    open_from_queue(officer, code, site + QUEUE)
    officer.get_by_role("button", name="Nhận xử lý").click()
    officer.get_by_label("Đồng ý", exact=True).check()
    officer.fill("#id_step-review_notes", "Hồ sơ đầy đủ, hợp lệ")
    screenshot(officer, "officer-step", full_page=True)
    officer.get_by_role("button", name="Hoàn thành", exact=True).click()
    officer.wait_for_url("**" + QUEUE)

    chairman = person("bennghe.leader", QUEUE)
    open_from_queue(chairman, code, site + QUEUE)
    chairman.get_by_role("button", name="Nhận xử lý").click()
    chairman.get_by_label("Ký duyệt", exact=True).check()
    chairman.get_by_role("button", name="Hoàn thành", exact=True).click()
    chairman.wait_for_url("**" + QUEUE)
    assert Dossier.objects.get(code=code).status == "result_ready"

    # Meanwhile the citizen sees the result is ready.
    citizen.goto(f"{site}/my/dossiers/")
    assert "Đã có kết quả" in citizen.inner_text(f"#my-dossiers tr[data-code='{code}']")

    # The desk hands over the result, with the scan of the signed birth certificate.
    result = tmp_path / "giay-khai-sinh.pdf"
    result.write_bytes(PDF)
    open_from_queue(desk, code, site + DESK)
    desk.fill("#id_collector_name", "Nguyễn Văn An")
    desk.fill("#id_collector_id_number", "079090000001")
    desk.set_input_files("#id_result_file", str(result))
    desk.click("form[action$='/return/'] button[type=submit]")
    desk.wait_for_selector(".messages")
    screenshot(desk, "desk-returned")
    assert Dossier.objects.get(code=code).status == "returned"

    # The citizen downloads the result and rates the service.
    citizen.goto(f"{site}/my/dossiers/{code}/")
    assert citizen.inner_text("#status") == "Đã trả kết quả"
    link = citizen.locator("#result a", has_text="giay-khai-sinh.pdf")
    download = citizen.request.get(site + link.get_attribute("href"))
    assert download.ok and download.body() == PDF
    timeline = citizen.inner_text("#timeline")
    assert "Bộ phận một cửa đã tiếp nhận hồ sơ" in timeline and "Đã trả kết quả" in timeline
    screenshot(citizen, "citizen-result", full_page=True)
    citizen.check("#id_score_0")  # 5 – very satisfied
    citizen.fill("#id_comment", "Nhanh chóng, cán bộ nhiệt tình")
    citizen.click("#send-rating")
    assert "5/5" in citizen.inner_text("#rating")
    assert Rating.objects.get(dossier__code=code).score == 5
    screenshot(citizen, "citizen-rated")
    for page in (citizen, desk, officer, chairman):
        assert page.console_errors == []


def test_supplementation_story(person, site, tmp_path, screenshot):
    citizen = person("citizen1", "/procedures/1.001193/")
    code = apply_for_birth_registration(citizen, tmp_path, screenshot)

    desk = person("bennghe.receiver", DESK)
    open_from_queue(desk, code, site + DESK)
    desk.locator("input[name=missing]").first.check()
    desk.fill("form:has(#request-supplement) textarea[name=note]", "Bản scan giấy chứng sinh bị mờ")
    desk.get_by_role("button", name="Yêu cầu bổ sung", exact=False).click()
    desk.wait_for_selector(".messages")
    assert Dossier.objects.get(code=code).status == "supplement_requested"

    citizen.goto(f"{site}/my/dossiers/{code}/")
    asked = citizen.inner_text("#supplement")
    assert "Tờ khai đăng ký khai sinh" in asked or "Giấy chứng sinh" in asked
    sharper = tmp_path / "giay-chung-sinh-ro.pdf"
    sharper.write_bytes(PDF)
    citizen.set_input_files("#id_files", str(sharper))
    citizen.fill("#id_comment", "Đã scan lại bản rõ hơn")
    screenshot(citizen, "citizen-supplement", full_page=True)
    citizen.click("#send-supplement")
    citizen.wait_for_selector(".messages")
    assert citizen.inner_text("#status") == "Đã nộp, chờ tiếp nhận"
    assert "giay-chung-sinh-ro.pdf" in citizen.inner_text("#attachments")
    assert Dossier.objects.filter(applicant__username="citizen1").count() == 1

    # Back at the desk, on the same code.
    open_from_queue(desk, code, site + DESK)
    desk.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).click()
    desk.wait_for_selector(".messages")
    assert Dossier.objects.get(code=code).status == "processing"
