"""The one advance path: after the engine moved a process on, bring its dossier in step.

Completions, reception, exchanges' answers, timers, retries and migration all end here
(``advance``), which also keeps the run contract (docs/run-contract.md): the process's new waits become
work items and exchanges, failed steps become incidents, the status follows the process, the deadlines
app keeps timers and the clock in step, and new agencies on the route are recorded as hand-overs. The
workflow is stored once.
"""
from __future__ import annotations

import copy
import enum
import logging
from typing import TYPE_CHECKING

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, DomainError
from onestop.deadlines import services as deadlines
from onestop.engine import runtime
from onestop.engine.errors import EngineError, StepNotWaiting
from onestop.interop import services as interop
from onestop.organisation import routing
from onestop.organisation.routing import RoutingError
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from .. import audit
from ..models import Action, Handover, Incident, Status
from .returns import open_return
from .transitions import move, save

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.organisation.models import Agency

    from ..models import Dossier


log = logging.getLogger(__name__)


# What the engine may be asked (``call["call"]``); kept on an incident so that a retry asks it again.
START, COMPLETE_TASK, COMPLETE_SERVICE_TASK, FIRE_TIMER, RETRY_FAILED, MIGRATE, SYNC = (
    "start", "complete_task", "complete_service_task", "fire_timer", "retry_failed", "migrate", "sync")


class OnFailure(enum.Enum):
    """What a failed advance becomes (docs/run-contract.md)."""

    INCIDENT = "incident"  # the change before the advance stays, an incident opens: nobody at hand can fix it
    REFUSE = "refuse"  # nothing changes, 409 with the cause: the person asking can fix it and try again


def advance(dossier: Dossier, call: dict, user: User | None, *, from_agency: Agency | None = None,
            result: str | None = None, element: tuple[str, str] = ("", ""),
            on_failure: OnFailure = OnFailure.INCIDENT, closing: WorkItem | None = None) -> runtime.Snapshot | None:
    """The one advance path: ask the engine ``call`` on the dossier's process, then bring the dossier in step
    (``after_advance``); the workflow is written once.

    The run contract: the advance runs in a savepoint. A refusal of the rules (a ``DomainError`` other than a
    routing failure: the step is no longer waiting...) rolls back the request and answers 4xx. Any other
    failure, of the engine (a script, serialization, the sandbox) or of the routing, rolls back the advance
    only: with ``OnFailure.INCIDENT`` the caller's change stays and an incident names the dossier, the element
    and the cause (``None`` is returned); with ``OnFailure.REFUSE`` it becomes a 409 with the cause.

    ``closing``: the work item the caller completes (and closes itself) with this advance.
    """
    seen = {"closing": closing}
    before = _fields(dossier)  # the caller's change, written or not: it stays if the advance fails
    read = getattr(dossier, "read_values", None)  # what the database holds, as far as ``save`` knows
    recorded = audit.mark()  # audit events of a batch not yet written: those of a rolled-back advance are dropped
    try:
        with transaction.atomic():
            snapshot = _run(dossier, call, user, from_agency, result, seen)
        return snapshot
    except (StepNotWaiting, DatabaseError):
        raise  # nothing changed: the caller answers 409 (or the database's own error)
    except (EngineError, RoutingError) as exc:
        failure = exc
    except DomainError:
        raise
    except Exception as exc:  # noqa: BLE001 - the run contract: whatever fails is kept as an incident, not lost
        log.warning("dossier %s could not advance (%s): %s", dossier.code, call.get("call"), exc, exc_info=True)
        failure = exc
    audit.forget_since(recorded)
    _restore(dossier, before)
    dossier.read_values = read  # the rolled-back writes are undone: the caller's change is written below
    dossier.timers_pending = dossier.exchange_tasks = None  # what the rolled-back advance knew: read again
    spec_id, name = _failed_element(dossier, seen.get("snapshot"), failure, element)
    cause = _cause(failure)
    if on_failure is OnFailure.REFUSE:
        raise Conflict(_("The process of dossier %(code)s cannot advance at “%(step)s”: %(cause)s")
                       % {"code": dossier.code, "step": name or spec_id, "cause": cause})
    save(dossier)  # the caller's change, which it may have left to the advance to write
    open_incident(dossier, Incident.Kind.ADVANCE_FAILED, element=(spec_id, name), message=cause, call=call)
    return None


