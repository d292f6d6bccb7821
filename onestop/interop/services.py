"""Exchanges: recorded with the process step that needs them, enqueued only after commit."""
from django.db import transaction
from django.utils import timezone

from . import connectors
from .models import Exchange


def open_exchanges(dossier, snapshot):
    """Record an exchange for each service task the process now waits in, and enqueue it on commit.

    Enqueueing after commit means a request that rolls back never starts an exchange, and the
    worker always finds the row it is given.
    """
    from .tasks import run_exchange

    known = set(dossier.exchanges.values_list("task_id", flat=True))
    created = []
    for call in snapshot.waiting:
        if call.id in known:
            continue
        exchange = Exchange.objects.create(
            dossier=dossier, task_id=call.id, task_name=call.name, lane=call.lane or "", operator=call.operator,
            params=call.params,
        )
        transaction.on_commit(lambda pk=exchange.pk: run_exchange.delay(pk))
        created.append(exchange)
    return created


def perform(exchange_id):
    """Do the exchange's work once; return its result (kept, so a repeated delivery reuses it)."""
    with transaction.atomic():
        exchange = Exchange.objects.select_for_update().select_related("dossier__receiving_agency").get(
            pk=exchange_id
        )
        if exchange.result is not None or exchange.state != Exchange.State.PENDING:
            return exchange
        exchange.attempts += 1
        try:
            exchange.result = connectors.call(exchange.operator, exchange.params, exchange)
        except connectors.ConnectorError as exc:
            exchange.state = Exchange.State.FAILED
            exchange.error = str(exc)
            exchange.finished_at = timezone.now()
        exchange.save()
    return exchange


def mark_succeeded(exchange):
    exchange.state = Exchange.State.SUCCEEDED
    exchange.finished_at = timezone.now()
    exchange.save(update_fields=["state", "finished_at"])
