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
