"""Celery tasks: thin, they only call services."""
from celery import shared_task

from . import services, submissions


@shared_task(bind=True, acks_late=True)
def send_message(self, message_pk):
    """Send one portal message. Delivered twice, it sends once (the row says it is sent). Without a broker
    (the demo) a retry cannot wait in a queue: the sweep or an admin's retry sends it later."""
    services.deliver(message_pk, schedule_retry=not self.request.is_eager)


@shared_task
def send_due_messages():
    """Periodic sweep: messages whose task was lost, or whose retry time has come."""
    return services.send_due()


@shared_task
def pull_submissions():
    """Periodic: dossiers submitted on the portal for our agencies enter the desks' queues."""
    return submissions.pull()
