"""Shared fixtures: the demo data, API clients acting as the demo's users, and the Celery worker.

Background work: tests marked ``worker`` run against a real Celery worker process on the broker of
``CELERY_BROKER_URL`` (``make test`` sets Redis), on committed data. Other tests run Celery tasks
eagerly, at the commit of the request that enqueued them.
"""
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase
from rest_framework.test import APIClient

from onestop import celery_app
from onestop.demo.samples import BIRTH_FORM, COLLECTOR  # noqa: F401 (the tests import them from here)
from onestop.demo.seed import seed
from onestop.interop.models import Peer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits (submissions per user, lookups and logins per address) count in Django's cache: each test
    starts with none spent, whatever the tests before it did."""
    from django.core.cache import cache

    from onestop.core import refcache

    cache.clear()
    refcache.clear_all()  # reference data kept per process: the database it came from is rolled back


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Outside ``worker`` tests, run tasks in-process so each test stays in its transaction."""
    eager = request.node.get_closest_marker("worker") is None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real ``celery worker`` on the test database and the configured broker."""
    broker = os.environ.get("CELERY_BROKER_URL")
    if not broker or connection.vendor != "postgresql":
        pytest.skip("needs CELERY_BROKER_URL and PostgreSQL (run `make test`)")
    settings_dict = connection.settings_dict
    database_url = (f"postgres://{settings_dict['USER']}@{settings_dict['HOST'] or '127.0.0.1'}:"
                    f"{settings_dict['PORT'] or 5432}/{settings_dict['NAME']}")
    log = tmp_path_factory.mktemp("celery") / "worker.log"
    celery_app.control.purge()
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "onestop", "worker", "--pool=threads", "--concurrency=4",
         "--loglevel=INFO", "-Q", ",".join(django_settings.ONESTOP_CELERY_QUEUES),  # every queue
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        # Each test seeds the database anew under the same worker: no reference data kept between them.
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
                       "ONESTOP_REFCACHE_SECONDS": "0"},
        stdout=log.open("ab"), stderr=subprocess.STDOUT,  # logs go through Django's LOGGING, to stderr
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Celery worker exited: {log.read_text() if log.exists() else ''}")
        if celery_app.control.ping(timeout=0.5):
            break
    else:
        process.terminate()
        pytest.fail("the Celery worker did not answer within 60 s")
    yield process
    process.terminate()
    process.wait(timeout=30)


@pytest.fixture(autouse=True)
def _worker_idle_before_flush(request):
    """A ``worker`` test ends when the worker has no task running: the test database is then emptied (TRUNCATE
    of every table), which deadlocks with a task still writing. Set up after the database, so torn down first."""
    if request.node.get_closest_marker("worker") is None or "celery_worker_process" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        active = celery_app.control.inspect(timeout=1, limit=1).active() or {}  # one worker: its answer
        if not any(active.values()):
            return
        time.sleep(0.2)


def wait_for(predicate, timeout=30.0, interval=0.1):
    """Poll until ``predicate()`` is true; the background worker commits on its own schedule."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for the worker")


class PeerService:
    """The stand-in agency systems (``onestop.peers``), a real HTTP server on loopback."""

    def __init__(self, url):
        self.url = url

    def control(self, **state):
        self._post("/_control", state)

    def reset(self):
        self._post("/_control/reset", {})

    def log(self):
        with urllib.request.urlopen(self.url + "/_control/log", timeout=5) as response:
            return json.load(response)["requests"]

    def _post(self, path, body):
        request = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).close()


