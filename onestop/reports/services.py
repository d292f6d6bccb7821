"""Keeping the monthly figures cache (models.py) right: fill a month, mark a touched one stale, add a
new rating in place."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import CachedMonth, MonthlyFigures

if TYPE_CHECKING:
    from onestop.dossiers.models import Dossier

SATISFIED = 4  # a rating of 4 or 5 counts as satisfied (Decision 766/QĐ-TTg)


def month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def ensure_months(wanted: dict[date, date]) -> None:
    """``wanted`` maps a month (first day) to the last day its figures must count; fill those whose cache
    is missing, stale or stops earlier."""
    rows = {c.month: c for c in CachedMonth.objects.filter(month__in=list(wanted))}
    for month, through in wanted.items():
        row = rows.get(month)
        if row is None or not row.is_fresh or row.through != through:
            fill_month(month, through)


def fill_month(month: date, through: date | None = None) -> None:
    """Compute a month's figures (its first day to ``through``) from the dossiers and store them.

    The month's ``CachedMonth`` row is locked first: a new rating (``add_rating``) waits for the figures
    to be stored, or the computation waits for the rating to commit, so a rating is never lost nor
    counted twice. ``started`` is taken before reading: a dossier change committed later marks the month
    stale after it (``invalidate``), so these figures will not count as fresh.
    """
    from . import selectors

    through = through or month_end(month)
    # Committed before the lock is taken: a rating added meanwhile must find the row to wait on its lock.
    CachedMonth.objects.get_or_create(month=month)
    with transaction.atomic():
        _fill_locked(month, through, selectors)


def _fill_locked(month, through, selectors):
    cached = CachedMonth.objects.select_for_update().get(month=month)
    if cached.is_fresh and cached.through == through:
        return  # another request filled it while this one waited
    started = timezone.now()
    found = selectors.live_cells(selectors.Filters(month, through))
    MonthlyFigures.objects.filter(month=month).delete()
    MonthlyFigures.objects.bulk_create([
        MonthlyFigures(month=month, agency_id=agency, procedure_id=procedure, channel=channel,
                       **{name: figures[name] for name in selectors.CACHED})
        for (agency, procedure, channel, _month), figures in found.items()
    ], batch_size=2000)
    cached.through = through
    cached.computed_at = started if cached.invalidated_at is None or cached.invalidated_at < started else None
    cached.save(update_fields=["through", "computed_at"])


def refresh_recent(count: int = 24) -> int:
    """Fill what the last ``count`` ended months and this month up to yesterday lack. Returns how many
    months it filled."""
    today = timezone.localdate()
    wanted, month = {}, today.replace(day=1)
    if today > month:
        wanted[month] = today - timedelta(days=1)
    for _ in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
        wanted[month] = month_end(month)
    rows = {c.month: c for c in CachedMonth.objects.filter(month__in=list(wanted))}
    stale = {m: t for m, t in wanted.items() if m not in rows or not rows[m].is_fresh or rows[m].through != t}
    ensure_months(stale)
    return len(stale)


def invalidate(days: Iterable[date | None]) -> None:
    """Mark stale, once the current transaction commits, the cached months that count one of ``days``
    (today is always read live, so a change of today's figures marks nothing)."""
    today = timezone.localdate()
    months = sorted({day.replace(day=1) for day in days if day is not None and day < today})
    if not months:
        return

    def mark():
        now = timezone.now()
        for month in months:
            CachedMonth.objects.filter(month=month).update(invalidated_at=now)

    transaction.on_commit(mark)


@transaction.atomic
def add_rating(dossier: Dossier, score: int, sign: int = 1) -> None:
    """Count a new (or, with ``sign=-1``, a deleted) rating in the cached month of its dossier's
    resolution, in place, under the month's lock (see ``fill_month``)."""
    day = local_day(dossier.result_at or dossier.closed_at)
    if day is None or day >= timezone.localdate():
        return
    cached = CachedMonth.objects.select_for_update().filter(month=day.replace(day=1)).first()
    if cached is None or not cached.is_fresh or cached.through < day:
        return  # not cached (or stale): the next fill counts the rating
    key = {"month": cached.month, "agency_id": dossier.receiving_agency_id, "procedure_id": dossier.procedure_id,
           "channel": dossier.channel}
    satisfied = int(score >= SATISFIED)
    updated = MonthlyFigures.objects.filter(**key).update(
        rating_sum=F("rating_sum") + sign * score, rating_count=F("rating_count") + sign,
        rating_satisfied=F("rating_satisfied") + sign * satisfied)
    if updated:
        return
    if sign > 0:
        MonthlyFigures.objects.create(**key, rating_sum=score, rating_count=1, rating_satisfied=satisfied)
    else:  # a rating the cache never counted: count the month again
        cached.invalidated_at = timezone.now()
        cached.save(update_fields=["invalidated_at"])


def local_day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def month_of(moment: datetime | None) -> date | None:
    day = local_day(moment)
    return date(day.year, day.month, 1) if day else None
