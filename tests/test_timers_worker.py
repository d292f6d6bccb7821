"""A due timer fires in the background: a real Celery worker (four threads) and a beat-like loop sending
``fire_due_timers`` several at a time, on PostgreSQL (``make test``: Redis, PostgreSQL)."""
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from onestop.deadlines.models import Timer
from onestop.dossiers.models import DossierEvent
from onestop.dossiers.tasks import fire_due_timers
from procedures import services as procedure_services
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit, wait_for
from tests.test_timers import TIMERS_BPMN

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_due_timer_fires_once_in_the_background(celery_worker_process, peers):
    load_demo(peers)
    procedure_services.import_bpmn(TIMERS_BPMN.encode(), "1.001193", publish=True)
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    Actor("bennghe.receiver").act(code, "accept")
    slow = Timer.objects.get(dossier__code=code, spec_id="slow")
    assert slow.state == "pending"
    # Its four working hours have passed.
    Timer.objects.filter(pk=slow.pk).update(due_at=timezone.now() - timedelta(seconds=1))

    def beat_tick():
        for _ in range(4):  # four deliveries at once: the worker's four threads race for the timer
            fire_due_timers.delay()
        return Timer.objects.get(pk=slow.pk).state == "fired"

    wait_for(beat_tick, timeout=60, interval=0.5)
    leader = Actor("bennghe.leader")
    assert leader.item(code)["task_spec_id"] == "follow_up"
    # Beat goes on ticking (or restarts): nothing fires twice.
    for _ in range(3):
        beat_tick()
    time.sleep(2)  # let the worker take those deliveries
    assert DossierEvent.objects.filter(dossier__code=code, action="timer_fired").count() == 1
    assert Timer.objects.get(dossier__code=code, spec_id="late").state == "pending"
