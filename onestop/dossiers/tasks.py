"""Beat tasks of the lifecycle (``CELERY_BEAT_SCHEDULE`` in settings): thin, they only call services."""
from celery import shared_task

from .lifecycle import incidents, timers


@shared_task(acks_late=True, ignore_result=True)
def sweep_stuck_dossiers():
    """Dossiers with no way forward get an incident (``lifecycle.incidents``)."""
    return incidents.sweep_stuck_dossiers()


@shared_task(acks_late=True, ignore_result=True)
def fire_due_timers():
    """The BPMN timers that are due fire (``lifecycle.timers``)."""
    return timers.fire_due_timers()
