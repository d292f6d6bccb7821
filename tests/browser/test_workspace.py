"""The officials' pages in a real browser: the desk receives a dossier; a specialist claims and completes a step."""
import re

import pytest

from onestop.dossiers.models import Dossier
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit


@pytest.fixture
def demo_live(transactional_db, live_server, peers):
    load_demo(peers)
    return live_server


def log_in(page, live_server, username, next_url):
    from onestop.demo.seed import DEMO_PASSWORD

    page.goto(f"{live_server.url}/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"**{next_url}")


def test_desk_receives_a_dossier_submitted_through_the_api(page, demo_live, screenshot):
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    log_in(page, demo_live, "bennghe.receiver", "/work/desk/")
    assert page.locator("h1").inner_text() == "Bộ phận một cửa"
    screenshot(page, "desk")

    page.get_by_role("link", name=code).click()
    page.wait_for_selector("text=Kiểm tra thành phần hồ sơ")
    page.get_by_text("Thông tin người nộp đã khai").click()  # the answers are folded under the decision
    assert "Nguyễn Minh Khôi" in page.inner_text("main")
    screenshot(page, "reception", full_page=True)
    page.get_by_role("button", name="Tiếp nhận hồ sơ", exact=True).click()

    appointment = Dossier.objects.get(code=code).appointment_date.strftime("%d/%m/%Y")
    message = page.locator(".messages").inner_text()
    assert code in message and appointment in message, message
    assert page.get_by_role("link", name=re.compile("mẫu 01")).is_visible()
    assert page.console_errors == []
    screenshot(page, "accepted")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "accepted-phone", full_page=True)


def test_specialist_claims_and_completes_a_step_with_its_form(page, demo_live, screenshot):
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    log_in(page, demo_live, "bennghe.specialist", "/work/queue/")
    assert page.locator("#queue-results").get_by_role("link", name=code).is_visible()

    # Filtering updates the table in place and keeps the filter in the address.
    page.fill("#id_q", "no-such-dossier")
    page.wait_for_selector("#queue-results >> text=Không có công việc nào.")
    assert "q=no-such-dossier" in page.url
    page.fill("#id_q", code[:12])
    page.locator("#queue-results").get_by_role("link", name=code).wait_for()
    screenshot(page, "queue")

    page.locator("#queue-results").get_by_role("link", name=code).click()
    page.get_by_role("button", name="Nhận xử lý").click()
    page.wait_for_selector("text=Bạn đang xử lý bước này.")
    page.wait_for_selector('[data-bpmn-diagram][data-rendered="true"]')

    # Refusing without a reason: an error summary where the eye is (in view, focused, read out), linking to the
    # comment, which now carries the required mark and the same message beside it.
    page.get_by_label("Từ chối", exact=True).check()
    page.get_by_role("button", name="Hoàn thành", exact=True).click()
    summary = page.locator("[data-error-summary]")
    summary.wait_for()
    page.wait_for_function("document.activeElement && document.activeElement.hasAttribute('data-error-summary')")
    assert summary.get_attribute("role") == "alert"
    assert "Có lỗi cần sửa" in summary.inner_text() and "lý do" in summary.inner_text()
    top = page.evaluate("document.querySelector('[data-error-summary]').getBoundingClientRect().top")
    assert -1 <= top < page.viewport_size["height"]
    assert page.locator("label[for=id_step-comment] .req").count() == 1
    assert "lý do" in page.locator("#id_step-comment_error").inner_text()
    screenshot(page, "step-form-error", full_page=True)
    summary.get_by_role("link").first.click()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'id_step-comment'")

    page.get_by_label("Đồng ý", exact=True).check()
    page.fill("#id_step-review_notes", "Hồ sơ đầy đủ, hợp lệ")
    page.get_by_role("button", name="Hoàn thành", exact=True).click()
    page.wait_for_url("**/work/queue/")
    assert code in page.locator(".messages").inner_text()
    assert page.console_errors == []

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{demo_live.url}/work/queue/?tab=all")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "queue-phone", full_page=True)


