"""The first benchmark: how many dossiers and work-item completions per second the API sustains.

Why: the engine keeps each dossier's SpiffWorkflow state as JSON in PostgreSQL and every step is
one locked transaction (load the workflow, run it, store it, write work items and audit events).
Before tuning anything we want a reading of what a small machine does end to end, through a real
HTTP server, and how that compares with what its PostgreSQL does on a standard load (pgbench).

What it does, on the PostgreSQL server of ``DATABASE_URL`` (only the server and credentials are
taken from it; the databases used are always ``onestop_bench`` and ``onestop_pgbench``):

1. recreates ``onestop_bench``, runs ``migrate`` and ``seed_demo`` against it (after starting the
   project's stand-ins for other agencies' systems, ``onestop.peers.server``, if it has them);
2. starts gunicorn (``onestop.wsgi``) on a free local port and a Celery worker (every queue) on a Redis
   database of its own (``--broker``), as in production: the exchanges a step reaches and the messages it
   sends run in the worker, on the same machine (``--eager``: no broker, they run inside the request);
3. phase A: citizen1 submits N birth registrations (procedure 1.001193) from C client threads,
   spread over three wards;
4. phase B: the wards' officials drive every dossier through accept -> approve -> sign -> returned
   (one request per step: complete/ claims the open step as it completes it; ``--two-requests``: claim/
   then complete/) from C client threads, one stage after the other; each stage waits until
   the worker has opened every step of the stage (the exchanges before approval and before the return),
   runs ANALYZE and lists the queues once, so finding a step's id costs no request per completion;
5. checks through the API that every dossier ended "returned" and no queue holds anything;
6. runs pgbench TPC-B on ``onestop_pgbench`` as the machine's database yardstick;
7. prints a table and writes ``bench/results/api_throughput.json``.

The HTTP client is the standard library only (one connection per request) and runs on the same
machine, so client, server and PostgreSQL share the CPUs; the CPU split is reported.

    python bench/api_throughput.py [--dossiers 300] [--concurrency 8] [--workers 3] [--celery 2] [--quick] [--keep]
"""
import argparse
import http.client
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import psycopg2
from psycopg2 import sql

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402  (the set-up every bench script shares)
    BIRTH_FORM,
    PGBENCH_SCALE,
    RESULTS_DIR,
    ROOT,
    BenchFailure,
    PeerStandIns,
    Server,
    connect,
    data_for,
    database_url,
    drop_database,
    git_state,
    manage,
    percentile,
    project_env,
    recreate_database,
    run_pgbench,
    without_service_tasks,
)

RESULTS_FILE = RESULTS_DIR / "api_throughput.json"
SERVER_LOG = RESULTS_DIR / "gunicorn.log"
PEERS_LOG = RESULTS_DIR / "peers.log"

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/onestop_bench"
BENCH_DB = "onestop_bench"
PGBENCH_DB = "onestop_pgbench"
# Databases whose backends count as "PostgreSQL" in the CPU split (versus_viewflow.py adds its peer's).
MEASURED_DBS = {BENCH_DB}
PASSWORD = "onestop-demo"  # onestop.demo.seed.DEMO_PASSWORD
PROCEDURE = "1.001193"  # birth registration, received and decided by the ward

