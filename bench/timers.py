"""The timer benchmark: what firing a BPMN timer costs, whether two beat runs at once share the work
without firing anything twice, and what the reminder and escalation scan costs.

On a fresh PostgreSQL database ``onestop_bench_timers`` (the server of ``DATABASE_URL``), in this process:

1. N dossiers on the procedure of ``tests/test_timers.py`` (a check step with an interrupting P2D and a
   non-interrupting PT4H boundary timer) are submitted and accepted: each accept records two timers.
2. sequential: ``fire_due_timers`` fires the N four-hour timers, one run after another until none is due
   (each timer: lock, load the workflow, fire, advance, sync the work items, store, audit, commit).
3. concurrent: another N dossiers, fired by T threads calling ``fire_due_timers`` at the same time (as
   T beat deliveries would): every timer must fire exactly once.
4. ``escalate_overdue`` over the 4·N open steps, twice: the first run records an escalation for each,
   the second finds nothing left to send (the cost of the scan alone).

    python bench/timers.py [--dossiers 300] [--threads 4] [--keep]
"""
import argparse
import json
import os
import platform
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
RESULTS_FILE = ROOT / "bench" / "results" / "timers.json"
BENCH_DB = "onestop_bench_timers"


def _server_url():
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urlsplit(url)
    return parts, urlunsplit(parts._replace(path="/postgres"))


def _recreate(server_url, drop_only=False):
    connection = psycopg2.connect(server_url)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
        if not drop_only:
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
    connection.close()


def _dossiers(n):
    from django.contrib.auth import get_user_model

    from onestop.demo.samples import BIRTH_FORM
    from onestop.dossiers import lifecycle as services
    from onestop.worklist.models import WorkItem

    users = get_user_model().objects
    citizen, receiver = users.get(username="citizen1"), users.get(username="bennghe.receiver")
    started = time.perf_counter()
    ids = []
    for _ in range(n):
        dossier = services.submit(citizen, procedure_code="1.001193", agency_code="q1-bennghe", form_data=BIRTH_FORM)
        item = dossier.work_items.get(kind=WorkItem.Kind.RECEPTION)
        services.complete_work_item(item, receiver, decision="accept")
        ids.append(dossier.pk)
    return ids, time.perf_counter() - started


def _fire_all(ids, threads):
    from django.db import connection

    from onestop.deadlines.models import Timer
    from onestop.dossiers.lifecycle import timers

    pending = Timer.objects.filter(dossier_id__in=ids, spec_id="slow", state=Timer.State.PENDING)
    now = max(pending.values_list("due_at", flat=True)) + timedelta(seconds=1)
    counts = []

    def run():
        fired = 0
        while True:
            done = timers.fire_due_timers(now=now)
            fired += done
            if not done:
                break
        counts.append(fired)
        connection.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    fired = Timer.objects.filter(dossier_id__in=ids, spec_id="slow", state=Timer.State.FIRED).count()
    from onestop.dossiers.models import DossierEvent

    events = DossierEvent.objects.filter(dossier_id__in=ids, action="timer_fired").count()
    return {"timers": len(ids), "threads": threads, "seconds": round(elapsed, 3),
            "timers_per_second": round(len(ids) / elapsed, 1), "ms_per_timer": round(1000 * elapsed / len(ids), 2),
            "fired_per_thread": sorted(counts), "fired": fired, "timer_fired_events": events}


def _scan():
    from onestop.deadlines import escalations
    from onestop.worklist.models import WorkItem

    open_steps = WorkItem.objects.filter(state__in=WorkItem.ACTIVE_STATES).count()
    now = datetime.now(UTC) + timedelta(days=30)
    started = time.perf_counter()
    sent = len(escalations.escalate_overdue(now=now))
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = len(escalations.escalate_overdue(now=now))
    second = time.perf_counter() - started
    return {"open_steps": open_steps, "escalations_sent": sent, "first_run_seconds": round(first, 3),
            "second_run_seconds": round(second, 3), "second_run_sent": again}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=300)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    parts, server_url = _server_url()
    _recreate(server_url)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onestop.settings")
    os.environ["CELERY_BROKER_URL"] = ""  # no broker: notifications of the escalations run in this process
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    import django

    django.setup()
    from django.core.management import call_command

    from onestop.demo.seed import seed
    from procedures import services as procedure_services
    from tests.test_timers import TIMERS_BPMN

    try:
        call_command("migrate", verbosity=0)
        seed()
        procedure_services.import_bpmn(TIMERS_BPMN.encode(), "1.001193", publish=True)
        first, accept_seconds = _dossiers(args.dossiers)
        sequential = _fire_all(first, 1)
        second, _ = _dossiers(args.dossiers)
        concurrent = _fire_all(second, args.threads)
        scan = _scan()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _recreate(server_url, drop_only=True)

    result = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.machine(),
        "cpus": os.cpu_count(), "python": platform.python_version(),
        "accept_with_two_timers_ms": round(1000 * accept_seconds / args.dossiers, 2),
        "sequential": sequential, "concurrent": concurrent, "escalation_scan": scan,
    }
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(result, indent=2) + "\n")
    print(f"accept (reception + process start + two timers): {result['accept_with_two_timers_ms']} ms per dossier")
    for name, run in (("sequential", sequential), ("concurrent", concurrent)):
        print(f"{name}: {run['timers']} timers, {run['threads']} thread(s): {run['seconds']} s, "
              f"{run['timers_per_second']} timers/s ({run['ms_per_timer']} ms each); fired {run['fired']}, "
              f"timer_fired events {run['timer_fired_events']}, per thread {run['fired_per_thread']}")
    print(f"escalation scan over {scan['open_steps']} open steps: {scan['first_run_seconds']} s sending "
          f"{scan['escalations_sent']}, then {scan['second_run_seconds']} s with {scan['second_run_sent']} to send")
    ok = all(run["fired"] == run["timers"] == run["timer_fired_events"] for run in (sequential, concurrent))
    if not ok:
        print("ERROR: a timer was lost or fired twice", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
