"""The officials' pages (onestop.workspace): the desk, paper intake, hand-over, the queue, the item workspace."""
import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onestop.dossiers.models import Attachment, Channel, Dossier, DossierEvent, Status
from onestop.organisation.models import Agency, Citizen, Membership
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Page:
    """A logged-in browser session of a demo user (Django's test client)."""

    def __init__(self, username):
        self.user = get_user_model().objects.get(username=username)
        self.client = Client()
        self.client.force_login(self.user)

    def get(self, url, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url, data=None, **kwargs):
        # Run the on-commit work (exchanges) as a real request would after its commit.
        with TestCase.captureOnCommitCallbacks(execute=True):
            return self.client.post(url, data or {}, **kwargs)


@pytest.fixture
def page(demo):
    return Page


def text(response):
    return response.content.decode()


def reception_item(code):
    return WorkItem.objects.get(dossier__code=code, kind=WorkItem.Kind.RECEPTION, state__in=WorkItem.ACTIVE_STATES)


def step(code, kind=WorkItem.Kind.TASK):
    return WorkItem.objects.get(dossier__code=code, kind=kind, state__in=WorkItem.ACTIVE_STATES)


def item_url(item, action=""):
    return reverse(f"workspace:{action or 'item'}", kwargs={"pk": item.pk})


# --- the desk ------------------------------------------------------------------------------------------------

def test_desk_lists_a_submitted_dossier_and_accepts_it(as_user, page):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk = page("bennghe.receiver")

    listing = desk.get(reverse("workspace:desk"))
    assert listing.status_code == 200
    assert code in text(listing) and "Nguyễn Văn An" in text(listing)
    item = reception_item(code)
    shown = desk.get(item_url(item))
    assert shown.status_code == 200
    body = text(shown)
    # The form read back with the schema's labels and dd/mm/yyyy; the checklist of required documents.
    assert "Họ, chữ đệm, tên của trẻ" in body and "Nguyễn Minh Khôi" in body and "20/11/2026" in body
    assert "Giấy chứng sinh" in body and "Tiếp nhận hồ sơ" in body

    response = desk.post(item_url(item, "receive"), {"decision": "accept"})
    assert response.status_code == 302
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == Status.PROCESSING and dossier.appointment_date
    after = text(desk.get(item_url(item)))
    assert dossier.appointment_date.strftime("%d/%m/%Y") in after
    assert reverse("documents:form01", kwargs={"code": code}) in after
    assert code not in text(desk.get(reverse("workspace:desk")))


def test_desk_requests_supplementation_with_the_full_list(as_user, page):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk, item = page("bennghe.receiver"), reception_item(code)

    refused = desk.post(item_url(item, "receive"), {"decision": "supplement", "note": "Thiếu giấy tờ"})
    assert refused.status_code == 400
    assert "Dossier" not in refused.headers.get("Location", "")
    assert Dossier.objects.get(code=code).status == Status.SUBMITTED

    response = desk.post(item_url(item, "receive"), {
        "decision": "supplement", "missing": ["1"], "other_missing": "Giấy chứng nhận kết hôn (bản sao)\n",
        "note": "Bổ sung giấy chứng sinh bản chính"})
    assert response.status_code == 302
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == Status.SUPPLEMENT_REQUESTED
    assert len(dossier.missing_documents) == 2
    assert dossier.missing_documents[0].startswith("Giấy chứng sinh")
    assert dossier.missing_documents[1] == "Giấy chứng nhận kết hôn (bản sao)"
    assert reverse("documents:form02", kwargs={"code": code}) in text(desk.get(item_url(item)))


def test_desk_refusal_needs_a_reason(as_user, page):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk, item = page("bennghe.receiver"), reception_item(code)
    response = desk.post(item_url(item, "receive"), {"decision": "refuse", "note": "  "})
    assert response.status_code == 400
    assert "Hãy ghi lý do vào ý kiến." in text(response)  # next to the reason, in Vietnamese
    response = desk.post(item_url(item, "receive"), {"decision": "refuse", "note": "Không thuộc thẩm quyền"})
    assert response.status_code == 302
    assert Dossier.objects.get(code=code).status == Status.REFUSED
    assert reverse("documents:form03", kwargs={"code": code}) in text(desk.get(item_url(item)))


