"""Incidents: what stops a dossier's process, and how a person resolves it (docs/run-contract.md).

An incident is resolved by trying again after a fix (``retry_incident``), by entering an exchange's data by
hand (``exchanges.enter_exchange_manually``), or by stopping the dossier with a reason (``stop_dossier``).
The sweep (``sweep_stuck_dossiers``, beat) opens one for any dossier left with no way forward.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.deadlines.models import Timer
from onestop.interop import services as interop
from onestop.interop.models import Exchange
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem

from .. import audit
from ..models import FINAL_STATUSES, Action, Dossier, Incident, Status
from .advance import RETRY_FAILED, SYNC, OnFailure, advance, open_incident
from .locking import lock_dossier
from .reception import open_reception, start_call
from .transitions import move

if TYPE_CHECKING:
    from django.contrib.auth.models import User

log = logging.getLogger(__name__)
RECEPTION = "reception"  # the sweep's way forward for a submitted dossier without its reception step


def open_incident_for_change(incident_id: int) -> tuple[Dossier, Incident]:
    """The incident's dossier locked, then the incident: 409 when it is resolved or the dossier has ended."""
    incident = Incident.objects.select_related("exchange").get(pk=incident_id)
    dossier = lock_dossier(incident.dossier_id)
    incident = Incident.objects.select_for_update(of=("self",)).select_related("exchange").get(pk=incident_id)
    if not incident.is_open:
        raise Conflict(_("This incident is already resolved."))
    if dossier.status in FINAL_STATUSES:
        raise Conflict(_("The dossier is closed."))
    return dossier, incident


def resolve(incident: Incident, user: User, resolution: str, comment: str = "") -> None:
    incident.resolved_at = timezone.now()
    incident.resolved_by = user
    incident.resolution = resolution
    incident.comment = comment
    incident.save()


@transaction.atomic
def retry_incident(incident_id: int, user: User) -> Incident:
    """Try again: the failed exchange from its first attempt, the failed step of the process, or the advance
    that failed. A retry that fails again changes nothing and answers 409 with the cause."""
    dossier, incident = open_incident_for_change(incident_id)
    resolve(incident, user, Incident.Resolution.RETRIED)
    element = (incident.element_id, incident.element_name)
    if incident.exchange_id:
        interop.retry(incident.exchange)
    elif incident.kind == Incident.Kind.PROCESS_ERROR:
        advance(dossier, {"call": RETRY_FAILED, "task_id": incident.task_id}, user, element=element,
                on_failure=OnFailure.REFUSE)
    elif incident.call.get("call") == RECEPTION:
        open_reception(dossier, timezone.localdate())
    else:  # the advance that failed, or the sweep's way forward, asked again on the stored workflow
        advance(dossier, incident.call, user, element=element, on_failure=OnFailure.REFUSE)
    audit.record(dossier, Action.INCIDENT_RETRIED, actor=user, from_status=dossier.status,
                 data={"step": incident.element_name, "incident": incident.pk})
    return incident


@transaction.atomic
def stop_dossier(incident_id: int, user: User, *, reason: str) -> Incident:
    """End the dossier of an incident that cannot be resolved otherwise, with the reason the applicant reads.

    Its open steps are cancelled and its open incidents resolved as ``stopped``; pending exchanges and
    timers find it ended and do nothing more.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for stopping the dossier."),
                           errors={"reason": [_("This field is required.")]})
    dossier, incident = open_incident_for_change(incident_id)
    from_status = dossier.status
    move(dossier, Status.STOPPED)
    dossier.closed_at = timezone.now()
    dossier.save()
    worklist.cancel_open_items(dossier)
    for other in dossier.incidents.select_for_update().filter(resolved_at__isnull=True):
        resolve(other, user, Incident.Resolution.STOPPED, reason)
    audit.record(dossier, Action.STOPPED, actor=user, from_status=from_status, comment=reason,
                 data={"step": incident.element_name, "incident": incident.pk})
    incident.refresh_from_db()
    return incident


def stuck_dossiers() -> QuerySet[Dossier]:
    """Dossiers not ended and not waiting for the applicant, with no open step, no pending exchange, no pending
    timer and no open incident: nothing would ever move them on."""
    def pending(model, **states):
        return Exists(model.objects.filter(dossier=OuterRef("pk"), **states))

    return (Dossier.objects.exclude(status__in=[*FINAL_STATUSES, Status.SUPPLEMENT_REQUESTED])
            .exclude(pending(WorkItem, state__in=WorkItem.ACTIVE_STATES))
            .exclude(pending(Exchange, state=Exchange.State.PENDING))
            .exclude(pending(Timer, state=Timer.State.PENDING))
            .exclude(pending(Incident, resolved_at__isnull=True)))


def _way_forward(dossier) -> dict:
    """What a retry of a stuck dossier's incident asks: the desk's step, the process's start, or a new look
    at the stored process (which opens its missing steps)."""
    if dossier.status == Status.SUBMITTED:
        return {"call": RECEPTION}
    if dossier.process_id is None:
        return start_call(dossier)
    return {"call": SYNC}


def sweep_stuck_dossiers(limit: int = 500) -> int:
    """Beat's sweep: an incident (kind ``stuck``) for each dossier with no way forward; returns how many."""
    opened = 0
    for pk in stuck_dossiers().values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            dossier = lock_dossier(pk, skip_locked=True)
            if dossier is None or not stuck_dossiers().filter(pk=pk).exists():
                continue  # being changed right now, or moved on meanwhile
            message = _("The dossier is “%(status)s” but has no open step, no pending exchange or timer "
                        "and no incident: nothing would move it on.") % {"status": dossier.get_status_display()}
            open_incident(dossier, Incident.Kind.STUCK, element=("", ""), message=message, call=_way_forward(dossier))
            log.warning("dossier %s has no way forward: incident opened", dossier.code)
            opened += 1
    return opened