def test_desk_takes_in_a_paper_dossier(page, demo_live, screenshot, tmp_path):
    log_in(page, demo_live, "bennghe.receiver", "/work/desk/intake/")
    page.fill("#id_id_number", "079200000099")
    page.select_option("#id_procedure", "1.001193")
    page.get_by_role("button", name="Tiếp tục").click()
    page.fill("#id_full_name", "Phạm Thị Dung")
    for key, value in BIRTH_FORM.items():
        field = page.locator(f"[name='f-{key}']")
        if field.first.get_attribute("type") == "radio":
            page.check(f"[name='f-{key}'][value='{value}']")
        else:
            field.fill(value)
    scan = tmp_path / "ho-so-giay.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("#id_scan", str(scan))
    screenshot(page, "intake", full_page=True)
    page.get_by_role("button", name="Tiếp nhận hồ sơ").click()
    dossier = Dossier.objects.get()
    assert dossier.code in page.locator(".messages").inner_text()
    assert page.locator("iframe.ws-preview").count() == 1  # the scan, previewed in the page
    screenshot(page, "intake-received", full_page=True)


def test_the_desk_sees_the_decision_on_the_first_screens_of_the_reception_page(page, demo_live, screenshot):
    """At 1366×800 the reception page leads with the decision; the checklist, the applicant's answers and the
    files are one click away (details), and the page passes axe's WCAG 2.1 AA rules."""
    from axe_playwright_python.sync_playwright import Axe
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.dossiers.attachments import add_attachment

    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    dossier = Dossier.objects.get(code=code)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    for index, name in enumerate(["to-khai.pdf", "giay-chung-sinh.pdf", "uy-quyen.pdf"]):
        add_attachment(dossier, SimpleUploadedFile(name, pdf), user=citizen.user, document_index=index)
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, demo_live, "bennghe.receiver", "/work/desk/")
    page.get_by_role("link", name=code).click()
    page.wait_for_selector("#accept")
    height = page.evaluate("document.documentElement.scrollHeight")
    decide_top = page.evaluate("document.getElementById('outcome-title').getBoundingClientRect().top + scrollY")
    refuse_bottom = page.evaluate("document.getElementById('refuse').getBoundingClientRect().bottom + scrollY")
    print(f"reception page at 1366x800: height {height} px, decision at {decide_top} px, "
          f"last button ends at {refuse_bottom} px")
    screenshot(page, "reception-1366", full_page=True)
    assert decide_top < 800, decide_top  # the decision starts on the first screen
    assert refuse_bottom < 2 * 800, refuse_bottom  # all three outcomes within the first two screens
    assert height < 2400, height
    # The answers and the files are there, one click away; the checklist's file links open the files.
    page.get_by_text("Thông tin người nộp đã khai").first.click()
    assert page.get_by_text("Nguyễn Minh Khôi").first.is_visible()
    page.locator("#checklist summary").click()
    page.get_by_role("link", name="giay-chung-sinh.pdf").click()
    assert page.locator("#files-fold").evaluate("details => details.open")
    results = Axe().run(page, options={"runOnly": {"type": "tag",
                                                   "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
    assert results.violations_count == 0, results.generate_report()
    page.set_viewport_size({"width": 390, "height": 844})  # one column on a phone, nothing wider than it
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []


def test_the_officials_long_names_show_whole_in_their_selects_on_a_desktop(page, demo_live):
    """Procedures and agencies have long names: at 1366×800 the queue's procedure filter, the desk's intake and
    the register's agency show the whole chosen name in either language."""
    from tests.browser.test_citizen_portal import SELECT_ROOM

    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, demo_live, "bennghe.receiver", "/work/desk/")
    for path, select in (("/work/queue/", "#id_procedure"), ("/work/queue/", "#id_kind"),
                         ("/work/desk/intake/", "select[name$=procedure]"), ("/reports/register/", "#id_agency")):
        for language in ("vi", "en"):
            page.context.add_cookies([{"name": "django_language", "value": language, "url": demo_live.url}])
            page.goto(f"{demo_live.url}{path}")
            room = page.locator(select).first.evaluate(SELECT_ROOM)
            assert room["inside"] and room["widest"] <= room["room"], (path, select, language, room)
    assert page.console_errors == []
