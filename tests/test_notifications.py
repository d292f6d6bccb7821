"""Notifications: who is told what, when it leaves, what happens when sending fails."""
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import transaction
from django.template.loader import render_to_string
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from onestop import celery_app
from onestop.deadlines.escalations import escalate_overdue, send_reminders
from onestop.deadlines.services import due_moment
from onestop.deadlines.working_days import add_working_days
from onestop.dossiers import audit, lifecycle
from onestop.dossiers.lifecycle import extend
from onestop.dossiers.models import Dossier, DossierEvent
from onestop.notifications import backends, handlers, services
from onestop.notifications.models import Notification
from onestop.notifications.selectors import notifications_for_dossier
from onestop.notifications.services import send_queued
from onestop.notifications.tasks import send_notification, send_pending
from onestop.organisation.models import Citizen
from onestop.worklist.models import WorkItem
from tests.conftest import BIRTH_FORM, submit

User = get_user_model()
CITIZEN_EMAIL, CITIZEN_PHONE = "an.nguyen@example.com", "0901234567"


class FlakySms(backends.SmsBackend):
    """Fails the first ``failures`` sends, then delivers to the locmem outbox."""

    failures = 0
    calls = 0

    def send(self, to, text):
        FlakySms.calls += 1
        if FlakySms.calls <= FlakySms.failures:
            raise ConnectionError("SMS gateway unreachable")
        backends.outbox.append((to, text))


@pytest.fixture
def sms(settings):
    settings.ONESTOP_SMS_BACKEND = "onestop.notifications.backends.LocmemSmsBackend"
    backends.outbox.clear()
    return backends.outbox


@pytest.fixture
def nobody_reachable(demo):
    """The demo's citizen1 with neither email nor phone."""
    User.objects.filter(username="citizen1").update(email="")
    Citizen.objects.filter(user__username="citizen1").update(phone="")


@pytest.fixture
def people(demo, sms):
    """The demo's citizen1 with an email and a phone; officials with emails."""
    citizen = User.objects.get(username="citizen1")
    citizen.email = CITIZEN_EMAIL
    citizen.save()
    Citizen.objects.filter(user=citizen).update(phone=CITIZEN_PHONE)
    for user in User.objects.filter(memberships__isnull=False).distinct():
        user.email = f"{user.username}@ubnd.example.vn"
        user.save()
    mail.outbox.clear()


def sent_to(address):
    return [m for m in mail.outbox if m.to == [address]]


def accepted(as_user):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    return code


