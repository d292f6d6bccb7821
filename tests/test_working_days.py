"""The working-day calendar: public holidays from the ``holidays`` package, days an admin declares,
office hours and the same-day cut-off (times in Asia/Ho_Chi_Minh)."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from onestop.deadlines.models import CalendarDay
from onestop.deadlines.working_days import add_working_days, appointment_date, is_working_day, received_at

VN = ZoneInfo("Asia/Ho_Chi_Minh")
pytestmark = pytest.mark.django_db


def at(*args):
    return datetime(*args, tzinfo=VN)


def test_tet_2026_and_2027():
    # Tết Bính Ngọ 2026: 16–20 February off; Tết Đinh Mùi 2027 (6 February): 4–10 February off.
    assert [d.day for d in (date(2026, 2, d) for d in range(14, 24)) if is_working_day(d)] == [23]
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert not any(is_working_day(date(2027, 2, d)) for d in range(4, 11))
    assert add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)


def test_hung_kings_day_and_the_2_9_bridge():
    assert not is_working_day(date(2026, 4, 27))  # Hùng Kings' day (26/4, a Sunday) observed on Monday
    assert add_working_days(date(2026, 4, 24), 1) == date(2026, 4, 28)
    assert add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)  # 30/4 and 1/5, then the weekend
    # 2/9/2026 (a Wednesday) with 1/9; the Saturday 22/8 worked to take Monday 31/8 off.
    assert [is_working_day(date(2026, 8, 31)), is_working_day(date(2026, 9, 1)), is_working_day(date(2026, 9, 2))] \
        == [False, False, False]
    assert add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_admin_declared_days():
    saturday = date(2026, 12, 5)
    assert add_working_days(date(2026, 12, 4), 1) == date(2026, 12, 7)
    CalendarDay.objects.create(date=saturday, kind=CalendarDay.Kind.WORKING_DAY, name="Làm bù")
    assert is_working_day(saturday)
    assert add_working_days(date(2026, 12, 4), 1) == saturday
    CalendarDay.objects.create(date=date(2026, 12, 7), kind=CalendarDay.Kind.DAY_OFF, name="Nghỉ bù")
    assert add_working_days(date(2026, 12, 4), 2) == date(2026, 12, 8)


def test_office_hours_and_next_opening():
    assert received_at(at(2026, 11, 27, 9, 0)) == at(2026, 11, 27, 9, 0)
    assert received_at(at(2026, 11, 27, 12, 0)) == at(2026, 11, 27, 13, 30)  # lunch: the afternoon opening
    # 16:55 on a Friday is inside office hours; 17:05 is Monday morning.
    assert received_at(at(2026, 11, 27, 16, 55)) == at(2026, 11, 27, 16, 55)
    assert received_at(at(2026, 11, 27, 17, 5)) == at(2026, 11, 30, 7, 0)
    assert received_at(at(2026, 11, 28, 10, 0)) == at(2026, 11, 30, 7, 0)  # Saturday


def test_appointment_dates():
    friday_late = at(2026, 11, 27, 16, 55)
    assert appointment_date(friday_late, 3) == date(2026, 12, 2)
    assert appointment_date(at(2026, 11, 27, 17, 30), 3) == date(2026, 12, 3)  # received Monday
    # A same-day procedure: before the 15:00 cut-off the same day, after it the next working day.
    assert appointment_date(at(2026, 11, 25, 14, 59), 0) == date(2026, 11, 25)
    assert appointment_date(at(2026, 11, 25, 15, 30), 0) == date(2026, 11, 26)
    assert appointment_date(at(2026, 11, 27, 15, 30), 0) == date(2026, 11, 30)