@pytest.fixture(scope="session")
def peer_service():
    process = subprocess.Popen([sys.executable, "-m", "onestop.peers.server", "--host", "127.0.0.1", "--port", "0"],
                               cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if "listening on " not in line:
        process.kill()
        pytest.fail(f"the peer service did not start: {line!r}")
    yield PeerService(line.split("listening on ", 1)[1])
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def peers(peer_service):
    peer_service.reset()
    return peer_service


def load_demo(peers):
    """The demo data, with its peer systems pointed at the test's peer service."""
    seed()
    # Quick retries in tests; the demo's defaults are seconds apart.
    Peer.objects.update(base_url=peers.url, backoff_seconds=0.05, max_attempts=3, read_timeout=5)


@pytest.fixture
def demo(db, peers):
    load_demo(peers)


class Actor:
    """A demo user talking to the API."""

    def __init__(self, username):
        self.user = get_user_model().objects.get(username=username)
        self.client = APIClient()
        self.client.force_authenticate(self.user)

    def get(self, url, **params):
        return self.client.get(url, params)

    def post(self, url, data=None):
        # Outside transactional tests nothing commits: run the on-commit work (enqueueing) here.
        if connection.in_atomic_block:
            with TestCase.captureOnCommitCallbacks(execute=True):
                return self.client.post(url, data or {}, format="json")
        return self.client.post(url, data or {}, format="json")

    def queue(self, **params):
        response = self.get("/api/v1/work-items/", **params)
        assert response.status_code == 200, response.content
        return response.json()["results"]

    def item(self, code):
        """The one active step of dossier ``code`` in this user's queue."""
        items = [i for i in self.queue(page_size=200) if i["dossier"] == code]
        assert len(items) == 1, f"{self.user.username} sees {len(items)} steps of {code}: {items}"
        return items[0]

    def act(self, code, decision, data=None, comment=""):
        """Claim the dossier's step in this user's queue and complete it."""
        item = self.item(code)
        if decision == "returned":  # the result is handed to someone the desk names
            data = {**COLLECTOR, **(data or {})}
        response = self.post(f"/api/v1/work-items/{item['id']}/claim/")
        assert response.status_code == 200, response.content
        response = self.post(
            f"/api/v1/work-items/{item['id']}/complete/",
            {"decision": decision, "data": data or {}, "comment": comment},
        )
        assert response.status_code == 200, response.content
        return item

    def dossier(self, code):
        response = self.get(f"/api/v1/dossiers/{code}/")
        assert response.status_code == 200, response.content
        return response.json()


@pytest.fixture
def as_user(demo):
    cache = {}

    def get(username):
        if username not in cache:
            cache[username] = Actor(username)
        return cache[username]

    return get




def submit(actor, procedure, agency, form):
    response = actor.post("/api/v1/dossiers/", {"procedure": procedure, "agency": agency, "form_data": form})
    assert response.status_code == 201, response.content
    return response.json()


def stalled_at_lookup(peers):
    """The code of a birth registration whose population lookup failed: the registry was down when the desk
    accepted it, so an incident is open on it."""
    code = submit(Actor("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    peers.control(down=True)
    try:
        Actor("bennghe.receiver").act(code, "accept")
    finally:
        peers.control(down=False)
    return code


class NationalPortalService(PeerService):
    """The stand-in National Public Service Portal (``onestop.peers.national_portal``) on loopback."""

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=5) as response:
            return json.load(response)

    def dossiers(self):
        return self.get("/_control/dossiers")

    def add_submission(self, record):
        request = urllib.request.Request(self.url + "/_control/submissions", data=json.dumps(record).encode(),
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)


@pytest.fixture(scope="session")
def national_portal_service():
    process = subprocess.Popen([sys.executable, "-m", "onestop.peers.national_portal", "--host", "127.0.0.1",
                                "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if "listening on " not in line:
        process.kill()
        pytest.fail(f"the national portal stand-in did not start: {line!r}")
    yield NationalPortalService(line.split("listening on ", 1)[1])
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def national_portal(national_portal_service, db):
    """The stand-in portal, emptied, and our link to it (quick retries, as in tests)."""
    from django.core.management import call_command

    from onestop.nationalportal.models import PortalLink

    national_portal_service.reset()
    call_command("configure_national_portal", "--url", national_portal_service.url, stdout=open(os.devnull, "w"))
    PortalLink.objects.update(backoff_seconds=0.2, backoff_max_seconds=1.0, max_attempts=40, read_timeout=5)
    return national_portal_service


@pytest.fixture(scope="session")
def platform_service(peer_service):
    """The stand-in data-sharing platform (``onestop.peers.platform``), forwarding to the peer service."""
    providers = ",".join(f"{code}={peer_service.url}" for code in ("population", "business_registry",
                                                                   "land_registry"))
    process = subprocess.Popen([sys.executable, "-m", "onestop.peers.platform", "--host", "127.0.0.1", "--port", "0",
                                "--providers", providers], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline().strip()
    if "listening on " not in line:
        process.kill()
        pytest.fail(f"the platform stand-in did not start: {line!r}")
    yield NationalPortalService(line.split("listening on ", 1)[1])
    process.terminate()
    process.wait(timeout=10)


def route_through_platform(platform_service):
    """Every peer of the demo reached through the stand-in platform: configuration only."""
    from onestop.interop import httpsig
    from onestop.interop.models import Platform

    platform = Platform.objects.create(
        code="lgsp-hcm", name="LGSP Thành phố Hồ Chí Minh", gateway_url=platform_service.url,
        consumer_code="000.00.00.H29",
        platform_keys={"lgsp-demo": httpsig.public_key_text(httpsig.demo_private_key("lgsp"))})
    for peer in Peer.objects.all():
        peer.platform, peer.provider_code = platform, peer.code
        peer.save(update_fields=["platform", "provider_code"])
    return platform
