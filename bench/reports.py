"""The reporting benchmark: the leader's dashboard and its XLSX export with 1,000,000 dossiers.

1. Recreates the database ``onestop_bench_reports`` (PostgreSQL), runs ``migrate`` and ``seed_demo``,
   adds 120 more wards under the demo's two districts, then loads N dossiers (default 1,000,000) with
   ``COPY``: received over the last 24 months, 85 % resolved (half with ``timeliness`` filled in,
   half left blank so that the report derives it), 4 % refused after reception, 2 % withdrawn, the rest
   pending; a rating for 30 % of the returned ones; one completed work item per received dossier.
2. Times the first dashboard page with the monthly cache empty (it fills 12 months), then, as the admin
   (every agency; the widest query) and as a district leader, p50 of ``--runs`` runs after one warm-up:
   the figures (``selectors.summary``), the whole dashboard page and the XLSX export through Django's
   test client, and one page of form 07.
3. Prints the figures and their ratio to the 1 s limit; writes ``bench/results/reports.json``.

``--without-indexes`` unapplies ``dossiers/0007_reports_indexes`` before timing (the "before" figures
of bench/README.md); ``--reuse`` skips the load when the database is already there.

    python bench/reports.py [--dossiers 1000000] [--runs 5] [--reuse] [--keep] [--without-indexes]
"""
import argparse
import io
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DB = "onestop_bench_reports"
SERVER = "postgres://postgres@127.0.0.1:5432/"
RESULTS_FILE = ROOT / "bench" / "results" / "reports.json"
LIMIT = 1.0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database afterwards")
    parser.add_argument("--without-indexes", action="store_true", help="time without the reports' indexes")
    return parser.parse_args(argv)


# --- the database --------------------------------------------------------------------------------------

def admin_sql(statement):
    conn = psycopg2.connect(SERVER + "postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(sql.SQL(statement).format(sql.Identifier(BENCH_DB)))
    conn.close()


def exists():
    conn = psycopg2.connect(SERVER + "postgres")
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB])
        found = cur.fetchone() is not None
    conn.close()
    return found


