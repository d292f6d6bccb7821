"""Keeping the monthly figures cache (models.py) right: fill an ended month, forget a touched one."""
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from .models import CachedMonth, MonthlyFigures


def month_end(month):
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def ensure_months(months):
    """Fill the months of ``months`` (first days, all ended) whose cached figures are missing or stale."""
    fresh = {c.month for c in CachedMonth.objects.filter(month__in=months) if c.is_fresh}
    for month in months:
        if month not in fresh:
            fill_month(month)


def fill_month(month):
    """Compute one ended month's figures from the dossiers and store them.

    ``started`` is taken before reading: a change committed later sets ``invalidated_at`` after it, so
    these figures will not count as fresh; one committed earlier is seen by the queries.
    """
    from . import selectors

    started = timezone.now()
    found = selectors.live_cells(selectors.Filters(month, month_end(month)))
    with transaction.atomic():
        cached, _ = CachedMonth.objects.select_for_update().get_or_create(month=month)
        MonthlyFigures.objects.filter(month=month).delete()
        MonthlyFigures.objects.bulk_create([
            MonthlyFigures(month=month, agency_id=agency, procedure_id=procedure, channel=channel, **{
                name: value for name, value in figures.items() if name not in ("pending", "pending_overdue")})
            for (agency, procedure, channel, _month), figures in found.items()
        ], batch_size=2000)
        if cached.invalidated_at is None or cached.invalidated_at < started:
            cached.computed_at = started
            cached.save(update_fields=["computed_at"])


def invalidate(months):
    """Forget the cached figures of ``months`` once the current transaction commits (the current month is
    never cached, so nothing is written for it)."""
    current = timezone.localdate().replace(day=1)
    past = sorted({m for m in months if m is not None and m < current})
    if not past:
        return

    def mark():
        now = timezone.now()
        for month in past:
            CachedMonth.objects.update_or_create(month=month, defaults={"invalidated_at": now})

    transaction.on_commit(mark)


def month_of(moment):
    if moment is None:
        return None
    local = timezone.localtime(moment)
    return date(local.year, local.month, 1)
