"""Forget cached monthly figures when a dossier or a rating changes what they count.

Dossiers are saved by many services; comparing what a report reads before and after each save keeps the
cache right without touching them. Bulk updates (``QuerySet.update``) bypass this: after one, run
``manage.py shell -c "from onestop.reports.models import CachedMonth; CachedMonth.objects.all().delete()"``.
"""
from onestop.dossiers.models import Status

from .services import invalidate, month_of


def _resolved_at(dossier):
    if dossier.result_at is not None:
        return dossier.result_at
    if dossier.status == Status.REFUSED and dossier.received_at is not None:
        return dossier.closed_at
    return None


def signature(dossier):
    """What the cached figures read of a dossier."""
    return (dossier.received_at, _resolved_at(dossier), dossier.timeliness, dossier.appointment_date,
            dossier.receiving_agency_id, dossier.procedure_id, dossier.channel)


FIELDS = {"received_at", "result_at", "status", "closed_at", "timeliness", "appointment_date", "receiving_agency_id",
          "procedure_id", "channel"}


def remember(sender, instance, **kwargs):
    if instance.pk is None:
        instance._report_signature = None
    elif FIELDS & instance.get_deferred_fields():
        instance._report_signature = "unknown"  # reading them would cost a query per dossier
    else:
        instance._report_signature = signature(instance)


def dossier_saved(sender, instance, created, raw=False, **kwargs):
    before, after = getattr(instance, "_report_signature", None), signature(instance)
    instance._report_signature = after
    if raw or before == after:
        return
    months = {month_of(after[0]), month_of(after[1])}
    if before not in (None, "unknown"):
        months |= {month_of(before[0]), month_of(before[1])}
    invalidate(months)


def rating_saved(sender, instance, raw=False, **kwargs):
    if not raw:
        invalidate({month_of(_resolved_at(instance.dossier))})
