"""Notifications sent in the background by a real Celery worker (``make test``: Redis, PostgreSQL)."""
import pytest
from django.contrib.auth import get_user_model

from onestop.notifications.models import Notification
from tests.conftest import BIRTH_FORM, Actor, load_demo, submit, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_the_worker_sends_the_citizens_message_after_the_desk_accepts(celery_worker_process, peers):
    load_demo(peers)
    get_user_model().objects.filter(username="citizen1").update(email="an.nguyen@example.com")
    citizen = Actor("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]

    Actor("bennghe.receiver").act(code, "accept")

    sent = wait_for(lambda: Notification.objects.filter(dossier__code=code, template="received",
                                                        state="sent").first())
    assert (sent.channel, sent.address, sent.attempts) == ("email", "an.nguyen@example.com", 1)
    assert sent.sent_at is not None
    assert citizen.get(f"/api/v1/dossiers/{code}/notifications/").json()["results"][0]["state"] == "sent"