# ward code -> username prefix of its officials (onestop.demo.seed.OFFICIALS)
WARDS = {"q1-bennghe": "bennghe", "q1-benthanh": "benthanh", "q3-vothisau": "vothisau"}
# decision, role of the official who takes it, kind of the work item
STAGES = [
    ("accept", "receiver", "reception"),
    ("approve", "specialist", "task"),
    ("sign", "leader", "task"),
    ("returned", "receiver", "return"),
]
# The officials' part of a dossier's timeline; events of background work (exchange_completed after
# signing, for the birth register) may come in between and are not checked here.
EXPECTED_TIMELINE = [
    "submitted",
    "claimed", "reception_completed",
    "claimed", "task_completed",
    "claimed", "task_completed",
    "claimed", "return_completed",
]
VERIFY_SAMPLE = 20
DEFAULT_BROKER = "redis://127.0.0.1:6379/12"  # make test uses 15, exchanges.py 13
WORKER_LOG = RESULTS_DIR / "celery.log"
STAGE_WAIT_SECONDS = 120  # for the worker to open a stage's steps
QUEUES = "engine,exchanges,notifications,reports"  # settings.ONESTOP_CELERY_QUEUES: the worker takes them all
STATS_SETTLE_SECONDS = 11
STAGE_ANALYZE = ("worklist_workitem", "dossiers_handover")  # analyzed before each stage of phase B


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, help="dossiers to submit and process (default 300, quick 40)")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per gunicorn worker; above 1 uses the gthread worker (default 1: sync)")
    parser.add_argument("--pgbench-seconds", type=int, help="duration of the pgbench run (default 15, quick 5)")
    parser.add_argument("--celery", type=int, default=2, help="Celery worker processes (default 2)")
    parser.add_argument("--broker", default=DEFAULT_BROKER,
                        help=f"Redis database of the bench's own (emptied at the start; default {DEFAULT_BROKER})")
    parser.add_argument("--eager", action="store_true",
                        help="no broker: exchanges and messages run inside the request that makes them")
    parser.add_argument("--without-exchanges", action="store_true",
                        help="publish the birth registration without its two service tasks first (the population"
                             " lookup, the birth register): the officials' steps alone, as versus_viewflow's peer")
    parser.add_argument("--two-requests", action="store_true",
                        help="claim each step in a request of its own, then complete it (default: one request)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 40 dossiers, pgbench -T 5")
    parser.add_argument("--keep", action="store_true", help="keep the bench databases afterwards")
    args = parser.parse_args(argv)
    args.dossiers = args.dossiers or (40 if args.quick else 300)
    args.pgbench_seconds = args.pgbench_seconds or (5 if args.quick else 15)
    if args.dossiers < 1 or args.concurrency < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--dossiers, --concurrency, --workers and --threads must be at least 1")
    return args


# --- PostgreSQL ----------------------------------------------------------------------------------------

def analyze_bench_db(tables=()):
    """Give the planner statistics for ``tables`` (all by default) as they are now.

    The bench's tables grow from empty within a minute, faster than autovacuum (naptime 60 s)
    analyzes them. When the statistics have not seen a queue's rows yet (no specialist items before
    the first approval, say), PostgreSQL fetches a work item by id within a queue through the
    (agency, role, state) index and reads the whole queue: O(dossiers) rows per claim or completion,
    and figures that depend on autovacuum's timing. (ANALYZE writes pg_statistic rows, so within
    a phase only the tables that matter are analyzed, to keep the "rows written" figure honest.)
    """
    conn = connect(BENCH_DB)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(map(sql.Identifier, tables))))
    finally:
        conn.close()


# The statistics below are read from the maintenance database "postgres": the views are cluster-wide,
# and queries made from there do not count as work in the bench database.

