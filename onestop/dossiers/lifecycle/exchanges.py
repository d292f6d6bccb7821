"""Exchanges with other agencies' systems, seen from the dossier: the process resumes with the answer,
a failed exchange becomes an incident, whose data an official may enter by hand.

``onestop.interop`` performs the exchanges and tells of their end through its signals
(``exchange_answered``, ``exchange_failed``), which the receivers here connect to (``DossiersConfig``).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.engine.errors import StepNotWaiting
from onestop.interop import services as interop
from onestop.interop.models import Exchange
from onestop.organisation import routing

from .. import audit
from ..forms import has_nul
from ..models import FINAL_STATUSES, Action, Incident
from .advance import COMPLETE_SERVICE_TASK, advance
from .incidents import open_incident_for_change, resolve
from .locking import lock_dossier

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from ..models import Dossier

log = logging.getLogger(__name__)


def _exchange_agency(dossier, exchange):
    """The agency the exchange acted for, for the audit trail; None when its lane does not resolve."""
    try:
        return routing.resolve_agency(routing.role_code_of_lane(exchange.lane), dossier.receiving_agency)
    except routing.RoutingError:
        return None


def _resume(dossier, exchange, user, action, comment="", *, by_worker=False):
    """Hand the exchange's result to its service task (under the key of the task's id) and advance.

    ``by_worker``: the answer came to the background worker, which the trail names as the actor (no person),
    with the official whose step asked for it in the data; an official entering the data by hand is the actor.
    """
    from_status = dossier.status
    agency = _exchange_agency(dossier, exchange)
    result = {exchange.result_key or exchange.task_spec_id: exchange.result}
    advance(dossier, {"call": COMPLETE_SERVICE_TASK, "task_id": exchange.task_id, "data": result}, user,
            element=(exchange.task_spec_id, exchange.task_name))
    data = {"step": exchange.task_name, "operator": exchange.operator, "exchange": exchange.pk}
    if by_worker and user is not None:
        data["requested_by"] = user.get_username()
    audit.record(dossier, action, actor=None if by_worker else user, agency=agency, from_status=from_status,
                 comment=comment, data=data)


def _exchange_dossier(exchange_id, *, with_process=False):
    dossier_id = Exchange.objects.values_list("dossier_id", flat=True).get(pk=exchange_id)
    return lock_dossier(dossier_id, with_process=with_process)


@transaction.atomic
def resume_after_exchange(exchange_id: int) -> Dossier:
    """Complete the service task of an answered exchange and advance the process, under the row lock.

    A second delivery of the same exchange finds it no longer pending and changes nothing.
    """
    dossier = _exchange_dossier(exchange_id, with_process=True)
    # The official whose step asked for it, read with it (the trail names them).
    exchange = Exchange.objects.select_for_update(of=("self",)).select_related("acting_user").get(pk=exchange_id)
    if exchange.state != Exchange.State.PENDING:
        return dossier
    interop.mark_succeeded(exchange)
    if dossier.status in FINAL_STATUSES:  # withdrawn meanwhile: keep the answer, go no further
        return dossier
    try:  # the advance's own savepoint undoes what it began when the step no longer waits
        _resume(dossier, exchange, exchange.acting_user, Action.EXCHANGE_COMPLETED, by_worker=True)
    except StepNotWaiting:  # the process went on without it (a boundary timer...): keep the answer only
        log.warning("exchange %s answered after its step was left: not resumed", exchange_id)
    return dossier


@transaction.atomic
def raise_exchange_incident(exchange_id: int) -> Incident:
    """The exchange failed for good: the dossier gets an incident that officials and admins see."""
    dossier = _exchange_dossier(exchange_id)
    exchange = Exchange.objects.select_for_update().get(pk=exchange_id)
    if exchange.incidents.filter(resolved_at__isnull=True).exists():
        return exchange.incidents.get(resolved_at__isnull=True)
    incident = Incident.objects.create(
        dossier=dossier, kind=Incident.Kind.EXCHANGE_FAILED, element_id=exchange.task_spec_id,
        element_name=exchange.task_name, message=exchange.error, exchange=exchange,
    )
    audit.record(dossier, Action.INCIDENT_RAISED, from_status=dossier.status, comment=exchange.error,
                 data={"step": exchange.task_name, "operator": exchange.operator, "incident": incident.pk})
    return incident


def on_exchange_answered(sender: object, exchange_id: int, **kwargs: object) -> None:
    """Receiver of ``interop.signals.exchange_answered``."""
    resume_after_exchange(exchange_id)


def on_exchange_failed(sender: object, exchange_id: int, **kwargs: object) -> None:
    """Receiver of ``interop.signals.exchange_failed``."""
    raise_exchange_incident(exchange_id)


@transaction.atomic
def enter_exchange_manually(incident_id: int, user: User, *, data: dict, reason: str) -> Incident:
    """An official supplies the document or data by hand, with a reason, and the process goes on."""
    if not (reason or "").strip():
        raise InvalidInput(_("Give the reason for entering the data by hand."),
                           errors={"reason": [_("This field is required.")]})
    if not isinstance(data, dict) or not data:
        raise InvalidInput(_("Enter the data the step needs."), errors={"data": [_("Expected an object.")]})
    if has_nul(data):  # PostgreSQL cannot store it: a message, not a 500
        raise InvalidInput(_("Enter the data the step needs."), errors={"data": [_("Not in the expected format.")]})
    dossier, incident = open_incident_for_change(incident_id)
    exchange = incident.exchange
    if exchange is None:
        raise Conflict(_("Data can be entered by hand only for a failed exchange."))
    interop.enter_manually(exchange, data)
    resolve(incident, user, Incident.Resolution.MANUAL, reason)
    _resume(dossier, exchange, user, Action.EXCHANGE_ENTERED_MANUALLY, comment=reason)
    return incident