def record(code, action, **kwargs):
    """An audit event as another app's service records it, committed with its on-commit work."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            dossier = Dossier.objects.select_for_update().get(code=code)
            return audit.record(dossier, action, from_status=dossier.status, **kwargs)


def test_submission_tells_nobody_reception_tells_the_citizen_by_email_and_sms(as_user, people, sms):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    assert mail.outbox == [] and sms == []

    desk.act(code, "accept")
    dossier = Dossier.objects.get(code=code)
    day = dossier.appointment_date.strftime("%d/%m/%Y")
    [email] = sent_to(CITIZEN_EMAIL)
    assert email.subject == f"Hồ sơ {code} đã được tiếp nhận / Dossier {code} received"
    # Vietnamese first, then English, in one message.
    assert email.body.startswith("Kính gửi ông/bà Nguyễn Văn An,")
    assert f"Ngày hẹn trả kết quả: {day}." in email.body
    assert f"The result will be ready on {day}." in email.body
    assert email.body.index("Ngày hẹn") < email.body.index("English") < email.body.index("The result")
    assert "Ủy ban nhân dân Phường Bến Nghé" in email.body
    assert sms == [(CITIZEN_PHONE, f"Hồ sơ {code} đã được tiếp nhận. Hẹn trả kết quả ngày {day}.")]
    # Only the citizen is told; both messages are recorded on the dossier as sent.
    assert len(mail.outbox) == 1
    rows = Notification.objects.filter(dossier=dossier)
    assert sorted((n.template, n.channel, n.address, n.state, n.attempts) for n in rows) == [
        ("received", "email", CITIZEN_EMAIL, "sent", 1), ("received", "sms", CITIZEN_PHONE, "sent", 1)]
    assert all(n.sent_at for n in rows)


def test_supplementation_request_lists_the_documents(as_user, people, sms):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    documents = ["Giấy chứng sinh (bản chính)", "Giấy chứng nhận kết hôn (bản sao)"]
    desk.act(code, "supplement", {"missing_documents": documents}, comment="Bản sao không rõ nét")

    [email] = sent_to(CITIZEN_EMAIL)
    assert email.subject.startswith(f"Hồ sơ {code}: đề nghị bổ sung giấy tờ")
    assert "Giấy tờ cần bổ sung:\n- Giấy chứng sinh (bản chính)\n- Giấy chứng nhận kết hôn (bản sao)" in email.body
    assert "Ghi chú của cán bộ: Bản sao không rõ nét" in email.body
    assert "Documents to add:" in email.body
    assert [to for to, _ in sms] == [CITIZEN_PHONE]


def test_refusal_gives_the_reason(as_user, people, sms):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "refuse", comment="Không thuộc thẩm quyền của phường")

    [email] = sent_to(CITIZEN_EMAIL)
    assert email.subject.startswith(f"Hồ sơ {code} bị từ chối")
    assert "Lý do: Không thuộc thẩm quyền của phường" in email.body
    assert sms == [(CITIZEN_PHONE, f"Hồ sơ {code} bị từ chối. Lý do: Không thuộc thẩm quyền của phường")]


def test_result_ready_after_the_background_registration(as_user, people, sms):
    code = accepted(as_user)
    as_user("bennghe.specialist").act(code, "approve", {"review_notes": "Đầy đủ"})
    as_user("bennghe.leader").act(code, "sign")  # the register entry (an exchange) then ends the process
    assert Dossier.objects.get(code=code).status == "result_ready"

    templates = [n.template for n in Notification.objects.filter(dossier__code=code, channel="email")]
    assert templates == ["received", "result_ready"]  # the officials' steps in between tell the citizen nothing
    email = sent_to(CITIZEN_EMAIL)[-1]
    assert email.subject.startswith(f"Hồ sơ {code}: đã có kết quả")
    assert "Bộ phận Một cửa của Ủy ban nhân dân Phường Bến Nghé" in email.body
    assert sms[-1] == (CITIZEN_PHONE, f"Hồ sơ {code}: đã có kết quả, mời nhận tại Ủy ban nhân dân Phường Bến Nghé.")


def test_extension_gives_the_new_date_and_the_letter(as_user, people, sms):
    code = accepted(as_user)
    mail.outbox.clear()
    dossier = Dossier.objects.get(code=code)
    previous = dossier.appointment_date
    new_date = add_working_days(previous, 5)
    leader = User.objects.get(username="bennghe.leader")
    with TestCase.captureOnCommitCallbacks(execute=True):
        extend(leader, code, reason="Cần xác minh thêm", new_date=new_date, today=previous - timedelta(days=7))

    [email] = sent_to(CITIZEN_EMAIL)
    day = new_date.strftime("%d/%m/%Y")
    assert f"Ngày hẹn trả kết quả mới là {day}." in email.body
    assert "Lý do: Cần xác minh thêm" in email.body
    assert "Ủy ban nhân dân Phường Bến Nghé xin lỗi ông/bà" in email.body
    letter = dossier.attachments.get()  # form 04, which the citizen may download
    assert f"/dossiers/files/{letter.key}/" in email.body
    assert sms[-1] == (CITIZEN_PHONE, f"Hồ sơ {code}: xin lỗi vì chậm trễ, ngày hẹn trả kết quả mới là {day}.")


def test_reassignment_tells_the_new_holder(as_user, people, sms):
    code = accepted(as_user)
    mail.outbox.clear()
    leader, specialist = User.objects.get(username="bennghe.leader"), User.objects.get(username="bennghe.specialist")
    item = WorkItem.objects.get(dossier__code=code, state="open", kind="task")
    with TestCase.captureOnCommitCallbacks(execute=True):
        lifecycle.reassign_work_item(item, leader, specialist)

    [email] = mail.outbox
    assert email.to == ["bennghe.specialist@ubnd.example.vn"]
    assert email.subject.startswith(f"Hồ sơ {code} được giao cho ông/bà")
    assert f"Bước “{item.name}” của hồ sơ {code}" in email.body
    assert f"(người giao: {leader.get_full_name()})" in email.body
    assert f"Hạn xử lý: {item.due_date:%d/%m/%Y}." in email.body
    assert reverse("workspace:item", args=[item.pk]) in email.body
    assert len(sms) == 1  # the reception SMS only: officials are told by email


def test_reminder_and_escalation_reach_the_right_officials(as_user, people):
    code = accepted(as_user)
    mail.outbox.clear()
    item = WorkItem.objects.select_related("agency").get(dossier__code=code, state="open", kind="task")
    due = due_moment(item)

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert len(send_reminders(now=due - timedelta(hours=1))) == 1
    [reminder] = mail.outbox  # unclaimed: the officials of the step's role
    assert reminder.to == ["bennghe.specialist@ubnd.example.vn"]
    assert reminder.subject.startswith(f"Hồ sơ {code}: bước xử lý sắp đến hạn")
    assert f"(hạn xử lý {timezone.localtime(due):%d/%m/%Y %H:%M})" in reminder.body

    mail.outbox.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert len(escalate_overdue(now=due + timedelta(hours=1))) == 1
        assert escalate_overdue(now=due + timedelta(hours=2)) == []  # once
    [escalation] = mail.outbox
    assert escalation.to == ["bennghe.leader@ubnd.example.vn"]
    assert escalation.subject.startswith(f"Hồ sơ {code}: có bước xử lý quá hạn")
    assert "Chưa có cán bộ nào nhận xử lý." in escalation.body
    assert "Nobody has claimed it yet." in escalation.body


def test_nothing_is_made_or_sent_for_a_rolled_back_change_nor_before_commit(as_user, people, sms):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    dossier = Dossier.objects.get(code=code)

    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        with transaction.atomic():
            audit.record(dossier, "reception_completed", from_status="submitted", to_status="processing")
            assert Notification.objects.filter(dossier=dossier, state="queued").count() == 2
    assert mail.outbox == [] and sms == []  # made in the transaction, not sent before its commit
    for callback in callbacks:
        callback()
    assert len(sent_to(CITIZEN_EMAIL)) == 1 and len(sms) == 1

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), TestCase.captureOnCommitCallbacks(execute=True):
        with transaction.atomic():
            audit.record(dossier, "reception_completed", from_status="submitted", to_status="refused")
            raise Rollback
    assert not Notification.objects.filter(dossier=dossier, template="refused").exists()
    assert len(mail.outbox) == 1


def test_failed_sends_are_retried_and_never_block_the_workflow(as_user, people, settings):
    settings.ONESTOP_SMS_BACKEND = f"{__name__}.FlakySms"
    FlakySms.calls, FlakySms.failures = 0, 1
    code = accepted(as_user)
    sms = Notification.objects.get(dossier__code=code, channel="sms")
    assert (sms.state, sms.attempts, FlakySms.calls) == ("sent", 2, 2)
    assert sms.last_error == "ConnectionError: SMS gateway unreachable"  # kept: why it took two attempts

    # A gateway that stays down: given up after the configured attempts, recorded; the dossier goes on.
    settings.ONESTOP_NOTIFICATION_MAX_ATTEMPTS = 3
    FlakySms.calls, FlakySms.failures = 0, 100
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")  # asserts a 200
    assert Dossier.objects.get(code=code).status == "processing"
    assert as_user("bennghe.specialist").item(code)
    sms = Notification.objects.get(dossier__code=code, channel="sms")
    assert (sms.state, sms.attempts, FlakySms.calls) == ("failed", 3, 3)
    assert sms.last_error == "ConnectionError: SMS gateway unreachable"
    assert Notification.objects.get(dossier__code=code, channel="email").state == "sent"


def test_a_fault_in_making_messages_does_not_undo_the_change(as_user, people, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template missing")

    monkeypatch.setattr("onestop.notifications.services.compose", broken)
    code = accepted(as_user)
    assert Dossier.objects.get(code=code).status == "processing"
    assert not Notification.objects.filter(dossier__code=code).exists()


def test_an_event_handled_twice_makes_its_messages_once(as_user, people, sms):
    code = accepted(as_user)
    event = DossierEvent.objects.get(dossier__code=code, action="reception_completed")
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        handlers.on_dossier_event(DossierEvent, event, created=True)  # no error: the insert skips its rows
        assert Dossier.objects.filter(code=code).exists()  # the transaction goes on
    assert Notification.objects.filter(event=event).count() == 2
    assert len(mail.outbox) == 1 and len(sms) == 1


def test_a_task_delivered_twice_sends_once(as_user, people, sms):
    code = accepted(as_user)
    email = Notification.objects.get(dossier__code=code, channel="email")
    assert len(mail.outbox) == 1
    send_notification.delay(email.pk)
    send_notification.apply(args=[email.pk])
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("sent", 1)


def test_a_citizen_without_address_is_recorded_as_not_told(as_user, nobody_reachable, sms):
    code = accepted(as_user)
    [row] = Notification.objects.filter(dossier__code=code)
    assert (row.state, row.address, row.attempts) == ("failed", "", 0)
    assert row.last_error == "Người nhận chưa có địa chỉ thư điện tử hoặc số điện thoại."
    assert mail.outbox == [] and sms == []


def test_api_lists_a_dossiers_messages_to_who_may_see_it(as_user, people):
    code = accepted(as_user)
    specialist = User.objects.get(username="bennghe.specialist")
    item = WorkItem.objects.get(dossier__code=code, state="open", kind="task")
    record(code, "reminder_sent", work_item=item, data={"recipients": [specialist.pk], "work_item": item.pk})
    url = f"/api/v1/dossiers/{code}/notifications/"

    mine = as_user("citizen1").get(url)
    assert mine.status_code == 200
    rows = mine.json()["results"]
    assert [(r["template"], r["channel"], r["state"]) for r in rows] == [("received", "email", "sent"),
                                                                         ("received", "sms", "sent")]
    assert rows[0]["address"] == CITIZEN_EMAIL and rows[0]["sent_at"]
    assert rows[0]["subject"].startswith(f"Hồ sơ {code}")
    # Officials of the agency also see the internal reminder.
    seen = as_user("bennghe.leader").get(url).json()["results"]
    assert [r["template"] for r in seen] == ["received", "received", "reminder"]
    assert seen[2]["recipient"] == specialist.get_full_name()
    # Anyone else: the dossier does not exist for them.
    assert as_user("citizen2").get(url).status_code == 404
    assert as_user("benthanh.receiver").get(url).status_code == 404
    assert as_user("citizen1").get("/api/v1/dossiers/NO-SUCH/notifications/").status_code == 404
    assert APIClient().get(url).status_code in (401, 403)



def test_messages_the_broker_never_got_are_swept_up_later(as_user, people, sms, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(send_pending, "apply_async", broker_down)
    code = accepted(as_user)  # the desk's action still succeeds
    assert Dossier.objects.get(code=code).status == "processing"
    rows = Notification.objects.filter(dossier__code=code)
    assert {n.state for n in rows} == {"queued"} and mail.outbox == []

    monkeypatch.undo()
    assert send_queued(older_than=timedelta(minutes=10)) == 0  # too recent: its task may still be on its way
    assert send_queued(older_than=timedelta(0)) == 2
    assert {n.state for n in rows.all()} == {"sent"}
    assert len(sent_to(CITIZEN_EMAIL)) == 1 and len(sms) == 1


def test_one_task_sends_the_messages_of_every_change_committed_before_it(as_user, people, sms, monkeypatch):
    published = []
    monkeypatch.setattr(send_pending, "apply_async", lambda *args, **kwargs: published.append(kwargs))
    first, second = accepted(as_user), accepted(as_user)
    assert mail.outbox == [] and sms == [] and published  # asked for, a second after the commit
    assert all(call == {"countdown": services.SEND_DELAY_SECONDS} for call in published)

    assert send_pending() == 4  # both citizens' email and SMS, whichever change asked
    assert len(sent_to(CITIZEN_EMAIL)) == 2 and len(sms) == 2
    rows = Notification.objects.filter(dossier__code__in=[first, second])
    assert {(n.state, n.attempts) for n in rows} == {("sent", 1)} and all(n.sent_at for n in rows)
    assert send_pending() == 0  # delivered twice: nothing is sent twice
    assert len(mail.outbox) == 2


def test_a_process_publishes_the_task_once_for_the_changes_it_will_read(db, monkeypatch):
    celery_app.conf.task_always_eager = False  # as in a web process (the fixture sets it back)
    monkeypatch.setattr(services, "_pending_flag", lambda: None)  # a broker without the key: RabbitMQ
    monkeypatch.setattr(services, "_published_until", 0.0)
    published = []
    monkeypatch.setattr(send_pending, "apply_async", lambda *args, **kwargs: published.append(kwargs))
    services.request_send()
    services.request_send()  # the task this process published runs after this change's commit
    assert len(published) == 1
    monkeypatch.setattr(services, "_published_until", time.time() - 0.01)  # its countdown is over: it may have run
    services.request_send()
    services.request_send(force=True)  # the sweep: whatever is pending
    assert len(published) == 3


def test_a_change_publishes_the_task_only_when_none_is_pending(db, settings, monkeypatch):
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        pytest.skip("the pending key lives in the broker's Redis")
    celery_app.conf.task_always_eager = False  # as in a web process (the fixture sets it back)
    flag = services._pending_flag()
    flag.delete(services.PENDING_KEY)
    monkeypatch.setattr(services, "_published_until", 0.0)
    published = []
    monkeypatch.setattr(send_pending, "apply_async", lambda *args, **kwargs: published.append(kwargs))

    def another_process_asks():  # no task of its own pending
        monkeypatch.setattr(services, "_published_until", 0.0)
        services.request_send()

    try:
        another_process_asks()
        another_process_asks()  # one is pending: it will read this change's rows too
        assert len(published) == 1 and 0 < flag.ttl(services.PENDING_KEY) <= services.PENDING_KEY_SECONDS
        services.send_pending()  # the task deletes the key before it reads the rows
        another_process_asks()
        assert len(published) == 2

        def broker_down(*args, **kwargs):
            raise ConnectionError("broker unreachable")

        flag.delete(services.PENDING_KEY)
        monkeypatch.setattr(send_pending, "apply_async", broker_down)
        another_process_asks()  # logged; the key is not left set by a task that was never published
        assert not flag.exists(services.PENDING_KEY)
    finally:
        flag.delete(services.PENDING_KEY)


def test_the_sweep_retries_a_message_whose_retry_was_lost(as_user, people, sms):
    code = accepted(as_user)
    row = Notification.objects.get(dossier__code=code, channel="sms")
    # An attempt failed and its retry task never ran (the worker died before publishing it).
    Notification.objects.filter(pk=row.pk).update(state="queued", attempts=2, sent_at=None)
    assert send_queued() == 0  # within its retries' time: left to them
    Notification.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(hours=2))
    assert send_queued() == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == ("sent", 3) and len(sms) == 2


def test_an_admin_sends_a_failed_message_again_once_the_address_is_known(as_user, nobody_reachable, sms, client):
    code = accepted(as_user)
    row = Notification.objects.get(dossier__code=code)
    assert row.state == "failed"
    User.objects.filter(username="citizen1").update(email=CITIZEN_EMAIL)

    client.force_login(User.objects.get(username="admin"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post("/admin/notifications/notification/",
                               {"action": "send_again", "_selected_action": [row.pk]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.state, row.address, row.attempts) == ("sent", CITIZEN_EMAIL, 1)
    [email] = mail.outbox
    assert email.to == [CITIZEN_EMAIL] and email.subject.startswith(f"Hồ sơ {code} đã được tiếp nhận")


def test_pages_can_show_the_messages_sent_in_vietnamese(as_user, people):
    code = accepted(as_user)
    dossier = Dossier.objects.get(code=code)
    html = render_to_string("notifications/includes/list.html",
                            {"notifications": notifications_for_dossier(dossier)})
    assert "Thông báo đã gửi" in html
    assert CITIZEN_EMAIL in html and CITIZEN_PHONE in html
    assert html.count("Đã gửi") == 2
    assert f"Hồ sơ {code} đã được tiếp nhận" in html


def test_a_processing_step_asking_for_documents_gives_the_officials_note(as_user, people, sms):
    code = accepted(as_user)
    mail.outbox.clear()
    as_user("bennghe.specialist").act(code, "supplement", comment="Thiếu giấy chứng sinh bản chính")
    assert Dossier.objects.get(code=code).status == "supplement_requested"

    [email] = sent_to(CITIZEN_EMAIL)
    assert email.subject.startswith(f"Hồ sơ {code}: đề nghị bổ sung giấy tờ")
    assert "Ủy ban nhân dân Phường Bến Nghé đề nghị ông/bà bổ sung hồ sơ" in email.body
    assert "Ghi chú của cán bộ: Thiếu giấy chứng sinh bản chính" in email.body
    assert "Giấy tờ cần bổ sung:" not in email.body  # no list was given, only the note


PERMIT_FORM = {
    "applicant_full_name": "Nguyễn Văn An", "owner_id_number": "079090000001", "land_use_certificate_no": "CS 01234",
    "parcel_number": "125", "map_sheet_number": "12", "construction_address": "12 Lê Lợi, Phường Bến Nghé, Quận 1",
    "floor_area_m2": 240.5, "floors": 4,
}


def test_two_agencies_the_citizen_hears_only_of_what_concerns_them(as_user, people):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.009794", "q1", PERMIT_FORM)["code"]
    as_user("q1.receiver").act(code, "accept")
    as_user("q1.specialist").act(code, "supplement", comment="Bổ sung bản vẽ mặt bằng móng")
    citizen.post(f"/api/v1/dossiers/{code}/supplement/", {"comment": "Đã nộp bản vẽ"})
    as_user("q1.specialist").act(code, "approve")
    as_user("sxd.specialist").act(code, "disagree", comment="Vượt chiều cao cho phép")
    as_user("q1.leader").act(code, "refuse", comment="Theo ý kiến của Sở Xây dựng")

    # The department's opinion and the district's approval are internal: three messages, in order.
    subjects = [m.subject.split(" / ")[0] for m in sent_to(CITIZEN_EMAIL)]
    assert subjects == [f"Hồ sơ {code} đã được tiếp nhận", f"Hồ sơ {code}: đề nghị bổ sung giấy tờ",
                        f"Hồ sơ {code} bị từ chối"]
    refusal = sent_to(CITIZEN_EMAIL)[-1].body
    assert "đã bị Ủy ban nhân dân Quận 1 từ chối" in refusal
    assert "Lý do: Theo ý kiến của Sở Xây dựng" in refusal
    assert len(mail.outbox) == 3  # officials are not mailed about their own steps
