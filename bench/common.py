"""What every benchmark script needs: its own PostgreSQL databases, the project's processes (manage.py,
gunicorn, the peer stand-ins), pgbench, percentiles, the machine's load and a printed table.

Only the server and credentials of ``DATABASE_URL`` are used; each script names its own databases, so a
benchmark never touches the database of a test run.
"""
import http.client
import json
import os
import platform
import re
import select
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from onestop.demo.samples import BIRTH_FORM, data_for  # noqa: E402, F401 (what the throughput and profile runs submit)

RESULTS_DIR = ROOT / "bench" / "results"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PASSWORD = "onestop-demo"  # onestop.demo.seed.DEMO_PASSWORD
PGBENCH_SCALE, PGBENCH_CLIENTS, PGBENCH_THREADS = 10, 8, 2


class BenchFailure(Exception):
    """The benchmark could not run, or what it measured is wrong: exit status 1."""


# --- databases --------------------------------------------------------------------------------------------

def database_url(name):
    """``DATABASE_URL`` (or the default) pointed at database ``name``."""
    url = urlsplit(os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL)
    if url.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise BenchFailure(f"DATABASE_URL must point at PostgreSQL, not {url.scheme!r}")
    return urlunsplit((url.scheme, url.netloc, f"/{name}", url.query, ""))


def connect(name):
    """An autocommit connection to database ``name`` (psycopg2 reads postgres:// URLs itself)."""
    conn = psycopg2.connect(database_url(name).replace("pgsql://", "postgres://", 1))
    conn.autocommit = True
    return conn


def _admin(statement, name):
    conn = connect("postgres")
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL(statement).format(sql.Identifier(name)))
    finally:
        conn.close()


def recreate_database(name):
    drop_database(name)
    _admin("CREATE DATABASE {}", name)


def drop_database(name):
    _admin("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def database_exists(name):
    conn = connect("postgres")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return cur.fetchone() is not None
    finally:
        conn.close()


# --- the project's processes ------------------------------------------------------------------------------

def project_env(db_name, peers_url=None, **extra):
    """The environment of manage.py, gunicorn or Django in-process: production-like, no broker (the few
    Celery tasks run eagerly; ``CELERY_BROKER_URL=...`` in ``extra`` gives one), connections kept, the login
    and submission rate limits lifted for one client address and one citizen."""
    env = dict(os.environ)
    env.pop("CELERY_BROKER_URL", None)
    env.update({
        "DATABASE_URL": database_url(db_name), "DEBUG": "0", "DB_CONN_MAX_AGE": "60",
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver", "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "onestop.settings",
        "ONESTOP_LOGIN_RATE": "10000/min", "ONESTOP_ANON_RATE": "100000/min", "ONESTOP_SUBMIT_RATE": "1000000/hour",
        # Messages are composed and recorded as in production, but kept in memory instead of printed.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "ONESTOP_SMS_BACKEND": "onestop.notifications.backends.LocmemSmsBackend", **extra,
    })
    if peers_url:
        env["ONESTOP_PEERS_URL"] = peers_url  # seed_demo points the demo's peers at it
    return env


def manage(env, *command):
    done = subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchFailure(f"manage.py {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


BPMN_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
           "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}


def without_service_tasks(bpmn: bytes) -> bytes:
    """The same process with every service task taken out and its flows joined: the officials' steps as drawn,
    none of the exchanges with other agencies' systems between them (a shape a bench compares like for like)."""
    from lxml import etree

    root = etree.fromstring(bpmn)
    flows = {f.get("id"): f for f in root.iterfind(".//bpmn:sequenceFlow", BPMN_NS)}
    dropped = set()
    for task in root.findall(".//bpmn:serviceTask", BPMN_NS):
        task_id = task.get("id")
        incoming = [f for f in flows.values() if f.get("targetRef") == task_id]
        outgoing = [f for f in flows.values() if f.get("sourceRef") == task_id]
        if len(outgoing) != 1:
            raise BenchFailure(f"service task {task_id} has {len(outgoing)} outgoing flows: cannot join them")
        target = outgoing[0].get("targetRef")
        for flow in incoming:  # each incoming flow now ends where the task's outgoing flow ended
            flow.set("targetRef", target)
        target_node = root.find(f".//*[@id='{target}']")
        for ref in target_node.findall("bpmn:incoming", BPMN_NS):
            if ref.text == outgoing[0].get("id"):  # in its place, the flows that came into the task
                for flow in reversed(incoming):
                    added = etree.Element(f"{{{BPMN_NS['bpmn']}}}incoming")
                    added.text, added.tail = flow.get("id"), ref.tail
                    ref.addnext(added)
                target_node.remove(ref)
        dropped |= {task_id, outgoing[0].get("id")}
        task.getparent().remove(task)
        outgoing[0].getparent().remove(outgoing[0])
        flows.pop(outgoing[0].get("id"))
    for ref in root.findall(".//bpmn:flowNodeRef", BPMN_NS):
        if ref.text in dropped:
            ref.getparent().remove(ref)
    for shape in root.findall(".//bpmndi:*[@bpmnElement]", BPMN_NS):
        if shape.get("bpmnElement") in dropped:
            shape.getparent().remove(shape)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def setup_django(env):
    """Django in this process, on the bench database (settings read the environment once)."""
    os.environ.update({k: v for k, v in env.items() if k not in os.environ or os.environ[k] != v})
    if "CELERY_BROKER_URL" not in env:  # no broker meant: the tasks run eagerly, whatever the shell says
        os.environ.pop("CELERY_BROKER_URL", None)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc, timeout):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Server:
    """gunicorn serving onestop.wsgi (or ``app``, run by ``python`` in ``cwd``: a peer project) on a free local
    port; a context manager that always stops it. It is up when ``probe`` answers."""

    def __init__(self, env, workers, threads=1, log=RESULTS_DIR / "gunicorn.log", *, app="onestop.wsgi:application",
                 python=sys.executable, cwd=ROOT, probe="/api/v1/"):
        self.env, self.workers, self.threads, self.port, self.proc = env, workers, threads, free_port(), None
        self.worker_class = "gthread" if threads > 1 else "sync"
        self.log_path = log
        self.app, self.python, self.cwd, self.probe = app, str(python), cwd, probe

    def __enter__(self):
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [self.python, "-m", "gunicorn", self.app,
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
             "--worker-class", self.worker_class, "--threads", str(self.threads),
             "--timeout", "120", "--log-level", "warning"],
            cwd=self.cwd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_up()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc):
        _stop(self.proc, 20)  # SIGTERM: graceful stop of master and workers
        self.log.close()

    def _wait_until_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchFailure(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", self.probe)
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise BenchFailure(f"gunicorn did not answer within {timeout} s; see {self.log_path}")


class PeerStandIns:
    """The project's stand-ins for other agencies' systems (``python -m onestop.peers.server``) on a free
    port; ``url`` is where they listen."""

    def __init__(self, log=RESULTS_DIR / "peers.log"):
        self.url = self.proc = self.pid = None
        self.log_path = log

    def __enter__(self):
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "onestop.peers.server", "--host", "127.0.0.1", "--port", "0"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=self.log, text=True,
        )
        self.pid = self.proc.pid
        ready, _w, _x = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        found = re.search(r"https?://\S+", line)
        if not found:
            self.__exit__()
            raise BenchFailure(f"onestop.peers.server did not say where it listens; see {self.log_path}")
        self.url = found.group(0)
        return self

    def __exit__(self, *exc):
        if self.proc is None:
            return
        _stop(self.proc, 10)
        self.proc.stdout.close()
        self.log.close()


