"""Working days and deadlines: Monday to Friday, minus the days off and plus the make-up working days of
the year's official schedule (``schedule``: loaded by an admin, shipped, or, for a year with no data, the
``holidays`` package's Vietnamese holidays), with the days an admin declares (``CalendarDay``) on top.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from onestop.core import refcache

from . import schedule
from .models import CalendarDay, CalendarYear, OfficeHours, SameDayCutoff

# Read by every submission and every step with a deadline: kept per process (``refcache``).
refcache.invalidate_on(CalendarDay, "calendar")
refcache.invalidate_on(CalendarYear, "calendar")
refcache.invalidate_on(OfficeHours, "office-hours")


@dataclass(frozen=True)
class Hours:
    morning_start: time = time(7, 0)
    morning_end: time = time(11, 30)
    afternoon_start: time = time(13, 30)
    afternoon_end: time = time(17, 0)
    same_day_cutoff: time = time(15, 0)


DEFAULT_HOURS = Hours()


def hours_of(agency):
    if agency is None:
        return DEFAULT_HOURS
    return refcache.cache("office-hours").get(agency.pk, lambda: _read_hours(agency))


def _read_hours(agency):
    row = OfficeHours.objects.filter(agency=agency).first()
    if row is None:
        return DEFAULT_HOURS
    return Hours(row.morning_start, row.morning_end, row.afternoon_start, row.afternoon_end, row.same_day_cutoff)


class Calendar:
    """The working days of a span of years, read from the database once."""

    def __init__(self, first_year, last_year):
        declared = CalendarDay.objects.filter(date__year__gte=first_year, date__year__lte=last_year)
        self.days_off = {d.date for d in declared if d.kind == CalendarDay.Kind.DAY_OFF}
        self.working = {d.date for d in declared if d.kind == CalendarDay.Kind.WORKING_DAY}
        # A loaded year is exactly its declared days; the others take the shipped schedule or the fallback.
        self.loaded = set(schedule.loaded())
        self.years = {year: schedule.shipped(year) or schedule.fallback(year)
                      for year in range(first_year, last_year + 1) if year not in self.loaded}

    def is_working_day(self, day):
        if day in self.days_off:
            return False
        if day in self.working:
            return True
        if day.year in self.loaded:
            return day.weekday() < 5  # a loaded year: its days are the declared ones
        year = self.years.get(day.year) or schedule.shipped(day.year) or schedule.fallback(day.year)
        if day in year.working:
            return True
        return day.weekday() < 5 and day not in year.days_off

    def next_working_day(self, day):
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def _calendar(start, days=0):
    """The calendar from the year before ``start`` to past the ``days``-th working day after it (there are
    about 250 working days a year, so ``days // 200`` more years always reach it)."""
    years = (start.year - 1, start.year + 2 + days // 200)
    return refcache.cache("calendar").get(years, lambda: Calendar(*years))


def is_working_day(day: date) -> bool:
    return _calendar(day).is_working_day(day)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the day of receipt is not counted).

    With ``days == 0`` it is ``start`` itself, or the next working day when ``start`` is not one.
    """
    calendar = _calendar(start, days)
    if days == 0:
        return start if calendar.is_working_day(start) else calendar.next_working_day(start)
    return _add(calendar, start, days)


def _add(calendar, day, days):
    for _ in range(days):
        day = calendar.next_working_day(day)
    return day


def received_at(moment: datetime, agency=None) -> datetime:
    """When a dossier counts as received: ``moment`` during office hours, else the next opening."""
    local = timezone.localtime(moment)
    return _received_at(local, hours_of(agency), _calendar(local.date()))


def _received_at(local, hours, calendar):
    day, clock = local.date(), local.time()
    if calendar.is_working_day(day):
        if clock < hours.morning_start:
            return _at(day, hours.morning_start)
        if clock < hours.morning_end or hours.afternoon_start <= clock < hours.afternoon_end:
            return local
        if clock < hours.afternoon_start:
            return _at(day, hours.afternoon_start)
    return _at(calendar.next_working_day(day), hours.morning_start)


def same_day_cutoff(procedure, agency=None) -> time | None:
    """The cut-off of a same-day ``procedure`` at ``agency`` when its law sets one (``SameDayCutoff``)."""
    if procedure is None or procedure.processing_days or not SameDayCutoff.objects.filter(
            procedure=procedure).exists():
        return None
    return hours_of(agency).same_day_cutoff


def appointment_date(moment: datetime, days: int, agency=None, procedure=None) -> date:
    """The appointment date of a dossier received at ``moment`` with a legal time of ``days`` working days.

    A same-day procedure (``days == 0``) is due the day of receipt; when its law sets a cut-off
    (``same_day_cutoff``), one received after it is due the next working day.
    """
    local = timezone.localtime(moment)
    hours, calendar = hours_of(agency), _calendar(local.date(), days)
    received = _received_at(local, hours, calendar)
    day = received.date()
    if days == 0:
        cutoff = same_day_cutoff(procedure, agency)
        return calendar.next_working_day(day) if cutoff and received.time() >= cutoff else day
    return _add(calendar, day, days)


def _at(day, clock):
    return timezone.make_aware(datetime.combine(day, clock))


def previous_working_day(day: date) -> date:
    """The last working day before ``day``."""
    calendar = _calendar(day)
    day -= timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
    if end <= start:
        return 0
    calendar = Calendar(start.year - 1, end.year + 1)
    count, day = 0, start
    while True:
        day = calendar.next_working_day(day)
        if day > end:
            return count
        count += 1


def counter(first: date, last: date):
    """A function ``(start, end) -> working days after start up to and including end`` (like
    ``working_days_between``) for dates within [first, last], in constant time: the reports count
    thousands of dossiers with it."""
    calendar = Calendar(first.year - 1, last.year + 1)
    upto, total, day = {}, 0, first
    while day <= last:
        total += calendar.is_working_day(day)
        upto[day] = total
        day += timedelta(days=1)

    def between(start: date, end: date) -> int:
        if end <= start:
            return 0
        return upto[min(end, last)] - upto[max(start, first)]

    return between


def _periods(hours):
    return ((hours.morning_start, hours.morning_end), (hours.afternoon_start, hours.afternoon_end))


def minutes_per_day(agency=None) -> int:
    """The length of a working day at ``agency`` in minutes (8 hours with the default office hours)."""
    return sum(_minutes(start, end) for start, end in _periods(hours_of(agency)))


def _minutes(start, end):
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def add_working_minutes(moment: datetime, minutes: int, agency=None) -> datetime:
    """The moment ``minutes`` of office time after ``moment``: nights, lunch breaks, weekends and days off
    do not count (``PT4H`` from Friday 15:00 ends on Monday at 9:00 with the default hours)."""
    hours = hours_of(agency)
    local = timezone.localtime(moment)
    calendar = _calendar(local.date(), int(minutes) // 60)  # at least an hour of office time a day
    current = _received_at(local, hours, calendar)
    left = minutes
    while True:
        day = current.date()
        if calendar.is_working_day(day):
            for start, end in _periods(hours):
                begin = max(current, _at(day, start))
                stop = _at(day, end)
                if begin >= stop:
                    continue
                available = (stop - begin).total_seconds() / 60
                if left <= available:
                    return begin + timedelta(minutes=left)
                left -= available
        current = _at(calendar.next_working_day(day), hours.morning_start)


def close_of_day(day: date, agency=None) -> datetime:
    """When the office closes on ``day``: a step due that day is late after this moment."""
    return _at(day, hours_of(agency).afternoon_end)