# --- a paper dossier at the desk ------------------------------------------------------------------------------

def intake_url(id_number):
    return f"{reverse('workspace:intake')}?id_number={id_number}&procedure=1.001193"


def intake_post(form=BIRTH_FORM, **extra):
    data = {f"f-{key}": value for key, value in form.items()}
    data.update(agency="q1-bennghe", scan=SimpleUploadedFile("ho-so-giay.pdf", PDF, "application/pdf"), **extra)
    return data


def test_paper_dossier_for_a_new_citizen_is_received_at_once_with_its_scan(page):
    desk = page("bennghe.receiver")
    form = desk.get(intake_url("079200000099"))
    assert form.status_code == 200
    assert "Họ, chữ đệm, tên của trẻ" in text(form)

    # A field error first: nothing is created.
    broken = {**BIRTH_FORM, "mother_id_number": "123"}
    response = desk.post(intake_url("079200000099"), intake_post(broken, full_name="Phạm Thị Dung"))
    assert response.status_code == 400
    assert Dossier.objects.count() == 0 and not Citizen.objects.filter(id_number="079200000099").exists()

    response = desk.post(intake_url("079200000099"), intake_post(full_name="Phạm Thị Dung", phone="0909000111"))
    assert response.status_code == 302, text(response)
    dossier = Dossier.objects.get()
    assert (dossier.channel, dossier.status) == (Channel.DESK, Status.PROCESSING)
    assert dossier.appointment_date and dossier.received_at
    citizen = Citizen.objects.get(id_number="079200000099")
    assert dossier.applicant == citizen.user and citizen.full_name == "Phạm Thị Dung"
    assert not citizen.user.has_usable_password()
    scan = Attachment.objects.get(dossier=dossier)
    assert (scan.kind, scan.original_name, scan.content_type) == (Attachment.Kind.SCAN, "ho-so-giay.pdf",
                                                                  "application/pdf")
    submitted = dossier.events.get(action="submitted")
    assert submitted.actor.username == "bennghe.receiver"
    assert submitted.data["on_behalf_of"] == citizen.user.username
    assert dossier.events.filter(action="reception_completed", actor__username="bennghe.receiver").exists()
    assert dossier.exchanges.get().operator  # the process started: the mother's record is looked up


def test_paper_dossier_for_a_known_citizen_and_a_refused_scan(page):
    desk = page("bennghe.receiver")
    assert "Nguyễn Văn An" in text(desk.get(intake_url("079090000001")))
    exe = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf")
    response = desk.post(intake_url("079090000001"), {**intake_post(), "scan": exe})
    assert response.status_code == 400
    assert "scan.pdf" in text(response)
    assert Dossier.objects.count() == 0
    assert desk.post(intake_url("079090000001"), intake_post()).status_code == 302
    assert Dossier.objects.get().applicant.username == "citizen1"


def test_intake_offers_only_the_procedures_the_desk_receives(page):
    desk = page("bennghe.receiver")
    body = text(desk.get(reverse("workspace:intake")))
    assert "1.001193" in body and "1.009794" not in body  # a construction permit is received by the district
    response = desk.get(f"{reverse('workspace:intake')}?id_number=079090000001&procedure=1.009794")
    assert 'name="scan"' not in text(response)
    assert "1.009794" in text(page("q1.receiver").get(reverse("workspace:intake")))


def test_only_receivers_take_in_paper_dossiers(page):
    assert page("bennghe.specialist").get(intake_url("079090000001")).status_code == 403
    assert page("citizen1").get(reverse("workspace:desk")).status_code == 403


# --- handing over the result ------------------------------------------------------------------------------------

