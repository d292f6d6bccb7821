from datetime import date

from onestop.deadlines.working_days import add_working_days, is_working_day


def test_weekends_and_tet_are_skipped():
    # Tết 2026: 16-20 February are public holidays.
    assert not is_working_day(date(2026, 2, 17))
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)  # Friday -> Monday after Tết
    assert add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)  # 30/4 and 1/5, then the weekend
    assert add_working_days(date(2026, 11, 27), 3) == date(2026, 12, 2)


def test_zero_days_is_the_same_working_day():
    assert add_working_days(date(2026, 11, 25), 0) == date(2026, 11, 25)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 30)  # Saturday -> Monday
