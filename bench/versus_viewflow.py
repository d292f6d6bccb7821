"""onestop beside django-viewflow 2.4 in the same run: human steps and starts per second, p95, pgbench.

The peer is the minimal viewflow project in ``bench/viewflow/`` (a registration started by a citizen, then
three human tasks in one lane, each assigned and executed by an official). The bench sets it up itself: a
venv of its own in ``bench/viewflow/.venv`` with the pinned ``requirements.txt`` (created with
``python -m venv`` and pip when missing or when the pins changed), a database of its own
(``onestop_bench_viewflow``) on the same PostgreSQL server, gunicorn with as many sync workers as onestop's.

Three rounds by default (``--rounds``), each running both one after the other on the same machine, onestop first
in odd rounds and viewflow first in even ones; the table gives each figure's median over the rounds, and the rates'
ratios as the median of the rounds' own ratios, each round's printed under it (a shared machine's speed drifts
by tens of percent within minutes: a pair measured close together, and the median of several, reads it least):

1. onestop: ``api_throughput.py`` (Celery worker, peer stand-ins, pgbench TPC-B at its end), with the client
   threads given here (4 by default), on the peer's shape of work: the birth registration published without
   its two service tasks, so that a step is an official's step and nothing else (``--with-exchanges``: as
   shipped, the population lookup and the birth register running in the worker between the steps);
2. viewflow: N processes started through ``POST /registration/start/`` from the same number of client threads,
   then, task after task, every process's task assigned (``.../assign/``) and executed (``.../execute/``),
   each official with a session cookie from the login form and the CSRF token, as a browser does;
3. one table, side by side: steps per second (onestop: claim + complete; viewflow: assign + execute) and
   starts per second, p95 of each request, commits per step and per start, with the ratios to viewflow and
   to the long-term aims (400 steps/s, 250 submissions/s, p95 at most 50 ms), and pgbench of the run.

Steps per second count the stages' requests only: the preparation of a stage (onestop: waiting for the
worker to open the stage's steps, ANALYZE, one queue listing per official; viewflow: reading the stage's task
ids from its database) is left out of both.

    python bench/versus_viewflow.py [--quick] [--rounds 3] [--dossiers N] [--concurrency 4] [--workers 3]
"""
import argparse
import hashlib
import http.client
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_throughput  # noqa: E402
from api_throughput import Latencies, run_all, stop_on_errors  # noqa: E402
from common import (  # noqa: E402
    RESULTS_DIR,
    ROOT,
    BenchFailure,
    Server,
    connect,
    database_url,
    distribution,
    drop_database,
    load_average,
    print_table,
    recreate_database,
    setup_info,
    write_json,
)

PEER_DIR = ROOT / "bench" / "viewflow"
PEER_VENV = PEER_DIR / ".venv"
PEER_PYTHON = PEER_VENV / "bin" / "python"
REQUIREMENTS = PEER_DIR / "requirements.txt"
INSTALLED_STAMP = PEER_VENV / ".requirements.sha256"  # the pins the venv was built from
PEER_DB = "onestop_bench_viewflow"
api_throughput.MEASURED_DBS.add(PEER_DB)  # its backends are PostgreSQL's share, not other work's
PEER_LOG = RESULTS_DIR / "viewflow-gunicorn.log"
PASSWORD = "viewflow-bench"
OFFICIALS = 3
# The flow's human tasks in order, with the field each one's form sets (bench/viewflow/vfbench/flows.py).
TASKS = {"review": "reviewed", "approve": "approved", "sign": "signed"}
FLOW_TASK = "vfbench/flows.RegistrationFlow.{}"  # viewflow_task.flow_task of a node
STATS_SETTLE_SECONDS = api_throughput.STATS_SETTLE_SECONDS
# The long-term aims on 2 cores.
AIM_STEPS, AIM_SUBMISSIONS, AIM_P95_MS = 400, 250, 50
# Targets against the peer: onestop's steps and submissions per second over viewflow's.
TARGET_STEPS_RATIO, TARGET_STARTS_RATIO = 1.5, 2.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, help="dossiers and processes (default 300, quick 40)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads of both (default 4)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers of both (default 3)")
    parser.add_argument("--celery", type=int, default=2, help="onestop's Celery worker processes (default 2)")
    parser.add_argument("--broker", default=api_throughput.DEFAULT_BROKER, help="onestop's Redis database")
    parser.add_argument("--pgbench-seconds", type=int, help="pgbench -T (default 15, quick 5)")
    parser.add_argument("--with-exchanges", action="store_true",
                        help="onestop runs the birth registration as shipped, with its population lookup and birth"
                             " register exchanges in the worker (default: without them, the peer's shape)")
    parser.add_argument("--rounds", type=int, help="rounds of both, in alternating order (default 3, quick 1)")
    parser.add_argument("--quick", action="store_true", help="40 dossiers and processes, pgbench -T 5, one round")
    args = parser.parse_args(argv)
    args.dossiers = args.dossiers or (40 if args.quick else 300)
    args.rounds = args.rounds or (1 if args.quick else 3)
    return args


