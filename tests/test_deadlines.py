"""Deadlines: step budgets in working time, the clock stopped while the applicant supplements, the one
extension with its apology letter, early / on time / late, reminders and escalations (controlled clock)."""
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from onestop.deadlines import escalations, working_days
from onestop.deadlines.models import Alert, ClockStop, Extension
from onestop.deadlines.services import classify, step_due
from onestop.dossiers.lifecycle import extend
from onestop.dossiers.models import Attachment, Dossier, DossierEvent
from onestop.engine.parsing import BpmnError, parse_bpmn
from onestop.organisation.models import Membership
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, submit
from tests.test_timers import TIMERS_BPMN

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=VN)


# --- budgets -------------------------------------------------------------------------------------------

def test_day_budget_skips_the_weekend_and_holidays():
    # Friday 4/12/2026 at 10:00, two working days: Monday 7, Tuesday 8.
    assert step_due("P2D", at(2026, 12, 4, 10, 0)).date == date(2026, 12, 8)
    # Wednesday 29/4/2026: 30/4 and 1/5 are holidays, then the weekend.
    assert step_due("P1D", at(2026, 4, 29, 9, 0)).date == date(2026, 5, 4)
    # Opened on a Saturday: counted from Monday's opening.
    assert step_due("P1D", at(2026, 12, 5, 9, 0)).date == date(2026, 12, 8)
    assert step_due("P2D", at(2026, 12, 4, 10, 0)).at is None
    assert step_due("", at(2026, 12, 4, 10, 0)) is None


def test_hour_budget_counts_office_hours_only():
    # Friday 15:00 + 4 h: 15:00-17:00, then Monday 7:00-9:00.
    due = step_due("PT4H", at(2026, 12, 4, 15, 0))
    assert (due.at, due.date) == (at(2026, 12, 7, 9, 0), date(2026, 12, 7))
    # The lunch break does not count: 10:30 + 4 h = 11:30, then 13:30-16:30.
    assert step_due("PT4H", at(2026, 12, 2, 10, 30)).at == at(2026, 12, 2, 16, 30)
    # From the evening before a holiday: 29/4 at 20:00 + 2 h 30 = Monday 4/5 at 9:30.
    assert step_due("PT2H30M", at(2026, 4, 29, 20, 0)).at == at(2026, 5, 4, 9, 30)
    # A day and hours: a working day is eight office hours (16:00-17:00, then 7:00-11:30 and 13:30-17:00).
    assert step_due("P1DT1H", at(2026, 12, 2, 16, 0)).at == at(2026, 12, 3, 17, 0)


def test_budget_declared_on_a_user_task_and_refused_when_unreadable():
    parsed = parse_bpmn(TIMERS_BPMN.encode())
    from onestop.engine import parsing

    budgets = {name: parsing.budget_of(spec) for name, spec in parsed.spec.task_specs.items() if spec.manual}
    assert budgets == {"check": "P2D", "take_over": "", "follow_up": "", "sign": "PT4H"}
    with pytest.raises(BpmnError) as caught:
        parse_bpmn(TIMERS_BPMN.replace('value="PT4H"', 'value="4 giờ"').encode())
    assert "4 GIỜ" in " ".join(caught.value.errors)


