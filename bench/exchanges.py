"""The exchange benchmark: what an exchange with another agency's system costs, and how many of them
Celery workers get through.

An exchange is a service task in the BPMN. The transaction that reaches it records an ``Exchange``
and, on commit, enqueues ``run_exchange`` on the broker. A worker calls the peer (a signed HTTP
request), stores the answer, then resumes the dossier: it completes the service task, runs the
process to its next wait and opens the next work item. Here the procedure is one lookup
(``population.lookup_citizen``) followed by a user task ("check"), so one accept makes one exchange.

For each dossier the latency is **enqueue -> resumed**:

- enqueue: the commit of the accept. This process takes that time in an on-commit callback that
  runs just before the one that publishes the task.
- resumed: ``created_at`` of the "check" work item, written by the worker (``timezone.now()``, the
  same machine clock) in the transaction that resumes the dossier, just before its audit event
  and its commit.

The worker's other timestamps split that time into parts: publish, pickup, peer call, recording the
answer, resuming the process, audit (see ``per_dossier``).

Runs, on a fresh database ``onestop_bench_x`` and the bench's own queue on ``--broker``:

1. overhead: 1 worker process, a zero-latency peer, N dossiers accepted one at a time (the next
   one only after the previous one has resumed). This is the pure cost of one exchange.
2. throughput: M dossiers accepted as fast as T threads of this process can, with 1, 2 and 4
   worker processes. Exchanges per second = M / (first enqueue -> last resumed).
3. the same with the peer answering after a delay (50 ms), with 1 and 4 worker processes.

Worker processes are ``celery worker --pool=prefork --concurrency=K`` (one master, K children),
restarted for each run and warmed up (2·K dossiers, not counted) once they answer a ping. Dossiers
are submitted before the workers start. Only the accepts, which enqueue the exchanges, are timed.

    python bench/exchanges.py [--quick] [--keep] [--sequential 100] [--dossiers 300] [--threads 2]
"""
import argparse
import json
import os
import platform
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BenchFailure, connect, database_url, drop_database, manage, recreate_database  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
RESULTS_FILE = RESULTS_DIR / "exchanges.json"
WORKER_LOG = RESULTS_DIR / "exchanges-workers.log"
PEERS_LOG = RESULTS_DIR / "exchanges-peers.log"

DEFAULT_BROKER = "redis://127.0.0.1:6379/13"
# The bench's own queue and worker name: a test suite may share the broker (make test uses db 15), and
# neither side must take the other's tasks or answer the other's ping.
QUEUE = "onestop-bench-exchanges"
NODE = f"onestop-bench-{os.getpid()}@{socket.gethostname()}"
BENCH_DB = "onestop_bench_x"
WORKER_COUNTS = (1, 2, 4)  # throughput with a zero-latency peer
DELAYED_WORKER_COUNTS = (1, 4)  # throughput with a slow peer
WORKER_ENV = {"DB_CONN_MAX_AGE": "60", "DEBUG": "0", "LOG_LEVEL": "WARNING"}  # as deploy/README.md

PROCEDURE = "B.0001"
AGENCY = "q1-bennghe"
CITIZEN = "citizen1"
DESK = "bennghe.receiver"
FORM = {"id_number": "079090000001"}  # Nguyễn Văn An, in the peer's data
FORM_SCHEMA = {"type": "object", "required": ["id_number"], "properties": {"id_number": {"type": "string"}}}
CHECK_STEP = "check"

