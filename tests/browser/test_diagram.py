"""The BPMN diagram snippet (engine/diagram.html) in a real browser: bpmn-js served by Django, markers, errors."""
from urllib.parse import urlencode

import pytest

pytestmark = pytest.mark.urls("tests.browser.urls")

CURRENT = ["appraise", "consult"]
DONE = ["start", "fetch_parcel", "gw_split", "gw_merge"]
AMBER = "rgb(217, 119, 6)"
GREEN = "rgb(21, 128, 61)"


def open_diagram(page, live_server, **params):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/diagram/?{urlencode(params)}")
    return requests


def element(page, element_id):
    return page.locator(f'.djs-element[data-element-id="{element_id}"]')


def classes(page, element_id):
    return element(page, element_id).get_attribute("class").split()


def test_construction_permit_with_current_and_done_steps(page, live_server, screenshot):
    requests = open_diagram(page, live_server, current=",".join(CURRENT), done=",".join(DONE))
    page.wait_for_selector('[data-bpmn-diagram][data-rendered="true"]')
    container = page.locator("[data-bpmn-diagram]")
    assert container.get_attribute("aria-label") == "Sơ đồ quy trình"  # one language: the page's
    assert container.get_attribute("data-error") is None
    assert container.get_attribute("data-missing") is None

    # The labels, as bpmn-js wraps them into lines.
    labels = page.eval_on_selector_all(
        "[data-bpmn-diagram] svg text",
        "texts => texts.map(t => Array.from(t.querySelectorAll('tspan'), s => s.textContent).join(' '))",
    )
    text = " ".join(" ".join(labels).split())
    for name in ["Thẩm định hồ sơ", "Lấy thông tin thửa đất", "Ký giấy phép xây dựng", "Sở Xây dựng"]:
        assert name in text, f"{name!r} not drawn: {text[:500]}"

    for current in CURRENT:
        assert "onestop-current" in classes(page, current)
        assert "onestop-done" not in classes(page, current)
    for done in DONE:
        assert "onestop-done" in classes(page, done)
    for untouched in ["sign_permit", "applicant_supplement", "end_issued", "gw_join"]:
        assert not {"onestop-current", "onestop-done"} & set(classes(page, untouched))
    # The path taken: flows out of done steps into done or current ones, and only those.
    for flow in ["flow_start_split", "flow_fetch_parcel_split", "flow_split_merge", "flow_split_consult",
                 "flow_merge_appraise"]:
        assert "onestop-done" in classes(page, flow), flow
    for flow in ["flow_appraise_gw", "flow_consult_join", "flow_supplement_merge"]:
        assert "onestop-done" not in classes(page, flow), flow

    # diagram.css applies: amber outline on the current step, green on the done ones.
    stroke = "el => getComputedStyle(el).stroke"
    assert element(page, "appraise").locator(".djs-visual > :first-child").evaluate(stroke) == AMBER
    assert element(page, "fetch_parcel").locator(".djs-visual > :first-child").evaluate(stroke) == GREEN
    summary = page.locator("[data-bpmn-summary]").inner_text()
    assert summary.startswith("Các bước hiện tại: Thẩm định hồ sơ"), summary
    assert " / " not in summary  # the steps' "vi / en" names in the page's language
    assert page.locator(".bjs-powered-by").is_visible()  # the bpmn.io watermark the licence requires

    # Everything came from the project itself (no CDN), and nothing failed.
    assert requests and all(url.startswith(live_server.url) for url in requests), requests
    assert any(url.endswith("/bpmn-navigated-viewer.production.min.js") for url in requests)
    assert page.console_errors == []
    screenshot(page, "construction-permit")


def test_version_diagram_without_markers(page, live_server, screenshot):
    open_diagram(page, live_server, xml="/bpmn/birth_registration.bpmn")
    page.wait_for_selector('[data-bpmn-diagram][data-rendered="true"]')
    assert page.locator(".onestop-current, .onestop-done").count() == 0
    assert page.locator("[data-bpmn-summary]").inner_text() == ""
    assert page.console_errors == []
    screenshot(page, "birth-registration")


def test_unknown_ids_are_reported_not_fatal(page, live_server):
    open_diagram(page, live_server, current="appraise,no_such_task", done="fetch_parcel")
    page.wait_for_selector('[data-bpmn-diagram][data-rendered="true"]')
    assert page.locator("[data-bpmn-diagram]").get_attribute("data-missing") == "no_such_task"
    assert "onestop-current" in classes(page, "appraise")


def test_only_the_given_flows_without_inference(page, live_server):
    open_diagram(page, live_server, current="appraise", done="start,fetch_parcel,flow_start_split", flows="given")
    page.wait_for_selector('[data-bpmn-diagram][data-rendered="true"]')
    assert page.locator("[data-bpmn-diagram]").get_attribute("data-infer-flows") == "false"
    assert "onestop-done" in classes(page, "flow_start_split")
    assert "onestop-done" not in classes(page, "flow_fetch_parcel_split")


def test_two_diagrams_on_one_page(page, live_server):
    requests = open_diagram(page, live_server, current="appraise", second="/bpmn/business_household_registration.bpmn")
    from playwright.sync_api import expect

    # a locator, not wait_for_function: the page's Content Security Policy forbids the eval that one uses
    expect(page.locator('[data-bpmn-diagram][data-rendered="true"]')).to_have_count(2)
    assert page.locator(".onestop-current").count() == 1
    assert sum(url.endswith("/engine/diagram.js") for url in requests) == 1  # skip_assets on the second
    assert page.console_errors == []


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("/bpmn/no_such_procedure.bpmn", "HTTP 404"),
        ("/not-bpmn.xml", "failed to parse document"),
    ],
)
def test_broken_xml_shows_an_error(page, live_server, screenshot, xml, message):
    open_diagram(page, live_server, xml=xml, current="appraise")
    page.wait_for_selector("[data-bpmn-diagram][data-error]")
    container = page.locator("[data-bpmn-diagram]")
    error = container.get_attribute("data-error")
    assert message in error, error
    assert container.get_attribute("data-rendered") is None
    alert = page.get_by_role("alert")
    assert "Không hiển thị được sơ đồ quy trình" in alert.inner_text()
    assert page.locator("[data-bpmn-diagram] svg").count() == 0
    screenshot(page, "error")
