"""Beat tasks of the lifecycle (``CELERY_BEAT_SCHEDULE`` in settings): thin, they only call services."""
from celery import shared_task

from .lifecycle import timers


@shared_task(acks_late=True, ignore_result=True)
def fire_due_timers():
    """The BPMN timers that are due fire (``lifecycle.timers``)."""
    return timers.fire_due_timers()