LOOKUP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://onestop.bench">
  <bpmn:process id="lookup" name="Tra cứu công dân (benchmark)" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Phường [ward]">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>citizen</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>check</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="citizen" name="Tra cứu công dân" camunda:type="external"
        camunda:topic="population.lookup_citizen">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="id_number">form["id_number"]</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:userTask id="check" name="Kiểm tra kết quả tra cứu" camunda:candidateGroups="specialist">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="Kết luận" type="enum">
          <camunda:value id="approve" name="Đồng ý"/>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="citizen"/>
    <bpmn:sequenceFlow id="f2" sourceRef="citizen" targetRef="check"/>
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>""".encode()


# --- options ---------------------------------------------------------------------------------------------

def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequential", type=int, help="dossiers of the overhead run (default 100, quick 15)")
    parser.add_argument("--dossiers", type=int, help="dossiers per throughput run (default 300, quick 40)")
    parser.add_argument("--threads", type=int, default=2, help="threads accepting dossiers (default 2)")
    parser.add_argument("--delay-ms", type=float, default=50, help="peer delay of the slow-peer runs (default 50)")
    parser.add_argument("--broker", default=DEFAULT_BROKER,
                        help=f"broker URL (default {DEFAULT_BROKER}); only the bench's own queue is purged")
    parser.add_argument("--quick", action="store_true", help="smoke run: 15 and 40 dossiers")
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DB} afterwards")
    args = parser.parse_args(argv)
    args.sequential = args.sequential or (15 if args.quick else 100)
    args.dossiers = args.dossiers or (40 if args.quick else 300)
    if min(args.sequential, args.dossiers, args.threads) < 1 or args.delay_ms < 0:
        parser.error("counts must be at least 1 and the delay not negative")
    return args


# --- PostgreSQL and Redis ----------------------------------------------------------------------------------

def purge_queue():
    """Drop whatever an earlier run left in the bench's queue (and only there)."""
    from onestop import celery_app

    celery_app.control.purge()  # the app's queues: only QUEUE, see setup_django


class LockSampler:
    """Every 50 ms, how many backends of the bench database wait on a lock (own connection, from the
    maintenance database so as not to count itself); also counts the sessions opened meanwhile."""

    QUERY = ("SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FILTER (WHERE state = 'active')"
             " FROM pg_stat_activity WHERE datname = %s")
    SESSIONS = "SELECT sessions FROM pg_stat_database WHERE datname = %s"

    def __init__(self):
        self.samples, self.sessions, self._stop = [], 0, threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        conn = connect("postgres")
        try:
            with conn.cursor() as cur:
                cur.execute(self.SESSIONS, [BENCH_DB])
                first = cur.fetchone()[0]
                self._ready.set()
                while not self._stop.wait(0.05):
                    cur.execute(self.QUERY, [BENCH_DB])
                    self.samples.append(cur.fetchone())
                cur.execute(self.SESSIONS, [BENCH_DB])
                self.sessions = cur.fetchone()[0] - first
        finally:
            self._ready.set()
            conn.close()

    def summary(self, count):
        waiting = [w for w, _a in self.samples] or [0]
        active = [a for _w, a in self.samples] or [0]
        return {
            "samples": len(self.samples),
            "max_waiting_on_lock": max(waiting),
            "share_of_samples_with_a_wait": round(sum(1 for w in waiting if w) / len(waiting), 3),
            "mean_active_backends": round(sum(active) / len(active), 2),
            "db_sessions_per_dossier": round(self.sessions / count, 2),
        }


# --- CPU (Linux /proc; None elsewhere) ------------------------------------------------------------------------

