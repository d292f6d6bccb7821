"""Dossiers synchronised with the National Public Service Portal (its stand-in, over HTTP), its dossiers
taken into our desks, the catalogue imported from the national procedure database."""
import json
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.test import TestCase

from onestop.dossiers.models import Dossier
from onestop.interop import httpsig
from onestop.nationalportal import protocol, services, submissions
from onestop.nationalportal.models import OutboxMessage, PortalLink, PortalSubmission
from onestop.organisation.models import Citizen
from procedures.models import Procedure
from tests.conftest import BIRTH_FORM, submit
from tests.test_business_household import FORM as HOUSEHOLD_FORM


def statuses(code):
    """(portal status, state) of the dossier's sync messages, in order (each is followed by its progress)."""
    return list(OutboxMessage.objects.filter(dossier__code=code, service="DongBoHoSoMC").order_by("sequence")
                .values_list("status_code", "state"))


def first_message(code):
    return OutboxMessage.objects.get(dossier__code=code, sequence=1)


def record_due(code):
    return Dossier.objects.get(code=code).appointment_date.strftime("%Y%m%d") + "170000"


def test_each_change_of_status_reaches_the_portal_in_order(as_user, national_portal):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")

    assert statuses(code) == [("1", "sent"), ("2", "sent")]
    held = national_portal.dossiers()["dossiers"][code]
    assert [h["status"] for h in held["history"]] == ["1", "2"]
    # Each change is followed by its progress record: who did what, where, when.
    progress = held["progress"]
    assert [(p["TrangThai"], p["NguoiXuLy"]) for p in progress] == [
        ("1", "Nguyễn Văn An"), ("2", "Cán bộ một cửa Phường Bến Nghé")]
    assert progress[1]["PhongBanXuLy"] == "Ủy ban nhân dân Phường Bến Nghé" and "accept" in progress[1]["NoiDungXuLy"]
    assert progress[1]["ThoiDiemXuLy"] and progress[1]["NgayKetThucTheoQuyDinh"] == record_due(code)
    record = held["record"]
    assert record["MaHoSo"] == code and record["MaTTHC"] == "1.001193"
    assert record["ChuHoSo"] == "Nguyễn Văn An" and record["MaDoiTuong"] == "079090000001"
    assert record["TrangThaiHoSo"] == "2" and record["NgayHenTra"]
    assert record["DonViXuLy"] == "Ủy ban nhân dân Phường Bến Nghé"
    message = OutboxMessage.objects.get(dossier__code=code, sequence=3)
    assert message.service == "DongBoHoSoMC" and message.payload["isUpdating"] == "True"
    assert message.attempts == 1 and message.sent_at
    # The portal answers the lookup with its copy.
    assert services.lookup_on_portal(code)["TrangThaiHoSo"] == "2"
    assert services.lookup_on_portal("H29.01.01-000000-0000") is None


def test_a_hand_over_between_agencies_is_reported_without_a_change_of_status(as_user, national_portal):
    citizen = as_user("citizen2")
    code = submit(citizen, "2.000720", "q1-benthanh", HOUSEHOLD_FORM)["code"]
    as_user("benthanh.receiver").act(code, "accept")
    as_user("benthanh.specialist").act(code, "forward")
    assert statuses(code) == [("1", "sent"), ("2", "sent"), ("4", "sent")]
    held = national_portal.dossiers()["dossiers"][code]
    assert held["record"]["DonViXuLy"] == "Ủy ban nhân dân Quận 1"
    as_user("q1.specialist").act(code, "approve")  # within the district: nothing to report
    assert len(statuses(code)) == 3
    as_user("q1.leader").act(code, "sign")
    as_user("benthanh.receiver").act(code, "returned")
    assert [s[0] for s in statuses(code)] == ["1", "2", "4", "9", "10"]
    assert [h["status"] for h in national_portal.dossiers()["dossiers"][code]["history"]] == ["1", "2", "4", "9", "10"]
    assert national_portal.dossiers()["dossiers"][code]["record"]["NgayTra"]


def test_status_codes_come_from_the_table():
    assert protocol.status_code("reception_completed", "refused") == "3"
    assert protocol.status_code("task_completed", "refused") == "8"
    assert protocol.status_code("supplemented", "submitted") == "1"
    assert protocol.status_code("claimed", "no such status") is None


def test_nothing_is_written_without_an_active_link(as_user, national_portal):
    link = PortalLink.objects.get()
    link.is_active = False
    link.save()
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    assert statuses(code) == []


def test_the_portal_down_keeps_messages_waiting_in_order(as_user, national_portal):
    national_portal.control(down=True)
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(code, "accept")
    first, progress, second, _progress = OutboxMessage.objects.filter(dossier__code=code).order_by("sequence")
    assert (first.state, first.attempts, second.attempts) == ("pending", 1, 0)
    assert "503" in first.error and first.next_attempt_at is not None
    assert "waiting for message #1" in second.error

    national_portal.control(down=False)
    services.deliver(second.pk, schedule_retry=False)  # not its turn: the first is unsent
    assert OutboxMessage.objects.get(pk=second.pk).state == "pending"
    services.deliver(first.pk, schedule_retry=False)  # sent, then each follower in turn (eager)
    assert statuses(code) == [("1", "sent"), ("2", "sent")]
    assert not OutboxMessage.objects.filter(dossier__code=code).exclude(state="sent").exists()
    assert [h["status"] for h in national_portal.dossiers()["dossiers"][code]["history"]] == ["1", "2"]


