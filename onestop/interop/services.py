"""Exchanges: recorded with the process step that needs them, enqueued only after commit, attempted
with backoff, and never left waiting silently: the last failure raises an incident on the dossier."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from onestop.core import refcache

from . import connectors, privacy
from .models import Exchange, Peer

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier
    from onestop.engine.runtime import Snapshot

log = logging.getLogger(__name__)
refcache.invalidate_on(Peer, "peer-ids")


@dataclass
class Attempt:
    exchange: Exchange
    retry_in: float | None = None  # seconds until the next attempt, when one is due


def _enqueue(exchange_id, countdown=None):
    transaction.on_commit(lambda: _publish(exchange_id, countdown))


def _publish(exchange_id, countdown):
    """After commit the change is made: a broker that is down must not turn it into an error for the user.
    The exchange stays pending and beat's sweeper (``requeue_stale_exchanges``) enqueues it later."""
    from .tasks import run_exchange

    try:
        run_exchange.apply_async((exchange_id,), countdown=countdown)
    except OperationalError as exc:
        log.warning("exchange %s not enqueued, the sweeper will: %s", exchange_id, exc)


def _peer_id(code):
    """The id of the peer system ``code`` (or None): read per process (``refcache``); its settings, which
    an admin may change, are read by the worker at each attempt."""
    return refcache.cache("peer-ids").get(code, lambda: Peer.objects.filter(code=code).values_list("pk", flat=True)
                                          .first())


def open_exchanges(dossier: Dossier, snapshot: Snapshot, actor: User | None = None) -> list[Exchange]:
    """Record an exchange for each service task the process now waits in, and enqueue it on commit.

    Enqueueing after commit means a request that rolls back never starts an exchange, and the
    worker always finds the row it is given.
    """
    if not snapshot.waiting:
        return []
    # The service tasks that have their exchange: read with the process after the dossier's lock
    # (``dossiers.lifecycle.locking``), else here.
    known = getattr(dossier, "exchange_tasks", None)
    if known is None:
        known = dossier.exchange_tasks = set(dossier.exchanges.values_list("task_id", flat=True))
    created = []
    for call in snapshot.waiting:
        if call.id in known:
            continue
        operator = connectors.get_operator(call.operator)
        peer_id = _peer_id(operator.peer) if operator and operator.peer else None
        exchange = Exchange.objects.create(
            dossier=dossier, task_id=call.id, task_spec_id=call.spec_id, result_key=call.result_variable,
            task_name=call.name, lane=call.lane or "",
            operator=call.operator, params=call.params, peer_id=peer_id,
            acting_user=actor if actor is not None and actor.is_authenticated else None,
        )
        _enqueue(exchange.pk)
        known.add(call.id)
        created.append(exchange)
    return created


def perform(exchange_id: int) -> Attempt:
    """Make one attempt; keep its answer. Returns when and whether to try again.

    The attempt is counted before the call, so a worker killed mid-call still uses one up; the answer
    is written only if no other delivery wrote one first.
    """
    with transaction.atomic():
        locked = Exchange.objects.select_for_update(of=("self",))
        exchange = locked.select_related("dossier__receiving_agency", "peer").get(pk=exchange_id)
        if exchange.state != Exchange.State.PENDING or exchange.result is not None:
            return Attempt(exchange)
        exchange.attempts += 1
        exchange.last_attempt_at = timezone.now()
        exchange.save(update_fields=["attempts", "last_attempt_at"])
        operator = connectors.get_operator(exchange.operator)
        if operator is not None and operator.local:  # our own data: done under this lock, exactly once
            return _record(exchange, connectors.call(exchange))
    outcome = connectors.call(exchange)  # no lock is held while another agency answers
    with transaction.atomic():
        exchange = Exchange.objects.select_for_update(of=("self",)).select_related("peer").get(pk=exchange_id)
        if exchange.state != Exchange.State.PENDING or exchange.result is not None:
            return Attempt(exchange)
        return _record(exchange, outcome)


def _record(exchange, outcome):
    exchange.request_id = outcome.request_id
    exchange.request_digest = outcome.request_digest
    exchange.response_digest = outcome.response_digest
    exchange.response_body = outcome.response_body
    exchange.http_status = outcome.http_status
    exchange.last_duration_ms = outcome.duration_ms
    exchange.total_duration_ms += outcome.duration_ms
    exchange.error = outcome.error
    retry_in = None
    if outcome.result is not None:
        exchange.result = outcome.result
        privacy.record_read(exchange)  # written once, with the answer: the looked-up person's access log
    elif outcome.retry and exchange.attempts < _max_attempts(exchange):
        retry_in = _backoff(exchange)
    else:
        exchange.state = Exchange.State.FAILED
        exchange.finished_at = timezone.now()
    exchange.save()
    return Attempt(exchange, retry_in)


def _max_attempts(exchange):
    return exchange.peer.max_attempts if exchange.peer_id else 1


def _backoff(exchange):
    base = exchange.peer.backoff_seconds if exchange.peer_id else 1.0
    return base * 2 ** (exchange.attempts - 1)


def stale_pending(older_than: timedelta) -> list[int]:
    """Pending exchanges nobody has worked on for ``older_than`` (a timedelta) past their due retry: their
    task was lost (a broker restarted empty, a worker or the database died mid-task). Oldest first."""
    now = timezone.now()
    before = now - older_than
    candidates = (Exchange.objects.filter(state=Exchange.State.PENDING)
                  .filter(Q(last_attempt_at__lte=before) | Q(last_attempt_at__isnull=True, created_at__lte=before))
                  .select_related("peer").order_by("created_at"))
    stale = []
    for exchange in candidates.iterator():
        # A failed attempt waits its backoff first: only past that is the retry overdue.
        wait = timedelta(seconds=_backoff(exchange)) if exchange.attempts and exchange.result is None else timedelta()
        if exchange.last_attempt_at is None or exchange.last_attempt_at + wait <= before:
            stale.append(exchange.pk)
    return stale


def requeue_stale(older_than: timedelta) -> int:
    """Enqueue again the stale pending exchanges; safe, since a delivery does nothing twice. Returns how many."""
    from .tasks import run_exchange

    stale = stale_pending(older_than)
    for pk in stale:
        try:
            run_exchange.delay(pk)
        except Exception:  # noqa: BLE001 - without a broker the task runs here: one exchange must not stop the rest
            log.exception("exchange %s could not be run again", pk)
    return len(stale)


def mark_succeeded(exchange: Exchange) -> None:
    exchange.state = Exchange.State.SUCCEEDED
    exchange.finished_at = timezone.now()
    exchange.save(update_fields=["state", "finished_at"])


def retry(exchange: Exchange) -> None:
    """Start the exchange again from its first attempt (an admin or official fixed the cause)."""
    exchange.state = Exchange.State.PENDING
    exchange.attempts = 0
    exchange.result = None
    exchange.error = ""
    exchange.finished_at = None
    exchange.save()
    _enqueue(exchange.pk)


def enter_manually(exchange: Exchange, data: dict) -> None:
    exchange.state = Exchange.State.MANUAL
    exchange.result = data
    exchange.finished_at = timezone.now()
    exchange.save()