def db_counters(conn):
    """Cumulative transaction and row counters of the bench database (pg_stat_database)."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT xact_commit, xact_rollback, tup_inserted, tup_updated, tup_deleted, tup_fetched, deadlocks"
            " FROM pg_stat_database WHERE datname = %s", [BENCH_DB]
        )
        names = ["commits", "rollbacks", "inserted", "updated", "deleted", "fetched", "deadlocks"]
        return dict(zip(names, cur.fetchone(), strict=True))


def settled_counters(conn):
    """``db_counters`` once the server's backends, idle now, have flushed their statistics.

    A backend going idle less than a second after its last flush keeps its counts for up to 10 s
    (PGSTAT_IDLE_INTERVAL, PostgreSQL 15+), so a shorter wait undercounts the last second's work.
    """
    time.sleep(STATS_SETTLE_SECONDS)
    return db_counters(conn)


class LockSampler:
    """Samples, every 50 ms, how many backends of the bench database wait on a lock (own connection)."""

    QUERY = ("SELECT count(*) FILTER (WHERE wait_event_type = 'Lock'), count(*) FILTER (WHERE state = 'active')"
             " FROM pg_stat_activity WHERE datname = %s")

    def __init__(self):
        self.samples, self._stop = [], threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        conn = connect("postgres")
        try:
            with conn.cursor() as cur:
                while not self._stop.wait(0.05):
                    cur.execute(self.QUERY, [BENCH_DB])
                    self.samples.append(cur.fetchone())
        finally:
            conn.close()

    def summary(self):
        waiting = [w for w, _active in self.samples] or [0]
        active = [a for _waiting, a in self.samples] or [0]
        return {
            "samples": len(self.samples),
            "mean_waiting_on_lock": round(sum(waiting) / len(waiting), 2),
            "max_waiting_on_lock": max(waiting),
            "share_of_samples_with_a_wait": round(sum(1 for w in waiting if w) / len(waiting), 3),
            "mean_active_backends": round(sum(active) / len(active), 2),
        }


# --- CPU accounting (Linux /proc; empty elsewhere) --------------------------------------------------------

def _proc_stats():
    """pid -> (ppid, comm, command line, utime + stime in ticks) of every readable process."""
    stats = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = entry.read_text()
            cmdline = (entry.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        comm = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        stats[int(entry.parent.name)] = (int(fields[1]), comm, cmdline, int(fields[11]) + int(fields[12]))
    return stats


def _ours_in_postgres(comm, cmdline):
    """PostgreSQL's shared processes (writer, checkpointer...) and the client backends of the bench
    database; not other databases' backends (a test suite running meanwhile, say)."""
    if not comm.startswith("postgres"):
        return False
    is_client_backend = "(" in cmdline or "[local]" in cmdline
    return not is_client_backend or any(f" {name} " in cmdline for name in MEASURED_DBS)


def cpu_snapshot(trees):
    """CPU seconds used so far by the machine, the bench client, PostgreSQL and each process tree of
    ``trees`` (name -> pid of its root; the root's children are counted with it)."""
    if not Path("/proc/stat").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    idle = total[3] + total[4]  # idle + iowait
    procs = _proc_stats()
    snapshot = {
        "wall": time.monotonic(),
        "busy": (sum(total) - idle) / ticks,
        "client": time.process_time(),
        # per pid: backends come and go (Django reconnects after DB_CONN_MAX_AGE)
        "postgres": {pid: t / ticks for pid, (_pp, comm, cmdline, t) in procs.items()
                     if _ours_in_postgres(comm, cmdline)},
    }
    for name, root in trees.items():
        snapshot[name] = {pid: t / ticks for pid, (ppid, _c, _l, t) in procs.items() if root in (pid, ppid)}
    return snapshot


class CpuMeter:
    """CPU shares over a phase. Samples every 0.5 s, so that a process ending meanwhile (a backend
    that Django replaces after DB_CONN_MAX_AGE) still counts, up to its last sample."""

    INTERVAL = 0.5

    def __init__(self, trees):
        self.trees, self.first, self.latest, self._stop = trees, None, None, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self.first = self.latest = cpu_snapshot(self.trees)
        if self.first:
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._sample()

    def _run(self):
        while not self._stop.wait(self.INTERVAL):
            self._sample()

    def _sample(self):
        if self.first is None:
            return
        now = cpu_snapshot(self.trees)
        for group, per_pid in now.items():
            if isinstance(per_pid, dict):
                now[group] = {**self.latest[group], **per_pid}
        self.latest = now

    def usage(self):
        return cpu_usage(self.first, self.latest)


def cpu_usage(before, after):
    """Shares of the machine's CPU capacity over the interval, per consumer; "other" is everything
    else that kept the CPUs busy (the kernel, and any other work on the machine, which skews a run)."""
    if not before or not after:
        return None
    capacity = (after["wall"] - before["wall"]) * (os.cpu_count() or 1)
    used = {k: after[k] - before[k] for k in ("busy", "client")}
    for group in set(after) - {"wall", "busy", "client"}:
        used[group] = sum(t - before[group].get(pid, 0.0) for pid, t in after[group].items())
    usage = {k: round(v / capacity, 3) for k, v in used.items()}
    usage["other"] = round(max(0.0, usage["busy"] - sum(v for k, v in usage.items() if k != "busy")), 3)
    return usage