def test_result_handed_over_with_who_collected_it(as_user, page):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    as_user("bennghe.specialist").act(code, "approve")
    as_user("bennghe.leader").act(code, "sign")
    assert Dossier.objects.get(code=code).status == Status.RESULT_READY

    desk = page("bennghe.receiver")
    assert code in text(desk.get(reverse("workspace:desk") + "#returns"))
    item = step(code, WorkItem.Kind.RETURN)
    missing = desk.post(item_url(item, "return"), {"collector_name": "Nguyễn Văn An", "collector_id_number": "12"})
    assert missing.status_code == 400
    response = desk.post(item_url(item, "return"), {
        "collector_name": "Nguyễn Văn An", "collector_id_number": "079090000001",
        "result_file": SimpleUploadedFile("giay-khai-sinh.pdf", PDF, "application/pdf")})
    assert response.status_code == 302
    dossier = Dossier.objects.get(code=code)
    assert dossier.status == Status.RETURNED
    assert dossier.attachments.get(kind=Attachment.Kind.RESULT).original_name == "giay-khai-sinh.pdf"
    event = dossier.events.get(action="return_completed")
    assert event.data["collected_by"] == "Nguyễn Văn An (079090000001)"
    assert event.actor.username == "bennghe.receiver"


# --- the queue ----------------------------------------------------------------------------------------------------

