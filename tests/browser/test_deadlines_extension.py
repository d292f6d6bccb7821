"""An official extends a dossier's appointment date on a phone (390 px wide) and gets the apology letter."""
import pytest

from onestop.deadlines import working_days
from onestop.dossiers.models import Dossier
from tests.browser.test_workspace import log_in
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit


@pytest.fixture
def demo_live(transactional_db, live_server, peers):
    load_demo(peers)
    return live_server


def test_extension_on_a_phone(page, demo_live, screenshot):
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    before = Dossier.objects.get(code=code).appointment_date
    new_date = working_days.add_working_days(before, 2)
    page.set_viewport_size({"width": 390, "height": 844})
    url = f"/deadlines/{code}/extend/"
    log_in(page, demo_live, "bennghe.specialist", url)
    assert page.locator("h1").inner_text() == "Gia hạn ngày hẹn trả kết quả"
    # Nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "form", full_page=True)

    page.get_by_label("Ngày hẹn trả kết quả mới").fill(new_date.strftime("%d/%m/%Y"))
    page.get_by_role("button", name="Gia hạn và phát hành phiếu xin lỗi").click()
    page.wait_for_selector(".error")  # the reason is missing: said next to its field
    assert page.get_by_label("Ngày hẹn trả kết quả mới").input_value() == new_date.strftime("%d/%m/%Y")
    assert page.console_errors == []  # the form's own 400 answer is by design (conftest.watch_console)
    page.get_by_label("Lý do chậm trễ").fill("Chờ kết quả xác minh của công an phường")
    page.get_by_role("button", name="Gia hạn và phát hành phiếu xin lỗi").click()
    page.wait_for_selector("text=Đã gia hạn ngày hẹn trả kết quả")
    letter = page.get_by_role("link", name="Phiếu xin lỗi và hẹn lại ngày trả kết quả (mẫu 04)")
    assert letter.is_visible()
    assert Dossier.objects.get(code=code).appointment_date == new_date
    assert page.console_errors == []
    screenshot(page, "extended", full_page=True)
    response = page.request.get(demo_live.url + letter.get_attribute("href") + "?download=1")
    assert response.status == 200 and response.body()[:4] == b"%PDF"
