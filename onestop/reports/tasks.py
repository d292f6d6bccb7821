"""Keep the monthly figures cache warm, so that no leader waits for a month to be computed.

Scheduled every 10 minutes by Celery beat (``CELERY_BEAT_SCHEDULE`` in settings); without beat the cache is
filled by the first report that needs a month, which is only slower, never wrong.
"""
from celery import shared_task

from . import services


@shared_task(acks_late=True, ignore_result=True)
def refresh_monthly_figures(months=24):
    return services.refresh_recent(months)