def _run(dossier, call, user, from_agency, result, seen):
    kind = call["call"]
    if kind == START:
        instance, snapshot = runtime.start(dossier.version, data=call.get("data"))
        dossier.process = instance  # written with the dossier by after_advance
        # A process just started has no steps, exchanges or timers of its own yet: nothing to read of them.
        dossier.timers_pending, dossier.exchange_tasks = False, set()
        seen["snapshot"] = snapshot
        with runtime.stored_once(instance):  # the timers' due moments, written with the workflow once more
            after_advance(dossier, snapshot, user, from_agency=from_agency, result=result,
                          closing=seen["closing"], started=True)
        return snapshot
    with runtime.stored_once(dossier.process):
        snapshot = _ask_engine(dossier, kind, call)
        seen["snapshot"] = snapshot
        after_advance(dossier, snapshot, user, from_agency=from_agency, result=result, closing=seen["closing"])
    return snapshot


def _ask_engine(dossier, kind, call):
    process, task_id, data = dossier.process, call.get("task_id", ""), call.get("data") or {}
    if kind == COMPLETE_TASK:
        return runtime.complete_task(process, task_id, data)
    if kind == COMPLETE_SERVICE_TASK:
        return runtime.complete_service_task(process, task_id, data)
    if kind == FIRE_TIMER:
        return runtime.fire_timer(process, task_id)
    if kind == RETRY_FAILED:
        return runtime.retry_failed(process, task_id)
    if kind == MIGRATE:
        return runtime.migrate(process, dossier.version)
    if kind == SYNC:
        return runtime.snapshot(process)
    raise ValueError(f"unknown engine call {kind!r}")


def _fields(dossier):
    return {f.attname: copy.deepcopy(getattr(dossier, f.attname)) for f in type(dossier)._meta.concrete_fields
            if f.attname != "id"}


def _restore(dossier, fields):
    """After the savepoint rolled back, the dossier in memory is as the caller left it (status, dates, process:
    a changed key forgets the related object it had cached)."""
    for name, value in fields.items():
        setattr(dossier, name, value)


def _failed_element(dossier, snapshot, failure, element):
    """The BPMN element the failure belongs to: the step whose lane did not resolve, the task the engine names,
    else the element the advance was asked about."""
    if isinstance(failure, RoutingError) and snapshot is not None:
        for wait in (*snapshot.ready, *snapshot.waiting):
            try:
                routing.resolve_agency(routing.role_code_of_lane(wait.lane), dossier.receiving_agency)
            except RoutingError:
                return wait.spec_id, wait.name
            except Exception:  # noqa: BLE001 - the lane of the applicant's step, say
                continue
    if isinstance(failure, EngineError) and (failure.element_id or failure.element_name):
        return failure.element_id, failure.element_name or failure.element_id
    return element


def _cause(failure) -> str:
    text = str(getattr(failure, "message", "") or failure) or type(failure).__name__
    if isinstance(failure, EngineError) and failure.cause and failure.cause not in text:
        text = f"{text} ({failure.cause})"
    return (text if isinstance(failure, DomainError) else f"{type(failure).__name__}: {text}")[:2000]


def open_incident(dossier: Dossier, kind: str, *, element: tuple[str, str], message: str, call: dict | None = None,
                  task_id: str = "") -> Incident:
    """An incident on the dossier, recorded in its audit trail; admins and the dossier's agencies see it."""
    spec_id, name = element
    incident = Incident.objects.create(dossier=dossier, kind=kind, element_id=spec_id or "", element_name=name or "",
                                       task_id=task_id or (call or {}).get("task_id", ""), message=message,
                                       call=call or {})
    audit.record(dossier, Action.INCIDENT_RAISED, from_status=dossier.status, comment=message,
                 data={"step": name or spec_id, "incident": incident.pk, "kind": kind})
    return incident