def test_a_step_without_budget_is_due_by_the_appointment_date(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    review = as_user("bennghe.specialist").item(code)
    assert review["due_date"] == as_user("citizen1").dossier(code)["appointment_date"]
    assert (review["due_at"], review["timeliness"]) == (None, "")


# --- classification ------------------------------------------------------------------------------------

def test_classification_against_the_due_date():
    due = date(2026, 12, 8)
    assert classify(at(2026, 12, 7, 16, 0), due) == "early"
    assert classify(at(2026, 12, 8, 16, 59), due) == "on_time"
    assert classify(at(2026, 12, 8, 23, 0), due) == "on_time"  # the same day, whatever the hour
    assert classify(at(2026, 12, 9, 7, 0), due) == "late"
    # With an hour budget, after the due moment is late even on the due date.
    assert classify(at(2026, 12, 8, 9, 1), due, at(2026, 12, 8, 9, 0)) == "late"
    assert classify(at(2026, 12, 8, 8, 0), due, at(2026, 12, 8, 9, 0)) == "on_time"
    assert classify(at(2026, 12, 7, 8, 0), due, at(2026, 12, 8, 9, 0)) == "early"


def test_reports_sql_and_overdue_tab_follow_the_same_rule():
    """The reports classify in SQL what was never stored: the same answers as ``classify``, hour budget
    included; "overdue" counts a step past its due moment on its due date."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import DateField, DateTimeField, Value

    from onestop.deadlines import timeliness

    due = date(2026, 12, 8)
    cases = [(at(2026, 12, 7, 16, 0), due, None), (at(2026, 12, 8, 23, 0), due, None),
             (at(2026, 12, 9, 7, 0), due, None), (at(2026, 12, 8, 9, 1), due, at(2026, 12, 8, 9, 0)),
             (at(2026, 12, 8, 8, 0), due, at(2026, 12, 8, 9, 0)), (at(2026, 12, 7, 8, 0), None, None)]
    for done, due_date, due_at in cases:
        row = ContentType.objects.annotate(
            done=Value(done, DateTimeField()), due=Value(due_date, DateField()), due_by=Value(due_at, DateTimeField()),
        ).annotate(found=timeliness.expression("done", "due", "due_by")).values_list("found", flat=True).first()
        assert row == classify(done, due_date, due_at), (done, due_date, due_at)
    overdue = timeliness.overdue(due, at(2026, 12, 8, 10, 0))
    passed = ContentType.objects.annotate(due_date=Value(due, DateField()),
                                          due_at=Value(at(2026, 12, 8, 9, 0), DateTimeField()))
    assert passed.filter(overdue).exists()
    assert not passed.filter(timeliness.overdue(due, at(2026, 12, 8, 8, 0))).exists()


def test_steps_and_dossiers_are_classified_when_they_end(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    as_user("bennghe.specialist").act(code, "approve")  # due by the appointment date, done before it
    review = WorkItem.objects.get(dossier__code=code, task_spec_id="review")
    assert review.timeliness == "early"
    # The signature is late: its due date (and the appointment date) already passed.
    yesterday = timezone.localdate() - timedelta(days=1)
    Dossier.objects.filter(code=code).update(appointment_date=yesterday, original_appointment_date=yesterday)
    WorkItem.objects.filter(dossier__code=code, task_spec_id="sign_certificate").update(due_date=yesterday)
    as_user("bennghe.leader").act(code, "sign")
    assert WorkItem.objects.get(dossier__code=code, task_spec_id="sign_certificate").timeliness == "late"
    dossier = Dossier.objects.get(code=code)
    assert (dossier.status, dossier.timeliness) == ("result_ready", "late")


def test_a_dossier_refused_at_reception_is_not_classified(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "refuse", comment="Không thuộc thẩm quyền")
    assert Dossier.objects.get(code=code).timeliness == ""


# --- the clock stops while the applicant supplements -------------------------------------------------------

def test_working_days_spent_waiting():
    assert working_days.working_days_between(date(2026, 12, 7), date(2026, 12, 7)) == 0
    assert working_days.working_days_between(date(2026, 12, 7), date(2026, 12, 9)) == 2
    # Asked on Wednesday 29/4, answered on Tuesday 5/5: 30/4, 1/5 and the weekend do not count.
    assert working_days.working_days_between(date(2026, 4, 29), date(2026, 5, 5)) == 2


def test_clock_stops_while_supplementing_and_the_appointment_moves(as_user):
    citizen, specialist = as_user("citizen1"), as_user("bennghe.specialist")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    specialist.act(code, "supplement", comment="Thiếu giấy chứng sinh bản chính")
    dossier = Dossier.objects.get(code=code)
    stop = ClockStop.objects.get(dossier=dossier, ended_at__isnull=True)
    assert dossier.status == "supplement_requested"
    assert DossierEvent.objects.filter(dossier=dossier, action="clock_stopped").exists()

    # The applicant answers a week later (a controlled clock: the request is moved back in time).
    asked = timezone.now() - timedelta(days=7)
    ClockStop.objects.filter(pk=stop.pk).update(started_at=asked)
    waited = working_days.working_days_between(timezone.localdate(asked), timezone.localdate())
    assert waited >= 4
    before = dossier.appointment_date
    response = citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã bổ sung bản chính"})
    assert response.status_code == 200, response.content
    dossier.refresh_from_db()
    assert dossier.appointment_date == working_days.add_working_days(before, waited)
    stop.refresh_from_db()
    assert (stop.days, stop.ended_at is not None) == (waited, True)
    event = DossierEvent.objects.get(dossier=dossier, action="clock_restarted")
    assert event.data == {"working_days": waited, "from": before.isoformat(),
                          "to": dossier.appointment_date.isoformat()}
    # The review opened again is due by the new appointment date.
    assert specialist.item(code)["due_date"] == dossier.appointment_date.isoformat()


# --- extension (form 04) ---------------------------------------------------------------------------------

@pytest.fixture
def in_processing(as_user):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    return code


def later_working_day(day, n=3):
    return working_days.add_working_days(day, n)


def test_extension_moves_the_appointment_once_with_a_letter(as_user, in_processing):
    code = in_processing
    official = as_user("bennghe.specialist")
    before = date.fromisoformat(official.dossier(code)["appointment_date"])
    new_date = later_working_day(before)
    response = official.post(f"/api/v1/dossiers/{code}/extend/",
                             {"reason": "Chờ xác minh của cơ quan công an", "new_date": new_date.isoformat()})
    assert response.status_code == 200, response.content
    assert response.json()["appointment_date"] == new_date.isoformat()
    assert response.json()["extension"] == {
        "previous_date": before.isoformat(), "new_date": new_date.isoformat(),
        "reason": "Chờ xác minh của cơ quan công an", "created_at": response.json()["extension"]["created_at"],
        "letter": response.json()["extension"]["letter"]}
    extension = Extension.objects.get(dossier__code=code)
    assert (extension.previous_date, extension.new_date, extension.requested_by) == (before, new_date,
                                                                                     official.user)
    event = DossierEvent.objects.get(dossier__code=code, action="extended")
    assert (event.actor, event.data["from"], event.data["to"]) == (official.user, before.isoformat(),
                                                                   new_date.isoformat())
    letter = Attachment.objects.get(key=event.data["letter"])
    assert extension.letter == letter and response.json()["extension"]["letter"] == f"/dossiers/files/{letter.key}/"
    assert letter.content_type == "application/pdf" and letter.original_name == f"{code}-04.pdf"
    # The applicant can download the apology letter.
    browser = Client()
    browser.force_login(as_user("citizen1").user)
    download = browser.get(f"/dossiers/files/{letter.key}/?download=1")
    assert download.status_code == 200 and b"".join(download.streaming_content if download.streaming
                                                    else [download.content]).startswith(b"%PDF")
    # The open review step was due by the appointment date: it moves with it.
    assert official.item(code)["due_date"] == new_date.isoformat()

    again = official.post(f"/api/v1/dossiers/{code}/extend/",
                          {"reason": "Lần nữa", "new_date": later_working_day(new_date).isoformat()})
    assert again.status_code == 409
    assert Dossier.objects.get(code=code).appointment_date == new_date


def test_an_extension_does_not_turn_late_into_on_time(as_user, in_processing, client):
    """Extended, then done after the original date but before the new one: the step and the dossier are
    late; the reports count the extension, with its reason, and the exports say the same as the page."""
    from openpyxl import load_workbook

    code = in_processing
    original = Dossier.objects.get(code=code).original_appointment_date
    assert original == Dossier.objects.get(code=code).appointment_date  # set at reception
    official = as_user("bennghe.specialist")
    new_date = later_working_day(original)
    assert official.post(f"/api/v1/dossiers/{code}/extend/",
                         {"reason": "Chờ xác minh của cơ quan công an", "new_date": new_date.isoformat()}
                         ).status_code == 200
    detail = official.dossier(code)
    assert (detail["appointment_date"], detail["original_appointment_date"]) == (new_date.isoformat(),
                                                                                 original.isoformat())
    # Time passes: the original date is yesterday, the new one still ahead.
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    Dossier.objects.filter(code=code).update(original_appointment_date=yesterday,
                                             appointment_date=later_working_day(today))
    WorkItem.objects.filter(dossier__code=code, task_spec_id="review").update(due_date=later_working_day(today))
    official.act(code, "approve")
    assert WorkItem.objects.get(dossier__code=code, task_spec_id="review").timeliness == "late"
    as_user("bennghe.leader").act(code, "sign")
    assert Dossier.objects.get(code=code).timeliness == "late"

    from onestop.reports import selectors

    filters = selectors.Filters(today, today)
    totals = selectors.summary(filters)["totals"]
    assert (totals["resolved"], totals["late"], totals["on_time"], totals["extended"]) == (1, 1, 0, 1)
    found = selectors.extensions(filters)
    assert found["count"] == 1
    assert (found["rows"][0]["code"], found["rows"][0]["reason"], found["rows"][0]["timeliness"]) == (
        code, "Chờ xác minh của cơ quan công an", "late")
    leader = as_user("q1.leader")
    period = {"date_from": today.isoformat(), "date_to": today.isoformat()}
    api = leader.get("/api/v1/reports/extensions/", **period).json()
    assert api["count"] == 1 and api["rows"][0]["original_appointment_date"] == yesterday.isoformat()
    assert leader.get("/api/v1/reports/summary/", **period).json()["totals"]["extended"] == 1
    client.force_login(leader.user)
    page = {"date_from": f"{today:%d/%m/%Y}", "date_to": f"{today:%d/%m/%Y}"}
    html = client.get("/reports/", page).content.decode()
    assert "Chờ xác minh của cơ quan công an" in html and code in html
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx", page).content))
    figures = list(book.worksheets[0].iter_rows(values_only=True))
    header = figures[2]
    total = figures[-1]
    assert total[header.index("Gia hạn (mẫu 04)")] == 1 and total[header.index("Quá hạn")] == 1
    extensions = list(book.worksheets[1].iter_rows(values_only=True))
    assert extensions[2][1] == code and extensions[2][7] == "Chờ xác minh của cơ quan công an"


def test_extension_is_refused_to_others_and_without_reason_or_a_later_working_day(as_user, in_processing):
    code = in_processing
    before = Dossier.objects.get(code=code).appointment_date
    body = {"reason": "Chờ xác minh", "new_date": later_working_day(before).isoformat()}
    assert as_user("citizen1").post(f"/api/v1/dossiers/{code}/extend/", body).status_code == 403
    assert as_user("benthanh.specialist").post(f"/api/v1/dossiers/{code}/extend/", body).status_code == 404
    official = as_user("bennghe.leader")
    response = official.post(f"/api/v1/dossiers/{code}/extend/", {**body, "reason": " "})
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = official.post(f"/api/v1/dossiers/{code}/extend/", {**body, "new_date": before.isoformat()})
    assert response.status_code == 400 and "new_date" in response.json()["errors"]
    saturday = before + timedelta(days=(5 - before.weekday()) % 7 or 7)
    saturday = saturday if not working_days.is_working_day(saturday) else saturday + timedelta(days=1)
    response = official.post(f"/api/v1/dossiers/{code}/extend/", {**body, "new_date": saturday.isoformat()})
    assert response.status_code == 400 and "new_date" in response.json()["errors"]
    assert not Extension.objects.exists()
    assert Dossier.objects.get(code=code).appointment_date == before


def test_extension_must_come_one_working_day_before_the_appointment(as_user, in_processing):
    code = in_processing
    official = get_user_model().objects.get(username="bennghe.specialist")
    appointment = Dossier.objects.get(code=code).appointment_date
    from onestop.core.exceptions import Conflict

    with pytest.raises(Conflict):  # on the appointment date itself: too late
        extend(official, code, reason="Chậm", new_date=later_working_day(appointment), today=appointment)
    assert not Extension.objects.exists()
    # The working day before is the last day it can be asked.
    last_day = appointment - timedelta(days=1)
    while not working_days.is_working_day(last_day):
        last_day -= timedelta(days=1)
    extend(official, code, reason="Chậm", new_date=later_working_day(appointment), today=last_day)
    assert Extension.objects.filter(dossier__code=code).exists()


# --- reminders and escalations --------------------------------------------------------------------------

def _due_moment(code):
    item = WorkItem.objects.get(dossier__code=code, task_spec_id="review")
    return item, working_days.close_of_day(item.due_date, item.agency)


def test_reminder_goes_to_the_role_then_the_holder_and_escalation_to_leaders(as_user):
    codes = []
    for _ in range(2):
        code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
        as_user("bennghe.receiver").act(code, "accept")
        codes.append(code)
    unclaimed, due = _due_moment(codes[0])
    held, _ = _due_moment(codes[1])
    specialist = as_user("bennghe.specialist")
    assert specialist.post(f"/api/v1/work-items/{held.pk}/claim/").status_code == 200
    specialists = sorted(Membership.objects.filter(agency=unclaimed.agency, role="specialist")
                         .values_list("user_id", flat=True))
    leaders = sorted(Membership.objects.filter(agency=unclaimed.agency, role="leader")
                     .values_list("user_id", flat=True))

    # At 9:00 on the due date it is more than four working hours away; at 14:00 it is within them.
    assert escalations.send_reminders(now=due - timedelta(hours=8)) == []
    sent = escalations.send_reminders(now=due - timedelta(hours=3))
    assert {a.work_item_id: a.recipients for a in sent} == {unclaimed.pk: specialists, held.pk: [specialist.user.pk]}
    event = DossierEvent.objects.get(dossier__code=codes[0], action="reminder_sent")
    assert event.data["recipients"] == specialists and event.data["work_item"] == unclaimed.pk
    assert escalations.send_reminders(now=due - timedelta(hours=2)) == []  # once each
    assert escalations.escalate_overdue(now=due - timedelta(minutes=1)) == []

    # The next morning both are overdue: the ward's leaders hear of it, once.
    sent = escalations.escalate_overdue(now=due + timedelta(hours=15))
    assert {a.work_item_id: a.recipients for a in sent} == {unclaimed.pk: leaders, held.pk: leaders}
    event = DossierEvent.objects.get(dossier__code=codes[1], action="escalated")
    assert event.data["recipients"] == leaders and event.data["work_item"] == held.pk
    assert escalations.escalate_overdue(now=due + timedelta(hours=16)) == []
    assert Alert.objects.count() == 4


def test_a_finished_step_is_neither_reminded_nor_escalated(as_user, in_processing):
    item, due = _due_moment(in_processing)
    as_user("bennghe.specialist").act(in_processing, "approve")
    reminded = escalations.send_reminders(now=due - timedelta(hours=1))
    assert [a.work_item.task_spec_id for a in reminded] == ["sign_certificate"]  # the step open now
    overdue = escalations.escalate_overdue(now=due + timedelta(days=1))
    assert item.pk not in [a.work_item_id for a in overdue]


def test_budgets_from_the_sample_and_the_parallel_step_moves_with_the_clock(as_user):
    """Construction permit: the district appraises (7 working days) while the Department of Construction
    gives its opinion (7 working days); the applicant supplements for a week and both clocks move."""
    from tests.test_construction_permit import FORM

    citizen, appraiser, department = as_user("citizen1"), as_user("q1.specialist"), as_user("sxd.specialist")
    code = submit(citizen, "1.009794", "q1", FORM)["code"]
    as_user("q1.receiver").act(code, "accept")
    consult = WorkItem.objects.get(dossier__code=code, task_spec_id="consult")
    expected = working_days.appointment_date(consult.created_at, 7, consult.agency)
    assert department.item(code)["due_date"] == consult.due_date.isoformat() == expected.isoformat()
    assert appraiser.item(code)["due_date"] == expected.isoformat()

    appraiser.act(code, "supplement", comment="Bổ sung bản vẽ mặt bằng móng")
    asked = timezone.now() - timedelta(days=7)
    ClockStop.objects.filter(dossier__code=code).update(started_at=asked)
    waited = working_days.working_days_between(timezone.localdate(asked), timezone.localdate())
    assert citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã nộp bản vẽ"}).status_code == 200
    consult.refresh_from_db()
    assert consult.due_date == working_days.add_working_days(expected, waited)
    # The appraisal opened again has a fresh budget of seven working days from now.
    again = WorkItem.objects.get(dossier__code=code, task_spec_id="appraise", state="open")
    assert again.due_date == working_days.appointment_date(again.created_at, 7, again.agency)


def test_a_saturday_is_too_late_for_a_monday_appointment(as_user, in_processing):
    from onestop.core.exceptions import Conflict

    official = get_user_model().objects.get(username="bennghe.specialist")
    Dossier.objects.filter(code=in_processing).update(appointment_date=date(2026, 12, 7))  # a Monday
    with pytest.raises(Conflict):
        extend(official, in_processing, reason="Chậm", new_date=date(2026, 12, 10), today=date(2026, 12, 5))
    extend(official, in_processing, reason="Chậm", new_date=date(2026, 12, 10), today=date(2026, 12, 4))
    assert Dossier.objects.get(code=in_processing).appointment_date == date(2026, 12, 10)


def test_the_applicants_step_is_not_classified(as_user, in_processing):
    as_user("bennghe.specialist").act(in_processing, "supplement", comment="Thiếu giấy chứng sinh")
    assert as_user("citizen1").post(f"/api/v1/dossiers/{in_processing}/supplement/",
                                    {"comment": "Đã bổ sung"}).status_code == 200
    asked = WorkItem.objects.get(dossier__code=in_processing, kind=WorkItem.Kind.APPLICANT)
    assert (asked.state, asked.timeliness) == ("completed", "")


def test_the_applicant_finds_the_apology_letter_on_the_dossier_page(as_user, in_processing):
    from django.test import Client

    official = get_user_model().objects.get(username="bennghe.specialist")
    appointment = Dossier.objects.get(code=in_processing).appointment_date
    today = working_days.previous_working_day(appointment)
    extend(official, in_processing, reason="Chờ xác minh", new_date=later_working_day(appointment), today=today)
    client = Client()
    client.force_login(as_user("citizen1").user)
    page = client.get(f"/my/dossiers/{in_processing}/").content.decode()
    link = f"/documents/{in_processing}/form-04.pdf"
    assert link in page and "mẫu 04" in page
    assert client.get(link)["Content-Type"] == "application/pdf"


def test_the_migration_keeps_the_original_date_of_extended_dossiers(as_user, in_processing):
    """Dossiers from before the original date was kept: their appointment date is the original one, except
    for an extended dossier, whose original is the date before its extension, measured again against it."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("onestop.dossiers.migrations.0010_original_appointment_date")
    code = in_processing
    official = as_user("bennghe.specialist")
    before = Dossier.objects.get(code=code).appointment_date
    assert official.post(f"/api/v1/dossiers/{code}/extend/",
                         {"reason": "Chờ xác minh", "new_date": later_working_day(before).isoformat()}
                         ).status_code == 200
    other = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(other, "accept")
    # As they were: no original date, and the extended one classified on time against its new date.
    result = timezone.make_aware(datetime.combine(later_working_day(before, 1), datetime.min.time().replace(hour=9)))
    Dossier.objects.filter(code=code).update(original_appointment_date=None, result_at=result, timeliness="on_time")
    Dossier.objects.filter(code=other).update(original_appointment_date=None)
    migration.copy_dates(apps, None)
    extended, plain = Dossier.objects.get(code=code), Dossier.objects.get(code=other)
    assert (extended.original_appointment_date, extended.timeliness) == (before, "late")
    assert plain.original_appointment_date == plain.appointment_date


@pytest.mark.parametrize("hour, minute", [(7, 0), (11, 30), (13, 30), (15, 0), (17, 0)])
def test_the_office_hours_defaults_pass_the_checks_at_any_time_of_day(monkeypatch, hour, minute):
    """Django warns (fields.W161) about a fixed time default when its checks run within seconds of that time of
    day; ``check --deploy`` failed then. The defaults are callables, so no moment of the day warns."""
    import datetime as dt

    from django.db.models import fields

    from onestop.deadlines.models import OfficeHours

    monkeypatch.setattr(fields, "_get_naive_now", lambda: dt.datetime.combine(dt.date.today(), dt.time(hour, minute)))
    assert [m.id for m in OfficeHours.check() if m.id == "fields.W161"] == []
    assert OfficeHours().same_day_cutoff == dt.time(15, 0) and OfficeHours().morning_start == dt.time(7, 0)
