"""What every fault script shares: a private stack of separate processes, a load of citizens and
officials driving birth registrations through the HTTP API, the checks after the fault, and the report.

The stack is this run's own, so a fault hits nobody else on the machine:

- a PostgreSQL cluster made with ``initdb`` in a temporary folder, on its own port (55432 by default);
- a ``redis-server`` on its own port (56379), the Celery broker, without persistence: stopping it loses
  every message it holds, the worst case for a broker restart;
- the peer stand-in (``python -m onestop.peers.server --port 0``) for the population database;
- gunicorn (2 sync workers), one Celery worker (prefork, 2 children, all queues) and Celery beat.
- mail and SMS backends (``outbox.py``) that append each message the worker sends to one file, from which the
  checks count the citizens' messages sent, lost and sent twice.

Redis hands a message a dead worker took back only after the visibility timeout: the stack sets it to
20 s (10 s short; ``CELERY_VISIBILITY_TIMEOUT``), and beat sweeps pending exchanges nobody has touched for
30 s (15 s short; ``ONESTOP_EXCHANGE_STALE_MINUTES``) every 5 s. Production keeps the defaults (one hour,
ten minutes).
"""
import argparse
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from onestop.demo.samples import BIRTH_FORM, data_for  # noqa: E402 (the child's name carries each submission's number)

RESULTS_DIR = ROOT / "bench" / "results"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("FAULTS_REDIS_PORT", "56379"))
DB_NAME = "onestop_faults"
PROCEDURE = "1.001193"
WARDS = {"q1-bennghe": "bennghe", "q1-benthanh": "benthanh"}
# The decision an official takes on each step of the birth registration (bpmn/birth_registration.bpmn).
DECISIONS = {"reception": "accept", "review": "approve", "sign_certificate": "sign", "return": "returned"}
ROLES = ("receiver", "specialist", "leader")
CITIZENS = 60  # spread so that the per-citizen submission limit is not what a long run measures
WORKER_CONCURRENCY = 2  # prefork children of the Celery worker: each may die in the middle of a batch of messages
MESSAGES_TIMEOUT = 60  # seconds allowed after the dossiers are done for their last messages to be sent


class FaultFailure(Exception):
    """The run could not do what it should (a service did not start...); the message says what."""


def log(message):
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def parse_args(name, doc, full, short):
    """Options of a fault script; ``full`` and ``short`` are its default durations (seconds)."""
    parser = argparse.ArgumentParser(prog=f"bench/faults/{name}.py", description=doc.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the short version run by the test suite")
    parser.add_argument("--fault-seconds", type=float, help=f"how long the fault lasts (default {full}, short {short})")
    parser.add_argument("--rate", type=float, help="submissions per second (default 4, short 2)")
    parser.add_argument("--drain-timeout", type=float, default=240, help="seconds allowed to recover (default 240)")
    parser.add_argument("--keep", action="store_true", help="keep the private cluster's folder afterwards")
    args = parser.parse_args()
    args.fault_seconds = args.fault_seconds or (short if args.short else full)
    args.rate = args.rate or (2.0 if args.short else 4.0)
    args.warmup = 5 if args.short else 20
    return args


# --- processes -------------------------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Proc:
    """A child process in its own process group, its output in a log file; stopped on exit."""

    def __init__(self, name, command, env, logdir):
        self.name, self.command, self.env, self.logfile = name, command, env, logdir / f"{name}.log"
        self.proc = None

    def start(self, stdout=None):
        log_handle = self.logfile.open("a")
        self.proc = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=stdout or log_handle,
                                     stderr=log_handle, start_new_session=True, text=True)
        log_handle.close()
        return self

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Send ``sig`` to the whole group (a Celery master and its children die together)."""
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def stop(self, timeout=20):
        if not self.alive():
            return
        self.kill(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.proc.wait()


class Postgres:
    """A private cluster: initdb as the postgres user in ``folder``, on ``port``, reached over TCP."""

    def __init__(self, folder, port):
        self.folder, self.port = folder, port
        self.data = folder / "pgdata"
        self.logfile = folder / "postgres.log"

    def _run(self, *command, check=True):
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, check=check)

    def init(self, template=None):
        """A new cluster, or a copy of ``template`` (a stopped cluster's folder, migrated and seeded)."""
        if port_open(self.port):
            raise FaultFailure(f"port {self.port} is taken: set FAULTS_PG_PORT to a free one")
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        if template is not None:
            self._run("cp", "-a", str(template), str(self.data))
            self.start()
            return
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync")
        self.start()
        self._run(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DB_NAME)

    def start(self):
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.logfile), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self, mode="fast"):
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/{DB_NAME}"