def accepted(as_user, n, citizen="citizen1"):
    codes = []
    for _ in range(n):
        code = submit(as_user(citizen), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
        as_user("bennghe.receiver").act(code, "accept")
        codes.append(code)
    return codes


def rows(response):
    """The dossier codes listed, in the page's order."""
    body = text(response)
    found = [(body.index(f">{code}</a>"), code) for code in Dossier.objects.values_list("code", flat=True)
             if f">{code}</a>" in body]
    return [code for _position, code in sorted(found)]


def test_queue_tabs_filters_search_and_sort(as_user, page):
    first, second = accepted(as_user, 2)
    (third,) = accepted(as_user, 1, citizen="citizen2")
    officer = page("bennghe.specialist")
    officer.post(item_url(step(first), "claim"))
    WorkItem.objects.filter(dossier__code=second, kind=WorkItem.Kind.TASK).update(
        due_date=datetime.date(2020, 1, 6))
    url = reverse("workspace:queue")

    assert sorted(rows(officer.get(url))) == sorted([second, third])  # to claim
    assert rows(officer.get(url, data={"tab": "mine"})) == [first]
    assert rows(officer.get(url, data={"tab": "overdue"})) == [second]
    WorkItem.objects.filter(dossier__code=third, kind=WorkItem.Kind.TASK).update(due_date=timezone.localdate())
    WorkItem.objects.filter(dossier__code=first, kind=WorkItem.Kind.TASK).update(due_date=datetime.date(2099, 1, 5))
    assert rows(officer.get(url, data={"tab": "due_soon"})) == [third]
    assert rows(officer.get(url, data={"tab": "all", "q": "Trần Thị Bình"})) == [third]
    assert rows(officer.get(url, data={"tab": "all", "q": first})) == [first]
    assert rows(officer.get(url, data={"tab": "all", "procedure": "1.001193", "state": "claimed"})) == [first]
    assert rows(officer.get(url, data={"tab": "all", "due_to": "2020-12-31"})) == [second]
    assert rows(officer.get(url, data={"tab": "all", "sort": "-code"})) == sorted([first, second, third],
                                                                                   reverse=True)
    assert rows(officer.get(url, data={"tab": "all", "sort": "code"})) == sorted([first, second, third])
    # Bad values are ignored, not a 500.
    assert officer.get(url, data={"tab": "nope", "sort": "x; drop", "due_from": "31/31/2020"}).status_code == 200
    # An impossible date is said at the top of the results; the tab and the other filters still apply.
    for partial in ({}, {"HX-Request": "true"}):
        response = officer.get(url, data={"tab": "all", "state": "claimed", "due_from": "31/02/2026"},
                               headers=partial)
        assert rows(response) == [first]
        body = text(response)
        assert 'role="alert"' in body and "Một số điều kiện lọc chưa được áp dụng" in body
        assert 'href="#id_due_from"' in body
        assert re.search(r'aria-current="page">\s*Tất cả', body)  # still on the tab asked for

    # htmx asks for the results only; the page keeps its filters in the URL.
    partial = officer.get(url, data={"tab": "mine"}, headers={"HX-Request": "true"})
    assert "<html" not in text(partial) and 'id="queue-results"' in text(partial)
    assert "HX-Request" in partial.headers["Vary"]
    assert "<html" in text(officer.get(url, data={"tab": "mine"}))


def test_queue_search_ignores_marks_and_case_and_finds_codes_by_any_fragment(as_user, page):
    """Officials type names without their marks, as in the citizen catalogue, and codes by their end."""
    from onestop.organisation.models import Citizen

    (anh,) = accepted(as_user, 1)
    (binh,) = accepted(as_user, 1, citizen="citizen2")
    Citizen.objects.filter(user__username="citizen1").update(full_name="Nguyễn Văn Ánh")
    Citizen.objects.get(user__username="citizen1").save()  # the folded name follows the name
    officer = page("bennghe.specialist")
    url = reverse("workspace:queue")
    for q in ("nguyen van", "NGUYỄN VĂN", "anh", "Ánh", "van anh", "anh nguyen"):
        assert rows(officer.get(url, data={"tab": "all", "q": q})) == [anh], q
    assert rows(officer.get(url, data={"tab": "all", "q": "tran thi binh"})) == [binh]
    assert rows(officer.get(url, data={"tab": "all", "q": "nguyen thi"})) == []
    number = anh.rsplit("-", 1)[1]  # "0001"
    for q in (number, anh[-11:], anh.lower(), anh):
        found = rows(officer.get(url, data={"tab": "all", "q": q}))
        assert anh in found and (q == number or found == [anh]), (q, found)
    assert rows(officer.get(url, data={"tab": "all", "q": "999999"})) == []


def test_queue_pages_are_paginated(as_user, page):
    codes = accepted(as_user, 3)
    officer = page("bennghe.specialist")
    import onestop.workspace.selectors as selectors

    size, selectors.PAGE_SIZE = selectors.PAGE_SIZE, 2
    try:
        one = rows(officer.get(reverse("workspace:queue"), data={"sort": "code"}))
        two = rows(officer.get(reverse("workspace:queue"), data={"sort": "code", "page": 2}))
    finally:
        selectors.PAGE_SIZE = size
    assert one + two == sorted(codes)


def tabs(response):
    """The queue's tabs as the user reads them: {label: the text of its count badge}."""
    return dict(re.findall(r'>\s*([^<>]+?) <span class="badge[^"]*">([^<]+)</span></a>', text(response)))


def caption(response):
    return re.search(r'<caption class="ws-caption">([^<]*)</caption>', text(response)).group(1)


def test_queue_search_counts_the_active_tabs_and_pages_the_history(as_user, page, monkeypatch):
    import onestop.workspace.selectors as selectors

    first, second, third = accepted(as_user, 3)  # citizen1: Nguyễn Văn An
    accepted(as_user, 1, citizen="citizen2")  # Trần Thị Bình: not found by the search
    officer = page("bennghe.specialist")
    officer.post(item_url(step(first), "claim"))
    WorkItem.objects.filter(dossier__code=second, kind=WorkItem.Kind.TASK).update(
        due_date=datetime.date(2020, 1, 6))
    WorkItem.objects.filter(dossier__code=first, kind=WorkItem.Kind.TASK).update(due_date=datetime.date(2099, 1, 5))
    WorkItem.objects.filter(dossier__code=third, kind=WorkItem.Kind.TASK).update(state=WorkItem.State.COMPLETED)
    url = reverse("workspace:queue")

    # Vietnamese first. The active tabs count the active steps found; "all" (the history too) is not counted
    # while it is not shown, and shows what its page found when it is.
    found = officer.get(url, data={"q": "nguyễn"})
    assert tabs(found) == {"Cần nhận xử lý": "1", "Của tôi": "1", "Sắp đến hạn": "0", "Quá hạn": "1"}
    assert ">\n      Tất cả</a>" in text(found)  # the tab is there, without a number
    found = officer.get(url, data={"tab": "all", "q": "nguyễn"})
    assert tabs(found) == {"Cần nhận xử lý": "1", "Của tôi": "1", "Sắp đến hạn": "0", "Quá hạn": "1",
                           "Tất cả": "3"}
    assert caption(found) == "3 công việc"
    assert sorted(rows(found)) == sorted([first, second, third])
    assert tabs(officer.get(url))["Tất cả"] == "4"  # without a search: every step of the queue, counted

    # More steps found than a page holds: "more than" what was read so far, and the next page.
    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    one = officer.get(url, data={"tab": "all", "q": "Nguyễn", "sort": "code"})
    assert tabs(one)["Tất cả"] == "hơn 2" and tabs(one)["Cần nhận xử lý"] == "1"
    assert caption(one) == "Hơn 2 công việc"
    assert "Trang 1</span>" in text(one) and "Trang sau" in text(one) and "Trang trước" not in text(one)
    two = officer.get(url, data={"tab": "all", "q": "Nguyễn", "sort": "code", "page": 2})
    assert tabs(two)["Tất cả"] == "3" and caption(two) == "3 công việc"
    assert "Trang 2</span>" in text(two) and "Trang sau" not in text(two) and "Trang trước" in text(two)
    assert rows(one) + rows(two) == sorted([first, second, third])
    english = officer.get(url, data={"tab": "all", "q": "Nguyễn"}, headers={"Accept-Language": "en"})
    assert tabs(english)["All"] == "2+" and tabs(english)["To claim"] == "1"
    assert caption(english) == "More than 2 steps" and "Page 1</span>" in text(english)
    # A page past the end, or not a number: no error.
    assert "Không có công việc nào." in text(officer.get(url, data={"tab": "all", "q": "Nguyễn", "page": 9}))
    assert officer.get(url, data={"tab": "all", "q": "Nguyễn", "page": "x"}).status_code == 200
    assert officer.get(url, data={"tab": "all", "q": "Nguyễn", "page": "9" * 30}).status_code == 200

    from django.utils import translation

    from onestop.workspace.views import _badge

    with translation.override("vi"):
        assert _badge(1000, True) == "hơn 1.000" and _badge(1000, False) == 1000 and _badge(None, False) == ""
    with translation.override("en"):
        assert _badge(1000, True) == "1,000+"


def test_queue_tab_counts_are_the_steps_each_tab_lists(as_user, page):
    """The tabs' counts are read in a statement of their own: each is the number of steps its tab shows."""
    mine_today, mine_late, late_by_hour, later, done = accepted(as_user, 5)
    officer = page("bennghe.specialist")
    for code in (mine_today, mine_late):
        officer.post(item_url(step(code), "claim"))
    today, tasks = timezone.localdate(), WorkItem.objects.filter(kind=WorkItem.Kind.TASK)
    tasks.filter(dossier__code=mine_today).update(due_date=today)
    tasks.filter(dossier__code=mine_late).update(due_date=datetime.date(2020, 1, 6))
    tasks.filter(dossier__code=late_by_hour).update(due_date=today,
                                                   due_at=timezone.now() - datetime.timedelta(hours=1))
    tasks.filter(dossier__code=later).update(due_date=datetime.date(2099, 1, 5))
    tasks.filter(dossier__code=done).update(state=WorkItem.State.COMPLETED, due_date=datetime.date(2020, 1, 6))
    url = reverse("workspace:queue")
    counts = tabs(officer.get(url))
    listed = {label: rows(officer.get(url, data={"tab": key}))
              for key, label in [("open", "Cần nhận xử lý"), ("mine", "Của tôi"), ("due_soon", "Sắp đến hạn"),
                                 ("overdue", "Quá hạn"), ("all", "Tất cả")]}
    assert {label: int(count) for label, count in counts.items()} == {label: len(r) for label, r in listed.items()}
    assert sorted(listed["Quá hạn"]) == sorted([mine_late, late_by_hour])
    assert sorted(listed["Của tôi"]) == sorted([mine_today, mine_late])
    assert done in listed["Tất cả"] and len(listed["Tất cả"]) == 5


def test_queue_query_count_does_not_grow_with_rows(as_user, page):
    officer = page("bennghe.specialist")

    def count(**params):
        with CaptureQueriesContext(connection) as queries:
            assert officer.get(reverse("workspace:queue"), data=params).status_code == 200
        return len(queries)

    accepted(as_user, 2)
    count()  # the procedures of the filter are then kept per process
    few = [count(tab="all"), count(tab="open", sort="-received"), count(q="Nguyễn")]
    accepted(as_user, 10)
    many = [count(tab="all"), count(tab="open", sort="-received"), count(q="Nguyễn")]
    assert many == few


# --- one item -----------------------------------------------------------------------------------------------------

def test_official_of_another_agency_gets_403(as_user, page):
    (code,) = accepted(as_user, 1)
    item = step(code)
    response = page("benthanh.specialist").get(item_url(item))
    assert response.status_code == 403
    assert 'href="/"' in text(response) and code not in text(response)  # the 403 page, nothing of the dossier
    assert page("benthanh.specialist").post(item_url(item, "claim")).status_code == 403
    assert page("citizen1").get(item_url(item)).status_code == 403


def test_specialist_claims_and_completes_with_the_steps_form(as_user, page):
    (code,) = accepted(as_user, 1)
    officer, item = page("bennghe.specialist"), step(code)
    shown = text(officer.get(item_url(item)))
    assert "Kết quả thẩm định" in shown and "Đồng ý" in shown  # the BPMN's own form, in one language
    assert "Approve" not in shown and "Review result" not in shown
    assert "data-bpmn-diagram" in shown and f"/dossiers/{code}/diagram.bpmn" in shown
    # The exchange of the process, in words: its title and its answer's labels, not the wire's names.
    assert "Tra cứu công dân (Cơ sở dữ liệu quốc gia về dân cư)" in shown
    assert "Tìm thấy: Có" in shown and "Họ và tên: Lê Thị Hoa" in shown
    assert "population.lookup_citizen" not in shown and "found: True" not in shown

    assert officer.post(item_url(item, "claim")).status_code == 302
    assert step(code).claimed_by == officer.user
    # Refusing without a reason: an error next to the comment, nothing done.
    response = officer.post(item_url(item, "complete"), {"step-decision": "refuse", "step-comment": ""})
    assert response.status_code == 400
    assert 'id="id_step-comment_error"' in text(response)
    assert step(code).pk == item.pk
    response = officer.post(item_url(item, "complete"), {"step-decision": "approve", "step-review_notes": "Đủ"})
    assert response.status_code == 302
    done = WorkItem.objects.get(pk=item.pk)
    assert (done.state, done.decision) == (WorkItem.State.COMPLETED, "approve")
    assert step(code).task_spec_id == "sign_certificate"


def test_leader_sees_the_agencys_items_and_reassigns(as_user, page):
    (code,) = accepted(as_user, 1)
    item = step(code)
    colleague = get_user_model().objects.create_user("bennghe.specialist2", first_name="Lê Văn Cường")
    Membership.objects.create(user=colleague, agency=Agency.objects.get(code="q1-bennghe"), role="specialist")
    leader = page("bennghe.leader")
    assert code in text(leader.get(reverse("workspace:queue")))  # a specialist's step, seen by the leader
    assert "Lê Văn Cường" in text(leader.get(item_url(item)))

    response = leader.post(item_url(item, "reassign"), {"official": colleague.pk})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.claimed_by) == (WorkItem.State.CLAIMED, colleague)
    event = DossierEvent.objects.get(dossier__code=code, action="reassigned")
    assert (event.actor.username, event.data["to"]) == ("bennghe.leader", "bennghe.specialist2")
    # Only officials of the step's role can be chosen.
    assert leader.post(item_url(item, "reassign"), {"official": leader.user.pk}).status_code == 400