def test_a_message_that_keeps_failing_is_shown_failed_and_can_be_retried(as_user, national_portal):
    PortalLink.objects.update(max_attempts=1)
    national_portal.control(down=True)
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    message = first_message(code)
    assert message.state == "failed" and "503" in message.error

    admin = as_user("admin")
    listed = admin.get("/api/v1/national-portal/outbox/", state="failed").json()["results"]
    assert [(m["dossier"], m["state"], m["attempts"]) for m in listed] == [(code, "failed", 1)]
    assert "503" in listed[0]["error"]
    assert admin.get("/api/v1/national-portal/outbox/counts/").json()["failed"] == 1
    assert as_user("bennghe.leader").get("/api/v1/national-portal/outbox/").status_code == 403
    assert as_user("citizen1").post(f"/api/v1/national-portal/outbox/{message.pk}/retry/").status_code == 403

    national_portal.control(down=False)
    answer = admin.post(f"/api/v1/national-portal/outbox/{message.pk}/retry/")
    assert answer.status_code == 200
    assert OutboxMessage.objects.get(pk=message.pk).state == "sent"
    assert national_portal.dossiers()["dossiers"][code]["history"] == [
        {"message_id": str(message.message_id), "status": "1"}]
    detail = admin.get(f"/api/v1/national-portal/outbox/{message.pk}/").json()
    assert detail["payload"]["data"][0]["MaHoSo"] == code


def _signed(url, body, key=None, key_id="onestop-demo"):
    return httpsig.sign_request("POST", url, body, key_id=key_id, tag="dvcqg",
                                private_key=key or httpsig.demo_private_key("onestop"),
                                headers={"Content-Type": "application/json"})


def _envelope(code, message_id):
    return json.dumps({"service": "DongBoHoSoMC", "madonvi": "H29.01.01", "MaThongDiep": message_id,
                       "data": [{"MaHoSo": code, "TrangThaiHoSo": "1"}]}).encode()


def test_the_portal_refuses_replayed_and_forged_messages(national_portal):
    url = national_portal.url + "/dvcqg/integration"
    body = _envelope("H29.01.01-261206-0001", "3f1c1e9a-0000-4000-8000-000000000001")
    headers = _signed(url, body)
    first = requests.post(url, data=body, headers=headers, timeout=5)
    assert first.status_code == 200 and first.json()["error_code"] == 0
    replayed = requests.post(url, data=body, headers=headers, timeout=5)
    assert replayed.status_code == 401 and "replayed" in replayed.json()["detail"]

    tampered = _envelope("H29.01.01-261206-0001", "3f1c1e9a-0000-4000-8000-000000000002").replace(b'"1"', b'"10"')
    forged = requests.post(url, data=tampered, headers=_signed(url, _envelope("x", "y")), timeout=5)
    assert forged.status_code == 401 and "Content-Digest" in forged.json()["detail"]
    other_key = requests.post(url, data=body, headers=_signed(url, body, key=httpsig.demo_private_key("intruder")),
                              timeout=5)
    assert other_key.status_code == 401
    unsigned = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=5)
    assert unsigned.status_code == 401
    history = national_portal.dossiers()["dossiers"]["H29.01.01-261206-0001"]["history"]
    assert [h["status"] for h in history] == ["1"]


def test_a_repeated_message_id_changes_nothing_on_the_portal(as_user, national_portal):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    message = first_message(code)
    link = PortalLink.objects.get()
    from onestop.interop import portal_client

    again = portal_client.post(link, message.payload)  # a new signature, the same message id
    assert again.ok and again.body["duplicate"] is True
    assert len(national_portal.dossiers()["dossiers"][code]["history"]) == 1


def test_an_answer_not_signed_by_the_portal_is_not_trusted(as_user, national_portal):
    PortalLink.objects.update(portal_keys={"dvcqg-demo": httpsig.public_key_text(httpsig.demo_private_key("x"))},
                              max_attempts=1)
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    message = first_message(code)
    assert message.state == "failed" and "not trustworthy" in message.error


