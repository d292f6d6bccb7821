"""Beat tasks (``CELERY_BEAT_SCHEDULE`` in settings): thin, they only call services.

Beat only says "now": what is due lives in the database, so a restart of beat or of a worker loses
nothing, and a run delivered twice fires nothing twice.
"""
from celery import shared_task

from . import escalations


@shared_task(acks_late=True, ignore_result=True)
def check_deadlines():
    """Reminders for steps due soon, escalations for overdue ones."""
    return {"reminders": len(escalations.send_reminders()), "escalations": len(escalations.escalate_overdue())}
