"""Celery tasks: thin, they only call services."""
from celery import shared_task
from django.conf import settings

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
    """Send one notification. Delivered twice, it sends once: the row says it is sent."""
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


@shared_task(bind=True, acks_late=True)
def send_notifications(self, notification_ids):
    """The first attempt at every message one change made, in one task (one broker message, not one per
    message). Delivered twice, each is sent once (its row says it is sent); one whose attempt fails is retried on
    its own by ``send_notification``, with its backoff."""
    for pk in notification_ids:
        if self.request.is_eager:
            _deliver_now(pk)
            continue
        try:
            services.deliver(pk)
        except services.DeliveryFailed:
            send_notification.apply_async((pk,), countdown=settings.ONESTOP_NOTIFICATION_RETRY_BACKOFF)


@shared_task
def send_queued():
    """Periodic sweep: notifications whose task never reached the broker."""
    return services.send_queued()
