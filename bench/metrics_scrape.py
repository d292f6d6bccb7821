"""What a /metrics scrape costs as the database grows.

The state metrics (dossiers by status, work items waiting per agency, exchanges by outcome and the
exchange duration histogram, open incidents) are counted from PostgreSQL at scrape time
(``onestop.ops.metrics.StateCollector``). This bench fills a fresh database ``onestop_bench_metrics``
with N dossiers (each with two finished exchanges and, for one in ten, an open work item) by SQL, then
times the collector's queries (the cache is bypassed), a few times each, for growing N.

    python bench/metrics_scrape.py [--sizes 10000,100000,500000] [--keep]

Needs PostgreSQL as ``make test`` does (``DATABASE_URL`` names the server; default
postgres://postgres@127.0.0.1:5432/onestop). Prints a table and writes bench/results/metrics_scrape.json.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "metrics_scrape.json"
DB = "onestop_bench_metrics"
REPEAT = 5

FILL = """
WITH base AS (
    SELECT d.procedure_id, d.version_id, d.applicant_id, d.receiving_agency_id, d.form_data
    FROM dossiers_dossier d ORDER BY d.id LIMIT 1
), made AS (
    INSERT INTO dossiers_dossier (code, procedure_id, version_id, applicant_id, receiving_agency_id, form_data,
                                  status, channel, missing_documents, submitted_at, timeliness, updated_at)
    SELECT 'BENCH-' || (%(start)s + n), procedure_id, version_id, applicant_id, receiving_agency_id, form_data,
           (ARRAY['processing','returned','returned','returned','result_ready'])[1 + n %% 5], 'online', '[]',
           now(), '', now()
    FROM base, generate_series(1, %(count)s) AS n
    RETURNING id, receiving_agency_id
), exchanges AS (
    INSERT INTO interop_exchange (dossier_id, task_id, task_spec_id, result_key, task_name, lane, operator, params,
                                  idempotency_key, state, attempts, request_id, request_digest, response_digest,
                                  response_body, total_duration_ms, error, created_at, finished_at)
    SELECT made.id, op.task_id, '', '', op.operator, '', op.operator, '{}', gen_random_uuid(),
           CASE WHEN made.id %% 50 = 0 THEN 'failed' ELSE 'succeeded' END, 1, '', '', '', '',
           (made.id * 37) %% 4000, '', now(), now()
    FROM made,
         (VALUES ('t1', 'population.lookup_citizen'), ('t2', 'civil_status.register_birth')) AS op(task_id, operator)
    RETURNING 1
)
INSERT INTO worklist_workitem (dossier_id, kind, agency_id, role, task_id, task_spec_id, name, lane, form, state,
                               decision, timeliness, comment, data, created_at)
SELECT made.id, 'task', made.receiving_agency_id, 'specialist', 'w', 'review', 'Review', '', '[]', 'open', '', '',
       '', '{}', now()
FROM made WHERE made.id %% 10 = 0
"""


def server_url():
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/onestop")


def with_db(url, name):
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def admin(url, statement):
    connection = psycopg2.connect(with_db(url, "postgres"))
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(statement)
    connection.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,500000", help="dossier counts, comma-separated, growing")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    url = with_db(server_url(), DB)
    admin(url, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    admin(url, f'CREATE DATABASE "{DB}"')
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "onestop.settings", "LOG_LEVEL": "WARNING"}
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True)
    submit_one(env)

    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from onestop.ops.metrics import StateCollector

    collector, rows, done = StateCollector(), [], 0
    try:
        for size in sizes:
            with connection.cursor() as cursor:
                cursor.execute(FILL, {"start": done, "count": size - done})
                cursor.execute("ANALYZE")
            done = size
            timings = []
            for _ in range(REPEAT):
                started = time.perf_counter()
                families = list(collector._fresh())
                timings.append(time.perf_counter() - started)
            samples = sum(len(f.samples) for f in families)
            rows.append({"dossiers": size, "exchanges": 2 * size, "samples": samples,
                         "median_ms": round(statistics.median(timings) * 1000, 1),
                         "max_ms": round(max(timings) * 1000, 1)})
            print(f"{size:>9} dossiers {2 * size:>9} exchanges: scrape {rows[-1]['median_ms']:>8.1f} ms median, "
                  f"{rows[-1]['max_ms']:>8.1f} ms max ({samples} samples)", flush=True)
    finally:
        connection.close()
        if not args.keep:
            admin(url, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
        "cpus": os.cpu_count(), "repeat": REPEAT, "results": rows}, indent=2) + "\n")


def submit_one(env):
    """One real dossier, so that the SQL fill copies a valid row."""
    script = ("from django.contrib.auth import get_user_model; from onestop.dossiers import lifecycle as services;"
              "from onestop.demo.samples import BIRTH_FORM;"
              "services.submit(get_user_model().objects.get(username='citizen1'), procedure_code='1.001193',"
              " agency_code='q1-bennghe', form_data=BIRTH_FORM)")
    subprocess.run([sys.executable, "manage.py", "shell", "-c", script], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
