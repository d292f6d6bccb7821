"""The production topology on this machine, as separate processes with production settings.

PostgreSQL (a database of its own, migrated here) and RabbitMQ (a vhost of its own); two gunicorn
instances; Celery workers per queue group (two on ``exchanges``); one beat; the stand-in peers. A birth
registration goes end to end through both web instances in turn, while one web instance and the worker
holding the dossier's exchange are killed (SIGKILL); then a rolling upgrade: with dossiers running, a new
migration is applied and every process is replaced one by one. Figures are printed (``pytest -s``).

Run by ``make test`` (marker ``topology``); needs ``DATABASE_URL`` on PostgreSQL and RabbitMQ on
127.0.0.1:5672 (``.ci/run`` starts both; ``TOPOLOGY_BROKER_URL`` points elsewhere).
"""
import itertools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import psycopg2
import pytest
import requests
from django.db import connection

from tests.conftest import BIRTH_FORM, COLLECTOR

pytestmark = pytest.mark.topology

ROOT = Path(__file__).resolve().parent.parent
VHOST = "onestop_topology"
BROKER = os.environ.get("TOPOLOGY_BROKER_URL", f"amqp://guest:guest@127.0.0.1:5672/{VHOST}")
METRICS_TOKEN = "topology-metrics-token"  # noqa: S105 - a test value
PASSWORD = "onestop-demo"  # noqa: S105 - the demo's
QUEUE_GROUPS = {"engine": "engine", "exchanges-a": "exchanges", "exchanges-b": "exchanges",
                "background": "notifications,reports"}
DECISIONS = {  # what each official does with a birth registration step (tests/test_birth_registration.py)
    ("bennghe.receiver", "reception"): ("accept", {}),
    ("bennghe.specialist", "task"): ("approve", {"review_notes": "Hồ sơ đầy đủ"}),
    ("bennghe.leader", "task"): ("sign", {}),
    ("bennghe.receiver", "return"): ("returned", COLLECTOR),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    """One process of the topology, in its own process group (a SIGKILL takes its children too)."""

    def __init__(self, name, argv, env, log_dir, url=None):
        self.name, self.url = name, url
        self.log = log_dir / f"{name}.log"
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True)

    def alive(self):
        return self.popen.poll() is None

    def kill(self):
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout=60):
        """SIGTERM: gunicorn drains its requests, Celery finishes its tasks (warm shutdown)."""
        if self.alive():
            os.kill(self.popen.pid, signal.SIGTERM)  # to the main process only, as a container stop does
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # any child left behind
        except ProcessLookupError:
            pass

    def lines(self):
        """The JSON log lines written so far."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out


class Balancer:
    """Round robin over the live web instances, as the proxy does; counts every request and failure.

    An instance is taken out (as a failing readiness probe would) before it is stopped, and stopped only
    when its requests in flight are answered: a request sent to a live process must never fail.
    """

    def __init__(self):
        self.live, self.inflight = [], {}
        self.cond = threading.Condition()
        self.turn = itertools.count()
        self.requests = self.failures = 0
        self.failed = []

    def add(self, url):
        with self.cond:
            self.live.append(url)
            self.inflight.setdefault(url, 0)

    def remove(self, url, drain=True):
        with self.cond:
            self.live.remove(url)
            if drain:
                self.cond.wait_for(lambda: self.inflight[url] == 0, timeout=60)

    def call(self, method, path, token=None, request_id=None, **kwargs):
        with self.cond:
            url = self.live[next(self.turn) % len(self.live)]
            self.inflight[url] += 1
            self.requests += 1
        headers = {"Authorization": f"Token {token}"} if token else {}
        if request_id:
            headers["X-Request-ID"] = request_id
        try:
            response = requests.request(method, url + path, headers=headers, timeout=30, **kwargs)
            if response.status_code >= 500:
                raise AssertionError(f"{response.status_code} {response.text[:300]}")
            return response
        except Exception as exc:
            with self.cond:
                self.failures += 1
                self.failed.append(f"{method} {url}{path}: {exc}")
            raise
        finally:
            with self.cond:
                self.inflight[url] -= 1
                self.cond.notify_all()


class Api:
    def __init__(self, balancer, username):
        self.balancer, self.username = balancer, username
        response = balancer.call("POST", "/api/v1/auth/token/", data={"username": username, "password": PASSWORD})
        assert response.status_code == 200, response.text
        self.token = response.json()["token"]

    def get(self, path, **params):
        response = self.balancer.call("GET", path, self.token, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path, body=None, request_id=None):
        return self.balancer.call("POST", path, self.token, request_id=request_id, json=body or {})

    def act_on(self, codes, request_id=None):
        """Claim and complete every step of these dossiers waiting in this official's queue."""
        done = []
        for item in self.get("/api/v1/work-items/", page_size=200)["results"]:
            if item["dossier"] not in codes or (self.username, item["kind"]) not in DECISIONS:
                continue
            decision, data = DECISIONS[(self.username, item["kind"])]
            claimed = self.post(f"/api/v1/work-items/{item['id']}/claim/")
            assert claimed.status_code == 200, claimed.text
            completed = self.post(f"/api/v1/work-items/{item['id']}/complete/",
                                  {"decision": decision, "data": data, "comment": ""}, request_id=request_id)
            assert completed.status_code == 200, completed.text
            done.append((item["dossier"], item["kind"], decision))
        return done


