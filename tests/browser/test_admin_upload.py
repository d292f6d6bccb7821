"""An admin uploads a BPMN file on the admin pages, reads the report, publishes, and sees the diagram."""
from pathlib import Path

import pytest

from onestop.interop.models import Peer
from procedures.models import ProcedureVersion

ROOT = Path(__file__).resolve().parents[2]
BIRTH = (ROOT / "bpmn" / "birth_registration.bpmn").read_bytes()


@pytest.fixture
def admin_page(page, live_server, peers):
    from onestop.demo.seed import DEMO_PASSWORD, seed

    seed()
    Peer.objects.update(base_url=peers.url)
    page.goto(f"{live_server.url}/admin/login/?next=/catalogue/upload/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/catalogue/upload/")
    return page


def test_upload_report_publish_and_diagram(admin_page, tmp_path, screenshot):
    page = admin_page
    # First a file with a mistake: the report names the element and the line, and publishing is off.
    broken = tmp_path / "khai-sinh-loi.bpmn"
    broken.write_bytes(BIRTH.replace(b"population.lookup_citizen", b"population.lookup_person"))
    page.fill("#id_code", "1.001193")
    page.set_input_files("#id_bpmn_file", str(broken))
    page.click("#upload-form input[type=submit]")
    page.wait_for_selector("#report")
    assert page.get_attribute("[data-report-status]", "data-report-status") == "errors"
    row = page.locator("#report tr.entry-error").first
    assert "lookup_mother" in row.inner_text() and "population.lookup_person" in row.inner_text()
    assert page.locator("#publish").is_disabled()
    screenshot(page, "report-with-errors")
    page.click("#discard")
    page.wait_for_url("**/admin/procedures/procedure/")

    # Then the mended file: no errors, publish, and the diagram is drawn.
    fixed = tmp_path / "khai-sinh-v2.bpmn"
    fixed.write_bytes(BIRTH.replace("Ký giấy khai sinh / Sign".encode(), "Ký và cấp giấy khai sinh / Sign".encode()))
    page.goto(page.url.split("/admin/")[0] + "/catalogue/upload/?code=1.001193")
    page.set_input_files("#id_bpmn_file", str(fixed))
    page.click("#upload-form input[type=submit]")
    page.wait_for_selector("#version-state")
    assert page.get_attribute("[data-report-status]", "data-report-status") == "ok"
    assert "sign_certificate" in page.inner_text("#diff")
    page.wait_for_selector("[data-bpmn-diagram][data-rendered=true]", timeout=15000)
    page.click("#publish")
    page.wait_for_selector("#version-state")
    assert page.inner_text("#version-state") in ("Đã ban hành", "Published")
    page.wait_for_selector("[data-bpmn-diagram][data-rendered=true]", timeout=15000)
    assert "Ký và cấp giấy khai sinh" in page.inner_text("[data-bpmn-diagram]")
    screenshot(page, "published-with-diagram")
    assert ProcedureVersion.objects.get(procedure__code="1.001193", state="published").number == 3
