"""Celery tasks: thin, they only call services."""
from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import DatabaseError

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(services.DeliveryFailed,),
    retry_backoff=settings.ONESTOP_NOTIFICATION_RETRY_BACKOFF,  # 30 s, 60 s, 120 s... with jitter
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=None,  # the service gives up after ONESTOP_NOTIFICATION_MAX_ATTEMPTS and records it
)
def send_notification(self, notification_id):
    """Another attempt at one notification whose send failed. Delivered twice, it sends once: the row says
    it is sent."""
    if self.request.is_eager:
        _deliver_now(notification_id)
        return
    services.deliver(notification_id)


def _deliver_now(notification_id):
    # Without a broker (the demo) nothing can run later: make the attempts now, until sent or given up.
    while True:
        try:
            services.deliver(notification_id)
            return
        except services.DeliveryFailed:
            continue


@shared_task(acks_late=True, autoretry_for=(DatabaseError,), retry_backoff=5, retry_backoff_max=300,
             max_retries=10)
def send_pending():
    """The first attempt at every queued message, whichever changes made them (``services.send_pending``).
    Delivered twice, each is sent once: the second finds them sent. The database unreachable: tried again."""
    return services.send_pending()


@shared_task(acks_late=True)
def send_notifications(notification_ids):
    """The older one-task-per-change message, still queued during an upgrade: sent as ``send_pending`` does."""
    return services.send_pending()


@shared_task
def send_queued():
    """Periodic sweep: notifications whose task never reached the broker."""
    return services.send_queued()


@worker_ready.connect
def _send_what_a_dead_worker_left(**kwargs):
    """A worker that starts may replace one that died holding the pending ``send_pending``: the changes that
    counted on it published nothing, so have their rows sent now."""
    services.request_send(force=True)
