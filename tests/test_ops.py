"""Operations: probes, metrics, request ids in logs, queue routing, the worker health check."""
import json
import logging
import os
import re
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.test import Client

from onestop import celery_app
from onestop.ops import context
from onestop.ops.logging import ContextFilter, JsonLogFormatter
from tests.conftest import BIRTH_FORM, submit

TOKEN = "s3cret-metrics-token"  # noqa: S105 - a test value


def test_healthz_answers_a_probe_that_calls_the_pod_by_its_address():
    # Kubernetes calls http://<pod ip>:8000/healthz: that host is not in ALLOWED_HOSTS.
    response = Client().get("/healthz", HTTP_HOST="10.42.0.17:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_database_and_broker(settings, monkeypatch):
    response = Client().get("/readyz", HTTP_HOST="10.42.0.17:8000")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}

    # A broker that does not answer takes the instance out of the load balancer.
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    monkeypatch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")  # nothing listens there
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "checks": {"database": "ok", "broker": "unavailable"}}


@pytest.mark.django_db
def test_metrics_are_not_public_in_production(settings):
    settings.DEBUG = False
    settings.ONESTOP_METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    settings.ONESTOP_METRICS_TOKEN = TOKEN
    assert Client().get("/metrics").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def scrape(settings):
    settings.ONESTOP_METRICS_TOKEN = TOKEN
    settings.ONESTOP_METRICS_STATE_SECONDS = 0  # each scrape reads the database again
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_metrics_count_dossiers_work_items_exchanges_and_requests(as_user, settings):
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    text = scrape(settings)
    assert 'onestop_dossiers{status="submitted"} 1.0' in text
    assert 'onestop_dossiers{status="processing"} 0.0' in text
    assert 'onestop_work_items_waiting{agency="q1-bennghe",state="open"} 1.0' in text
    assert 'onestop_http_requests_total{method="POST",status="201",view="dossier-list"}' in text
    assert 'onestop_http_request_duration_seconds_bucket{le="+Inf",method="POST",view="dossier-list"}' in text

    desk.act(code, "accept")  # the population database is asked for the mother's record
    text = scrape(settings)
    assert 'onestop_dossiers{status="submitted"} 0.0' in text
    assert 'onestop_dossiers{status="processing"} 1.0' in text
    assert 'onestop_work_items_waiting{agency="q1-bennghe",state="open"} 1.0' in text  # now the review
    assert 'onestop_exchanges{operator="population.lookup_citizen",state="succeeded"} 1.0' in text
    assert 'onestop_exchange_duration_seconds_count{operator="population.lookup_citizen"} 1.0' in text
    assert 'onestop_exchange_duration_seconds_bucket{le="+Inf",operator="population.lookup_citizen"} 1.0' in text
    assert "onestop_incidents_open 0.0" in text
    assert "onestop_celery_queue_length" not in text  # the demo and these tests have no broker to ask


def test_request_id_is_echoed_and_on_the_log_lines(as_user, caplog):
    citizen = as_user("citizen1")
    caplog.set_level(logging.INFO, logger="onestop.requests")
    response = citizen.client.get("/api/v1/dossiers/", HTTP_X_REQUEST_ID="proxy-7f3a9c2e")
    assert response["X-Request-ID"] == "proxy-7f3a9c2e"
    [line] = [r for r in caplog.records if r.name == "onestop.requests"]
    assert (line.request_id, line.status, line.view, line.user) == ("proxy-7f3a9c2e", 200, "dossier-list", "citizen1")

    # An id that could forge log lines is replaced by one of ours.
    response = citizen.client.get("/api/v1/dossiers/", HTTP_X_REQUEST_ID='x"}\n{"level": "ERROR"')
    assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()


def test_log_lines_of_a_dossier_name_it(as_user, caplog):
    citizen = as_user("citizen1")
    caplog.set_level(logging.INFO, logger="onestop.requests")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    [line] = [r for r in caplog.records if r.name == "onestop.requests"]
    assert line.dossier == code  # learnt from the audit event of the submission


def test_json_log_line():
    record = logging.LogRecord("onestop.x", logging.WARNING, __file__, 1, "peer %s slow", ("population",), None)
    tokens = context.bind("req-12345678", "H29.01.01-261125-0001")
    try:
        ContextFilter().filter(record)
    finally:
        context.reset(tokens)
    line = json.loads(JsonLogFormatter().format(record))
    assert line["message"] == "peer population slow"
    assert (line["level"], line["logger"]) == ("WARNING", "onestop.x")
    assert (line["request_id"], line["dossier"]) == ("req-12345678", "H29.01.01-261125-0001")
    assert line["time"].endswith("+00:00")