def _processes():
    """pid -> (ppid, comm, command line, CPU ticks, CPU ticks of its ended children) of every readable process."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
            cmdline = (entry.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        comm = text[text.index("(") + 1:text.rindex(")")]
        found[int(entry.parent.name)] = (int(fields[1]), comm, cmdline, int(fields[11]) + int(fields[12]),
                                         int(fields[13]) + int(fields[14]))
    return found


def _postgres(procs, ticks):
    """PostgreSQL's shared processes, the bench database's backends (not other databases'), and the
    backends that ended: the postmaster reaps them, so their CPU is in its children's times."""
    group = {}
    for pid, (ppid, comm, line, own, children) in procs.items():
        if not comm.startswith("postgres"):
            continue
        if "(" not in line or f" {BENCH_DB} " in line:
            group[pid] = own / ticks
        if not procs.get(ppid, (0, ""))[1].startswith("postgres"):  # the postmaster
            group[f"ended under {pid}"] = children / ticks
    return group


def cpu_snapshot(roots):
    """CPU seconds so far: the machine, this process, Redis, PostgreSQL, and each process tree of
    ``roots`` (name -> root pids; direct children count with their root)."""
    if not Path("/proc/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    procs = _processes()
    snapshot = {"wall": time.monotonic(), "busy": (sum(total) - total[3] - total[4]) / ticks,
                "bench": time.process_time(), "postgres": _postgres(procs, ticks),
                "redis": {pid: p[3] / ticks for pid, p in procs.items() if p[1] == "redis-server"}}
    for name, pids in roots.items():
        snapshot[name] = {pid: p[3] / ticks for pid, p in procs.items() if pid in pids or p[0] in pids}
    return snapshot


def cpu_usage(before, after, count):
    """Shares of the machine's CPU capacity (all cores) over the interval, and CPU milliseconds per
    dossier. "other" is the rest of the busy time: the kernel, and any other work on the machine,
    which skews the figures."""
    if not before or not after:
        return None
    capacity = (after["wall"] - before["wall"]) * (os.cpu_count() or 1)
    used = {"busy": after["busy"] - before["busy"], "bench": after["bench"] - before["bench"]}
    for name in set(after) - {"wall", "busy", "bench"}:
        used[name] = sum(t - before[name].get(pid, 0.0) for pid, t in after[name].items())
    used["other"] = max(0.0, used["busy"] - sum(v for k, v in used.items() if k != "busy"))
    return {"share": {k: round(v / capacity, 3) for k, v in used.items()},
            "ms_per_dossier": {k: round(v * 1000 / count, 2) for k, v in used.items()}}


# --- processes: the peer service and the Celery workers ----------------------------------------------------

def stop_process(proc, timeout):
    """SIGTERM, then SIGKILL to the process group this script created for it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


class PeerService:
    """``python -m onestop.peers.server`` on a free port; its one stdout line says where."""

    def __init__(self):
        self.proc = self.url = None

    def __enter__(self):
        self.log = PEERS_LOG.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "onestop.peers.server", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True, start_new_session=True,
        )
        ready, _w, _x = select.select([self.proc.stdout], [], [], 30)
        found = re.search(r"listening on (\S+)", self.proc.stdout.readline() if ready else "")
        if not found:
            self.__exit__()
            raise BenchFailure(f"the peer service did not start; see {PEERS_LOG}")
        self.url = found.group(1)
        return self

    def __exit__(self, *exc):
        stop_process(self.proc, 10)
        self.proc.stdout.close()
        self.log.close()

    def control(self, path="/_control", **state):
        request = urllib.request.Request(self.url + path, data=json.dumps(state).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).close()

    def reset(self):
        """Normal service, and an empty request log and replay memory."""
        self.control("/_control/reset")


class Workers:
    """``celery -A onestop worker --pool=prefork --concurrency=K`` on the bench database and broker.

    Ready once it answers a ping; stopped with a warm shutdown (SIGTERM), killed after 30 s.
    """

    def __init__(self, count, env, label):
        self.count, self.env, self.label, self.proc = count, env, label, None

    def __enter__(self):
        from onestop import celery_app

        self.log = WORKER_LOG.open("a")
        self.log.write(f"\n===== {self.label}: {self.count} worker process(es) =====\n")
        self.log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "onestop", "worker", "--pool=prefork",
             f"--concurrency={self.count}", "--loglevel=INFO", "-n", NODE, "-Q", QUEUE,
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.__exit__()
                raise BenchFailure(f"the Celery worker exited with {self.proc.returncode}; see {WORKER_LOG}")
            if celery_app.control.ping(destination=[NODE], timeout=0.5):
                return self
        self.__exit__()
        raise BenchFailure(f"the Celery worker did not answer a ping within 60 s; see {WORKER_LOG}")

    def __exit__(self, *exc):
        if self.proc is not None:
            stop_process(self.proc, 30)
        self.log.close()

    @property
    def pids(self):
        return {self.proc.pid}


# --- the project, through Django in this process -------------------------------------------------------------

def project_env(broker, peers_url):
    return {
        **os.environ, **WORKER_ENV,
        "DATABASE_URL": database_url(BENCH_DB), "CELERY_BROKER_URL": broker,
        "DJANGO_SETTINGS_MODULE": "onestop.settings", "ONESTOP_PEERS_URL": peers_url,
    }


def setup_django(env):
    """Django in this process, on the bench database and broker (the accepts publish real tasks), with
    the bench's queue as the default one."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE",
                                            *WORKER_ENV)})
    import django

    django.setup()
    from onestop import celery_app

    celery_app.conf.task_default_queue = QUEUE
    celery_app.conf.task_routes = {}  # everything on QUEUE, not the production queues (settings)


def prepare_procedure(peers_url):
    """The lookup procedure, published; the demo's peers pointed at the peer service, with quick retries."""
    from onestop.interop.models import Peer
    from procedures import services as procedure_services
    from procedures.models import Procedure

    procedure_services.import_bpmn(LOOKUP, PROCEDURE, publish=True, defaults={"form_schema": FORM_SCHEMA})
    Procedure.objects.filter(code=PROCEDURE).update(form_schema=FORM_SCHEMA)  # a second run keeps the entry
    Peer.objects.update(base_url=peers_url, backoff_seconds=0.05, max_attempts=3, read_timeout=5)


