"""Deadlines of steps and dossiers: budgets, the clock stopped while the applicant supplements,
classification, and the timers a process waits on.

These functions run inside the caller's transaction, under the dossier's row lock; they never import
the dossiers' services (which call them).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from onestop.dossiers import audit
from onestop.dossiers.models import Action, Status
from onestop.engine import runtime
from onestop.engine.parsing import BUDGET
from onestop.worklist.models import WorkItem

from . import working_days
from .models import ClockStop, Timer
from .timeliness import classify

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier
    from onestop.organisation.models import Agency


@dataclass(frozen=True)
class Due:
    date: date
    at: datetime | None  # set for budgets in hours: late after this moment


def step_due(budget: str, opened_at: datetime, agency: Agency | None = None) -> Due | None:
    """When a step opened at ``opened_at`` with ``budget`` ("P2D", "PT4H", "P1DT2H") is due; None without one.

    Days count like a dossier's appointment date (from the next opening when opened out of hours).
    Hours and minutes are office time; a budget mixing both counts a day as one working day of office time.
    """
    match = BUDGET.match((budget or "").strip().upper())
    if not match or not any(match.groups()):
        return None
    days, hours, minutes = (int(g or 0) for g in match.groups())
    if not hours and not minutes:
        return Due(working_days.appointment_date(opened_at, days, agency), None)
    total = days * working_days.minutes_per_day(agency) + hours * 60 + minutes
    at = working_days.add_working_minutes(opened_at, total, agency)
    return Due(timezone.localdate(at), at)


def due_moment(item: WorkItem) -> datetime | None:
    """The moment after which ``item`` is late: its ``due_at``, else the office's close on its due date."""
    if item.due_at is not None:
        return item.due_at
    if item.due_date is None:
        return None
    return working_days.close_of_day(item.due_date, item.agency)


def classify_item(item: WorkItem) -> None:
    """Officials' steps only: a step asked of the applicant stops the clock instead (``stop_clock``).

    A step due by the dossier's appointment date (no budget of its own) is measured against the original
    appointment date: an extension (form 04) does not make a late step on time."""
    if item.kind == WorkItem.Kind.APPLICANT or not item.completed_at:
        item.timeliness = ""
        return
    due_date, dossier = item.due_date, item.dossier
    if (item.due_at is None and dossier.original_appointment_date and due_date is not None
            and due_date == dossier.appointment_date):
        due_date = min(due_date, dossier.original_appointment_date)
    item.timeliness = classify(item.completed_at, due_date, item.due_at)


def classify_dossier(dossier: Dossier) -> None:
    """Set when the result is ready, or the dossier is refused after reception: against its original
    appointment date (an extension does not turn late into on time)."""
    done_at = dossier.result_at or dossier.closed_at
    if dossier.received_at and done_at and not dossier.timeliness:
        dossier.timeliness = classify(done_at, dossier.original_appointment_date or dossier.appointment_date)


# --- after every advance of a process ------------------------------------------------------------------

def after_advance(dossier: Dossier, snapshot: runtime.Snapshot, from_status: str) -> None:
    """Keep timers, the clock and the classification in step with the process (``dossiers.lifecycle.advance``)."""
    sync_timers(dossier, snapshot)
    if dossier.status == Status.SUPPLEMENT_REQUESTED and from_status != Status.SUPPLEMENT_REQUESTED:
        stop_clock(dossier)
    elif from_status == Status.SUPPLEMENT_REQUESTED and dossier.status != Status.SUPPLEMENT_REQUESTED:
        restart_clock(dossier, None)  # the request ended otherwise than by an answer (e.g. a timer)
    if dossier.status in (Status.RESULT_READY, Status.REFUSED):
        classify_dossier(dossier)
        dossier.save(update_fields=["timeliness"])


def _timer_due(dossier, wait, opened_at):
    """A timer whose duration is a budget counts in working time, like the step it guards: a day budget is
    due at the office's close on its last day. Other timers (dates, months) keep the engine's time."""
    agency = None
    if wait.attached_to:
        item = dossier.work_items.filter(task_id=wait.attached_to).select_related("agency").first()
        agency = item.agency if item else None
    due = step_due(wait.duration, opened_at, agency) if wait.duration else None
    if due is None:
        return wait.due_at
    return due.at or working_days.close_of_day(due.date, agency)


