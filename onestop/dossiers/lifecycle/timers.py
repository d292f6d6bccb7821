"""Firing the BPMN timers that are due (beat's ``onestop.dossiers.tasks.fire_due_timers``).

Each timer fires in its own transaction, which advances the process, syncs the work items and marks the
timer fired: committed together or not at all. A worker or beat that dies mid-way leaves the timer
pending for the next run (nothing lost); a second run finds it fired (nothing doubled). Rows are taken
with SKIP LOCKED, so two runs at once share the work instead of waiting on each other, and a dossier
an official is changing right now is left for the next run rather than waited for.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from onestop.deadlines.models import Timer
from onestop.engine import runtime
from onestop.engine.runtime import EngineError

from .. import audit
from ..models import FINAL_STATUSES, Action
from .advance import FIRE_TIMER, advance
from .locking import lock_dossier

if TYPE_CHECKING:
    from ..models import Dossier

log = logging.getLogger(__name__)
BATCH = 100


def fire_due_timers(now: datetime | None = None, limit: int = BATCH) -> int:
    """Fire the pending timers due at ``now`` (the wall clock unless a test gives one); returns how many fired."""
    now = now or timezone.now()
    fired, passed = 0, set()
    while fired + len(passed) < limit:
        outcome = _fire_next(now, passed)
        if outcome is None:
            break
        if outcome:
            fired += 1
    return fired


def fire_timer_step(dossier: Dossier, timer: Timer) -> runtime.Snapshot | None:
    """A due BPMN timer fires, under the dossier's row lock: advance the process and sync the work items
    (an interrupting timer cancels its step). None: the advance failed and an incident opened."""
    return advance(dossier, {"call": FIRE_TIMER, "task_id": timer.task_id}, None,
                   element=(timer.spec_id, timer.name))


@transaction.atomic
def _fire_next(now, passed):
    """Fire one due timer. None: nothing left to do; False: one was skipped (dossier busy, failed)."""
    timer = (Timer.objects.select_for_update(skip_locked=True)
             .filter(state=Timer.State.PENDING, due_at__lte=now).exclude(pk__in=passed)
             .order_by("due_at", "id").first())
    if timer is None:
        return None
    passed.add(timer.pk)
    dossier = lock_dossier(timer.dossier_id, skip_locked=True)
    if dossier is None:  # an official is changing it right now: the next run fires the timer
        return False
    if dossier.status in FINAL_STATUSES or dossier.process_id is None:
        timer.state = Timer.State.CANCELLED
        timer.save(update_fields=["state"])
        return False
    try:
        with transaction.atomic():
            from_status = dossier.status
            # Marked first, so that the sync after the advance does not see it as fired by the engine itself.
            timer.state, timer.fired_at = Timer.State.FIRED, now
            timer.save(update_fields=["state", "fired_at"])
            snapshot = fire_timer_step(dossier, timer)
            if snapshot is None:  # an incident says why; the timer is not tried again on its own
                timer.state, timer.error = Timer.State.FAILED, dossier.incidents.latest("id").message[:1000]
                timer.save(update_fields=["state", "error"])
                audit.record(dossier, Action.TIMER_FAILED, from_status=dossier.status, comment=timer.error,
                             data={"timer": timer.pk, "step": timer.name, "element": timer.spec_id})
                return False
            audit.record(dossier, Action.TIMER_FIRED, from_status=from_status,
                         data={"timer": timer.pk, "step": timer.name, "element": timer.spec_id,
                               "interrupting": timer.interrupting,
                               "due_at": timezone.localtime(timer.due_at).isoformat()})
    except Exception as exc:  # noqa: BLE001 - one broken process must not stop the others' timers
        # The engine no longer waits on it, or the step it leads to cannot open (a lane that does not
        # resolve...): keep the reason where officials see it, and stop retrying it.
        log.warning("timer %s of dossier %s failed: %s", timer.pk, dossier.code, exc,
                    exc_info=not isinstance(exc, EngineError))
        timer.state, timer.error = Timer.State.FAILED, str(exc)[:1000]
        timer.save(update_fields=["state", "error"])
        audit.record(dossier, Action.TIMER_FAILED, from_status=dossier.status, comment=timer.error,
                     data={"timer": timer.pk, "step": timer.name, "element": timer.spec_id})
        return False
    return snapshot is not None