def test_non_leader_cannot_reassign(as_user, page):
    (code,) = accepted(as_user, 1)
    item = step(code)
    officer = page("bennghe.specialist")
    assert officer.post(item_url(item, "reassign"), {"official": officer.user.pk}).status_code == 403
    assert not DossierEvent.objects.filter(action="reassigned").exists()
    assert step(code).claimed_by is None


def test_comment_is_recorded_in_the_audit_trail(as_user, page):
    (code,) = accepted(as_user, 1)
    officer, item = page("bennghe.specialist"), step(code)
    assert officer.post(item_url(item, "comment"), {"text": "  "}).status_code == 400
    assert officer.post(item_url(item, "comment"), {"text": "Đã gọi điện xác minh với mẹ"}).status_code == 302
    event = DossierEvent.objects.get(dossier__code=code, action="commented")
    assert (event.actor.username, event.comment, event.work_item_id) == (
        "bennghe.specialist", "Đã gọi điện xác minh với mẹ", item.pk)
    assert "Đã gọi điện xác minh với mẹ" in text(officer.get(item_url(item)))


def test_pages_are_in_vietnamese_by_default(as_user, page):
    officer = page("bennghe.specialist")
    body = text(officer.get(reverse("workspace:queue")))
    assert "Hàng đợi công việc" in body and "Cần nhận xử lý" in body
    english = text(officer.get(reverse("workspace:queue"), headers={"Accept-Language": "en"}))
    assert "Task queue" in english and "To claim" in english