def sync_timers(dossier: Dossier, snapshot: runtime.Snapshot, now: datetime | None = None) -> None:
    """Record the timers the process now waits on, and close those it no longer waits on.

    ``dossier.timers_pending`` False (read after its lock, ``dossiers.lifecycle.locking``; set by this function
    after it ran): the dossier has no pending timer, so with none waiting there is nothing to close or record."""
    if not snapshot.timers and getattr(dossier, "timers_pending", None) is False:
        return
    now = now or timezone.now()
    recorded = {t.task_id: t for t in dossier.timers.all()}
    known = {task_id: t for task_id, t in recorded.items() if t.state == Timer.State.PENDING}
    waiting = {w.id: w for w in snapshot.timers}
    still_pending = False
    for task_id, timer in known.items():
        if task_id in waiting:
            still_pending = True
            continue
        if task_id in snapshot.fired_timers:
            # The engine fired it on its own during another advance (its moment had passed): record it too.
            timer.state, timer.fired_at = Timer.State.FIRED, now
            audit.record(dossier, Action.TIMER_FIRED, from_status=dossier.status,
                         data={"timer": timer.pk, "step": timer.name, "element": timer.spec_id,
                               "interrupting": timer.interrupting,
                               "due_at": timezone.localtime(timer.due_at).isoformat()})
        else:
            timer.state = Timer.State.CANCELLED
        timer.save(update_fields=["state", "fired_at"])
    dues = {}
    for task_id, wait in waiting.items():
        if task_id in recorded:  # pending, or fired/failed and still shown by the engine
            continue
        due_at = _timer_due(dossier, wait, now)
        if due_at is None:
            continue
        Timer.objects.create(dossier=dossier, task_id=task_id, spec_id=wait.spec_id, name=wait.name,
                             attached_to=wait.attached_to, interrupting=wait.interrupting, due_at=due_at)
        still_pending = True
        if wait.due_at != due_at:
            dues[task_id] = due_at
    dossier.timers_pending = still_pending
    if dues:  # the engine must not fire them earlier on its own, on calendar time
        runtime.set_timer_due(dossier.process, dues)


# --- the clock stops while the applicant supplements -----------------------------------------------------

def stop_clock(dossier: Dossier, now: datetime | None = None) -> ClockStop | None:
    """The applicant is asked to supplement a received dossier: its clock stops until they answer."""
    if not dossier.received_at or dossier.clock_stops.filter(ended_at__isnull=True).exists():
        return None
    item = dossier.work_items.filter(kind=WorkItem.Kind.APPLICANT, state__in=WorkItem.ACTIVE_STATES).first()
    stop = ClockStop.objects.create(dossier=dossier, work_item=item, started_at=now or timezone.now())
    audit.record(dossier, Action.CLOCK_STOPPED, from_status=dossier.status, work_item=item,
                 data={"appointment_date": _iso(dossier.appointment_date)})
    return stop


def restart_clock(dossier: Dossier, user: User | None, now: datetime | None = None) -> ClockStop | None:
    """The applicant answered: the appointment date and the open steps' due dates move by the working days
    spent waiting (those after the day of the request, up to and including the day of the answer)."""
    stop = dossier.clock_stops.filter(ended_at__isnull=True).first()
    if stop is None:
        return None
    now = now or timezone.now()
    stop.ended_at = now
    stop.days = working_days.working_days_between(timezone.localdate(stop.started_at), timezone.localdate(now))
    stop.save(update_fields=["ended_at", "days"])
    previous = dossier.appointment_date
    if stop.days and previous:
        dossier.appointment_date = working_days.add_working_days(previous, stop.days)
        if dossier.original_appointment_date:  # the legal date moves with the stopped clock, too
            dossier.original_appointment_date = working_days.add_working_days(
                dossier.original_appointment_date, stop.days)
        dossier.save(update_fields=["appointment_date", "original_appointment_date"])
        _shift_open_items(dossier, stop.days)
    audit.record(dossier, Action.CLOCK_RESTARTED, actor=user, from_status=dossier.status, work_item=stop.work_item,
                 data={"working_days": stop.days, "from": _iso(previous), "to": _iso(dossier.appointment_date)})
    return stop


def _shift_open_items(dossier, days):
    """Move the open steps' due dates, and the timers attached to them, by ``days`` working days."""
    items = dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES, due_date__isnull=False).exclude(
        kind=WorkItem.Kind.APPLICANT)
    shifts = {}
    for item in items:
        new_date = working_days.add_working_days(item.due_date, days)
        shift = timedelta(days=(new_date - item.due_date).days)
        if item.due_at is not None:
            item.due_at += shift
        item.due_date = new_date
        item.save(update_fields=["due_date", "due_at"])
        if item.task_id:
            shifts[item.task_id] = shift
    dues = {}
    for timer in dossier.timers.filter(state=Timer.State.PENDING, attached_to__in=list(shifts)):
        timer.due_at += shifts[timer.attached_to]
        timer.save(update_fields=["due_at"])
        dues[timer.task_id] = timer.due_at
    if dues:
        runtime.set_timer_due(dossier.process, dues)


def _iso(day):
    return day.isoformat() if day else None
