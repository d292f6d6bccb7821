"""Fault: the Celery worker killed with SIGKILL (master and children at once, as the kernel's OOM killer or
a lost node would) several times, alternately in the middle of an exchange with the population database
and in the middle of a batch of the citizens' messages, a new worker started two seconds after each kill.

What must hold: tasks are acknowledged late (``acks_late``), so Redis gives a dead worker's tasks to the
next one after the visibility timeout (20 s here, 10 s short); an exchange interrupted mid-call is called again with
the same idempotency key and resumes its dossier once.

    python bench/faults/worker_kill.py [--short] [--fault-seconds 60] [--rate 4]
"""
import functools
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


def outbox_size(stack):
    try:
        return stack.outbox.stat().st_size
    except FileNotFoundError:
        return 0


def sending(stack, wait=0.03):
    """The outbox grew within ``wait`` seconds (a message takes 20 ms to leave): a batch of messages is being
    sent, not yet recorded."""
    before = outbox_size(stack)
    time.sleep(wait)
    return outbox_size(stack) > before


def fault(stack, load, args):
    stack.peer_control(delay=0.4)  # each call takes a while: a kill lands mid-call
    kills, mid_call, mid_batch = 0, 0, 0
    every = max(5.0, args.fault_seconds / 4)
    end = time.monotonic() + args.fault_seconds
    # At least two kills whatever the time: on a busy machine a new worker alone may take the short run's window.
    while time.monotonic() < end or kills < MIN_KILLS:
        # Alternately in the middle of an exchange call and in the middle of a batch of messages.
        aim = in_flight if kills % 2 == 0 else functools.partial(sending, stack)
        deadline, caught = time.monotonic() + every, False
        while time.monotonic() < deadline and not (caught := aim()):
            time.sleep(0.02)
        stack.worker.kill(signal.SIGKILL)
        mid_call += in_flight()  # the attempt stays unanswered after the kill
        mid_batch += caught and aim is not in_flight
        kills += 1
        common.log(f"worker {stack.worker.pid} killed with SIGKILL ({kills}); a new one in 2 s")
        time.sleep(2)
        stack.start_worker()
        time.sleep(max(0.0, min(every, end - time.monotonic())))
    stack.peer_control(delay=0)
    return {"kills": kills, "kills_mid_exchange": mid_call, "kills_mid_message_batch": mid_batch,
            "visibility_timeout_s": int(stack.env["CELERY_VISIBILITY_TIMEOUT"])}


if __name__ == "__main__":
    sys.exit(common.main("worker_kill", __doc__, 60, 12, fault, "Celery worker killed with SIGKILL"))