@pytest.mark.parametrize("task, queue", [
    ("onestop.interop.tasks.run_exchange", "exchanges"),
    ("onestop.notifications.tasks.send", "notifications"),
    ("onestop.reports.tasks.export", "reports"),
    ("onestop.deadlines.tasks.check_deadlines", "engine"),
    ("onestop.dossiers.tasks.anything_new", "engine"),
])
def test_tasks_are_routed_to_their_queue_by_module(task, queue):
    options = celery_app.amqp.router.route({}, task, (), {})
    assert options["queue"].name == queue


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_worker_health_command(celery_worker_process):
    [reply] = celery_app.control.ping(timeout=2)
    [node] = reply
    call_command("worker_health", "--node", node, "--timeout", "3")
    with pytest.raises(CommandError, match="did not answer"):
        call_command("worker_health", "--node", "celery@no-such-host", "--timeout", "1")


def test_requeue_exchanges_finishes_an_exchange_whose_message_was_lost(as_user):
    citizen, desk, officer = as_user("citizen1"), as_user("bennghe.receiver"), as_user("bennghe.specialist")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    item = desk.item(code)
    assert desk.post(f"/api/v1/work-items/{item['id']}/claim/").status_code == 200
    # Accepted, but the job of the population lookup never reaches a worker (a broker that lost it).
    response = desk.client.post(f"/api/v1/work-items/{item['id']}/complete/", {"decision": "accept"}, format="json")
    assert response.status_code == 200
    assert citizen.dossier(code)["exchanges"][0]["state"] == "pending"
    assert not [i for i in officer.queue() if i["dossier"] == code]

    out = StringIO()
    call_command("requeue_exchanges", "--older-than", "5", stdout=out)
    assert out.getvalue().strip() == "0 exchange(s) enqueued again"  # too recent: maybe waiting for a retry
    call_command("requeue_exchanges", "--older-than", "0", stdout=out)
    assert "1 exchange(s) enqueued again" in out.getvalue()
    assert citizen.dossier(code)["exchanges"][0]["state"] == "succeeded"
    assert officer.item(code)["name"].startswith("Thẩm định")


@pytest.mark.worker  # a real broker (tasks not eager), no worker needed
@pytest.mark.django_db
def test_metrics_show_celery_queue_lengths(settings):
    if not os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("needs CELERY_BROKER_URL (run `make test`)")
    queue = "onestop-ops-test"  # consumed by no worker
    settings.ONESTOP_CELERY_QUEUES = [queue]
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_declare(queue=queue, durable=True, auto_delete=False)
        conn.default_channel.queue_purge(queue)
    try:
        for _ in range(3):
            celery_app.send_task("onestop.reports.tasks.nothing", queue=queue)
        assert f'onestop_celery_queue_length{{queue="{queue}"}} 3.0' in scrape(settings)
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_delete(queue)


def test_alert_rules_use_metrics_that_exist(as_user, settings):
    """deploy/prometheus/alerts.yml names only metrics that /metrics serves (after some activity)."""
    citizen, desk = as_user("citizen1"), as_user("bennghe.receiver")
    desk.act(submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"], "accept")
    served = set(re.findall(r"^(onestop_\w+)", scrape(settings), re.M))
    rules = yaml.safe_load((Path(__file__).parent.parent / "deploy" / "prometheus" / "alerts.yml").read_text())
    used = {name for group in rules["groups"] for rule in group["rules"]
            for name in re.findall(r"\b(onestop_\w+)", rule["expr"])}
    assert used and used - {"onestop_celery_queue_length"} <= served  # queue lengths: with a broker only


@pytest.mark.django_db
def test_request_metrics_labels_are_bounded(settings):
    Client().generic("BREW", "/no/such/page/12345")
    text = scrape(settings)
    assert 'method="other",status="404",view="unmatched"' in text
    # In no label (a sample's value may hold those digits by chance: a duration, a timestamp).
    assert not re.findall(r"\{[^}]*(?:BREW|12345)[^}]*\}", text)


def test_a_web_process_is_ready_before_its_first_request():
    """A worker imports every view and builds the reversing tables of each language at boot (onestop.wsgi),
    with no database: its first request does not pay for them."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "import onestop.wsgi\n"
        "from django.db import connections\n"
        "from django.urls import get_resolver\n"
        "assert 'onestop.dossiers.api' in sys.modules and 'onestop.reports.api' in sys.modules\n"
        "assert {'vi', 'en'} <= set(get_resolver()._reverse_dict), get_resolver()._reverse_dict.keys()\n"
        "assert all(c.connection is None for c in connections.all(initialized_only=True))\n"
        "assert 'openpyxl' not in sys.modules\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "onestop.settings",
           "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}  # no database to be had
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "could not prepare" not in done.stderr


def test_a_fault_while_warming_up_is_logged_not_raised(monkeypatch, caplog):
    from onestop.ops import warmup

    def broken():
        raise RuntimeError("broken URL configuration")

    monkeypatch.setattr(warmup, "get_resolver", broken)
    with caplog.at_level(logging.ERROR, logger="onestop.ops.warmup"):
        warmup.warm_up()
    assert "could not prepare itself" in caplog.text
