"""The official yearly schedule of working days: days off and make-up working days, per year, as data.

Where a year's schedule comes from, first found wins:

1. loaded by an admin (``manage.py load_calendar FILE`` or the "Load a year" page of the calendar years'
   admin): a ``CalendarYear`` row and that year's ``CalendarDay`` rows;
2. shipped with onestop (``schedules/<year>.json``, from the government's notices);
3. otherwise the ``holidays`` package's Vietnamese holidays, without the days no notice confirmed (24/11,
   Vietnam Cultural Day). Such a year is always provisional.

Days an admin declares one by one (``CalendarDay``) apply on top of any of them. The file format (JSON or
CSV) is described in docs/deadlines.md.
"""
import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import holidays
from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core import refcache

from .models import CalendarDay, CalendarYear

SHIPPED = Path(__file__).resolve().parent / "schedules"
# The package lists days no official notice has made days off for the public service.
NOT_DAYS_OFF = {(11, 24)}  # Vietnam Cultural Day
# Which years are loaded, read by every deadline: kept per process (``refcache``), emptied on a change here.
YEARS = "calendar-years"
refcache.invalidate_on(CalendarYear, YEARS)


class ScheduleError(ValueError):
    """A schedule file that cannot be loaded; the message says why, for the admin."""


@dataclass(frozen=True)
class YearSchedule:
    year: int
    status: str
    source: str = ""
    days_off: dict = field(default_factory=dict)  # date -> name
    working: dict = field(default_factory=dict)  # date -> name

    @property
    def provisional(self) -> bool:
        return self.status != CalendarYear.Status.CONFIRMED


# --- reading a file ------------------------------------------------------------------------------------

def parse(content: bytes | str, filename: str = "", *, status: str = "", source: str = "") -> YearSchedule:
    """A schedule from a JSON or CSV file (by its name's ending, else by its first character).

    JSON: ``{"year": 2027, "status": "confirmed", "source": "...", "days": [{"date": "2027-02-04",
    "kind": "day_off", "name": "Tết Nguyên đán"}, ...]}``. CSV: a header ``date,kind,name`` then one row
    a day; the year is the dates'. ``status`` and ``source`` given here override the file's.
    """
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    is_json = filename.lower().endswith(".json") or (not filename.lower().endswith(".csv")
                                                     and text.lstrip().startswith("{"))
    if is_json:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ScheduleError(_("The file is not valid JSON: %(error)s") % {"error": error}) from None
        if not isinstance(data, dict) or not isinstance(data.get("days"), list):
            raise ScheduleError(_("The JSON file needs a \"days\" list."))
        rows, year = data["days"], data.get("year")
        status, source = status or data.get("status", ""), source or data.get("source", "")
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or not {"date", "kind"} <= {(f or "").strip() for f in reader.fieldnames}:
            raise ScheduleError(_("The CSV file needs a header with the columns date, kind and name."))
        rows, year = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader], None
    return _schedule(rows, year, status or CalendarYear.Status.PROVISIONAL, source)


def _schedule(rows, year, status, source):
    if status not in CalendarYear.Status.values:
        raise ScheduleError(_("Unknown status \"%(status)s\": use confirmed or provisional.") % {"status": status})
    days_off, working = {}, {}
    for n, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            raise ScheduleError(_("Day %(n)s is not a date, kind and name.") % {"n": n})
        day = _date(row.get("date"), n)
        kind = row.get("kind")
        if kind not in CalendarDay.Kind.values:
            raise ScheduleError(_("Day %(n)s: unknown kind \"%(kind)s\" (day_off or working_day).")
                                % {"n": n, "kind": kind})
        if year is None:
            year = day.year
        if day.year != int(year):
            raise ScheduleError(_("Day %(n)s (%(date)s) is not in %(year)s: one file holds one year.")
                                % {"n": n, "date": f"{day:%d/%m/%Y}", "year": year})
        if day in days_off or day in working:
            raise ScheduleError(_("%(date)s is listed twice.") % {"date": f"{day:%d/%m/%Y}"})
        (days_off if kind == CalendarDay.Kind.DAY_OFF else working)[day] = str(row.get("name") or "")
    if year is None:
        raise ScheduleError(_("The file lists no day and names no year."))
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ScheduleError(_("\"%(year)s\" is not a year.") % {"year": year}) from None
    return YearSchedule(year, status, str(source or ""), days_off, working)


def _date(value, n):
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(str(value or "").strip(), pattern).date()
        except ValueError:
            continue
    raise ScheduleError(_("Day %(n)s: \"%(value)s\" is not a date (YYYY-MM-DD or dd/mm/yyyy).")
                        % {"n": n, "value": value})


# --- loading ---------------------------------------------------------------------------------------------

@transaction.atomic
def load(schedule: YearSchedule) -> CalendarYear:
    """Make ``schedule`` the year's calendar: its days replace every declared day of that year."""
    CalendarDay.objects.filter(date__year=schedule.year).delete()
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=d, kind=CalendarDay.Kind.DAY_OFF, name=name[:200]) for d, name in schedule.days_off.items()]
        + [CalendarDay(date=d, kind=CalendarDay.Kind.WORKING_DAY, name=name[:200])
           for d, name in schedule.working.items()])
    row, _created = CalendarYear.objects.update_or_create(
        year=schedule.year, defaults={"status": schedule.status, "source": schedule.source[:500]})
    forget()
    transaction.on_commit(forget)  # and again once others can read it
    return row


def forget() -> None:
    """Drop this process's cached year statuses and calendars (after a load, or a change in the admin)."""
    refcache.cache(YEARS).clear()
    refcache.cache("calendar").clear()


# --- what a year is -----------------------------------------------------------------------------------

@lru_cache(maxsize=16)
def shipped(year: int) -> YearSchedule | None:
    """The schedule shipped with onestop for ``year``, if any."""
    path = SHIPPED / f"{year}.json"
    if not path.exists():
        return None
    return parse(path.read_bytes(), path.name)


@lru_cache(maxsize=32)
def fallback(year: int) -> YearSchedule:
    """The ``holidays`` package's days off for a year with no schedule: provisional by definition."""
    found = holidays.country_holidays("VN", years=year)
    days_off = {d: str(name) for d, name in found.items() if (d.month, d.day) not in NOT_DAYS_OFF}
    return YearSchedule(year, CalendarYear.Status.PROVISIONAL, "holidays", days_off, {})


def loaded() -> dict:
    """The years an admin loaded, each with its status (a few rows, kept per process by ``refcache``)."""
    return refcache.cache(YEARS).get("all", lambda: dict(CalendarYear.objects.values_list("year", "status")))


def status_of(year: int) -> str:
    """``confirmed`` or ``provisional``: the loaded year's status, else the shipped one's, else provisional."""
    status = loaded().get(year)
    if status:
        return status
    ship = shipped(year)
    return ship.status if ship else CalendarYear.Status.PROVISIONAL


def is_provisional(day: date | None) -> bool:
    """Whether ``day`` falls in a year whose schedule no official notice has confirmed yet."""
    return day is not None and status_of(day.year) != CalendarYear.Status.CONFIRMED


def warnings(today: date) -> list[str]:
    """What an admin or a leader should know: this year and next year, when provisional."""
    found = []
    for year in (today.year, today.year + 1):
        if is_provisional(date(year, 1, 1)):
            found.append(_("The working calendar of %(year)s is provisional: appointment dates in %(year)s may "
                           "move once the government's schedule is loaded.") % {"year": year})
    return found