def publish_without_exchanges(env):
    """A new published version of the birth registration: the shipped file with its service tasks taken out."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    plain = RESULTS_DIR / "birth_registration.without_exchanges.bpmn"
    plain.write_bytes(without_service_tasks((ROOT / "bpmn" / "birth_registration.bpmn").read_bytes()))
    manage(env, "import_bpmn", str(plain), "--procedure", PROCEDURE, "--publish")


# --- the project: migrate, seed, serve ------------------------------------------------------------------

class CeleryWorker:
    """``celery -A onestop worker`` on every queue of the project, as a deployment runs it; a context manager
    that always stops it. The broker's database is emptied first (it is the bench's own)."""

    def __init__(self, env, processes):
        self.env, self.processes, self.proc, self.pid = env, processes, None, None

    def __enter__(self):
        import redis

        redis.Redis.from_url(self.env["CELERY_BROKER_URL"]).flushdb()
        self.log = WORKER_LOG.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "onestop", "worker", "--pool=prefork",
             f"--concurrency={self.processes}", "-Q", QUEUES, "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env={**self.env, "LOG_LEVEL": "INFO"}, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.pid = self.proc.pid
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchFailure(f"the Celery worker exited with {self.proc.returncode}; see {WORKER_LOG}")
            if " ready." in WORKER_LOG.read_text(errors="replace"):
                return self
            time.sleep(0.2)
        self.__exit__()
        raise BenchFailure(f"the Celery worker was not ready within 60 s; see {WORKER_LOG}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- HTTP client ------------------------------------------------------------------------------------------

class ApiError(Exception):
    def __init__(self, label, status, message):
        super().__init__(message)
        self.kind = f"{label} -> HTTP {status}"


class Latencies:
    """Request latencies in seconds, by label; shared by the client threads."""

    def __init__(self):
        self._lock, self.by_label = threading.Lock(), {}

    def add(self, label, seconds):
        with self._lock:
            self.by_label.setdefault(label, []).append(seconds)


class Api:
    """JSON over HTTP/1.1 to the local server, one connection per request (gunicorn sync workers
    close every connection anyway). Every request's latency is recorded under its label."""

    def __init__(self, port, latencies):
        self.port, self.latencies = port, latencies

    def call(self, method, path, label, *, token=None, body=None, expect=(200,)):
        headers = {"Accept": "application/json", "Accept-Language": "en"}
        payload = None
        if token:
            headers["Authorization"] = f"Token {token}"
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        self.latencies.add(label, time.perf_counter() - started)
        if response.status not in expect:
            text = " ".join(raw.decode("utf-8", "replace").split())
            raise ApiError(label, response.status, f"{method} {path} -> {response.status}: {text[:160]}")
        return json.loads(raw) if raw else None

    def token(self, username):
        data = self.call("POST", "/api/v1/auth/token/", "token",
                         body={"username": username, "password": PASSWORD})
        return data["token"]


def run_all(jobs, concurrency):
    """Run the callables on ``concurrency`` threads; return (wall seconds, [(kind, message)] of failures)."""
    errors = []

    def guarded(job):
        try:
            job()
        except (ApiError, OSError, http.client.HTTPException, ValueError, KeyError) as exc:
            errors.append((getattr(exc, "kind", type(exc).__name__), str(exc)))

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(guarded, jobs))
    return time.perf_counter() - started, errors


def stop_on_errors(where, errors):
    """Fail the run, with a count per kind of failure and a few examples."""
    if not errors:
        return
    kinds = {}
    for kind, _message in errors:
        kinds[kind] = kinds.get(kind, 0) + 1
    lines = [f"{count} × {kind}" for kind, count in kinds.items()] + ["e.g."] + [m for _k, m in errors[:3]]
    raise BenchFailure(f"{len(errors)} failures in {where} (server log: {SERVER_LOG.relative_to(ROOT)}):\n  "
                       + "\n  ".join(lines))


# --- phase A: submissions ---------------------------------------------------------------------------------

def submit_dossiers(api, citizen_token, count, concurrency):
    """Submit ``count`` dossiers spread round-robin over the wards; return ([(code, ward)], seconds, errors)."""
    submitted, lock = [], threading.Lock()
    wards = [list(WARDS)[i % len(WARDS)] for i in range(count)]

    def submit(ward):
        body = {"procedure": PROCEDURE, "agency": ward, "form_data": BIRTH_FORM}
        data = api.call("POST", "/api/v1/dossiers/", "submit", token=citizen_token, body=body, expect=(201,))
        with lock:
            submitted.append((data["code"], ward))

    jobs = [lambda ward=ward: submit(ward) for ward in wards]
    seconds, errors = run_all(jobs, concurrency)
    return submitted, seconds, errors