def users():
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return User.objects.get(username=CITIZEN), User.objects.get(username=DESK)


def submit_dossiers(count, citizen):
    """``count`` dossiers waiting at the desk: their reception work items, in submission order."""
    from onestop.dossiers import lifecycle as dossier_services
    from onestop.worklist.models import WorkItem

    ids = [dossier_services.submit(citizen, procedure_code=PROCEDURE, agency_code=AGENCY, form_data=FORM).pk
           for _ in range(count)]
    items = WorkItem.objects.filter(dossier_id__in=ids, kind=WorkItem.Kind.RECEPTION)
    return sorted(items, key=lambda item: item.dossier_id)


def accept(item, desk):
    """The desk accepts the dossier: the process starts and its exchange is enqueued on commit.

    Returns when the accept committed (taken by an on-commit callback registered before the
    service's, so it runs just before the task is published) and when publishing was done.
    """
    from django.db import transaction

    from onestop.dossiers import lifecycle as dossier_services

    marks = {}
    with transaction.atomic():
        transaction.on_commit(lambda: marks.setdefault("commit", time.time()))
        dossier_services.complete_work_item(item, desk, decision="accept")
    marks["published"] = time.time()
    return marks


class Desk:
    """The desk official's threads that accept dossiers. They live as long as the bench, and so do
    their database connections: a backend that ended would take its CPU time out of the accounting."""

    def __init__(self, user, threads):
        self.user, self.threads = user, threads
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="desk")

    def accept_all(self, items, threads=None):
        """Accept every item from the threads, as fast as they go; dossier id -> marks."""
        marks, pending, lock, failed = {}, list(reversed(items)), threading.Lock(), threading.Event()

        def work():
            while not failed.is_set():
                with lock:
                    if not pending:
                        return
                    item = pending.pop()
                try:
                    marks[item.dossier_id] = accept(item, self.user)
                except Exception:
                    failed.set()
                    raise

        for future in [self.pool.submit(work) for _ in range(min(threads or self.threads, len(items)))]:
            future.result()  # raises the first thread's error
        return marks

    def close(self):
        self.pool.shutdown()


def resumed_at(dossier_id):
    """When the worker opened the dossier's check step (None while it has not), via a plain query."""
    from django.db import connection

    from onestop.worklist.models import WorkItem

    with connection.cursor() as cur:
        cur.execute(f"SELECT created_at FROM {WorkItem._meta.db_table} WHERE dossier_id = %s AND task_spec_id = %s",
                    [dossier_id, CHECK_STEP])
        row = cur.fetchone()
    return row[0] if row else None


def check_failures(dossier_ids):
    """Raise if an exchange of these dossiers failed for good (the worker raised an incident)."""
    from onestop.interop.models import Exchange

    failed = Exchange.objects.filter(dossier_id__in=dossier_ids, state=Exchange.State.FAILED)
    first = failed.first()
    if first is not None:
        raise BenchFailure(f"{failed.count()} exchange(s) failed, e.g. dossier {first.dossier_id}: {first.error}")


def wait_resumed(dossier_ids, timeout, stall=20):
    """Poll until every dossier has its check step. Gives up after ``timeout`` seconds, or after
    ``stall`` seconds without progress (a task that raised leaves its exchange pending)."""
    from onestop.worklist.models import WorkItem

    deadline, done, progress_at = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < min(deadline, progress_at + stall):
        count = WorkItem.objects.filter(dossier_id__in=dossier_ids, task_spec_id=CHECK_STEP).count()
        if count >= len(dossier_ids):
            return
        if count > done:
            done, progress_at = count, time.monotonic()
        check_failures(dossier_ids)
        time.sleep(0.05)
    raise BenchFailure(f"only {done} of {len(dossier_ids)} dossiers resumed (gave up after "
                       f"{time.monotonic() - progress_at:.0f} s without progress); see {WORKER_LOG}")


