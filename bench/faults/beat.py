"""Fault: Celery beat killed (SIGKILL) while BPMN timers are due, kept down for 30 s (15 s in the short
run), then started again; and once more killed and restarted at once, as a deploy would.

The birth registration gets a timer for this run: after the population lookup, the process waits four
working hours (an intermediate timer event) before the specialist's review. Four working hours is too
long to wait for, so a thread of this script plays the clock: it makes every waiting timer due two
seconds after it was recorded (``Timer.due_at``; the engine itself never fires it early). Beat asks the
worker to fire due timers every 2 s (``ONESTOP_TIMER_POLL_SECONDS``).

What must hold: timers that fell due while beat was down fire after it is back, each exactly once
(one ``timer_fired`` event per timer), and the dossiers go on to the review.

    python bench/faults/beat.py [--short] [--fault-seconds 30] [--rate 4]
"""
import signal
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import common  # noqa: E402

TIMER = """<bpmn:intermediateCatchEvent id="wait_review" name="Chờ 4 giờ làm việc / Wait four working hours">
      <bpmn:incoming>flow_lookup_mother_review</bpmn:incoming>
      <bpmn:outgoing>flow_wait_review</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>PT4H</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="flow_wait_review" sourceRef="wait_review" targetRef="review" />
    """
clock_stop = threading.Event()


def timed_birth_registration():
    """bpmn/birth_registration.bpmn with the timer between the lookup and the review."""
    xml = (common.ROOT / "bpmn" / "birth_registration.bpmn").read_text()
    xml = xml.replace('<bpmn:flowNodeRef>review</bpmn:flowNodeRef>',
                      '<bpmn:flowNodeRef>review</bpmn:flowNodeRef>\n        '
                      '<bpmn:flowNodeRef>wait_review</bpmn:flowNodeRef>', 1)
    xml = xml.replace('sourceRef="lookup_mother" targetRef="review"',
                      'sourceRef="lookup_mother" targetRef="wait_review"')
    xml = xml.replace('<bpmn:incoming>flow_lookup_mother_review</bpmn:incoming>',
                      '<bpmn:incoming>flow_wait_review</bpmn:incoming>', 1)
    return xml.replace('<bpmn:userTask id="review"', TIMER + '<bpmn:userTask id="review"', 1).encode()


def setup(stack):
    from procedures import services

    services.import_bpmn(timed_birth_registration(), common.PROCEDURE, publish=True)
    threading.Thread(target=clock, daemon=True).start()


def clock():
    """Time passes: a timer recorded two seconds ago is due now."""
    from django.db import close_old_connections, connections
    from django.utils import timezone

    from onestop.deadlines.models import Timer

    while not clock_stop.is_set():
        try:
            close_old_connections()
            now = timezone.now()
            (Timer.objects.filter(state=Timer.State.PENDING, due_at__gt=now,
                                  created_at__lte=now - common.timedelta(seconds=2)).update(due_at=now))
        except Exception:  # noqa: BLE001 - keep ticking
            connections.close_all()
        clock_stop.wait(0.5)
    connections.close_all()


def due_now():
    from django.utils import timezone

    from onestop.deadlines.models import Timer

    return Timer.objects.filter(state=Timer.State.PENDING, due_at__lte=timezone.now()).count()


def fault(stack, load, args):
    stack.beat.kill(signal.SIGKILL)
    common.log(f"beat killed with SIGKILL, down for {args.fault_seconds:g} s")
    time.sleep(args.fault_seconds)
    due_at_restart = due_now()
    stack.start_beat()
    common.log(f"beat started again with {due_at_restart} timers due")
    time.sleep(5)
    stack.beat.kill(signal.SIGKILL)
    stack.start_beat()
    common.log("beat killed and started again at once")
    return {"timers_due_at_restart": due_at_restart, "timer_poll_s": 2}


if __name__ == "__main__":
    try:
        sys.exit(common.main("beat", __doc__, 30, 15, fault, "Beat restarted while timers are due", setup=setup))
    finally:
        clock_stop.set()
