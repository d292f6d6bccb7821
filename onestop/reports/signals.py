"""Forget cached monthly figures when a dossier or a rating changes what they count.

Dossiers are saved by many services; comparing what a report reads before and after each save keeps the
cache right without touching them. Bulk updates (``QuerySet.update``) bypass this: after one, run
``manage.py shell -c "from onestop.reports.models import CachedMonth; CachedMonth.objects.all().delete()"``.
"""
from onestop.dossiers.models import Status

from .services import add_rating, invalidate, local_day


def _resolved_at(dossier):
    if dossier.result_at is not None:
        return dossier.result_at
    if dossier.status == Status.REFUSED and dossier.received_at is not None:
        return dossier.closed_at
    return None


def signature(dossier):
    """What the cached figures read of a dossier: for the day it was received, and for the day it was
    resolved (with its timeliness and processing time)."""
    where = (dossier.receiving_agency_id, dossier.procedure_id, dossier.channel)
    resolved = _resolved_at(dossier)
    return ((dossier.received_at, *where),
            (resolved, dossier.received_at, dossier.timeliness, dossier.appointment_date, *where))


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
    """A result today for a dossier received last week changes only today's figures (read live): no
    cached month is touched. Only a change to a day already counted marks its month stale."""
    before, after = getattr(instance, "_report_signature", None), signature(instance)
    instance._report_signature = after
    if raw or before == after:
        return
    days = set()
    for side in (0, 1):  # received, resolved
        if before is None or before == "unknown" or before[side] != after[side]:
            days.add(local_day(after[side][0]))
            if before not in (None, "unknown"):
                days.add(local_day(before[side][0]))
    invalidate(days)


def rating_saved(sender, instance, created=False, raw=False, **kwargs):
    if not raw and created:
        add_rating(instance.dossier, instance.score)


def rating_deleted(sender, instance, **kwargs):
    add_rating(instance.dossier, instance.score, sign=-1)


COUNTED_FILES = {"document", "scan", "result"}


def attachment_changed(sender, instance, raw=False, **kwargs):
    """A dossier's documents or result file counts in the digitised figures of the months it was received
    and resolved in: mark them stale when they are already cached (a scan added to an old dossier)."""
    if raw or instance.kind not in COUNTED_FILES:
        return
    dossier = instance.dossier
    invalidate({local_day(dossier.received_at), local_day(_resolved_at(dossier))})
