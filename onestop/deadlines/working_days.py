"""Working days: Monday to Friday minus Vietnamese public holidays (the ``holidays`` package).

Admin-declared days off and compensatory working Saturdays come with the deadlines issue; this
module is the one place that will learn them.
"""
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _holidays(year):
    return holidays.country_holidays("VN", years=year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (the day of receipt is not counted).

    With ``days == 0`` it is ``start`` itself, or the next working day when ``start`` is not one.
    """
    current = start
    if days == 0:
        while not is_working_day(current):
            current += timedelta(days=1)
        return current
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current
