"""A district leader opens the dashboard in Chromium: figures, two SVG charts, the table, on a phone too."""
import pytest

from tests.conftest import load_demo


@pytest.fixture
def leader_page(page, live_server, peers, transactional_db):
    from onestop.demo.seed import DEMO_PASSWORD
    from tests.test_reports import Builder, known_set

    load_demo(peers)
    known_set(Builder())
    page.goto(f"{live_server.url}/login/?next=/reports/")
    page.fill("#id_username", "q1.leader")
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/reports/")
    return page


def test_dashboard_renders_with_its_charts(leader_page, live_server, screenshot):
    page = leader_page
    page.goto(f"{live_server.url}/reports/?date_from=2026-01-01&date_to=2026-03-31")
    assert page.inner_text("h1") == "Bảng điều khiển"  # Vietnamese by default
    # The period's figures and the two charts, drawn by the server.
    figures = page.locator("ul.figures").first.inner_text()
    assert "11" in figures and "50" in figures
    # The indicators of Decision 766: 7 of the 11 dossiers received were submitted online.
    assert "766/QĐ-TTg" in page.inner_text("#indicators")
    assert "63,6 %\ntiếp nhận trực tuyến (7 / 11)" in page.locator("ul.indicators").inner_text()
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect.bar.late").count() == 2  # January and February had late results
    assert page.locator("svg.chart rect.rate").count() == 2  # Bến Nghé and Bến Thành
    box = page.locator("svg.chart").first.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    rows = page.locator("table.report-table").first.locator("tbody tr")
    assert rows.count() == 2
    assert not page.console_errors
    screenshot(page, "desktop", full_page=True)

    # The filters work from the keyboard-usable form: only desk dossiers.
    page.select_option("#id_channel", "desk")
    page.click(".report-filters button[type=submit]")
    page.wait_for_url("**channel=desk**")
    assert page.locator("ul.figures li").first.inner_text().startswith("3")

    # On a phone the page does not spill sideways; the table scrolls inside its frame.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/reports/?date_from=2026-01-01&date_to=2026-03-31")
    assert page.evaluate("document.documentElement.scrollWidth") <= 392
    # The charts' text stays readable (it was drawn about 5px high) and their captions are not cut off.
    smallest = page.evaluate("Math.min(...[...document.querySelectorAll('svg.chart text')]"
                             ".map(t => t.getBoundingClientRect().height))")
    assert smallest >= 11, smallest
    assert page.evaluate("[...document.querySelectorAll('.chart-grid figcaption')]"
                         ".every(c => c.scrollWidth <= c.clientWidth + 1)")
    screenshot(page, "phone", full_page=True)


def test_register_and_control_sheet(leader_page, live_server, screenshot):
    page = leader_page
    page.click("text=Sổ theo dõi hồ sơ (Mẫu 07)")
    page.wait_for_url("**/reports/register/")
    page.select_option("#id_agency", "q1-bennghe")
    page.fill("#id_date_from", "01/01/2026")
    page.fill("#id_date_to", "31/03/2026")
    page.click(".report-filters button[type=submit]")
    page.wait_for_url("**agency=q1-bennghe**")
    rows = page.locator("table.register tbody tr")
    assert rows.count() == 10
    assert rows.first.locator("td").nth(4).inner_text() == "01/01/2026 00:30"  # received, local time
    screenshot(page, "form-07")
    rows.first.locator("th a").click()
    page.wait_for_url("**/control-sheet/")
    assert "Phiếu kiểm soát quá trình giải quyết hồ sơ" in page.inner_text("h1")
    assert "T-0014" in page.inner_text("dl.facts")
    assert not page.console_errors