class Topology:
    def __init__(self, tmp, database_url):
        self.tmp, self.database_url = tmp, database_url
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.static = tmp / "static"
        self.processes = []

    def env(self, settings_module="onestop.settings", **extra):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": settings_module, "DEBUG": "0", "ONESTOP_REQUIRE_SECRET_KEY": "1",
            "SECRET_KEY": "topology-" + "k" * 50, "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url, "CELERY_BROKER_URL": BROKER, "DB_CONN_MAX_AGE": "60",
            "ONESTOP_COLLECTED_STATIC": "1", "STATIC_ROOT": str(self.static),
            "ONESTOP_VAR_DIR": str(self.tmp / "var"), "ONESTOP_ATTACHMENTS_ROOT": str(self.tmp / "attachments"),
            "ONESTOP_METRICS_TOKEN": METRICS_TOKEN, "LOG_FORMAT": "json", "ONESTOP_LOGIN_RATE": "1000/min",
            "ONESTOP_ANON_RATE": "10000/min", "ONESTOP_SUBMIT_RATE": "1000/hour", "PYTHONUNBUFFERED": "1",
        })
        env.update(extra)
        return env

    def manage(self, *args, settings_module="onestop.settings", **extra):
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                                env=self.env(settings_module, **extra), timeout=300)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
        return result.stdout

    def start(self, name, argv, settings_module="onestop.settings", url=None, **extra):
        process = Process(name, argv, self.env(settings_module, **extra), self.logs, url)
        self.processes.append(process)
        return process

    def web(self, name, settings_module="onestop.settings", wait=True):
        port = free_port()
        argv = [sys.executable, "-m", "gunicorn", "--config", "python:onestop.ops.gunicorn_conf",
                "--bind", f"127.0.0.1:{port}", "onestop.wsgi:application"]
        multiproc = self.tmp / f"prometheus-{name}"
        process = self.start(name, argv, settings_module, url=f"http://127.0.0.1:{port}", WEB_CONCURRENCY="2",
                             PROMETHEUS_MULTIPROC_DIR=str(multiproc))
        if wait:
            self.wait_web(process)
        return process

    def wait_web(self, process):
        self.wait(lambda: self.ready(process), f"{process.name} ready", process, timeout=180)

    def worker(self, name, queues, settings_module="onestop.settings", wait=True):
        argv = [sys.executable, "-m", "celery", "-A", "onestop", "worker", "-Q", queues, "-n", f"{name}@%h",
                "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
        process = self.start(name, argv, settings_module)
        if wait:
            self.wait_worker(process)
        return process

    def wait_worker(self, process):
        self.wait(lambda: "ready." in process.log.read_text(errors="replace"), f"{process.name} ready", process, 90)

    def beat(self, name, settings_module="onestop.settings"):
        argv = [sys.executable, "-m", "celery", "-A", "onestop", "beat", "--loglevel=INFO",
                f"--schedule={self.tmp / (name + '-schedule')}"]
        return self.start(name, argv, settings_module)

    @staticmethod
    def ready(process):
        try:
            return requests.get(process.url + "/readyz", timeout=5).status_code == 200
        except (requests.ConnectionError, requests.Timeout):  # a first answer may be slow on a busy machine
            return False

    @staticmethod
    def wait(predicate, what, process=None, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if process is not None and not process.alive():
                pytest.fail(f"{process.name} exited: {process.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}")

    def stop_all(self):
        for process in reversed(self.processes):
            process.stop(timeout=20)


def rabbitmq_vhost():
    """A fresh vhost of our own, so that no queue of another run or test is consumed or counted."""
    if shutil.which("rabbitmqctl") is None or os.environ.get("TOPOLOGY_BROKER_URL"):
        return
    subprocess.run(["rabbitmqctl", "-q", "delete_vhost", VHOST], capture_output=True, timeout=60)
    for args in (["add_vhost", VHOST], ["set_permissions", "-p", VHOST, "guest", ".*", ".*", ".*"]):
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def topology(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL on PostgreSQL (run `make test`)")
    host, port = urlsplit(BROKER).hostname, urlsplit(BROKER).port or 5672
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ is not running on {host}:{port} (.ci/run starts it)")
        pytest.skip(f"needs RabbitMQ on {host}:{port}")
    rabbitmq_vhost()

    server = connection.settings_dict
    name = os.environ.get("TEST_DATABASE_NAME", "test_onestop") + "_topology"
    admin_dsn = dict(dbname="postgres", user=server["USER"], password=server["PASSWORD"] or None,
                     host=server["HOST"] or "127.0.0.1", port=server["PORT"] or 5432)
    credentials = f"{server['USER']}:{server['PASSWORD']}" if server["PASSWORD"] else server["USER"]
    database_url = f"postgres://{credentials}@{admin_dsn['host']}:{admin_dsn['port']}/{name}"

    def recreate(create=True):
        admin = psycopg2.connect(**admin_dsn)
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if create:
                cursor.execute(f'CREATE DATABASE "{name}"')
        admin.close()

    recreate()
    topo = Topology(tmp_path, database_url)
    topo.sql = lambda query: _query(dict(admin_dsn, dbname=name), query)
    yield topo
    topo.stop_all()
    recreate(create=False)


def _query(dsn, query):
    db = psycopg2.connect(**dsn)
    try:
        with db.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall()
    finally:
        db.close()


def statuses(citizen, codes):
    page = citizen.get("/api/v1/dossiers/", page_size=200)["results"]
    return {d["code"]: d["status"] for d in page if d["code"] in codes}


def test_production_topology_survives_kills_and_a_rolling_upgrade(topology, capsys):
    started = time.monotonic()
    # The image's build steps, then the release's first migration and the demo data.
    topology.manage("collectstatic", "--noinput")
    assert (topology.static / "staticfiles.json").exists()
    port = free_port()
    peers = topology.start("peers", [sys.executable, "-m", "onestop.peers.server", "--port", str(port)])
    peers_url = f"http://127.0.0.1:{port}"
    topology.wait(lambda: "listening on" in peers.log.read_text(), "the peer service", peers)

    def peer_control(**state):
        requests.post(peers_url + "/_control", json=state, timeout=5).raise_for_status()

    topology.manage("migrate", "--noinput")
    topology.manage("seed_demo", ONESTOP_PEERS_URL=peers_url)

    web1, web2 = topology.web("web-1", wait=False), topology.web("web-2", wait=False)
    workers = {name: topology.worker(name, queues, wait=False) for name, queues in QUEUE_GROUPS.items()}
    for process in (web1, web2):
        topology.wait_web(process)
    for process in workers.values():
        topology.wait_worker(process)
    beat = topology.beat("beat")
    balancer = Balancer()
    balancer.add(web1.url)
    balancer.add(web2.url)
    up = time.monotonic() - started

    # Production static files: hashed names from the manifest, served by the app.
    page = requests.get(web1.url + "/login/", timeout=10)
    [stylesheet] = re.findall(r'href="(/static/onestop/site\.[0-9a-f]{12}\.css)"', page.text)
    assert requests.get(web2.url + stylesheet, timeout=10).status_code == 200
    assert requests.get(web1.url + "/metrics", timeout=10).status_code == 401  # not public

    # --- One dossier end to end through both instances, with a web instance and a worker killed ---
    citizen, desk = Api(balancer, "citizen1"), Api(balancer, "bennghe.receiver")
    specialist, leader = Api(balancer, "bennghe.specialist"), Api(balancer, "bennghe.leader")
    body = {"procedure": "1.001193", "agency": "q1-bennghe", "form_data": BIRTH_FORM}
    response = citizen.post("/api/v1/dossiers/", body, request_id="topology-submit-1")
    assert response.status_code == 201, response.text
    code = response.json()["code"]

    peer_control(delay=4)  # the population database is slow: the lookup is in flight when its worker dies
    assert desk.act_on({code}, request_id="topology-accept-1") == [(code, "reception", "accept")]

    def holder():
        for name in ("exchanges-a", "exchanges-b"):
            if any("run_exchange" in line.get("message", "") and "received" in line.get("message", "")
                   for line in workers[name].lines()):
                return name
    topology.wait(holder, "the lookup to reach an exchanges worker", timeout=30)
    time.sleep(1)  # inside the call to the peer
    victim = holder()
    killed_at = time.monotonic()
    workers[victim].kill()
    balancer.remove(web1.url, drain=False)
    web1.kill()
    peer_control(delay=0)
    topology.wait(lambda: specialist.act_on({code}), "the review step after the redelivered lookup", timeout=60)
    recovered = time.monotonic() - killed_at
    assert leader.act_on({code}) == [(code, "task", "sign")]
    topology.wait(lambda: statuses(citizen, {code}) == {code: "result_ready"}, "the result", timeout=60)
    assert desk.act_on({code}) == [(code, "return", "returned")]
    dossier = citizen.get(f"/api/v1/dossiers/{code}/")
    assert dossier["status"] == "returned"
    # Killed mid-call, the lookup was done again by the other worker, and applied once.
    assert [e["action"] for e in dossier["timeline"]].count("exchange_completed") == 2
    assert [(e["operator"], e["state"]) for e in dossier["exchanges"]] == [
        ("population.lookup_citizen", "succeeded"), ("civil_status.register_birth", "succeeded")]
    assert topology.sql("SELECT attempts FROM interop_exchange WHERE operator = 'population.lookup_citizen'") == [(2,)]

    # The accept request's id followed the dossier into the surviving worker's task.
    survivor = "exchanges-b" if victim == "exchanges-a" else "exchanges-a"
    traced = [line for line in workers[survivor].lines() if line.get("request_id") == "topology-accept-1"]
    assert traced and all(line["dossier"] == code for line in traced)

    metrics = requests.get(web2.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"},
                           timeout=10).text
    assert 'onestop_dossiers{status="returned"} 1.0' in metrics
    assert 'onestop_exchanges{operator="population.lookup_citizen",state="succeeded"} 1.0' in metrics
    assert re.search(r'onestop_celery_queue_length\{queue="exchanges"\} 0\.0', metrics)
    # Requests are counted per instance (summed over its gunicorn workers): web-2 took half of the steps.
    assert re.search(r'onestop_http_requests_total\{method="POST",status="200",view="work-item-complete"\} [1-9]',
                     metrics)

    # --- Rolling upgrade: the next release adds a migration; every process is replaced in turn ---
    web1 = topology.web("web-1b")
    balancer.add(web1.url)
    workers[victim] = topology.worker(victim + "-restarted", "exchanges")
    codes, stop_load, load_errors = [], threading.Event(), []

    def load():
        """Dossiers keep arriving and moving while the release rolls out."""
        try:
            for n in range(1, 61):
                if stop_load.is_set():
                    break
                response = citizen.post("/api/v1/dossiers/", body, request_id=f"topology-load-{n:04d}")
                assert response.status_code == 201, response.text
                codes.append(response.json()["code"])
                for official in (desk, specialist, leader):
                    official.act_on(set(codes))
                time.sleep(1)
        except Exception as exc:  # noqa: BLE001 - reported by the main thread
            load_errors.append(repr(exc))

    thread = threading.Thread(target=load)
    upgrade_started = time.monotonic()
    thread.start()
    time.sleep(2)
    new = "tests.topology_settings"
    topology.manage("migrate", "--noinput", settings_module=new)  # while the old release serves
    assert topology.sql("SELECT count(*) FROM topology_upgrade_releasenote") == [(0,)]
    replaced = 0
    for old_web, name in ((web1, "web-1c"), (web2, "web-2c")):
        fresh = topology.web(name, new)
        balancer.add(fresh.url)
        balancer.remove(old_web.url)  # out of the balancer, then drained, then stopped
        old_web.stop()
        replaced += 1
    for name, old_worker in list(workers.items()):
        workers[name] = topology.worker(f"{name}-new", QUEUE_GROUPS[name], new)
        old_worker.stop()  # warm shutdown: its task finishes, or goes back to the queue
        replaced += 1
    beat.stop()
    topology.beat("beat-new", new)
    replaced += 1
    upgraded = time.monotonic() - upgrade_started
    stop_load.set()
    thread.join(timeout=120)
    assert not load_errors, load_errors

    def all_returned():
        for official in (desk, specialist, leader):
            official.act_on(set(codes))
        return set(statuses(citizen, set(codes)).values()) == {"returned"}
    topology.wait(all_returned, "every dossier of the rehearsal to be returned", timeout=120)
    assert len(statuses(citizen, set(codes))) == len(codes) >= 3  # none lost
    assert balancer.failures == 0, balancer.failed
    assert topology.sql("SELECT count(*) FROM dossiers_dossier WHERE status = 'returned'") == [(len(codes) + 1,)]

    with capsys.disabled():
        print(f"\ntopology: up in {up:.1f} s; lookup redelivered and dossier resumed {recovered:.1f} s after "
              f"SIGKILL of {victim} and web-1; rolling upgrade of {replaced} processes in "
              f"{upgraded:.1f} s with {len(codes)} dossiers running; {balancer.requests} requests, "
              f"{balancer.failures} failed; total {time.monotonic() - started:.1f} s")