def worker_timestamps(dossier_ids):
    """Per dossier, what the worker wrote: the exchange's attempt, call and finish, the check step's
    creation and the exchange_completed audit event, plus a tally of anything unexpected."""
    from onestop.dossiers.models import DossierEvent, Incident
    from onestop.interop.models import Exchange
    from onestop.worklist.models import WorkItem

    rows = {e["dossier_id"]: dict(e) for e in Exchange.objects.filter(dossier_id__in=dossier_ids).values(
        "dossier_id", "state", "attempts", "last_attempt_at", "last_duration_ms", "finished_at")}
    checks = WorkItem.objects.filter(dossier_id__in=dossier_ids, task_spec_id=CHECK_STEP)
    for dossier_id, created in checks.values_list("dossier_id", "created_at"):
        rows[dossier_id]["resumed"] = created
    events = DossierEvent.objects.filter(dossier_id__in=dossier_ids, action="exchange_completed")
    for dossier_id, at in events.values_list("dossier_id", "at"):
        rows[dossier_id]["audited"] = at
    problems = {
        "exchanges_missing": len(dossier_ids) - len(rows),
        "not_succeeded": sum(1 for r in rows.values() if r["state"] != Exchange.State.SUCCEEDED),
        "retried": sum(1 for r in rows.values() if r["attempts"] != 1),
        "check_steps": checks.count(),
        "incidents": Incident.objects.filter(dossier_id__in=dossier_ids).count(),
    }
    return rows, problems


# --- figures --------------------------------------------------------------------------------------------------