# --- phase B: processing ----------------------------------------------------------------------------------

def list_queue(api, token, kind):
    """Dossier code -> work item id of the birth registrations of ``kind`` in the official's queue."""
    ids, page = {}, 1
    while True:
        query = urlencode({"procedure": PROCEDURE, "kind": kind, "page_size": 200, "page": page})
        data = api.call("GET", f"/api/v1/work-items/?{query}", "list", token=token)
        ids.update((item["dossier"], item["id"]) for item in data["results"])
        if not data.get("next"):
            return ids
        page += 1


def complete_step(api, token, item_id, decision, two_requests=False):
    if two_requests:
        api.call("POST", f"/api/v1/work-items/{item_id}/claim/", "claim", token=token)
    body = {"decision": decision, "data": data_for(decision), "comment": ""}
    api.call("POST", f"/api/v1/work-items/{item_id}/complete/", f"complete {decision}", token=token, body=body)


def wait_until(query, params, done, failure):
    """Poll ``query`` on the bench database until ``done(its first value)``; waiting costs the server nothing
    (no API call). The worker opens some stages' steps after an exchange and sends the messages after commit."""
    conn = connect(BENCH_DB)
    conn.autocommit = True
    deadline = time.monotonic() + STAGE_WAIT_SECONDS
    try:
        with conn.cursor() as cur:
            while True:
                cur.execute(query, params)
                if done(cur.fetchone()[0]):
                    return
                if time.monotonic() > deadline:
                    raise BenchFailure(f"{failure} within {STAGE_WAIT_SECONDS} s; see {WORKER_LOG.relative_to(ROOT)}")
                time.sleep(0.05)
    finally:
        conn.close()


def run_stage(api, tokens, dossiers, stage, concurrency, two_requests=False):
    """Wait for the stage's steps, ANALYZE, list each ward's queue once, then claim + complete every
    dossier's step of this stage."""
    decision, role, kind = stage
    prep_started = time.perf_counter()
    wait_until("SELECT count(*) FROM worklist_workitem WHERE kind = %s AND state IN ('open', 'claimed')", [kind],
               lambda opened: opened >= len(dossiers), f"the worker did not open {len(dossiers)} {kind} steps")
    analyze_bench_db(STAGE_ANALYZE)
    officials = {ward: f"{prefix}.{role}" for ward, prefix in WARDS.items()}
    queues = {ward: list_queue(api, tokens[official], kind) for ward, official in officials.items()}
    prep = time.perf_counter() - prep_started
    jobs, errors = [], []
    for code, ward in dossiers:  # in submission order, so the wards are interleaved
        item_id = queues[ward].get(code)
        if item_id is None:
            errors.append(("step not in queue", f"{officials[ward]} has no {kind} step of {code} to {decision}"))
        else:
            jobs.append(lambda t=tokens[officials[ward]], i=item_id: complete_step(api, t, i, decision, two_requests))
    seconds, failures = run_all(jobs, concurrency)
    return {"decision": decision, "completions": len(jobs) - len(failures), "prep_seconds": prep,
            "seconds": seconds}, errors + failures


def process_dossiers(api, tokens, dossiers, concurrency, two_requests=False):
    stages = []
    started = time.perf_counter()
    for stage in STAGES:
        result, errors = run_stage(api, tokens, dossiers, stage, concurrency, two_requests)
        stop_on_errors(f"phase B, stage {stage[0]}", errors)
        stages.append(result)
    return stages, time.perf_counter() - started


# --- verification ----------------------------------------------------------------------------------------