class Redis:
    """A private redis-server without persistence (``--save '' --appendonly no``)."""

    def __init__(self, folder, port):
        self.folder, self.port, self.proc = folder, port, None

    def start(self):
        if port_open(self.port):
            raise FaultFailure(f"port {self.port} is taken: set FAULTS_REDIS_PORT to a free one")
        with (self.folder / "redis.log").open("a") as out:
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.folder)], stdout=out, stderr=out, start_new_session=True)
        wait_until(lambda: port_open(self.port), 20, "redis-server to listen")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        wait_until(lambda: not port_open(self.port), 20, "redis-server to stop")

    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def wait_until(predicate, timeout, what, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:  # noqa: BLE001, S110 - a service coming up fails a few probes
            pass
        time.sleep(interval)
    raise FaultFailure(f"timed out after {timeout:g} s waiting for {what}")


# --- the stack -------------------------------------------------------------------------------------------

class Stack:
    """PostgreSQL, Redis, peers, gunicorn, a Celery worker and beat, all this run's own."""

    def __init__(self, name, keep=False, extra_env=None, short=False):
        self.name, self.keep, self.short = name, keep, short
        self.folder = Path(tempfile.mkdtemp(prefix=f"onestop-faults-{name}-"))
        self.logdir = RESULTS_DIR / f"faults-{name}-logs"
        shutil.rmtree(self.logdir, ignore_errors=True)
        self.logdir.mkdir(parents=True)
        self.outbox = self.logdir / "outbox.jsonl"
        self.pg = Postgres(self.folder, PG_PORT)
        self.redis = Redis(self.folder, REDIS_PORT)
        self.extra_env = extra_env or {}
        self.web = self.worker = self.beat = self.peers = None
        self.workers_started = 0
        self.supervisor_restarts = []  # exit codes of workers that died on their own and were restarted
        self.stopping = threading.Event()

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _start(self):
        log(f"private PostgreSQL on port {PG_PORT}, Redis on {REDIS_PORT}, files in {self.folder}")
        # run_all.py migrates and seeds one cluster, kept stopped in FAULTS_TEMPLATE; each script copies it.
        template = Path(os.environ["FAULTS_TEMPLATE"]) / "pgdata" if os.environ.get("FAULTS_TEMPLATE") else None
        self.pg.init(template if template is not None and template.exists() else None)
        self.redis.start()
        self.peers = Proc("peers", [sys.executable, "-m", "onestop.peers.server", "--host", "127.0.0.1",
                                    "--port", "0"], dict(os.environ), self.logdir).start(stdout=subprocess.PIPE)
        ready, _w, _x = select.select([self.peers.proc.stdout], [], [], 30)
        found = re.search(r"https?://\S+", self.peers.proc.stdout.readline() if ready else "")
        if not found:
            raise FaultFailure("the peer stand-in did not say where it listens")
        self.peers_url = found.group(0)
        self.web_port = free_port()
        self.env = self._env()
        # A copy still migrates: the code may have a migration the template has not (a run takes a while).
        copied = template is not None and template.exists()
        for command in [["migrate", "--noinput"]] + ([] if copied else [["seed_demo"]]):
            done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=self.env,
                                  capture_output=True, text=True)
            if done.returncode:
                raise FaultFailure(f"manage.py {command[0]} failed:\n{done.stdout}{done.stderr}")
        os.environ.update(self.env)  # this process reads the same database for the checks
        import django

        django.setup()
        self.tokens = make_users()
        from onestop.interop.models import Peer

        Peer.objects.update(base_url=self.peers_url)  # the stand-in's port is new in every run
        if template is not None and not template.exists():
            self._save_template(template)
        self.web = Proc("gunicorn", [sys.executable, "-m", "gunicorn", "onestop.wsgi:application", "--bind",
                                     f"127.0.0.1:{self.web_port}", "--workers", "2", "--timeout", "60",
                                     "--log-level", "warning"], self.env, self.logdir).start()
        wait_until(lambda: port_open(self.web_port), 60, "gunicorn")
        self.start_worker()
        self.start_beat()
        threading.Thread(target=self._supervise, daemon=True).start()

    def _supervise(self, grace=3.0):
        """Restart a worker that exited on its own, as compose (``restart: unless-stopped``) or Kubernetes
        would. A fault that kills the worker itself starts the next one sooner than ``grace``."""
        dead_since = None
        while not self.stopping.wait(1.0):
            worker = self.worker
            if worker.alive():
                dead_since = None
                continue
            dead_since = dead_since or time.monotonic()
            if time.monotonic() - dead_since >= grace and worker is self.worker:
                code = worker.proc.returncode
                log(f"worker {worker.pid} exited on its own (code {code}); restarted as a supervisor would")
                self.supervisor_restarts.append(code)
                self.start_worker()
                dead_since = None

    def _save_template(self, template):
        from django.db import connections

        connections.close_all()
        self.pg.stop("fast")
        self.pg._run("cp", "-a", str(self.pg.data), str(template))
        self.pg.start()

    def _env(self):
        env = dict(os.environ)
        env.update({
            "DATABASE_URL": self.pg.url(), "CELERY_BROKER_URL": self.redis.url(), "DEBUG": "0",
            "DB_CONN_MAX_AGE": "60", "LOG_LEVEL": "WARNING", "ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_SETTINGS_MODULE": "onestop.settings", "ONESTOP_PEERS_URL": self.peers_url,
            "ONESTOP_LOGIN_RATE": "100000/min", "ONESTOP_ANON_RATE": "100000/min",
            "ONESTOP_VAR_DIR": str(self.folder / "var"),
            # Short runs wait less for a lost task (still longer than any task of theirs takes).
            "CELERY_VISIBILITY_TIMEOUT": "10" if self.short else "20", "ONESTOP_EXCHANGE_SWEEP_SECONDS": "5",
            "ONESTOP_EXCHANGE_STALE_MINUTES": "0.25" if self.short else "0.5", "ONESTOP_TIMER_POLL_SECONDS": "2",
            # Every message that leaves is a line in the outbox file: the checks count sends from it.
            "EMAIL_BACKEND": "bench.faults.outbox.EmailBackend",
            "ONESTOP_SMS_BACKEND": "bench.faults.outbox.FileSmsBackend", "FAULTS_OUTBOX": str(self.outbox),
            "FAULTS_SEND_SECONDS": "0.02",
        })
        env.pop("TEST_DATABASE_NAME", None)
        env.update(self.extra_env)
        return env

    def start_worker(self):
        self.workers_started += 1
        node = f"faults{os.getpid()}-{self.workers_started}@{socket.gethostname()}"
        self.worker = Proc(f"worker{self.workers_started}", [
            sys.executable, "-m", "celery", "-A", "onestop", "worker", "--pool=prefork",
            f"--concurrency={WORKER_CONCURRENCY}", "-Q", "engine,exchanges,notifications,reports", "-n", node,
            "--loglevel=WARNING", "--without-gossip", "--without-mingle"], self.env, self.logdir).start()
        return self.worker

    def start_beat(self):
        self.beat = Proc("beat", [sys.executable, "-m", "celery", "-A", "onestop", "beat", "--loglevel=WARNING",
                                  "-s", str(self.folder / "beat-schedule")], self.env, self.logdir).start()
        return self.beat

    def peer_control(self, **state):
        body = json.dumps(state).encode()
        host, port = self.peers_url.split("//")[1].rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("POST", "/_control", body=body, headers={"Content-Type": "application/json"})
        answer = json.loads(conn.getresponse().read())
        conn.close()
        return answer

    def peer_log(self):
        host, port = self.peers_url.split("//")[1].rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/_control/log")
        answer = json.loads(conn.getresponse().read())["requests"]
        conn.close()
        return answer

    def __exit__(self, *exc):
        self.stopping.set()
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave servers running
        if "DJANGO_SETTINGS_MODULE" in os.environ:
            from django.db import connections

            connections.close_all()
        for proc in (self.beat, self.worker, self.web, self.peers):
            if proc is not None:
                proc.stop()
        self.redis.stop() if self.redis.proc else None
        self.pg.stop("immediate")
        if not self.keep:
            shutil.rmtree(self.folder, ignore_errors=True)


