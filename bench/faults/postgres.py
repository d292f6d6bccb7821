"""Fault: PostgreSQL stopped (fast shutdown: every session cut) while gunicorn and the Celery worker are
busy, kept down for 30 s (10 s in the short run), then started again.

What must hold: a request that got its 201 was committed; one that ran into the outage is refused with
an error, never half-written; web processes and workers reconnect on their own (``conn_health_checks``);
a task that failed on the lost connection is enqueued again by beat's sweeper.

    python bench/faults/postgres.py [--short] [--fault-seconds 30] [--rate 4]
"""
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import common  # noqa: E402


def fault(stack, load, args):
    from django.db import connections

    connections.close_all()
    stack.pg.stop("fast")
    common.log(f"PostgreSQL stopped for {args.fault_seconds:g} s")
    time.sleep(args.fault_seconds)
    stack.pg.start()
    common.log("PostgreSQL started again")
    return {"shutdown": "fast", "database_restarts": 1}


if __name__ == "__main__":
    sys.exit(common.main("postgres", __doc__, 30, 10, fault, "PostgreSQL restarted"))