def verify(api, tokens, dossiers):
    """Every dossier is "returned", a sample's timeline is complete, and no queue holds anything."""
    citizen = tokens["citizen1"]
    query = urlencode({"procedure": PROCEDURE, "status": "returned", "page_size": 1})
    returned = api.call("GET", f"/api/v1/dossiers/?{query}", "verify", token=citizen)["count"]
    problems = []
    if returned != len(dossiers):
        problems.append(f"{returned} of {len(dossiers)} dossiers are returned")
    sample = random.Random(0).sample([code for code, _ward in dossiers], min(VERIFY_SAMPLE, len(dossiers)))
    for code in sample:
        seen = api.call("GET", f"/api/v1/dossiers/{code}/", "dossier detail", token=citizen)
        actions = [e["action"] for e in seen["timeline"] if e["action"] in EXPECTED_TIMELINE]
        if seen["status"] != "returned" or seen["open_steps"] or actions != EXPECTED_TIMELINE:
            problems.append(f"{code}: status {seen['status']}, {len(seen['open_steps'])} open steps, "
                            f"timeline {actions}")
    for username, token in tokens.items():
        if username != "citizen1":
            left = api.call("GET", f"/api/v1/work-items/?procedure={PROCEDURE}&page_size=1", "verify",
                            token=token)["count"]
            if left:
                problems.append(f"{username} still has {left} open work items")
    if problems:
        raise BenchFailure("verification failed:\n  " + "\n  ".join(problems[:20]))
    return {"returned": returned, "sampled": len(sample)}


# --- pgbench ----------------------------------------------------------------------------------------------

# --- figures ----------------------------------------------------------------------------------------------

def latency_table(latencies):
    table = {}
    labels = ["submit", "list", "claim"] + [f"complete {d}" for d, _r, _k in STAGES]
    for label in labels + sorted(set(latencies.by_label) - set(labels)):
        values = sorted(latencies.by_label.get(label, []))
        if values:
            table[label] = {"count": len(values), **{f"p{p}_ms": round(percentile(values, p) * 1000, 1)
                                                      for p in (50, 95, 99)},
                            "max_ms": round(values[-1] * 1000, 1)}
    completes = sorted(v for d, _r, _k in STAGES for v in latencies.by_label.get(f"complete {d}", []))
    if completes:
        table["complete (all)"] = {"count": len(completes), **{f"p{p}_ms": round(percentile(completes, p) * 1000, 1)
                                                               for p in (50, 95, 99)},
                                   "max_ms": round(completes[-1] * 1000, 1)}
    return table


def per_unit(before, after, units):
    """pg_stat_database deltas divided by ``units`` (dossiers or completions)."""
    if not units:
        return {}
    delta = {k: after[k] - before[k] for k in before}
    return {"commits": round(delta["commits"] / units, 1),
            "rows_written": round((delta["inserted"] + delta["updated"] + delta["deleted"]) / units, 1),
            "rows_read": round(delta["fetched"] / units, 1),
            "rollbacks": delta["rollbacks"], "deadlocks": delta["deadlocks"]}


