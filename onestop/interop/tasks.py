"""Celery tasks: thin, they only call services."""
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings

from . import services, signals
from .models import Exchange

EAGER_PAUSE = 0.5  # seconds between attempts when tasks run eagerly

@shared_task(bind=True, acks_late=True, max_retries=None)
def run_exchange(self, exchange_id):
    """One attempt of an exchange; then tell of its answer or failure (``signals``), or try again later.

    Safe to deliver twice: an exchange with an answer is not called again, and resuming is done once.
    """
    attempt = services.perform(exchange_id)
    while attempt.retry_in is not None and self.request.is_eager:
        # Without a broker (the demo) nothing can run later: try again now, a short pause apart.
        time.sleep(min(attempt.retry_in, EAGER_PAUSE))
        attempt = services.perform(exchange_id)
    exchange = attempt.exchange
    if attempt.retry_in is not None:
        raise self.retry(countdown=attempt.retry_in)
    if exchange.state == Exchange.State.PENDING and exchange.result is not None:
        signals.exchange_answered.send(sender=Exchange, exchange_id=exchange_id)
    elif exchange.state == Exchange.State.FAILED:
        signals.exchange_failed.send(sender=Exchange, exchange_id=exchange_id)


@shared_task(acks_late=True, ignore_result=True)
def requeue_stale_exchanges():
    """Beat's sweeper: exchanges whose task never arrived or died with its worker are picked up again."""
    return services.requeue_stale(timedelta(minutes=settings.ONESTOP_EXCHANGE_STALE_MINUTES))
