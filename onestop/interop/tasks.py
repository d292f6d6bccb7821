"""Celery tasks: thin, they only call services."""
from celery import shared_task

from onestop.dossiers import services as dossier_services

from . import services
from .models import Exchange


@shared_task(acks_late=True)
def run_exchange(exchange_id):
    """Do one exchange and resume its dossier's process. A repeated delivery has no second effect."""
    exchange = services.perform(exchange_id)
    if exchange.state == Exchange.State.PENDING and exchange.result is not None:
        dossier_services.resume_after_exchange(exchange_id)
    elif exchange.state == Exchange.State.FAILED:
        dossier_services.record_exchange_failure(exchange_id)