# --- pgbench ----------------------------------------------------------------------------------------------

def run_pgbench(seconds, db_name="onestop_pgbench", drop=True):
    """TPC-B on a fresh database: tps without connection time, average latency in ms."""
    pgbench = shutil.which("pgbench") or "/usr/bin/pgbench"
    url = urlsplit(database_url(db_name))
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    base = [pgbench, "-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432),
            "-U", url.username or "postgres"]
    recreate_database(db_name)
    try:
        subprocess.run(base + ["-i", "-q", "-s", str(PGBENCH_SCALE), db_name],
                       env=env, check=True, capture_output=True, text=True)
        out = subprocess.run(base + ["-c", str(PGBENCH_CLIENTS), "-j", str(PGBENCH_THREADS), "-T", str(seconds),
                                     db_name], env=env, check=True, capture_output=True, text=True).stdout
    finally:
        if drop:
            drop_database(db_name)
    tps = re.search(r"tps = ([\d.]+) \((?:without initial connection time|excluding connections)", out)
    latency = re.search(r"latency average = ([\d.]+) ms", out)
    if not tps:
        raise BenchFailure(f"cannot read pgbench's tps from:\n{out}")
    return {"scale": PGBENCH_SCALE, "clients": PGBENCH_CLIENTS, "threads": PGBENCH_THREADS, "seconds": seconds,
            "tps": float(tps.group(1)), "latency_avg_ms": float(latency.group(1)) if latency else None,
            "load_average": load_average()}


# --- figures ----------------------------------------------------------------------------------------------

def percentile(values, p):
    """Linear interpolation between closest ranks, of a sorted list."""
    if len(values) == 1:
        return values[0]
    k = (len(values) - 1) * p / 100
    low = int(k)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


def distribution(seconds):
    """count, p50, p95, p99 and max in milliseconds of a list of durations in seconds."""
    values = sorted(seconds)
    return {"count": len(values), **{f"p{p}_ms": round(percentile(values, p) * 1000, 2) for p in (50, 95, 99)},
            "max_ms": round(values[-1] * 1000, 2)}


def load_average():
    """The machine's 1-minute load average: figures taken under load understate the machine."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def git_state():
    """The commit measured, and whether the work tree had changes."""
    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else None

    return {"commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--", ".", ":!bench"))}


def setup_info(**extra):
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.node(),
            **git_state(), "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_average": load_average(), **extra}


def print_table(headers, rows):
    """A plain text table: text columns left-aligned, numbers right-aligned."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    numeric = [all(re.fullmatch(r"[-+]?[\d.,]+( ?[%a-zA-Z/]+)?|", row[i]) for row in cells[1:])
               for i in range(len(headers))]
    for n, row in enumerate(cells):
        line = (c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True)))
        print("  ".join(line))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def write_json(name, data):
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return path