def make_users():
    """API tokens for the demo's officials and for ``CITIZENS`` citizens (the two of the demo and more)."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from onestop.organisation.models import Citizen

    User = get_user_model()
    tokens = {}
    for prefix in WARDS.values():
        for role in ROLES:
            user = User.objects.get(username=f"{prefix}.{role}")
            tokens[user.username] = Token.objects.get_or_create(user=user)[0].key
    citizens = []
    for n in range(1, CITIZENS + 1):
        user, created = User.objects.get_or_create(username=f"citizen{n}", defaults={"first_name": f"Công dân {n}"})
        if created:
            Citizen.objects.create(user=user, id_number=f"0790999{n:05d}", full_name=f"Công dân thử {n}",
                                   address="1 Lê Lợi, Phường Bến Nghé, Quận 1")
        # An email address and a phone number, so that each message the citizen is due is queued and sent.
        User.objects.filter(pk=user.pk).update(email=f"citizen{n}@faults.test")
        Citizen.objects.filter(user=user).update(phone=f"0909{n:06d}")
        citizens.append(Token.objects.get_or_create(user=user)[0].key)
    tokens["citizens"] = citizens
    return tokens


# --- the load --------------------------------------------------------------------------------------------

class NoAnswer(Exception):
    """The server closed the connection or did not answer in time: the client cannot tell what happened."""


def call(port, method, path, token, body=None, timeout=30):
    headers = {"Accept": "application/json", "Accept-Language": "en", "Authorization": f"Token {token}"}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise NoAnswer(f"{type(exc).__name__}: {exc}") from exc
    finally:
        conn.close()
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        data = raw.decode("utf-8", "replace")[:200]
    return response.status, data


def error_text(data):
    """A person-readable message in an error answer, or '' when the answer has none (a bare 500 page)."""
    if isinstance(data, dict):
        for key in ("detail", "message", "error", "errors"):
            if data.get(key):
                return str(data[key])[:200]
        return json.dumps(data, ensure_ascii=False)[:200]
    return ""


class Load:
    """Citizens submitting birth registrations at ``rate`` per second, and the officials of two wards
    taking every dossier through accept, approve, sign and return, from threads of this process."""

    def __init__(self, stack, rate, tag):
        self.stack, self.port, self.rate, self.tag = stack, stack.web_port, rate, tag
        self.lock = threading.Lock()
        self.submitting, self.stopping = threading.Event(), threading.Event()
        self.sent = 0
        self.accepted = {}  # submission number -> dossier code (HTTP 201)
        self.accepted_at = {}  # submission number -> monotonic time of the 201
        self.refused = []  # (status, message) of answers other than 201
        self.no_answer = []  # (submission number, error): the client does not know the outcome
        self.official_errors = Counter()
        self.steps_done = 0
        self.threads = []

    def start(self):
        self.submitting.set()
        self.threads.append(threading.Thread(target=self._submitter, daemon=True))
        for prefix in WARDS.values():
            for role in ROLES:
                self.threads.append(threading.Thread(target=self._official, args=(f"{prefix}.{role}",), daemon=True))
        for thread in self.threads:
            thread.start()
        return self

    def stop_submitting(self):
        self.submitting.clear()

    def stop(self):
        self.submitting.clear()
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _submitter(self):
        citizens = self.stack.tokens["citizens"]
        pending = []
        while self.submitting.is_set():
            started = time.monotonic()
            with self.lock:
                self.sent += 1
                number = self.sent
            form = {**BIRTH_FORM, "child_full_name": f"Trẻ {self.tag} {number:05d}"}
            body = {"procedure": PROCEDURE, "agency": list(WARDS)[number % len(WARDS)], "form_data": form}
            thread = threading.Thread(target=self._submit, args=(number, citizens[number % len(citizens)], body),
                                      daemon=True)
            thread.start()
            pending.append(thread)
            time.sleep(max(0.0, 1 / self.rate - (time.monotonic() - started)))
        for thread in pending:
            thread.join(timeout=60)

    def _submit(self, number, token, body):
        try:
            status, data = call(self.port, "POST", "/api/v1/dossiers/", token, body)
        except NoAnswer as exc:
            with self.lock:
                self.no_answer.append((number, str(exc)))
            return
        with self.lock:
            if status == 201:
                self.accepted[number] = data["code"]
                self.accepted_at[number] = time.monotonic()
            else:
                self.refused.append((status, error_text(data)))

    def _official(self, username):
        token = self.stack.tokens[username]
        while not self.stopping.is_set():
            worked = 0
            try:
                worked = self._work_queue(token)
            except NoAnswer:
                self.official_errors["no answer"] += 1
            if not worked:
                self.stopping.wait(0.5)

    def _work_queue(self, token):
        status, data = call(self.port, "GET", f"/api/v1/work-items/?procedure={PROCEDURE}&page_size=50", token)
        if status != 200:
            self.official_errors[f"list -> {status}"] += 1
            return 0
        worked = 0
        for item in data["results"]:
            decision = DECISIONS.get(item["kind"]) or DECISIONS.get(item["task_spec_id"])
            if decision is None or self.stopping.is_set():
                continue
            if item["state"] == "open":
                status, _data = call(self.port, "POST", f"/api/v1/work-items/{item['id']}/claim/", token)
                if status != 200:
                    self.official_errors[f"claim -> {status}"] += 1
                    continue
            status, _data = call(self.port, "POST", f"/api/v1/work-items/{item['id']}/complete/", token,
                                 {"decision": decision, "data": data_for(decision), "comment": ""})
            if status == 200:
                worked += 1
                with self.lock:
                    self.steps_done += 1
            else:
                self.official_errors[f"complete -> {status}"] += 1
        return worked


# --- what is left to do, and the checks ------------------------------------------------------------------

def backlog():
    """Work waiting on the background: pending exchanges, due timers, dossiers accepted but not finished."""
    from django.db import close_old_connections
    from django.utils import timezone

    from onestop.deadlines.models import Timer
    from onestop.dossiers.models import FINAL_STATUSES, Dossier, Incident
    from onestop.interop.models import Exchange

    close_old_connections()
    return {
        "pending_exchanges": Exchange.objects.filter(state=Exchange.State.PENDING).count(),
        "due_timers": Timer.objects.filter(state=Timer.State.PENDING, due_at__lte=timezone.now()).count(),
        # A dossier with an open incident waits for a person on purpose (officials see it): not stuck.
        "unfinished_dossiers": Dossier.objects.exclude(status__in=FINAL_STATUSES)
        .exclude(pk__in=Incident.objects.filter(resolved_at__isnull=True).values("dossier_id")).count(),
    }


def wait_drained(timeout, tail, stop_submitting):
    """Poll from the end of the fault until nothing is left to do; submissions stop after ``tail`` seconds.

    Returns (seconds until the background work caught up: no pending exchange and no due timer left,
    seconds until every dossier was done), each None if it did not happen within ``timeout``.
    """
    from django.db import connections

    started = time.monotonic()
    last, shown, caught_up = None, 0.0, None
    while time.monotonic() - started < timeout:
        elapsed = time.monotonic() - started
        if tail is not None and elapsed >= tail:
            stop_submitting()
            log("submissions stopped; waiting until every accepted dossier is done")
            tail = None
        try:
            left = backlog()
        except Exception as exc:  # noqa: BLE001 - the database may still be coming back
            connections.close_all()
            left = {"database": str(exc)[:60]}
        if left != last and time.monotonic() - shown >= 5:
            log(f"left to do: {left}")
            last, shown = left, time.monotonic()
        if caught_up is None and left.get("pending_exchanges") == 0 and left.get("due_timers") == 0:
            caught_up = elapsed
        if tail is None and not any(left.values()):
            return caught_up, elapsed
        time.sleep(0.5)
    return caught_up, None


def verify(load):
    """Every accepted submission exists once; every dossier consistent; exchanges and timers once each."""
    from django.db import close_old_connections

    from onestop.deadlines.models import Timer
    from onestop.dossiers.models import Dossier, DossierEvent
    from onestop.engine import runtime
    from onestop.interop.models import Exchange
    from onestop.worklist.models import WorkItem

    close_old_connections()
    prefix = f"Trẻ {load.tag} "
    dossiers = list(Dossier.objects.filter(form_data__child_full_name__startswith=prefix)
                    .select_related("process__version"))
    by_number = Counter(int(d.form_data["child_full_name"].removeprefix(prefix)) for d in dossiers)
    codes = {d.code for d in dossiers}
    lost = sorted(code for code in load.accepted.values() if code not in codes)
    duplicated = sum(count - 1 for count in by_number.values() if count > 1)
    unacknowledged = sorted(n for n in by_number if n not in load.accepted)
    problems = []
    events = {}
    for event in DossierEvent.objects.filter(dossier__in=dossiers).order_by("at", "id"):
        events.setdefault(event.dossier_id, []).append(event)
    items = {}
    for item in WorkItem.objects.filter(dossier__in=dossiers, state__in=WorkItem.ACTIVE_STATES).exclude(task_id=""):
        items.setdefault(item.dossier_id, set()).add(item.task_id)
    exchanges = {}
    for exchange in Exchange.objects.filter(dossier__in=dossiers):
        exchanges.setdefault(exchange.dossier_id, []).append(exchange)
    for dossier in dossiers:
        trail = events.get(dossier.pk, [])
        if not trail or trail[-1].to_status != dossier.status:
            last = trail[-1].to_status if trail else None
            problems.append(f"{dossier.code}: status {dossier.status} but the audit trail ends at {last}")
        if dossier.process_id is None:
            continue
        snap = runtime.snapshot(dossier.process)
        ready = {t.id for t in snap.ready}
        if ready != items.get(dossier.pk, set()):
            problems.append(f"{dossier.code}: engine waits in {sorted(ready)}, open work items "
                            f"{sorted(items.get(dossier.pk, set()))}")
        mine = {e.task_id: e for e in exchanges.get(dossier.pk, [])}
        for call_ in snap.waiting:
            if call_.id not in mine:
                problems.append(f"{dossier.code}: service task {call_.spec_id} has no exchange")
            elif mine[call_.id].state == Exchange.State.SUCCEEDED:
                problems.append(f"{dossier.code}: exchange {call_.spec_id} succeeded but the engine still waits")
        waiting = {c.id for c in snap.waiting}
        for task_id, exchange in mine.items():
            if exchange.state == Exchange.State.PENDING and task_id not in waiting:
                problems.append(f"{dossier.code}: exchange {exchange.task_spec_id} pending, engine not waiting")
        if dossier.status == "returned":
            done = Counter(e.task_spec_id for e in mine.values() if e.state == Exchange.State.SUCCEEDED)
            if done != Counter({"lookup_mother": 1, "register_birth": 1}):
                problems.append(f"{dossier.code}: returned with exchanges {dict(done)}")
    fired = Counter()
    for event in DossierEvent.objects.filter(dossier__in=dossiers, action="timer_fired"):
        fired[event.data.get("timer")] += 1
    timers = Timer.objects.filter(dossier__in=dossiers)
    timer_states = Counter(timers.values_list("state", flat=True))
    for timer in timers.filter(state=Timer.State.FIRED):
        if fired[timer.pk] != 1:
            problems.append(f"timer {timer.pk} ({timer.name}) fired {fired[timer.pk]} times")
    doubled_timers = sum(1 for count in fired.values() if count > 1)
    incidents = Counter()
    for dossier in dossiers:
        for incident in dossier.incidents.filter(resolved_at__isnull=True):
            incidents[incident.message[:120]] += 1
    return {
        "dossiers_found": len(dossiers),
        "lost": len(lost), "lost_codes": lost[:20],
        "duplicated": duplicated,
        "unacknowledged_but_created": len(unacknowledged),
        "statuses": dict(Counter(d.status for d in dossiers)),
        "exchanges": dict(Counter(e.state for es in exchanges.values() for e in es)),
        "exchange_attempts": sum(e.attempts for es in exchanges.values() for e in es),
        "timers": dict(timer_states), "timers_fired_twice": doubled_timers,
        "open_incidents": dict(incidents),
        "inconsistent": len(problems), "problems": problems[:20],
    }


# --- the citizen's messages -------------------------------------------------------------------------------

def _tells_citizen(event):
    """The applicant is told of this event by email and SMS (docs/notifications.md, "Who is told what")."""
    from onestop.dossiers.models import Action, Status

    if event.action == Action.EXTENDED:
        return True
    if event.to_status == event.from_status:
        return False
    return ((event.action == Action.RECEPTION_COMPLETED and event.to_status == Status.PROCESSING)
            or event.to_status in (Status.SUPPLEMENT_REQUESTED, Status.REFUSED, Status.RESULT_READY))


def _load_dossiers(load):
    from onestop.dossiers.models import Dossier

    return Dossier.objects.filter(form_data__child_full_name__startswith=f"Trẻ {load.tag} ")


def wait_messages(load, timeout):
    """After the dossiers are done, wait until none of their messages is still queued; returns the seconds it
    took, None if some still were after ``timeout``."""
    from django.db import close_old_connections

    from onestop.notifications.models import Notification

    started = time.monotonic()
    while True:
        close_old_connections()
        queued = Notification.objects.filter(dossier__in=_load_dossiers(load),
                                             state=Notification.State.QUEUED).count()
        elapsed = time.monotonic() - started
        if not queued:
            return elapsed
        if elapsed >= timeout:
            log(f"{queued} messages still queued {timeout:g} s after the dossiers were done")
            return None
        time.sleep(0.5)


def check_messages(load, outbox_path, interruptions):
    """The messages due for the load's dossiers against what the backends sent (the outbox file).

    Expected: two messages (email, SMS) to the applicant per event that tells the citizen, from the audit trail,
    plus any message to an official with an address. Lost: expected and never sent (never made, or made and
    not in the outbox). Sent twice: copies beyond the first of a row, by its channel, address and text;
    allowed: a batch (``SEND_BATCH``) per worker process that died or lost its database mid-batch.
    """
    from django.db import close_old_connections

    from bench.faults import outbox
    from onestop.dossiers.models import DossierEvent
    from onestop.notifications.models import Notification
    from onestop.notifications.services import SEND_BATCH

    close_old_connections()
    dossiers = _load_dossiers(load)
    applicant = dict(dossiers.values_list("pk", "applicant_id"))
    expected = {(event.pk, channel) for event in DossierEvent.objects.filter(dossier__in=dossiers)
                if _tells_citizen(event) for channel in ("email", "sms")}
    rows = list(Notification.objects.filter(dossier__in=dossiers))
    to_citizen = {(r.event_id, r.channel): r for r in rows if r.recipient_id == applicant[r.dossier_id]}
    to_officials = [r for r in rows if r.recipient_id != applicant[r.dossier_id] and r.address]
    due = [to_citizen.get(key) for key in sorted(expected)] + to_officials
    sends = Counter((m["channel"], m["to"], m["body"]) for m in outbox.read(outbox_path))
    copies = Counter((r.channel, r.address, r.body) for r in rows)
    sent = [r for r in due if r is not None and sends[(r.channel, r.address, r.body)]]
    lost = [r for r in due if r is None or not sends[(r.channel, r.address, r.body)]]
    allowed = SEND_BATCH * WORKER_CONCURRENCY * interruptions
    return {
        "messages_expected": len(due), "messages_sent": len(sent), "messages_lost": len(lost),
        "messages_lost_examples": [f"{r.dossier.code} {r.template} {r.channel} ({r.state}: {r.last_error[:80]})"
                                   if r is not None else "a message never made" for r in lost[:5]],
        "messages_sent_twice": sum(max(0, sends[key] - n) for key, n in copies.items()),
        "messages_twice_allowed": allowed,
        "messages_unexpected": len(rows) - len(to_officials) - sum(r is not None for r in to_citizen.values()
                                                                   if (r.event_id, r.channel) in expected),
        "messages_outbox_unmatched": sum(n for key, n in sends.items() if key not in copies),
        "message_states": dict(Counter(r.state for r in rows)),
    }


def peer_calls(stack):
    """Calls the peer answered, and how many exchanges it answered more than once (same idempotency key)."""
    entries = stack.peer_log()
    answered = Counter(e["idempotency_key"] for e in entries if e["status"] == 200)
    return {"peer_requests": len(entries), "peer_answers_repeated": sum(1 for c in answered.values() if c > 1)}


# --- the run and the report ------------------------------------------------------------------------------

def run(name, args, fault, title, extra_env=None, setup=None):
    """Start the stack, warm up under load, run ``fault(stack, load, args)`` (which returns a dict of what it
    did), stop submitting, wait until everything is done again, check, print and write the JSON."""
    tag = f"{name[:6]}{random.randrange(10**6):06d}"  # noqa: S311 - a label, not a secret
    started_at = datetime.now(UTC)
    with Stack(name, keep=args.keep, extra_env=extra_env, short=args.short) as stack:
        if setup:
            setup(stack)
        load = Load(stack, args.rate, tag).start()
        log(f"load: {args.rate:g} submissions/s from {CITIZENS} citizens, officials of {len(WARDS)} wards")
        time.sleep(args.warmup)
        log(f"fault: {title}")
        fault_started = time.monotonic()
        details = fault(stack, load, args) or {}
        fault_ended = time.monotonic()
        caught_up, drained = wait_drained(args.drain_timeout, 3 if args.short else 10, load.stop_submitting)
        load.stop()
        messages_settled = wait_messages(load, MESSAGES_TIMEOUT) if drained is not None else None
        result = verify(load)
        result.update(peer_calls(stack))
        details["worker_restarts_by_supervisor"] = len(stack.supervisor_restarts)
        interruptions = (details.get("kills", 0) + len(stack.supervisor_restarts)
                         + details.get("database_restarts", 0))
        result.update(check_messages(load, stack.outbox, interruptions))
        result["messages_settled_s"] = None if messages_settled is None else round(messages_settled, 1)
        result.update(details)
        result["fault_details"] = sorted(details)
    after = [t for t in load.accepted_at.values() if t >= fault_ended]
    figures = {
        "fault": name, "title": title, "started_at": started_at.isoformat(timespec="seconds"),
        "short": args.short, "fault_seconds": round(fault_ended - fault_started, 1), "rate": args.rate,
        "sent": load.sent, "accepted": len(load.accepted),
        "refused": len(load.refused), "refused_by_status": dict(Counter(str(s) for s, _m in load.refused)),
        "refused_examples": sorted({f"{s}: {m}" for s, m in load.refused})[:5],
        "refused_without_message": sum(1 for _s, m in load.refused if not m),
        "no_answer": len(load.no_answer), "no_answer_examples": sorted({m for _n, m in load.no_answer})[:3],
        "official_steps": load.steps_done, "official_errors": dict(load.official_errors),
        "first_accept_after_fault_s": round(min(after) - fault_ended, 1) if after else None,
        "background_caught_up_s": None if caught_up is None else round(caught_up, 1),
        "time_to_recover_s": None if drained is None else round(drained, 1),
        "recovered": drained is not None,
        **result,
    }
    figures["ok"] = bool(figures["recovered"] and figures["accepted"] > 0 and figures["lost"] == 0
                         and figures["duplicated"] == 0 and figures["inconsistent"] == 0
                         and figures["timers_fired_twice"] == 0 and figures["messages_lost"] == 0
                         and figures["messages_sent_twice"] <= figures["messages_twice_allowed"])
    report(figures)
    return figures


def report(f):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"faults-{f['fault']}.json"
    path.write_text(json.dumps(f, ensure_ascii=False, indent=2) + "\n")
    print(f"\n== {f['title']} ({f['fault_seconds']} s{' short' if f['short'] else ''}) ==")
    print(f"requests sent      {f['sent']}")
    print(f"accepted (201)     {f['accepted']}")
    print(f"refused            {f['refused']} {f['refused_by_status'] or ''}"
          + (f" ({f['refused_without_message']} without a message)" if f["refused_without_message"] else ""))
    for example in f["refused_examples"]:
        print(f"    e.g. {example}")
    print(f"no answer          {f['no_answer']} (outcome unknown to the client; created anyway: "
          f"{f['unacknowledged_but_created']})")
    print(f"lost               {f['lost']} (must be 0)")
    print(f"duplicated         {f['duplicated']} (must be 0)")
    print(f"inconsistent       {f['inconsistent']} (must be 0)")
    print(f"exchanges          {f['exchanges']}, {f['exchange_attempts']} attempts, peer answered "
          f"{f['peer_answers_repeated']} twice")
    print(f"timers             {f['timers']}, fired twice: {f['timers_fired_twice']}")
    print(f"messages           {f['messages_expected']} due to citizens and officials, {f['messages_sent']} sent "
          f"(outbox), lost {f['messages_lost']} (must be 0), sent twice {f['messages_sent_twice']} (allowed "
          f"{f['messages_twice_allowed']}: a batch per worker process cut mid-batch); rows {f['message_states']}; "
          f"none queued {f['messages_settled_s']} s after the dossiers were done")
    for example in f["messages_lost_examples"]:
        print(f"    lost: {example}")
    if f["messages_unexpected"] or f["messages_outbox_unmatched"]:
        print(f"    ! {f['messages_unexpected']} rows no event calls for, "
              f"{f['messages_outbox_unmatched']} sends matching no row")
    if f["open_incidents"]:
        print(f"open incidents     {f['open_incidents']}")
    print(f"time to recover    {f['time_to_recover_s']} s after the fault until every dossier was done "
          f"(first accept after it: {f['first_accept_after_fault_s']} s; no exchange or timer waiting: "
          f"{f['background_caught_up_s']} s)")
    details = {key: f[key] for key in f.get("fault_details", [])}
    if details:
        print(f"fault              {details}")
    for problem in f["problems"]:
        print(f"    ! {problem}")
    print(f"{'OK' if f['ok'] else 'FAILED'}; figures in {path.relative_to(ROOT)}")


def main(name, doc, full, short, fault, title, **kwargs):
    args = parse_args(name, doc, full, short)
    try:
        figures = run(name, args, fault, title, **kwargs)
    except FaultFailure as exc:
        print(f"fault run {name} could not run: {exc}", file=sys.stderr)
        return 2
    return 0 if figures["ok"] else 1


__all__ = ["FaultFailure", "Stack", "Load", "main", "log", "wait_until", "timedelta"]