def after_advance(dossier: Dossier, snapshot: runtime.Snapshot, user: User | None, *, from_agency: Agency | None,
                  result: str | None, closing: WorkItem | None = None, started: bool = False) -> None:
    """Turn the process's new waits into work items, record the hand-overs, update the status.

    ``closing``: the item being completed, which its caller closes (no cancel of it here first). ``started``: the
    process has just started; it has no steps yet, and the only step its dossier had (the reception) is the
    caller's: no active items to read."""
    from_status = dossier.status
    active = [] if started else worklist.active_items(dossier)
    new_items = worklist.sync_with_process(dossier, snapshot, due_date=dossier.appointment_date, active=active,
                                           closing=closing)
    interop.open_exchanges(dossier, snapshot, actor=user)
    raise_process_incidents(dossier, snapshot)
    if snapshot.completed:
        if snapshot.outcome == "refused":
            move(dossier, Status.REFUSED)
            dossier.closed_at = timezone.now()
            new_items.append(open_return(dossier, refused=True))  # the written refusal goes through the desk
        else:
            move(dossier, Status.RESULT_READY)
            dossier.result_at = timezone.now()
            new_items.append(open_return(dossier))
    elif worklist.asks_applicant(snapshot):
        move(dossier, Status.SUPPLEMENT_REQUESTED)
    else:
        move(dossier, Status.PROCESSING)
    save(dossier)
    deadlines.after_advance(dossier, snapshot, from_status)  # timers, the stopped clock, timeliness
    # The agencies holding the dossier before these new steps: its active items, less those just cancelled and
    # the one being completed.
    holders = {item.agency_id for item in active
               if item.is_active and (closing is None or item.pk != closing.pk)}
    _record_handovers(dossier, new_items, user, from_agency, result, holders)


def raise_process_incidents(dossier: Dossier, snapshot: runtime.Snapshot) -> None:
    """A failed step (a script, a condition) stops the process there: admins see an incident."""
    for error in snapshot.errors:
        if dossier.incidents.filter(task_id=error.task_id, resolved_at__isnull=True).exists():
            continue
        incident = Incident.objects.create(
            dossier=dossier, kind=Incident.Kind.PROCESS_ERROR, element_id=error.spec_id, element_name=error.name,
            task_id=error.task_id, message=error.message or _("The step failed."),
        )
        audit.record(dossier, Action.INCIDENT_RAISED, from_status=dossier.status, comment=incident.message,
                     data={"step": error.name, "incident": incident.pk})


def _record_handovers(dossier, new_items, user, from_agency, result, holders):
    """A new step in an agency that does not hold the dossier yet (``holders``: the agency ids of its other
    active items) is a hand-over (a row of form 06).

    Without a giving agency (after a background exchange), the dossier comes from where its route last led; that
    and the result handed over are read only for a step that may be a hand-over.
    """
    known = {"from": from_agency, "result": result} if from_agency is not None else {"result": result}
    for item in new_items:
        agency_id = item.agency_id
        if agency_id is None or agency_id in holders:
            continue
        if "from" not in known:
            last_leg = dossier.handovers.select_related("to_agency").last()
            known["from"] = last_leg.to_agency if last_leg else None
        if agency_id == getattr(known["from"], "pk", None):
            continue
        if known["result"] is None:
            last_done = (dossier.work_items.filter(state=WorkItem.State.COMPLETED).order_by("completed_at", "id")
                         .last())
            known["result"] = last_done.decision if last_done else ""
        holders.add(agency_id)
        Handover.objects.create(dossier=dossier, from_agency=known["from"], to_agency=item.agency,
                                given_by=user, result=known["result"])
