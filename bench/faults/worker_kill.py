"""Fault: the Celery worker killed with SIGKILL (master and children at once, as the kernel's OOM killer or
a lost node would) in the middle of exchanges with the population database and engine steps, several
times, a new worker started two seconds after each kill.

What must hold: tasks are acknowledged late (``acks_late``), so Redis gives a dead worker's tasks to the
next one after the visibility timeout (20 s here, 10 s short); an exchange interrupted mid-call is called again with
the same idempotency key and resumes its dossier once.

    python bench/faults/worker_kill.py [--short] [--fault-seconds 60] [--rate 4]
"""
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import common  # noqa: E402

MIN_KILLS = 2  # a second worker dies holding tasks the first one's death handed it


def in_flight():
    """An exchange attempt started within the last second and not answered yet: a worker is mid-call."""
    from django.db import close_old_connections
    from django.utils import timezone

    from onestop.interop.models import Exchange

    close_old_connections()
    recent = timezone.now() - common.timedelta(seconds=1)
    return Exchange.objects.filter(state=Exchange.State.PENDING, result__isnull=True,
                                   last_attempt_at__gte=recent).exists()


def fault(stack, load, args):
    stack.peer_control(delay=0.4)  # each call takes a while: a kill lands mid-call
    kills, mid_call = 0, 0
    every = max(5.0, args.fault_seconds / 4)
    end = time.monotonic() + args.fault_seconds
    # At least two kills whatever the time: on a busy machine a new worker alone may take the short run's window.
    while time.monotonic() < end or kills < MIN_KILLS:
        deadline = time.monotonic() + every
        while time.monotonic() < deadline and not in_flight():
            time.sleep(0.05)
        mid_call += in_flight()
        stack.worker.kill(signal.SIGKILL)
        kills += 1
        common.log(f"worker {stack.worker.pid} killed with SIGKILL ({kills}); a new one in 2 s")
        time.sleep(2)
        stack.start_worker()
        time.sleep(max(0.0, min(every, end - time.monotonic())))
    stack.peer_control(delay=0)
    return {"kills": kills, "kills_mid_exchange": mid_call,
            "visibility_timeout_s": int(stack.env["CELERY_VISIBILITY_TIMEOUT"])}


if __name__ == "__main__":
    sys.exit(common.main("worker_kill", __doc__, 60, 12, fault, "Celery worker killed with SIGKILL"))
