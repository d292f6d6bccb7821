"""The one advance path: after the engine moved a process on, bring its dossier in step.

Completions, reception, exchanges' answers, timers, retries and migration all end here
(``advance``): the process's new waits become work items and exchanges, failed steps become
incidents, the status follows the process, the deadlines app keeps timers and the clock in step,
and new agencies on the route are recorded as hand-overs. The workflow is stored once.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.deadlines import services as deadlines
from onestop.engine import runtime
from onestop.interop import services as interop
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from .. import audit
from ..models import Action, Handover, Incident, Status
from .returns import open_return
from .transitions import move

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.organisation.models import Agency

    from ..models import Dossier


def advance(dossier: Dossier, engine_call: Callable[[object], runtime.Snapshot], user: User | None, *,
            from_agency: Agency | None = None, result: str | None = None) -> runtime.Snapshot:
    """Run ``engine_call`` on the dossier's process, then ``after_advance``; the workflow is written once,
    with the timers' due moments the deadlines app sets."""
    with runtime.stored_once(dossier.process):
        snapshot = engine_call(dossier.process)
        after_advance(dossier, snapshot, user, from_agency=from_agency, result=result)
    return snapshot


def after_advance(dossier: Dossier, snapshot: runtime.Snapshot, user: User | None, *, from_agency: Agency | None,
                  result: str | None) -> None:
    """Turn the process's new waits into work items, record the hand-overs, update the status."""
    from_status = dossier.status
    new_items = worklist.sync_with_process(dossier, snapshot, due_date=dossier.appointment_date)
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
    dossier.save()
    deadlines.after_advance(dossier, snapshot, from_status)  # timers, the stopped clock, timeliness
    _record_handovers(dossier, new_items, user, from_agency, result)


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


def _record_handovers(dossier, new_items, user, from_agency, result):
    """A new step in an agency that does not hold the dossier yet is a hand-over (a row of form 06).

    Without a giving agency (after a background exchange), the dossier comes from where its route last led.
    """
    holders = set(
        dossier.work_items.filter(state__in=WorkItem.ACTIVE_STATES)
        .exclude(pk__in=[i.pk for i in new_items]).values_list("agency_id", flat=True)
    )
    if from_agency is None:
        last_leg = dossier.handovers.select_related("to_agency").last()
        from_agency = last_leg.to_agency if last_leg else None
    if result is None:
        last_done = dossier.work_items.filter(state=WorkItem.State.COMPLETED).order_by("completed_at", "id").last()
        result = last_done.decision if last_done else ""
    for item in new_items:
        agency_id = item.agency_id
        if agency_id is None or agency_id == getattr(from_agency, "pk", None) or agency_id in holders:
            continue
        holders.add(agency_id)
        Handover.objects.create(dossier=dossier, from_agency=from_agency, to_agency=item.agency,
                                given_by=user, result=result)