def manage(*command):
    env = {**os.environ, "DATABASE_URL": SERVER + BENCH_DB, "LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


class Rows(io.RawIOBase):
    """A file-like stream of COPY text made on the fly (no 1 GB string in memory)."""

    def __init__(self, lines):
        self.lines, self.buffer = lines, b""

    def readable(self):
        return True

    def readinto(self, target):
        while len(self.buffer) < len(target):
            try:
                self.buffer += next(self.lines).encode()
            except StopIteration:
                break
        n = min(len(target), len(self.buffer))
        target[:n], self.buffer = self.buffer[:n], self.buffer[n:]
        return n


def load(n):
    """Migrate, seed, then COPY ``n`` dossiers, their ratings and work items. Returns the seconds taken."""
    started = time.perf_counter()
    if exists():
        admin_sql("DROP DATABASE {} WITH (FORCE)")
    admin_sql("CREATE DATABASE {}")
    manage("migrate", "--noinput")
    manage("seed_demo")
    conn = psycopg2.connect(SERVER + BENCH_DB)
    cur = conn.cursor()
    cur.execute("SELECT id, code FROM organisation_agency")
    agencies = dict((code, pk) for pk, code in cur.fetchall())
    for district in ("q1", "q3"):  # a city-sized district: 60 wards each
        for i in range(60):
            cur.execute("INSERT INTO organisation_agency (code, name, name_en, level, parent_id, is_active) "
                        "VALUES (%s, %s, '', 'ward', %s, true)",
                        [f"{district}-w{i:02d}", f"Ủy ban nhân dân Phường {i} ({district.upper()})",
                         agencies[district]])
    cur.execute("SELECT id FROM organisation_agency WHERE level IN ('ward', 'commune')")
    wards = [r[0] for r in cur.fetchall()]
    cur.execute("SELECT p.id, max(v.id), p.processing_days FROM procedures_procedure p "
                "JOIN procedures_procedureversion v ON v.procedure_id = p.id GROUP BY p.id")
    procedures = cur.fetchall()
    cur.execute("SELECT id FROM auth_user WHERE username = 'citizen1'")
    applicant = cur.fetchone()[0]
    conn.commit()

    rng = random.Random(20260101)
    now = datetime.now(UTC)
    span = 730 * 86400

    def ts(moment):
        return moment.isoformat() if moment else r"\N"

    def dossiers():
        for i in range(1, n + 1):
            received = now - timedelta(seconds=rng.randrange(span))
            procedure, version, days = procedures[rng.randrange(len(procedures))]
            appointment = (received + timedelta(days=max(days, 1) * 7 // 5)).date()
            roll = rng.random()
            result = closed = None
            timeliness, status = "", "processing"
            if roll < 0.85:
                result = received + timedelta(hours=rng.randrange(1, 24 * 20))
                if result > now:
                    result = None
                else:
                    status = "returned"
                    closed = result + timedelta(hours=rng.randrange(1, 72))
                    if i % 2:
                        day = result.date()
                        timeliness = "early" if day < appointment else "on_time" if day == appointment else "late"
            elif roll < 0.89:
                status, closed = "refused", received + timedelta(days=rng.randrange(1, 5))
            elif roll < 0.91:
                status, closed = "withdrawn", received + timedelta(days=rng.randrange(1, 5))
            channel = ("online", "desk", "post")[rng.choices((0, 1, 2), (60, 35, 5))[0]]
            yield (f"B-{i:07d}\t{procedure}\t{version}\t{applicant}\t{rng.choice(wards)}\t{{}}\t{status}\t{channel}\t"
                   f"[]\t{ts(received - timedelta(hours=2))}\t{ts(received)}\t{appointment.isoformat()}\t"
                   f"{ts(result)}\t{ts(closed)}\t{timeliness}\t\\N\t{ts(now)}\n")

    cur.copy_expert(
        "COPY dossiers_dossier (code, procedure_id, version_id, applicant_id, receiving_agency_id, form_data, "
        "status, channel, missing_documents, submitted_at, received_at, appointment_date, result_at, closed_at, "
        "timeliness, process_id, updated_at) FROM STDIN", io.BufferedReader(Rows(dossiers()), 1 << 20))
    cur.execute("""
        INSERT INTO dossiers_rating (dossier_id, score, comment, created_at)
        SELECT id, 1 + (id * 7919) % 5, '', closed_at FROM dossiers_dossier WHERE status = 'returned' AND id % 10 < 3
    """)
    # One step per dossier: the specialist's review in the receiving ward, completed or open.
    cur.execute("""
        INSERT INTO worklist_workitem (dossier_id, kind, agency_id, role, task_id, task_spec_id, name, lane, form,
            due_date, state, claimed_at, completed_at, decision, timeliness, comment, data, created_at)
        SELECT id, 'task', receiving_agency_id, 'specialist', 't' || id, 'review', 'Thẩm định', '', '[]',
            appointment_date, CASE WHEN result_at IS NULL AND status = 'processing' THEN 'open' ELSE 'completed' END,
            NULL, COALESCE(result_at, closed_at) - interval '2 hours', '',
            CASE WHEN result_at IS NULL THEN '' WHEN result_at::date < appointment_date THEN 'early'
                 WHEN result_at::date = appointment_date THEN 'on_time' ELSE 'late' END, '', '{}', received_at
        FROM dossiers_dossier
    """)
    conn.commit()
    conn.autocommit = True
    cur.execute("VACUUM ANALYZE")
    conn.close()
    return time.perf_counter() - started


# --- timing -------------------------------------------------------------------------------------------

def p50(fn, runs):
    fn()  # warm-up: caches of PostgreSQL and of Python
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def measure(runs):
    os.environ["DATABASE_URL"] = SERVER + BENCH_DB
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onestop.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from onestop.reports import selectors

    settings.ALLOWED_HOSTS = ["*"]
    settings.DEBUG = False
    User = get_user_model()
    today = timezone.localdate()
    year = {"date_from": date(today.year - 1, today.month, 1).strftime("%d/%m/%Y"),
            "date_to": today.strftime("%d/%m/%Y")}
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM dossiers_dossier")
        dossiers = cur.fetchone()[0]
    results = {}
    from onestop.reports.models import CachedMonth, MonthlyFigures

    MonthlyFigures.objects.all().delete()
    CachedMonth.objects.all().delete()
    cold = Client()
    cold.force_login(User.objects.get(username="admin"))
    started = time.perf_counter()
    assert cold.get("/reports/", year).status_code == 200
    seconds = time.perf_counter() - started
    results["admin: dashboard page, monthly cache empty"] = {"s": round(seconds, 4),
                                                             "ratio_to_1s": round(seconds / LIMIT, 3)}
    print(f"  admin      dashboard page, monthly cache empty (once): {seconds * 1000:8.1f} ms", flush=True)
    for username in ("admin", "q1.leader"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        scope = selectors.visible_agencies(User.objects.get(username=username))
        filters = selectors.Filters(date(today.year - 1, today.month, 1), today, agencies=scope)

        def figures(filters=filters):
            return selectors.summary(filters)

        def page(client=client):
            response = client.get("/reports/", year)
            assert response.status_code == 200, response.status_code

        def xlsx(client=client):
            response = client.get("/reports/export.xlsx", year)
            assert response.status_code == 200 and response.content[:2] == b"PK"

        def register(client=client):
            response = client.get("/reports/register/", {**year, "agency": "q1-bennghe"})
            assert response.status_code == 200

        for label, fn in (("figures", figures), ("dashboard page", page), ("xlsx export", xlsx),
                          ("form 07 page", register)):
            median, times = p50(fn, runs)
            results[f"{username}: {label}"] = {"p50_s": round(median, 4), "runs_s": [round(t, 4) for t in times],
                                               "ratio_to_1s": round(median / LIMIT, 3)}
            print(f"  {username:10} {label:15} p50 {median * 1000:8.1f} ms   {median / LIMIT:6.2f} × the 1 s limit"
                  f"   (fastest {min(times) * 1000:.0f} ms; load average {os.getloadavg()[0]:.1f})", flush=True)
    return dossiers, results


def main(argv=None):
    args = parse_args(argv)
    load_seconds = None
    if not (args.reuse and exists()):
        print(f"loading {args.dossiers:,} dossiers into {BENCH_DB}...", flush=True)
        load_seconds = load(args.dossiers)
        print(f"  loaded in {load_seconds:.0f} s", flush=True)
    if args.without_indexes:
        manage("migrate", "dossiers", "0006", "--noinput")  # unapplies 0007_reports_indexes
    else:
        manage("migrate", "--noinput")
    dossiers, results = measure(args.runs)
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    previous = json.loads(RESULTS_FILE.read_text()) if RESULTS_FILE.exists() else {}
    key = "without_indexes" if args.without_indexes else "current"  # "history": earlier versions, kept
    previous[key] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "dossiers": dossiers, "runs": args.runs,
        "load_seconds": round(load_seconds, 1) if load_seconds else None, "limit_s": LIMIT,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_after": round(os.getloadavg()[0], 1)}, "results": results,
    }
    RESULTS_FILE.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {RESULTS_FILE.relative_to(ROOT)}")
    if not args.keep:
        admin_sql("DROP DATABASE {} WITH (FORCE)")


if __name__ == "__main__":
    main()
