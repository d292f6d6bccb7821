"""The portal outbox and the portal's submissions with a real Celery worker (``make test``)."""
import time

import pytest

from onestop.nationalportal import tasks
from onestop.nationalportal.models import OutboxMessage, PortalSubmission
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

OUTAGE_SECONDS = 3.0  # the portal's "minute" down, short in tests


def test_messages_wait_out_an_outage_and_arrive_in_order_once(celery_worker_process, peers, national_portal):
    load_demo(peers)
    national_portal.control(down_for=OUTAGE_SECONDS)
    went_down = time.monotonic()
    citizen, desk = Actor("citizen1"), Actor("bennghe.receiver")
    codes = [submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"] for _ in range(3)]
    for code in codes:
        desk.act(code, "accept")
    assert OutboxMessage.objects.filter(dossier__code__in=codes).count() == 12  # each change: dossier, progress

    wait_for(lambda: OutboxMessage.objects.filter(dossier__code__in=codes, state="sent").count() == 12, timeout=60)
    assert time.monotonic() - went_down >= OUTAGE_SECONDS  # nothing got through while the portal was down
    log = national_portal.get("/_control/log")["requests"]
    assert any(entry["status"] == 503 for entry in log)
    held = national_portal.dossiers()["dossiers"]
    for code in codes:
        messages = list(OutboxMessage.objects.filter(dossier__code=code).order_by("sequence"))
        arrived = [e["message_id"] for e in log if e["status"] == 200 and code in e["codes"]]
        assert arrived == [str(m.message_id) for m in messages]  # in order, each once
        assert [h["status"] for h in held[code]["history"]] == ["1", "2"]
        assert [p["TrangThai"] for p in held[code]["progress"]] == ["1", "2"]
        assert messages[0].attempts > 1  # retried with backoff until the portal came back
    accepted = [e for e in log if e["status"] == 200 and not e["duplicate"]]
    assert len(accepted) == 12 == len({e["message_id"] for e in accepted})


def test_a_dossier_submitted_on_the_portal_reaches_the_desk_through_the_worker(celery_worker_process, peers,
                                                                               national_portal):
    load_demo(peers)
    tasks.pull_submissions.delay()
    taken = wait_for(lambda: PortalSubmission.objects.filter(portal_code="G22.99.01-261206-0001",
                                                             acknowledged=True).first(), timeout=30)
    code = taken.dossier.code
    assert code.startswith("H29.01.01-")
    assert Actor("bennghe.receiver").item(code)["kind"] == "reception"
    wait_for(lambda: code in national_portal.dossiers()["dossiers"], timeout=30)
    assert national_portal.dossiers()["taken"]["G22.99.01-261206-0001"]["code"] == code