# --- the peer's venv and database -------------------------------------------------------------------------

def ensure_peer_venv():
    """``bench/viewflow/.venv`` with the pinned requirements, built when missing or when the pins changed."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if PEER_PYTHON.exists() and INSTALLED_STAMP.exists() and INSTALLED_STAMP.read_text().strip() == wanted:
        return
    print(f"setting up {PEER_VENV.relative_to(ROOT)} from {REQUIREMENTS.relative_to(ROOT)}...", flush=True)
    if not PEER_PYTHON.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
    done = subprocess.run([str(PEER_PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                           "-r", str(REQUIREMENTS)], capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchFailure(f"pip could not install {REQUIREMENTS}:\n{done.stdout}{done.stderr}")
    INSTALLED_STAMP.write_text(wanted + "\n")


def peer_env():
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "DJANGO_SETTINGS_MODULE", "VIRTUAL_ENV"}}
    env.update({"DATABASE_URL": database_url(PEER_DB), "DEBUG": "0", "DB_CONN_MAX_AGE": "60",
                "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING",
                "DJANGO_SETTINGS_MODULE": "vfbench.settings"})
    return env


def peer_manage(env, *command):
    done = subprocess.run([str(PEER_PYTHON), "manage.py", *command], cwd=PEER_DIR, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchFailure(f"viewflow manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def peer_counters(conn):
    with conn.cursor() as cur:
        cur.execute("SELECT xact_commit, tup_inserted + tup_updated + tup_deleted, tup_fetched"
                    " FROM pg_stat_database WHERE datname = %s", [PEER_DB])
        return cur.fetchone()


def settled_peer_counters(conn):
    time.sleep(STATS_SETTLE_SECONDS)  # see api_throughput.settled_counters
    return peer_counters(conn)


def per_unit(before, after, units):
    commits, written, read = (a - b for a, b in zip(after, before, strict=True))
    return {"commits": round(commits / units, 1), "rows_written": round(written / units, 1),
            "rows_read": round(read / units, 1)}


# --- a browser's session: login form, session cookie, CSRF token ------------------------------------------

class Browser:
    """One user's session with the peer: form posts with the session cookie and the CSRF token, one connection
    per request (as the onestop client). Latencies are recorded under each request's label."""

    def __init__(self, port, latencies):
        self.port, self.latencies, self.cookies = port, latencies, {}

    def request(self, method, path, label=None, form=None, expect=(200, 302)):
        headers = {"Accept": "text/html", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if label:
            self.latencies.add(label, time.perf_counter() - started)
        for header in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if name in {"sessionid", "csrftoken"}:
                    self.cookies[name] = morsel.value
        if response.status not in expect:
            text = " ".join(raw.decode("utf-8", "replace").split())
            raise api_throughput.ApiError(label or path, response.status,
                                          f"{method} {path} -> {response.status}: {text[:160]}")
        return response, raw

    def login(self, username):
        self.request("GET", "/accounts/login/")  # sets the CSRF cookie
        response, _raw = self.request("POST", "/accounts/login/", form={
            "username": username, "password": PASSWORD, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        if response.status != 302 or "sessionid" not in self.cookies:
            raise BenchFailure(f"viewflow: {username} could not log in")
        return self

    def post(self, path, label, form):
        response, _raw = self.request("POST", path, label, form={
            **form, "csrfmiddlewaretoken": self.cookies["csrftoken"]}, expect=(302,))
        return response.getheader("Location") or ""


# --- the peer's run ---------------------------------------------------------------------------------------

def start_processes(citizen, count, concurrency):
    """Start ``count`` registrations; return ([process id], seconds, errors)."""
    started, lock = [], threading.Lock()

    def start(n):
        location = citizen.post("/registration/start/", "start", {"applicant": f"Nguyễn Minh Khôi {n}"})
        found = re.search(r"/registration/(\d+)/", location)
        if not found:
            raise ValueError(f"start: no process in the redirect to {location!r}")
        with lock:
            started.append(int(found.group(1)))

    seconds, errors = run_all([lambda n=n: start(n) for n in range(count)], concurrency)
    return started, seconds, errors


def stage_tasks(task, processes):
    """process id -> id of its new ``task`` (from the peer's database, as onestop's stage lists its queues)."""
    conn = connect(PEER_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT process_id, id FROM viewflow_task WHERE flow_task = %s AND status = 'NEW'",
                        [FLOW_TASK.format(task)])
            found = dict(cur.fetchall())
    finally:
        conn.close()
    missing = [p for p in processes if p not in found]
    if missing:
        raise BenchFailure(f"viewflow: {len(missing)} processes have no new {task} task (e.g. {missing[:3]})")
    return found


def run_tasks(officials, processes, concurrency):
    """Every process's tasks, task after task: assign + execute, by the lane's officials in turn."""
    stages, started = [], time.perf_counter()
    for task in TASKS:
        prep = time.perf_counter()
        tasks = stage_tasks(task, processes)
        prep = time.perf_counter() - prep

        def step(official, base, field):
            official.post(f"{base}/assign/", "assign", {})
            official.post(f"{base}/execute/", "execute", {field: "on"})

        jobs = [(officials[n % len(officials)], f"/registration/{p}/{task}/{tasks[p]}", TASKS[task])
                for n, p in enumerate(processes)]
        jobs = [lambda job=job: step(*job) for job in jobs]
        seconds, errors = run_all(jobs, concurrency)
        stop_on_errors(f"viewflow, task {task}", errors)
        stages.append({"task": task, "steps": len(jobs), "seconds": round(seconds, 2), "prep_seconds": round(prep, 3),
                       "per_second": round(len(jobs) / seconds, 2)})
    return stages, time.perf_counter() - started


def verify_peer(processes):
    """Every process finished with its three tasks done by an official."""
    conn = connect(PEER_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM viewflow_process WHERE status = 'DONE' AND id = ANY(%s)", [processes])
            done = cur.fetchone()[0]
            cur.execute("SELECT count(*) FROM viewflow_task WHERE status = 'DONE' AND owner_id IS NOT NULL"
                        " AND flow_task = ANY(%s)", [[FLOW_TASK.format(t) for t in TASKS]])
            steps = cur.fetchone()[0]
    finally:
        conn.close()
    if done != len(processes) or steps != len(processes) * len(TASKS):
        raise BenchFailure(f"viewflow: {done} of {len(processes)} processes done, {steps} tasks done")
    return {"processes_done": done, "tasks_done": steps}


def run_peer(args):
    ensure_peer_venv()
    print(f"preparing {PEER_DB}: migrate, seed_bench...", flush=True)
    recreate_database(PEER_DB)
    env = peer_env()
    peer_manage(env, "migrate", "--noinput")
    peer_manage(env, "seed_bench", "--password", PASSWORD, "--officials", str(OFFICIALS))
    stats = connect("postgres")
    latencies = Latencies()
    try:
        with Server(env, args.workers, log=PEER_LOG, app="vfbench.wsgi:application", python=PEER_PYTHON,
                    cwd=PEER_DIR, probe="/accounts/login/") as server:
            print(f"viewflow: gunicorn on 127.0.0.1:{server.port} ({args.workers} sync workers)", flush=True)
            citizen = Browser(server.port, latencies).login("citizen")
            officials = [Browser(server.port, latencies).login(f"official{n}") for n in range(1, OFFICIALS + 1)]
            before = settled_peer_counters(stats)
            print(f"viewflow: starting {args.dossiers} processes from {args.concurrency} threads...", flush=True)
            trees = {"server": server.proc.pid}
            with api_throughput.CpuMeter(trees) as start_cpu:
                processes, start_seconds, errors = start_processes(citizen, args.dossiers, args.concurrency)
            stop_on_errors("viewflow starts", errors)
            middle = settled_peer_counters(stats)
            print(f"viewflow: their {len(TASKS)} tasks each (assign + execute)...", flush=True)
            with api_throughput.CpuMeter(trees) as step_cpu:
                stages, total_seconds = run_tasks(officials, processes, args.concurrency)
            after = settled_peer_counters(stats)
        verified = verify_peer(processes)
    finally:
        stats.close()
    steps = sum(s["steps"] for s in stages)
    step_seconds = sum(s["seconds"] for s in stages)
    return {
        "starts": {"count": len(processes), "seconds": round(start_seconds, 2),
                   "per_second": round(len(processes) / start_seconds, 2),
                   "db_per_start": per_unit(before, middle, len(processes)), "cpu": start_cpu.usage(),
                   "server_cpu_ms": cpu_ms(start_cpu.usage(), ("server",), start_seconds, len(processes))},
        "steps": {"count": steps, "seconds": round(step_seconds, 2), "per_second": round(steps / step_seconds, 2),
                  "stages": stages, "db_per_step": per_unit(middle, after, steps), "cpu": step_cpu.usage(),
                  "server_cpu_ms": cpu_ms(step_cpu.usage(), ("server",), total_seconds, steps)},
        "latency": {label: distribution(values) for label, values in latencies.by_label.items()},
        "verified": verified, "load_average": load_average(),
    }


def cpu_ms(usage, groups, seconds, units):
    """CPU milliseconds per unit used by ``groups`` (shares of the machine over ``seconds``): the server's cost
    of a step, which other work on the machine changes less than the rate it reaches."""
    if not usage or not units:
        return None
    return round(sum(usage.get(g, 0.0) for g in groups) * seconds * (os.cpu_count() or 1) * 1000 / units, 1)


# --- the table --------------------------------------------------------------------------------------------

def onestop_figures(r):
    b = r["phase_b"]
    stage_seconds = sum(s["seconds"] for s in b["stages"])
    return {"starts_per_second": r["phase_a"]["per_second"],
            "steps_per_second": round(b["completions"] / stage_seconds, 2),
            "start_p95_ms": r["latency"]["submit"]["p95_ms"],
            "claim_p95_ms": r["latency"].get("claim", {}).get("p95_ms"),  # none when a step is one request
            "complete_p95_ms": r["latency"]["complete (all)"]["p95_ms"],
            "server_cpu_ms_per_start": cpu_ms(r["phase_a"]["cpu"], ("server", "worker"), r["phase_a"]["seconds"],
                                              r["phase_a"]["dossiers"]),
            "server_cpu_ms_per_step": cpu_ms(b["cpu"], ("server", "worker"), b["seconds"], b["completions"]),
            "others_cpu_share": b["cpu"]["other"] if b.get("cpu") else None,
            "commits_per_start": r["phase_a"]["db_per_dossier"]["commits"],
            "commits_per_step": b["db_per_completion"]["commits"],
            "rows_written_per_step": b["db_per_completion"]["rows_written"]}


def viewflow_figures(r):
    return {"starts_per_second": r["starts"]["per_second"], "steps_per_second": r["steps"]["per_second"],
            "start_p95_ms": r["latency"]["start"]["p95_ms"], "claim_p95_ms": r["latency"]["assign"]["p95_ms"],
            "complete_p95_ms": r["latency"]["execute"]["p95_ms"],
            "server_cpu_ms_per_start": r["starts"]["server_cpu_ms"],
            "server_cpu_ms_per_step": r["steps"]["server_cpu_ms"],
            "others_cpu_share": r["steps"]["cpu"]["other"] if r["steps"].get("cpu") else None,
            "commits_per_start": r["starts"]["db_per_start"]["commits"],
            "commits_per_step": r["steps"]["db_per_step"]["commits"],
            "rows_written_per_step": r["steps"]["db_per_step"]["rows_written"]}


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def median_figures(rounds):
    """Each figure's median over the rounds (None where no round has it)."""
    def median(values):
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 2) if values else None

    return {key: median([r[key] for r in rounds]) for key in rounds[0]}


def round_ratios(rounds):
    """onestop over viewflow in each round: steps and starts."""
    return [{"steps": ratio(r["onestop"]["steps_per_second"], r["viewflow"]["steps_per_second"]),
             "starts": ratio(r["onestop"]["starts_per_second"], r["viewflow"]["starts_per_second"])}
            for r in rounds]


def table_rows(one, peer, tps, steps_ratio, starts_ratio):
    """[label, onestop, viewflow, onestop / viewflow, target, onestop / aim]; the two rates' ratios are given
    (the median of the rounds' ratios, not the ratio of the medians)."""
    def met(value, target, higher=True):
        return "met" if (value >= target if higher else value <= target) else "not met"

    return [
        ["human steps/s (claim+complete | assign+execute)", one["steps_per_second"], peer["steps_per_second"],
         steps_ratio, f">= {TARGET_STEPS_RATIO} ({met(steps_ratio, TARGET_STEPS_RATIO)})",
         f"{ratio(one['steps_per_second'], AIM_STEPS)} of {AIM_STEPS}/s"],
        ["submissions/s (submit | start)", one["starts_per_second"], peer["starts_per_second"], starts_ratio,
         f">= {TARGET_STARTS_RATIO} ({met(starts_ratio, TARGET_STARTS_RATIO)})",
         f"{ratio(one['starts_per_second'], AIM_SUBMISSIONS)} of {AIM_SUBMISSIONS}/s"],
        ["p95 ms: submit | start", one["start_p95_ms"], peer["start_p95_ms"],
         ratio(one["start_p95_ms"], peer["start_p95_ms"]), "",
         f"{ratio(one['start_p95_ms'], AIM_P95_MS)} of {AIM_P95_MS} ms"],
        ["p95 ms: claim | assign", one["claim_p95_ms"], peer["claim_p95_ms"],
         ratio(one["claim_p95_ms"], peer["claim_p95_ms"]), "", f"{ratio(one['claim_p95_ms'], AIM_P95_MS)} of "
         f"{AIM_P95_MS} ms"],
        ["p95 ms: complete | execute", one["complete_p95_ms"], peer["complete_p95_ms"],
         ratio(one["complete_p95_ms"], peer["complete_p95_ms"]), "",
         f"{ratio(one['complete_p95_ms'], AIM_P95_MS)} of {AIM_P95_MS} ms"],
        ["server CPU ms per step (onestop: gunicorn + worker)", one["server_cpu_ms_per_step"],
         peer["server_cpu_ms_per_step"], ratio(one["server_cpu_ms_per_step"], peer["server_cpu_ms_per_step"]), "",
         ""],
        ["server CPU ms per submission | start", one["server_cpu_ms_per_start"], peer["server_cpu_ms_per_start"],
         ratio(one["server_cpu_ms_per_start"], peer["server_cpu_ms_per_start"]), "", ""],
        ["CPU share other work took while steps ran", one["others_cpu_share"], peer["others_cpu_share"], "", "",
         ""],
        ["commits per submission | start", one["commits_per_start"], peer["commits_per_start"],
         ratio(one["commits_per_start"], peer["commits_per_start"]), "", ""],
        ["commits per step", one["commits_per_step"], peer["commits_per_step"],
         ratio(one["commits_per_step"], peer["commits_per_step"]), "", ""],
        ["rows written per step", one["rows_written_per_step"], peer["rows_written_per_step"],
         ratio(one["rows_written_per_step"], peer["rows_written_per_step"]), "", ""],
        ["pgbench TPC-B of the run (tps)", round(tps) if tps else None, "", "", "", ""],
    ]


def print_versus(result):
    rounds = result["rounds"]
    print(f"\n===== onestop beside django-viewflow 2.4 ({result['setup']['commit']}"
          f"{' + changes' if result['setup']['dirty'] else ''}): {result['dossiers']} dossiers | processes, "
          f"{result['concurrency']} client threads, gunicorn {result['workers']} sync workers each; onestop's birth "
          f"registration {'with' if result.get('onestop_exchanges') else 'without'} its two exchanges; "
          f"{len(rounds)} round{'s' if len(rounds) > 1 else ''}, figures are medians")
    print_table(["", "onestop", "viewflow", "ratio", "target", "onestop / aim"], result["table"])
    print("Steps/s: the stages' requests only (preparation of a stage left out of both). onestop's Celery worker "
          "runs beside it;\nviewflow has no background work. Higher is better for rates, lower for p95 and counts.")
    if len(rounds) > 1:
        print("Each round (the rates' ratios above are the median of these):")
        for n, (r, ratios) in enumerate(zip(rounds, result["round_ratios"], strict=True), 1):
            print(f"  round {n} ({r['first']} first): steps/s {r['onestop']['steps_per_second']} | "
                  f"{r['viewflow']['steps_per_second']} = {ratios['steps']}, submissions/s "
                  f"{r['onestop']['starts_per_second']} | {r['viewflow']['starts_per_second']} = {ratios['starts']}, "
                  f"pgbench {round(r['pgbench_tps'])} tps")


def one_round(n, args, api_args):
    """onestop and viewflow once each, onestop first in odd rounds and viewflow first in even ones, so that
    a slower stretch of the machine does not always fall on the same side."""
    order = ("onestop", "viewflow") if n % 2 else ("viewflow", "onestop")
    measured = {}
    for side in order:
        if side == "onestop":
            print(f"===== round {n} of {args.rounds}: onestop (api_throughput.py)", flush=True)
            measured["onestop"] = api_throughput.measure(api_args)
        else:
            print(f"\n===== round {n} of {args.rounds}: django-viewflow 2.4 (bench/viewflow)", flush=True)
            try:
                measured["viewflow"] = run_peer(args)
            finally:
                drop_database(PEER_DB)
    return {"first": order[0], "onestop": onestop_figures(measured["onestop"]),
            "viewflow": viewflow_figures(measured["viewflow"]), "viewflow_run": measured["viewflow"],
            "pgbench_tps": measured["onestop"]["pgbench"]["tps"]}


def main(argv=None):
    args = parse_args(argv)
    api_args = api_throughput.parse_args(
        [f"--dossiers={args.dossiers}", f"--concurrency={args.concurrency}", f"--workers={args.workers}",
         f"--celery={args.celery}", f"--broker={args.broker}",
         *([f"--pgbench-seconds={args.pgbench_seconds}"] if args.pgbench_seconds else []),
         *(["--quick"] if args.quick else []), *([] if args.with_exchanges else ["--without-exchanges"])])
    try:
        rounds = [one_round(n, args, api_args) for n in range(1, args.rounds + 1)]
    except (BenchFailure, subprocess.CalledProcessError, psycopg2.Error) as exc:
        detail = getattr(exc, "stderr", None) or ""
        print(f"\nBENCHMARK FAILED: {exc}\n{detail}", file=sys.stderr)
        return 1
    one, other = median_figures([r["onestop"] for r in rounds]), median_figures([r["viewflow"] for r in rounds])
    ratios = round_ratios(rounds)
    steps_ratio = round(statistics.median(r["steps"] for r in ratios), 2)
    starts_ratio = round(statistics.median(r["starts"] for r in ratios), 2)
    tps = statistics.median(r["pgbench_tps"] for r in rounds)
    result = {"dossiers": args.dossiers, "concurrency": args.concurrency, "workers": args.workers,
              "onestop_exchanges": args.with_exchanges, "onestop": one, "viewflow": other,
              "ratios": {"steps": steps_ratio, "starts": starts_ratio}, "round_ratios": ratios, "rounds": rounds,
              "pgbench_tps": tps, "table": table_rows(one, other, tps, steps_ratio, starts_ratio),
              "setup": setup_info(quick=args.quick, rounds=args.rounds)}
    write_json("versus_viewflow.json", result)
    print_versus(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