def print_report(r):
    a, b, pg = r["phase_a"], r["phase_b"], r["pgbench"]
    s = r["setup"]
    print()
    threads = f" × {s['threads']} threads" if s["threads"] > 1 else ""
    tree = f"{s['commit']}{' + changes' if s['dirty'] else ''}" if s["commit"] else "?"
    print(f"onestop API throughput ({tree}) — {s['dossiers']} dossiers, {s['concurrency']} client threads, "
          f"gunicorn {s['workers']} {s['worker_class']} workers{threads}, {s['cpus']} CPUs")
    print(f"{'request':<22}{'count':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for label, row in r["latency"].items():
        print(f"{label:<22}{row['count']:>7}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
              f"{row['max_ms']:>9}")
    print()
    print(f"A  submissions   {a['dossiers']:>5} in {a['seconds']:6.1f} s  {a['per_second']:7.1f} dossiers/s")
    print(f"B  completions   {b['completions']:>5} in {b['seconds']:6.1f} s  {b['per_second']:7.1f} completions/s"
          f"  ({b['per_second_without_prep']:.1f}/s without the {b['prep_seconds']:.1f} s of ANALYZE and "
          f"queue listing before the stages)")
    for stage in b["stages"]:
        print(f"     {stage['decision']:<10} {stage['completions']:>5} in {stage['seconds']:6.1f} s"
              f"  {stage['per_second']:7.1f}/s")
    for name, phase, unit in (("A", a, "dossier"), ("B", b, "completion")):
        db, locks, cpu = phase[f"db_per_{unit}"], phase["locks"], phase["cpu"]
        print(f"{name}  per {unit}: {db.get('commits')} commits, {db.get('rows_written')} rows written, "
              f"{db.get('rows_read')} rows read; rollbacks {db.get('rollbacks')}, deadlocks {db.get('deadlocks')}")
        print(f"   lock waits: mean {locks['mean_waiting_on_lock']} backends waiting (max "
              f"{locks['max_waiting_on_lock']}, {locks['share_of_samples_with_a_wait']:.0%} of samples), "
              f"mean {locks['mean_active_backends']} active backends")
        if cpu:
            peers = f", peer stand-ins {cpu['peers']:.0%}" if "peers" in cpu else ""
            worker = f", Celery worker {cpu['worker']:.0%}" if "worker" in cpu else ""
            print(f"   CPU: machine {cpu['busy']:.0%} busy — gunicorn {cpu['server']:.0%}{worker}, "
                  f"PostgreSQL {cpu['postgres']:.0%}, bench client {cpu['client']:.0%}{peers}, "
                  f"other {cpu['other']:.0%}")
            if cpu["other"] > 0.15:
                print("   (other work used the CPUs meanwhile: these figures are skewed low)")
    print()
    print(f"pgbench TPC-B (scale {pg['scale']}, -c {pg['clients']} -j {pg['threads']} -T {pg['seconds']}): "
          f"{pg['tps']:.0f} tps without connection time, latency avg {pg['latency_avg_ms']} ms")
    ratio = r["ratio_completions_to_pgbench_tps"]
    if ratio:
        print(f"ratio: {b['per_second']:.1f} completions/s = {ratio:.4f} × pgbench TPC-B tps (1 : {1 / ratio:.0f})")
    print("   One completion (claim + complete) is several transactions' worth of SQL — authenticate, lock the")
    print("   dossier, load and run the workflow JSON, store it, update and insert work items, insert audit")
    print("   events — plus the HTTP, Django and SpiffWorkflow work around it, against 3 updates + 1 insert")
    print("   for a TPC-B transaction. The ratio is a reading for comparing runs and machines, not a target.")
    print(f"\nverified: {r['verified']['returned']} dossiers returned, {r['verified']['sampled']} timelines checked")
    print(f"results: {RESULTS_FILE.relative_to(ROOT)}")


# --- the run ----------------------------------------------------------------------------------------------

def measure_phase(trees, stats_conn, body):
    """Run ``body()`` while sampling locks, counting database work and CPU."""
    counters_before = settled_counters(stats_conn)
    with LockSampler() as locks, CpuMeter(trees) as cpu:
        outcome = body()
    return outcome, {"counters": (counters_before, settled_counters(stats_conn)), "locks": locks.summary(),
                     "cpu": cpu.usage()}


def tokens_for(api):
    usernames = ["citizen1"] + [f"{prefix}.{role}" for prefix in WARDS.values()
                                for role in ("receiver", "specialist", "leader")]
    return {username: api.token(username) for username in usernames}


def run_api_phases(args, server, worker, peers, stats_conn):
    trees = {"server": server.proc.pid, **({"worker": worker.pid} if worker else {}),
             **({"peers": peers.pid} if peers.pid else {})}
    latencies = Latencies()
    api = Api(server.port, latencies)
    tokens = tokens_for(api)
    analyze_bench_db()
    print(f"phase A: submitting {args.dossiers} dossiers from {args.concurrency} threads...", flush=True)
    (dossiers, a_seconds, errors), a_meas = measure_phase(
        trees, stats_conn, lambda: submit_dossiers(api, tokens["citizen1"], args.dossiers, args.concurrency))
    stop_on_errors("phase A", errors)
    print(f"phase B: processing them ({len(STAGES)} steps each)...", flush=True)
    (stages, b_seconds), b_meas = measure_phase(
        trees, stats_conn, lambda: process_dossiers(api, tokens, dossiers, args.concurrency, args.two_requests))
    if worker:  # the last messages (result handed over) are the worker's: wait, so that nothing is cut off
        wait_until("SELECT count(*) FROM notifications_notification WHERE state = 'queued'", [],
                   lambda queued: queued == 0, "the worker did not send every message")
    verified = verify(api, tokens, dossiers)
    completions = sum(s["completions"] for s in stages)
    prep = sum(s["prep_seconds"] for s in stages)
    phase_a = {"dossiers": len(dossiers), "seconds": round(a_seconds, 2),
               "per_second": round(len(dossiers) / a_seconds, 2),
               "db_per_dossier": per_unit(*a_meas["counters"], len(dossiers)),
               "locks": a_meas["locks"], "cpu": a_meas["cpu"]}
    phase_b = {"completions": completions, "seconds": round(b_seconds, 2),
               "per_second": round(completions / b_seconds, 2), "prep_seconds": round(prep, 2),
               "per_second_without_prep": round(completions / (b_seconds - prep), 2),
               "stages": [{**s, "seconds": round(s["seconds"], 2), "prep_seconds": round(s["prep_seconds"], 2),
                           "per_second": round(s["completions"] / s["seconds"], 2)} for s in stages],
               "db_per_completion": per_unit(*b_meas["counters"], completions),
               "locks": b_meas["locks"], "cpu": b_meas["cpu"]}
    return {"phase_a": phase_a, "phase_b": phase_b, "latency": latency_table(latencies), "verified": verified}


def run(args):
    print(f"preparing {BENCH_DB} on {urlsplit(database_url(BENCH_DB)).netloc}: migrate, seed_demo...", flush=True)
    recreate_database(BENCH_DB)
    stats_conn = connect("postgres")
    try:
        with PeerStandIns() as peers:
            env = project_env(BENCH_DB, peers.url, **({} if args.eager else {"CELERY_BROKER_URL": args.broker}))
            manage(env, "migrate", "--noinput")
            manage(env, "seed_demo")
            if args.without_exchanges:
                publish_without_exchanges(env)
            if peers.url:
                print(f"peer stand-ins (onestop.peers.server) on {peers.url}", flush=True)
            with Server(env, args.workers, args.threads) as server, \
                    (nullcontext() if args.eager else CeleryWorker(env, args.celery)) as worker:
                print(f"gunicorn on 127.0.0.1:{server.port} ({args.workers} {server.worker_class} workers)"
                      + (", no broker: background work inside the requests" if args.eager else
                         f", Celery worker ({args.celery} processes) on {args.broker}"), flush=True)
                results = run_api_phases(args, server, worker, peers, stats_conn)
    finally:
        stats_conn.close()
    print(f"pgbench: -i -s {PGBENCH_SCALE}, then TPC-B for {args.pgbench_seconds} s...", flush=True)
    results["pgbench"] = run_pgbench(args.pgbench_seconds, PGBENCH_DB)
    tps = results["pgbench"]["tps"]
    results["ratio_completions_to_pgbench_tps"] = round(results["phase_b"]["per_second"] / tps, 5) if tps else None
    results["setup"] = {
        "dossiers": args.dossiers, "concurrency": args.concurrency, "workers": args.workers,
        "threads": args.threads, "worker_class": "gthread" if args.threads > 1 else "sync",
        "celery": None if args.eager else {"broker": args.broker, "processes": args.celery},
        "cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.node(),
        "postgres_server": urlsplit(database_url(BENCH_DB)).hostname, "quick": args.quick,
        "exchanges": not args.without_exchanges, "requests_per_step": 2 if args.two_requests else 1, **git_state(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return results


def measure(args):
    """The whole run: its results, written to ``RESULTS_FILE`` and printed; the bench databases dropped
    afterwards unless ``--keep``."""
    started = time.monotonic()
    try:
        results = run(args)
    finally:
        if not args.keep:
            for name in (BENCH_DB, PGBENCH_DB):
                try:
                    drop_database(name)
                except psycopg2.Error as exc:
                    print(f"could not drop {name}: {exc}", file=sys.stderr)
    results["setup"]["total_seconds"] = round(time.monotonic() - started, 1)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_report(results)
    print(f"total {results['setup']['total_seconds']} s")
    return results


def main(argv=None):
    try:
        measure(parse_args(argv))
    except (BenchFailure, subprocess.CalledProcessError, psycopg2.Error) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"\nBENCHMARK FAILED: {exc}\n{detail}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