def test_a_dossier_submitted_on_the_portal_arrives_at_the_desk_with_its_code(as_user, national_portal,
                                                                           django_capture_on_commit_callbacks):
    # The seeded portal submission: a mother unknown to us (an account is made); one by a known citizen.
    national_portal.add_submission({
        "MaHoSoDVCQG": "G22.TEST-0002", "MaTTHC": "1.001193", "MaDonVi": "H29.01.01", "ChuHoSo": "Nguyễn Văn An",
        "SoGiayTo": "079090000001", "DuLieuToKhai": BIRTH_FORM})
    national_portal.add_submission({
        "MaHoSoDVCQG": "G22.TEST-0003", "MaTTHC": "9.999999", "MaDonVi": "H29.01.01", "ChuHoSo": "Nguyễn Văn An",
        "SoGiayTo": "079090000001", "DuLieuToKhai": {}})

    with django_capture_on_commit_callbacks(execute=True):  # the messages to the portal, sent at commit
        assert submissions.pull() == 3
    mai = PortalSubmission.objects.get(portal_code="G22.99.01-261206-0001")
    assert mai.citizen_created and mai.acknowledged
    citizen = Citizen.objects.get(id_number="079190000007")
    assert (citizen.full_name, citizen.phone, citizen.user.username) == ("Phạm Thị Mai", "0908123456",
                                                                         "dvcqg-079190000007")
    dossier = mai.dossier
    assert dossier.code.startswith("H29.01.01-") and dossier.channel == "online" and dossier.status == "submitted"
    known = PortalSubmission.objects.get(portal_code="G22.TEST-0002")
    assert not known.citizen_created and known.dossier.applicant.username == "citizen1"
    refused = PortalSubmission.objects.get(portal_code="G22.TEST-0003")
    assert refused.dossier is None and refused.error

    desk = as_user("bennghe.receiver")
    item = desk.item(dossier.code)
    assert item["kind"] == "reception"
    taken = national_portal.dossiers()["taken"]
    assert taken["G22.99.01-261206-0001"]["code"] == dossier.code
    assert taken["G22.TEST-0003"]["accepted"] == "False"
    # The portal hears of our dossier under our code.
    assert national_portal.dossiers()["dossiers"][dossier.code]["history"][0]["status"] == "1"

    assert submissions.pull() == 0  # acknowledged: nothing new
    assert Dossier.objects.filter(portal_submission__isnull=False).count() == 2
    desk.act(dossier.code, "accept")
    assert [s[0] for s in statuses(dossier.code)] == ["1", "2"]


def test_the_catalogue_is_imported_from_the_national_database(db, tmp_path):
    from onestop.peers.national_portal import DEFAULT_CATALOGUE

    call_command("import_national_catalogue", str(DEFAULT_CATALOGUE), stdout=open(tmp_path / "out", "w"))
    marriage = Procedure.objects.get(code="1.000656")
    assert (marriage.name, marriage.field, marriage.processing_days, marriage.fee) == (
        "Đăng ký kết hôn", "Hộ tịch", 5, 0)
    assert (marriage.competent_level, marriage.receiving_level, marriage.online_level) == ("ward", "ward", "partial")
    assert [d["name"] for d in marriage.documents] == ["Tờ khai đăng ký kết hôn theo mẫu",
                                                       "Giấy xác nhận tình trạng hôn nhân"]
    land = Procedure.objects.get(code="1.004227")
    assert (land.competent_level, land.receiving_level, land.fee, land.processing_days) == (
        "district", "ward", 100000, 20)
    assert not land.versions.exists()  # no BPMN: it takes no dossiers until one is published
    call_command("import_national_catalogue", str(DEFAULT_CATALOGUE), stdout=open(tmp_path / "out", "w"))
    assert Procedure.objects.filter(code__in=["1.000656", "1.004227", "1.001193"]).count() == 3
    assert marriage.events.filter(action="imported_national").count() == 2


def test_a_broken_export_is_refused_with_a_message(db, tmp_path):
    path = tmp_path / "export.json"
    path.write_text("{not json")
    with pytest.raises(Exception, match="export.json"):
        call_command("import_national_catalogue", str(path))


def test_the_staff_page_shows_what_failed_and_sends_it_again(as_user, national_portal, client):
    from django.contrib.auth import get_user_model

    PortalLink.objects.update(max_attempts=1)
    national_portal.control(down=True)
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    message = first_message(code)
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get("/national-portal/outbox/", HTTP_ACCEPT_LANGUAGE="vi")
    text = page.content.decode()
    assert page.status_code == 200 and code in text and "HTTP 503" in text and "Gửi lại" in text
    national_portal.control(down=False)
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(f"/national-portal/outbox/{message.pk}/retry/", HTTP_ACCEPT_LANGUAGE="vi")
    assert answer.status_code == 302
    assert OutboxMessage.objects.get(pk=message.pk).state == "sent"
    after = client.get("/national-portal/outbox/").content.decode()
    assert "sẽ được gửi lại" in after  # the flash message says so
    assert f"/outboxmessage/{message.pk}/change/" not in after  # nothing unsent any more


def test_the_sweep_sends_each_dossiers_first_due_message(as_user, national_portal, django_capture_on_commit_callbacks):
    PortalLink.objects.update(backoff_seconds=60)
    national_portal.control(down=True)
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    first = first_message(code)
    assert first.state == "pending" and first.next_attempt_at is not None
    national_portal.control(down=False)
    assert services.send_due() == 0  # its retry time has not come
    OutboxMessage.objects.filter(pk=first.pk).update(next_attempt_at=first.next_attempt_at - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_due() == 1  # one per dossier: the others follow it
    assert not OutboxMessage.objects.filter(dossier__code=code).exclude(state="sent").exists()