def percentile(values, share):
    """Linear interpolation between the closest ranks."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * share
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def distribution(values):
    """p50/p95/p99/max/mean, in milliseconds, of ``values`` (milliseconds)."""
    if not values:
        return {"n": 0}
    return {"n": len(values), **{f"p{round(q * 100)}": round(percentile(values, q), 1) for q in (0.5, 0.95, 0.99)},
            "max": round(max(values), 1), "mean": round(sum(values) / len(values), 1)}


def _ms(later, earlier):
    return (later - earlier) * 1000


def per_dossier(marks, rows):
    """Milliseconds per dossier: the latency and its parts, from the commit of the accept (this
    process's clock) and the worker's timestamps (the same machine's clock)."""
    parts = []
    for dossier_id, mark in marks.items():
        row = rows[dossier_id]
        commit = mark["commit"]
        attempt, finished = row["last_attempt_at"].timestamp(), row["finished_at"].timestamp()
        resumed, audited = row["resumed"].timestamp(), row["audited"].timestamp()
        call = row["last_duration_ms"] or 0
        parts.append({
            "latency": _ms(resumed, commit),
            # this process, after the commit: run_exchange.apply_async (on-commit)
            "publish": _ms(mark["published"], commit),
            # broker and worker, task start (Celery closes the database connection around every task, so
            # this includes opening one), the exchange's row locked
            "pickup": _ms(attempt, commit),
            # the HTTP attempt as the connector times it: connect, signed request, peer, verified answer
            "call": call,
            # the rest of the attempt (peer row, signing, commit), storing the answer in a second
            # transaction, then resume_after_exchange locking the dossier and the exchange
            "record": _ms(finished, attempt) - call,
            # routing, SpiffWorkflow (load, complete the service task, run to the next wait, store), and
            # the new work item
            "resume": _ms(resumed, finished),
            # dossier status, hand-overs and the audit event; the commit follows
            "audit": _ms(audited, resumed),
        })
    return parts


def summarise(marks, rows):
    parts = per_dossier(marks, rows)
    return {
        "latency_ms": distribution([p["latency"] for p in parts]),
        "breakdown_p50_ms": {k: round(percentile([p[k] for p in parts], 0.5), 1)
                             for k in ("publish", "pickup", "call", "record", "resume", "audit")},
    }


def rates(marks, rows):
    """Exchanges per second from the first enqueue to the last resume, and how fast they were enqueued."""
    commits = [m["commit"] for m in marks.values()]
    last_resumed = max(rows[d]["resumed"].timestamp() for d in marks)
    window = last_resumed - min(commits)
    accepting = max(commits) - min(commits)
    return {
        "window_s": round(window, 3),
        "exchanges_per_s": round(len(marks) / window, 1),
        "accepts_per_s": round((len(marks) - 1) / accepting, 1) if accepting > 0 else None,
        "drain_after_last_accept_s": round(last_resumed - max(commits), 3),
    }


# --- runs ------------------------------------------------------------------------------------------------------

class Bench:
    """What the runs share: the environment, the peer service, the citizen and the desk."""

    def __init__(self, args, env, peers):
        self.args, self.env, self.peers = args, env, peers
        citizen, desk = users()
        self.citizen, self.desk = citizen, Desk(desk, args.threads)

    def run(self, label, workers, *, delay, count, drive):
        """Submit the dossiers, start the workers, warm them up, then ``drive`` the measured dossiers."""
        self.peers.reset()
        self.peers.control(delay=delay)
        warm = 2 * workers
        items = submit_dossiers(warm + count, self.citizen)
        warm_items, measured = items[:warm], items[warm:]
        print(f"  {label}: {workers} worker process(es), peer delay {delay * 1000:.0f} ms, {count} dossiers",
              flush=True)
        with Workers(workers, self.env, label) as pool:
            self.desk.accept_all(warm_items)
            wait_resumed([i.dossier_id for i in warm_items], timeout=60)
            trees = {"workers": pool.pids, "peer": {self.peers.proc.pid}}
            before = cpu_snapshot(trees)
            with LockSampler() as locks:
                result = drive(measured)
            result["cpu"] = cpu_usage(before, cpu_snapshot(trees), count)
            result["database"] = locks.summary(count)
        ids = [i.dossier_id for i in measured]
        rows, problems = worker_timestamps(ids)
        if problems["not_succeeded"] or problems["exchanges_missing"] or problems["check_steps"] != len(ids):
            raise BenchFailure(f"{label}: not every exchange went through: {problems}")
        marks = result.pop("marks")
        return {"workers": workers, "peer_delay_ms": round(delay * 1000), "dossiers": count,
                **rates(marks, rows), **summarise(marks, rows), **result, "problems": problems}

    def overhead(self):
        """One worker, zero-latency peer, one dossier at a time: the pure cost of an exchange."""
        def drive(items):
            marks, observed = {}, []
            for item in items:
                marks[item.dossier_id] = mark = accept(item, self.desk.user)
                deadline = time.monotonic() + 30
                while resumed_at(item.dossier_id) is None:  # poll every 2 ms: the resume has committed
                    if time.monotonic() > deadline:
                        check_failures([item.dossier_id])
                        raise BenchFailure(f"dossier {item.dossier_id} did not resume within 30 s")
                    time.sleep(0.002)
                observed.append(_ms(time.time(), mark["commit"]))
            return {"marks": marks, "observed_ms": distribution(observed)}

        return self.run("overhead", 1, delay=0.0, count=self.args.sequential, drive=drive)

    def throughput(self, workers, delay):
        """M dossiers accepted as fast as the threads go; exchanges/s from first enqueue to last resumed."""
        def drive(items):
            marks = self.desk.accept_all(items)
            wait_resumed(list(marks), timeout=60 + 4 * len(items) * (delay + 0.05))
            return {"marks": marks}

        return self.run("throughput", workers, delay=delay, count=self.args.dossiers, drive=drive)

    def close(self):
        self.desk.close()


# --- report ----------------------------------------------------------------------------------------------------

def git(*command):
    done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else None


def setup_info(args, started):
    import celery
    import django

    return {
        "commit": git("rev-parse", "HEAD"), "work_tree_changed": bool(git("status", "--porcelain")),
        "options": {k: v for k, v in vars(args).items() if k != "broker"}, "broker": args.broker, "queue": QUEUE,
        "database": BENCH_DB, "worker": "celery worker --pool=prefork --concurrency=K, " + ", ".join(
            f"{k}={v}" for k, v in WORKER_ENV.items()),
        "cpu_count": os.cpu_count(), "python": platform.python_version(), "django": django.__version__,
        "celery": celery.__version__, "duration_s": round(time.monotonic() - started, 1),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


OTHER_LIMIT = 0.15
CPU_COLUMNS = ("workers", "postgres", "redis", "peer", "bench", "other")


def _cpu_cells(run):
    cpu = run["cpu"]
    if not cpu:
        return "n/a"
    share, per = cpu["share"], cpu["ms_per_dossier"]
    return f"{share['busy']:>5.0%} " + " ".join(f"{per[k]:>8.1f}" for k in CPU_COLUMNS)


def report(results):
    overhead, runs = results["overhead"], results["throughput"]
    lat, seen, parts = overhead["latency_ms"], overhead["observed_ms"], overhead["breakdown_p50_ms"]
    print(f"\nExchange overhead: 1 worker process, zero-latency peer, one dossier at a time "
          f"(N={overhead['dossiers']})")
    print(f"  enqueue -> resumed (worker's clock)   p50 {lat['p50']:6.1f}  p95 {lat['p95']:6.1f}  "
          f"p99 {lat['p99']:6.1f}  max {lat['max']:6.1f} ms")
    print(f"  enqueue -> seen committed (polling)   p50 {seen['p50']:6.1f}  p95 {seen['p95']:6.1f}  "
          f"p99 {seen['p99']:6.1f}  max {seen['max']:6.1f} ms")
    print("  median parts: " + ", ".join(f"{k} {v:.1f}" for k, v in parts.items()) + " ms")
    print(f"  database sessions opened per exchange: {overhead['database']['db_sessions_per_dossier']:.2f}")

    print(f"\nThroughput: {runs[0]['dossiers'] if runs else 0} dossiers per run, accepted from "
          f"{results['setup']['options']['threads']} threads; enqueue -> resumed and pickup (p50) in ms")
    print(f"  {'peer':>6} {'workers':>7} {'exch/s':>7} {'accept/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} "
          f"{'max':>7} {'pickup':>7} {'call':>5} {'locks':>5} {'sessions':>8}")
    for run in runs:
        lat, parts = run["latency_ms"], run["breakdown_p50_ms"]
        print(f"  {run['peer_delay_ms']:>4}ms {run['workers']:>7} {run['exchanges_per_s']:>7.1f} "
              f"{run['accepts_per_s'] or 0:>8.1f} {lat['p50']:>7.1f} {lat['p95']:>7.1f} {lat['p99']:>7.1f} "
              f"{lat['max']:>7.1f} {parts['pickup']:>7.1f} {parts['call']:>5.0f} "
              f"{run['database']['max_waiting_on_lock']:>5} {run['database']['db_sessions_per_dossier']:>8.2f}")

    print("\nCPU: share of the machine used (busy), and CPU ms per dossier by process group")
    print(f"  {'run':<17} {'busy':>5} " + " ".join(f"{k:>8}" for k in CPU_COLUMNS))
    print(f"  {'overhead':<17} {_cpu_cells(overhead)}")
    for run in runs:
        name = f"{run['workers']} w, {run['peer_delay_ms']} ms"
        print(f"  {name:<17} {_cpu_cells(run)}")
    print("\n  locks: most backends seen waiting on a lock at once (sampled every 50 ms); sessions: database\n"
          "  sessions opened per dossier; bench: this process (the accepts, and the polling); other: the\n"
          "  kernel and the rest of the machine.")
    busy_elsewhere = [r for r in [overhead, *runs] if r["cpu"] and r["cpu"]["share"]["other"] > OTHER_LIMIT]
    if busy_elsewhere:
        print(f"  WARNING: in {len(busy_elsewhere)} run(s) more than {OTHER_LIMIT:.0%} of the machine went to other "
              "work; the figures are skewed. Run on a quiet machine.")
    print(f"  {results['setup']['duration_s']} s in all; results in {RESULTS_FILE.relative_to(ROOT)}")


# --- main ------------------------------------------------------------------------------------------------------

def close_django_connections():
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def measure(args, results):
    """The runs, in order; each adds its figures to ``results`` as soon as it is done."""
    with PeerService() as peers:
        env = project_env(args.broker, peers.url)
        print(f"Setting up {BENCH_DB} (migrate, seed_demo); peer service at {peers.url}", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        setup_django(env)
        purge_queue()
        prepare_procedure(peers.url)
        bench = Bench(args, env, peers)
        try:
            results["overhead"] = bench.overhead()
            for workers, delay in [(k, 0.0) for k in WORKER_COUNTS] + [
                    (k, args.delay_ms / 1000) for k in DELAYED_WORKER_COUNTS]:
                results["throughput"].append(bench.throughput(workers, delay))
        finally:
            bench.close()


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    WORKER_LOG.write_text("")
    recreate_database(BENCH_DB)
    results, failure = {"overhead": None, "throughput": []}, None
    try:
        measure(args, results)
    except BenchFailure as exc:
        failure = str(exc)
    finally:
        close_django_connections()
        if not args.keep:
            drop_database(BENCH_DB)
    results["setup"] = setup_info(args, started)
    results["failure"] = failure
    RESULTS_FILE.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    if failure:
        print(f"\nFAILED: {failure}\n(the runs done so far are in {RESULTS_FILE.relative_to(ROOT)})",
              file=sys.stderr)
        return 1
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
