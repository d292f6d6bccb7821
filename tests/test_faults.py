"""Faults: the short version of each fault script (bench/faults/, docs/faults.md) on a private stack of
processes, and the fixes they led to, checked on their own."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from onestop.dossiers.models import Incident
from onestop.interop import services as interop
from onestop.interop.models import Exchange, Peer
from tests.conftest import BIRTH_FORM, submit

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def accept(as_user, code):
    desk = as_user("bennghe.receiver")
    response = desk.post(f"/api/v1/work-items/{desk.item(code)['id']}/complete/", {"decision": "accept"})
    assert response.status_code == 200, response.content
    return Exchange.objects.get(dossier__code=code)


def test_a_broker_that_is_down_does_not_turn_a_committed_accept_into_an_error(as_user, peers):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    with mock.patch("onestop.interop.tasks.run_exchange.apply_async", side_effect=OperationalError("refused")):
        exchange = accept(as_user, code)
    assert exchange.state == "pending" and exchange.attempts == 0
    # The broker is back: beat's sweeper sends the lost task, and the dossier moves on.
    assert interop.requeue_stale(timedelta(0)) == 1
    exchange.refresh_from_db()
    assert exchange.state == "succeeded"
    assert as_user("bennghe.specialist").item(code)["task_spec_id"] == "review"


def test_the_sweeper_leaves_an_exchange_alone_until_its_retry_is_overdue(as_user, peers):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    with mock.patch("onestop.interop.tasks.run_exchange.apply_async"):
        exchange = accept(as_user, code)
    # One failed attempt 10 s ago; the population peer waits 5 s before the second.
    Peer.objects.filter(code="population").update(backoff_seconds=5)
    Exchange.objects.filter(pk=exchange.pk).update(attempts=1, last_attempt_at=timezone.now() - timedelta(seconds=10))
    assert interop.stale_pending(timedelta(seconds=8)) == []
    assert interop.stale_pending(timedelta(seconds=4)) == [exchange.pk]
    assert "requeue-stale-exchanges" in settings.CELERY_BEAT_SCHEDULE


def test_garbage_from_a_peer_gives_an_incident_with_the_reason(as_user, peers):
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    peers.control(garbage=True)
    exchange = accept(as_user, code)
    assert exchange.state == "failed" and exchange.attempts == 1
    assert "not trustworthy" in exchange.error
    assert "\x00" not in exchange.response_body and "Service Unavailable" in exchange.response_body
    assert Incident.objects.get(dossier__code=code, resolved_at__isnull=True).exchange == exchange


def test_database_lost_mid_request_gives_a_clear_503_not_a_bare_500(as_user):
    from django.db import OperationalError as DatabaseDown

    citizen = as_user("citizen1")
    lost = DatabaseDown('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    with mock.patch("onestop.dossiers.lifecycle.submit", side_effect=lost):
        response = citizen.post("/api/v1/dossiers/", {"procedure": "1.001193", "agency": "q1-bennghe",
                                                      "form_data": BIRTH_FORM})
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json()["detail"].startswith("Hệ thống tạm gián đoạn")


# --- the fault scripts, short ----------------------------------------------------------------------------

def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def fault_env():
    """Free ports for the private PostgreSQL and Redis, and one migrated cluster the scripts copy."""
    if not (PG_BIN / "initdb").exists() or not shutil.which("redis-server"):
        pytest.skip(f"needs PostgreSQL server binaries in {PG_BIN} (PG_BIN) and redis-server")
    template = Path(tempfile.mkdtemp(prefix="onestop-faults-template-"))  # the postgres user must reach it
    if os.geteuid() == 0:
        shutil.chown(template, "postgres")
    env = {**os.environ, "FAULTS_TEMPLATE": str(template), "FAULTS_PG_PORT": str(_free_port()),
           "FAULTS_REDIS_PORT": str(_free_port())}
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "TEST_DATABASE_NAME"):
        env.pop(name, None)
    yield env
    shutil.rmtree(template, ignore_errors=True)


def run_fault(name, env):
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "faults" / f"{name}.py"), "--short"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    figures = json.loads((ROOT / "bench" / "results" / f"faults-{name}.json").read_text())
    assert figures["accepted"] > 0 and figures["recovered"]
    assert (figures["lost"], figures["duplicated"], figures["inconsistent"]) == (0, 0, 0), figures["problems"]
    assert figures["dossiers_found"] == figures["accepted"] + figures["unacknowledged_but_created"]
    # Each accepted dossier tells its citizen by email and SMS: every message due left the backends.
    assert figures["messages_lost"] == 0 and figures["messages_sent"] == figures["messages_expected"] > 0
    assert figures["messages_sent_twice"] <= figures["messages_twice_allowed"]
    return figures


@pytest.mark.faults
def test_worker_killed_mid_exchange_loses_and_doubles_nothing(fault_env):
    figures = run_fault("worker_kill", fault_env)
    assert figures["kills"] >= 2
    assert figures["exchanges"] == {"succeeded": 2 * figures["dossiers_found"]}


@pytest.mark.faults
def test_broker_restarted_empty_every_exchange_is_sent_again(fault_env):
    figures = run_fault("broker", fault_env)
    assert figures["exchanges"] == {"succeeded": 2 * figures["dossiers_found"]}


@pytest.mark.faults
def test_postgresql_restarted_refuses_during_the_outage_and_recovers(fault_env):
    figures = run_fault("postgres", fault_env)
    assert figures["first_accept_after_fault_s"] is not None


@pytest.mark.faults
def test_peer_that_hangs_is_slow_then_answers_garbage(fault_env):
    figures = run_fault("peer", fault_env)
    assert figures["statuses"] == {"returned": figures["dossiers_found"]}


@pytest.mark.faults
def test_beat_restarted_fires_each_due_timer_once(fault_env):
    figures = run_fault("beat", fault_env)
    assert figures["timers_due_at_restart"] > 0
    assert figures["timers"].get("fired", 0) > 0 and figures["timers_fired_twice"] == 0