def test_a_step_claimed_by_a_colleague_meanwhile_gives_a_message_not_an_error_page(as_user, page):
    (code,) = accepted(as_user, 1)
    item = step(code)
    colleague = get_user_model().objects.create_user("bennghe.specialist2", first_name="Lê Văn Cường")
    Membership.objects.create(user=colleague, agency=Agency.objects.get(code="q1-bennghe"), role="specialist")
    page("bennghe.specialist2").post(item_url(item, "claim"))
    officer = page("bennghe.specialist")
    response = officer.post(item_url(item, "claim"), follow=True)
    assert response.status_code == 200
    assert "Lê Văn Cường" in text(response)
    assert step(code).claimed_by == colleague
    assert officer.post(item_url(item, "complete"), {"step-decision": "approve"}).status_code == 302
    assert step(code).pk == item.pk  # still waiting for the colleague


def test_desk_query_count_does_not_grow_with_rows(as_user, page):
    desk = page("bennghe.receiver")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert desk.get(reverse("workspace:desk")).status_code == 200
        return len(queries)

    for _ in range(2):
        submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)
    few = count()
    for _ in range(8):
        submit(as_user("citizen2"), "1.001193", "q1-bennghe", BIRTH_FORM)
    assert count() == few


def test_a_failed_exchange_is_shown_and_retried_from_the_page(as_user, page, peers):
    from onestop.dossiers.models import Incident

    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk, item = page("bennghe.receiver"), reception_item(code)
    peers.control(down=True)
    assert desk.post(item_url(item, "receive"), {"decision": "accept"}).status_code == 302
    incident = Incident.objects.get(dossier__code=code, resolved_at__isnull=True)
    shown = text(desk.get(item_url(item)))
    assert incident.message in shown and "retry-" in shown
    assert page("benthanh.receiver").post(
        reverse("workspace:retry-incident", kwargs={"pk": item.pk, "incident": incident.pk})).status_code == 403

    peers.control(down=False)
    response = desk.post(reverse("workspace:retry-incident", kwargs={"pk": item.pk, "incident": incident.pk}))
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.resolved_by == desk.user
    assert step(code).task_spec_id == "review"  # the lookup answered, the process went on
