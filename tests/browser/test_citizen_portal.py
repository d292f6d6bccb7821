"""A citizen in a real browser: logs in, finds birth registration, applies (one field error shown and fixed
first), uploads PDFs, reviews, submits, sees the confirmation and "My dossiers"; refused uploads; another
citizen gets the 404 page. Screenshots in var/screenshots/."""
from datetime import date

import pytest

from onestop.demo.seed import DEMO_PASSWORD
from onestop.dossiers.models import Dossier
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 200


@pytest.fixture
def portal(live_server, peers, transactional_db, settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    load_demo(peers)
    return live_server.url


def log_in(page, url, username):
    page.goto(f"{url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def fill_birth_form(page, **changes):
    form = {**BIRTH_FORM, **changes}
    page.select_option("#id_agency", "q1-bennghe")
    if form["child_birth_date"]:  # typed dd/mm/yyyy, as the page asks
        form["child_birth_date"] = date.fromisoformat(form["child_birth_date"]).strftime("%d/%m/%Y")
    for name in ("child_full_name", "child_birth_date", "child_birth_place", "father_full_name", "father_id_number",
                 "mother_full_name", "mother_id_number"):
        page.fill(f"#id_{name}", form[name])
    page.check(f"input[name=child_sex][value='{form['child_sex']}']")
    page.check(f"input[name=applicant_relationship][value='{form['applicant_relationship']}']")


def test_citizen_applies_for_birth_registration(page, portal, browser, tmp_path, screenshot):
    to_khai, chung_sinh = tmp_path / "to-khai.pdf", tmp_path / "giay-chung-sinh.pdf"
    to_khai.write_bytes(PDF)
    chung_sinh.write_bytes(PDF)
    log_in(page, portal, "citizen1")

    page.goto(f"{portal}/procedures/")
    page.fill("#id_q", "khai sinh")
    page.wait_for_selector("#results >> text=Tìm thấy 1 thủ tục")  # htmx updated the results in place
    screenshot(page, "catalogue")
    page.click("#results a:has-text('Đăng ký khai sinh')")
    page.wait_for_selector("#apply")
    screenshot(page, "procedure")
    page.click("#apply")

    # First try: the mother's ID number is too short; the error is shown next to the field, answers kept.
    fill_birth_form(page, mother_id_number="07919")
    page.set_input_files("#id_doc_0", str(to_khai))
    page.set_input_files("#id_doc_1", str(chung_sinh))
    page.click("#to-review")
    error = page.locator("#id_mother_id_number_error")
    assert error.is_visible() and "định dạng" in error.inner_text()
    assert page.input_value("#id_child_full_name") == BIRTH_FORM["child_full_name"]
    assert "to-khai.pdf" in page.inner_text("#document-0")  # the files are kept too
    screenshot(page, "apply-with-error", full_page=True)

    page.fill("#id_mother_id_number", BIRTH_FORM["mother_id_number"])
    page.click("#to-review")
    page.wait_for_selector("#submit-dossier")
    review = page.inner_text("#review")
    assert "Nguyễn Minh Khôi" in review and "20/11/2026" in review
    screenshot(page, "review", full_page=True)
    page.click("#submit-dossier")

    code = page.inner_text("#dossier-code")
    confirmation = page.inner_text("#confirmation")
    assert "Phường Bến Nghé" in confirmation and "Đã nộp" in confirmation
    dossier = Dossier.objects.get(code=code)
    assert dossier.attachments.count() == 2
    screenshot(page, "confirmation")

    page.click("main a:has-text('Hồ sơ của tôi')")
    row = page.locator(f"#my-dossiers tr[data-code='{code}']")
    assert "Đăng ký khai sinh" in row.inner_text()
    screenshot(page, "my-dossiers")

    # On a phone: the dossier page fits 390 px without sideways scrolling of the page.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{portal}/my/dossiers/{code}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "dossier-phone", full_page=True)
    assert page.console_errors == []

    # Another citizen opening the dossier's address gets the 404 page.
    other = browser.new_context(locale="vi-VN").new_page()
    log_in(other, portal, "citizen2")
    response = other.goto(f"{portal}/my/dossiers/{code}/")
    assert response.status == 404 and "Không tìm thấy trang" in other.inner_text("main")
    screenshot(other, "other-citizen-404")
    other.context.close()


def test_oversize_and_disguised_uploads_are_refused_with_a_message(page, portal, tmp_path, screenshot):
    big, fake, good = tmp_path / "giay-chung-sinh.pdf", tmp_path / "to-khai.pdf", tmp_path / "scan.pdf"
    with open(big, "wb") as out:  # 50 MB that starts like a PDF
        out.write(PDF)
        out.truncate(50 * 1024 * 1024)
    fake.write_bytes(ELF)  # an executable renamed .pdf
    good.write_bytes(PDF)
    log_in(page, portal, "citizen1")
    page.goto(f"{portal}/procedures/1.001193/apply/")
    fill_birth_form(page)

    # The renamed executable is refused by the server, next to its field.
    page.set_input_files("#id_doc_0", str(fake))
    page.set_input_files("#id_doc_1", str(good))
    page.click("#to-review")
    assert "to-khai.pdf" in page.inner_text("#id_doc_0_error")
    assert "scan.pdf" in page.inner_text("#document-1")  # the good file was kept

    # 50 MB is flagged as soon as it is chosen, and the form is not sent.
    page.set_input_files("#id_doc_1", str(big))
    message = page.inner_text("#id_doc_1_client_error")
    assert "giay-chung-sinh.pdf" in message and "50 MB" in message
    page.click("#to-review")
    assert page.evaluate("document.activeElement.id") == "id_doc_1"
    screenshot(page, "upload-too-big", full_page=True)

    # Without the script's check, the server refuses it as well, saying why.
    page.evaluate("document.getElementById('id_doc_1').removeAttribute('data-max-bytes')")
    page.click("#to-review")
    message = page.inner_text("#id_doc_1_error")
    assert "giay-chung-sinh.pdf" in message and "50 MB" in message
    screenshot(page, "uploads-refused", full_page=True)
    assert not Dossier.objects.exists()
    assert page.console_errors == []


def test_portal_pages_pass_an_accessibility_check(page, portal, screenshot):
    """axe-core's WCAG 2.1 A and AA rules (labels, contrast, landmarks, names of controls) on each page."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}

    def check(path, prepare=None):
        page.goto(f"{portal}{path}")
        if prepare:
            prepare()
        results = axe.run(page, options=options)
        assert results.violations_count == 0, f"{path}\n{results.generate_report()}"

    for path in ("/", "/procedures/", "/procedures/1.001193/", "/signup/", "/lookup/"):
        check(path)
    log_in(page, portal, "citizen1")
    check("/procedures/1.001193/apply/", lambda: page.click("#to-review"))  # with errors next to the fields
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "supplement", {"missing_documents": ["Giấy chứng sinh (bản chính)"]},
                                  comment="Bản scan bị mờ")
    for path in ("/my/dossiers/", f"/my/dossiers/{code}/", f"/my/dossiers/{code}/withdraw/"):
        check(path)


# The widest option's text and the room a select gives its chosen text (its width less padding and arrow).
SELECT_ROOM = """select => {
  const style = getComputedStyle(select), canvas = document.createElement('canvas').getContext('2d');
  canvas.font = style.font;
  const widest = Math.max(...[...select.options].map(o => canvas.measureText(o.text).width));
  const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
  return {widest: Math.round(widest), room: Math.round(room),
          inside: select.getBoundingClientRect().right <= document.documentElement.clientWidth};
}"""


def test_the_agency_dropdowns_show_whole_agency_names_on_a_desktop(page, portal, screenshot):
    """An agency is named with its parent; at 1366×800 the catalogue's filter and the apply page show the
    whole name of any agency once chosen, in either language."""
    page.set_viewport_size({"width": 1366, "height": 800})
    log_in(page, portal, "citizen1")
    for path in ("/procedures/", "/procedures/1.001193/apply/", "/procedures/1.009794/apply/"):
        for language in ("vi", "en"):
            page.context.add_cookies([{"name": "django_language", "value": language, "url": portal}])
            page.goto(f"{portal}{path}")
            room = page.locator("#id_agency").evaluate(SELECT_ROOM)
            assert room["inside"] and room["widest"] <= room["room"], (path, language, room)
    page.goto(f"{portal}/procedures/")
    page.select_option("#id_agency", "hcm-sxd")
    page.wait_for_load_state("networkidle")
    screenshot(page, "catalogue-filters")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.console_errors == []
