"""The working-day calendar: the official schedule of each year (shipped, or loaded by an admin from a
file), the ``holidays`` package for years without one, days an admin declares, office hours and the
same-day cut-off (times in Asia/Ho_Chi_Minh). Every expected date below is counted by hand on a calendar."""
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from onestop.deadlines import schedule
from onestop.deadlines.models import CalendarDay, CalendarYear, SameDayCutoff
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


def test_the_2_9_2026_swap_makes_saturday_22_8_a_working_day():
    # Monday 31/8/2026 is given off as a bridge to 1-2/9; Saturday 22/8 is worked to make it up.
    assert is_working_day(date(2026, 8, 22))
    assert not is_working_day(date(2026, 8, 29))  # the next Saturday is an ordinary weekend
    # Received Friday 21/8 (3 days): Saturday 22/8, Monday 24/8, Tuesday 25/8.
    assert appointment_date(at(2026, 8, 21, 9, 0), 3) == date(2026, 8, 25)
    # Received Thursday 27/8 (3 days): Friday 28/8, then 31/8, 1/9, 2/9 off: Thursday 3/9, Friday 4/9.
    assert appointment_date(at(2026, 8, 27, 9, 0), 3) == date(2026, 9, 4)
    # Received on the make-up Saturday during office hours: it counts as received that day.
    assert received_at(at(2026, 8, 22, 9, 0)) == at(2026, 8, 22, 9, 0)


def test_30_4_and_1_5_with_the_2025_swap():
    # 2025: 30/4 (Wed), 1/5 (Thu), and Friday 2/5 given off, made up on Saturday 26/4.
    assert is_working_day(date(2025, 4, 26))
    assert not any(is_working_day(date(2025, m, d)) for m, d in ((4, 30), (5, 1), (5, 2)))
    # Received Friday 25/4 (2 days): Saturday 26/4, Monday 28/4.
    assert add_working_days(date(2025, 4, 25), 2) == date(2025, 4, 28)
    # Received Tuesday 29/4 (1 day): 30/4 to 4/5 off, Monday 5/5.
    assert add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)
    # 2026: 30/4 (Thu), 1/5 (Fri); no swap.
    assert add_working_days(date(2026, 4, 29), 2) == date(2026, 5, 5)


def test_national_day_2025_and_2027():
    # 2/9/2025 is a Tuesday, with Monday 1/9; 2/9/2027 a Thursday, with Friday 3/9 (provisional).
    assert add_working_days(date(2025, 8, 29), 1) == date(2025, 9, 3)
    assert add_working_days(date(2027, 9, 1), 1) == date(2027, 9, 6)


def test_24_11_is_a_working_day_unless_the_schedule_says_otherwise():
    assert is_working_day(date(2026, 11, 24))  # the shipped 2026 schedule does not give it off
    assert is_working_day(date(2031, 11, 24))  # a year with no schedule: the package, without 24/11
    assert not is_working_day(date(2031, 9, 2))  # ... but with its public holidays


def test_years_are_confirmed_or_provisional():
    assert not schedule.is_provisional(date(2025, 6, 1))
    assert not schedule.is_provisional(date(2026, 6, 1))
    assert schedule.is_provisional(date(2027, 6, 1))  # shipped, not yet confirmed by a notice
    assert schedule.is_provisional(date(2031, 6, 1))  # no schedule at all
    with translation.override("en"):
        assert schedule.warnings(date(2026, 12, 6)) == [
            "The working calendar of 2027 is provisional: appointment dates in 2027 may move once the government's "
            "schedule is loaded."]
    assert schedule.warnings(date(2025, 3, 1)) == []


def test_an_admin_loads_a_year_from_a_json_file(tmp_path):
    data = ('{"year": 2027, "status": "confirmed", "source": "Thông báo của Bộ Nội vụ", "days": ['
            '{"date": "2027-02-04", "kind": "day_off", "name": "Tết"},'
            '{"date": "2027-02-05", "kind": "day_off", "name": "Tết"},'
            '{"date": "2027-02-08", "kind": "day_off", "name": "Tết"},'
            '{"date": "2027-02-09", "kind": "day_off", "name": "Tết"},'
            '{"date": "2027-02-10", "kind": "day_off", "name": "Tết"},'
            '{"date": "2027-02-11", "kind": "day_off", "name": "Nghỉ hoán đổi"},'
            '{"date": "2027-02-20", "kind": "working_day", "name": "Làm bù cho 11/02/2027"}]}')
    path = tmp_path / "2027.json"
    path.write_text(data, encoding="utf-8")
    assert add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)  # shipped, provisional
    call_command("load_calendar", str(path))
    assert CalendarYear.objects.get(year=2027).status == "confirmed"
    assert not schedule.is_provisional(date(2027, 6, 1))
    # Tết now runs to Thursday 11/2; Saturday 20/2 is worked.
    assert add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 12)
    assert add_working_days(date(2027, 2, 19), 1) == date(2027, 2, 20)
    # A loaded year is exactly its file: the shipped days the file does not list are working days.
    assert is_working_day(date(2027, 9, 3))


def test_an_admin_loads_a_year_from_a_csv_file_and_bad_files_are_refused(tmp_path):
    path = tmp_path / "2028.csv"
    path.write_text("date,kind,name\n01/01/2028,day_off,Tết Dương lịch\n2028-01-08,working_day,Làm bù\n",
                    encoding="utf-8")
    call_command("load_calendar", str(path), "--status", "provisional")
    assert CalendarYear.objects.get(year=2028).status == "provisional"
    assert not is_working_day(date(2028, 1, 1)) and is_working_day(date(2028, 1, 8))
    assert schedule.is_provisional(date(2028, 3, 1))
    for bad, message in [("date,kind,name\n2028-13-01,day_off,x\n", "is not a date"),
                         ("date,kind,name\n2028-01-03,holiday,x\n", "unknown kind"),
                         ("date,kind,name\n2028-01-03,day_off,x\n2029-01-03,day_off,y\n", "one file holds one year"),
                         ("when,what\n", "header")]:
        path.write_text(bad, encoding="utf-8")
        with pytest.raises(CommandError, match=message), translation.override("en"):
            call_command("load_calendar", str(path))
    assert not is_working_day(date(2028, 1, 1))  # a refused file changed nothing


def test_admin_loads_a_year_through_the_admin_page(admin_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = admin_client.get("/admin/deadlines/calendaryear/")
    assert "/admin/deadlines/calendaryear/load/" in page.content.decode()
    upload = SimpleUploadedFile("2029.csv", b"date,kind,name\n2029-01-01,day_off,New Year\n")
    response = admin_client.post("/admin/deadlines/calendaryear/load/",
                                 {"file": upload, "status": "confirmed", "source": "notice"})
    assert response.status_code == 302
    assert CalendarYear.objects.get(year=2029).status == "confirmed"
    upload = SimpleUploadedFile("2029.csv", b"date,kind\n2029-02-30,day_off\n")
    response = admin_client.post("/admin/deadlines/calendaryear/load/", {"file": upload})
    assert response.status_code == 200 and "2029-02-30" in response.content.decode()


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



def test_the_15_00_cut_off_applies_only_where_the_procedure_s_law_sets_it(demo):
    from procedures.models import Procedure

    procedure = Procedure.objects.get(code="1.001193")
    procedure.processing_days = 0
    procedure.save()
    # No cut-off in its law: a same-day procedure received during office hours is due that day.
    assert appointment_date(at(2026, 11, 25, 15, 30), 0, procedure=procedure) == date(2026, 11, 25)
    SameDayCutoff.objects.create(procedure=procedure, legal_basis="Luật Hộ tịch 2014")
    # With it: before 15:00 the same day, after it the next working day (Friday after 15:00: Monday).
    assert appointment_date(at(2026, 11, 25, 14, 59), 0, procedure=procedure) == date(2026, 11, 25)
    assert appointment_date(at(2026, 11, 25, 15, 30), 0, procedure=procedure) == date(2026, 11, 26)
    assert appointment_date(at(2026, 11, 27, 15, 30), 0, procedure=procedure) == date(2026, 11, 30)
    # The cut-off is the office's: an agency closing its same-day counter at 16:00.
    from onestop.deadlines.models import OfficeHours
    from onestop.organisation.models import Agency

    agency = Agency.objects.get(code="q1-bennghe")
    OfficeHours.objects.create(agency=agency, same_day_cutoff=time(16, 0))
    assert appointment_date(at(2026, 11, 25, 15, 30), 0, agency, procedure) == date(2026, 11, 25)
    # A procedure with a legal time of days never has a cut-off.
    assert appointment_date(at(2026, 11, 25, 16, 55), 1) == date(2026, 11, 26)


def test_a_provisional_year_is_shown_to_admins_leaders_and_on_appointment_dates(as_user, admin_client):
    from django.test import Client
    from django.utils import timezone

    from tests.conftest import BIRTH_FORM, submit

    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        schedule.load(schedule.YearSchedule(year, "confirmed"))
    leader = Client()
    from django.contrib.auth import get_user_model

    leader.force_login(get_user_model().objects.get(username="q1.leader"))
    assert "calendar-warning" not in leader.get("/reports/").content.decode()
    assert 'class="warning"' not in admin_client.get("/admin/deadlines/calendaryear/").content.decode()
    code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    as_user("bennghe.receiver").act(code, "accept")
    dossier = as_user("citizen1").dossier(code)
    assert dossier["appointment_provisional"] is False

    # Next year's schedule is only provisional: the dashboard and the admin say so, and a date in it is flagged.
    schedule.load(schedule.YearSchedule(today.year + 1, "provisional"))
    schedule.forget()
    html = leader.get("/reports/").content.decode()
    assert "calendar-warning" in html and str(today.year + 1) in html.split("calendar-warning")[1][:300]
    page = admin_client.get("/admin/deadlines/calendaryear/").content.decode()
    assert "warning" in page and str(today.year + 1) in page
    from onestop.dossiers.models import Dossier

    Dossier.objects.filter(code=code).update(appointment_date=date(today.year + 1, 1, 15))
    assert as_user("citizen1").dossier(code)["appointment_provisional"] is True
    assert as_user("citizen1").get("/api/v1/dossiers/").json()["results"][0]["appointment_provisional"] is True
    portal = Client()
    portal.force_login(get_user_model().objects.get(username="citizen1"))
    assert 'class="provisional"' in portal.get(f"/my/dossiers/{code}/").content.decode()


def test_the_desk_applies_the_cut_off_of_the_procedure_s_law(as_user, monkeypatch):
    """Accepted at 16:00 on Wednesday 25/11/2026: a same-day procedure is due that day, or Thursday 26/11
    once its law's 15:00 cut-off is recorded."""
    from django.utils import timezone

    from procedures.models import Procedure
    from tests.conftest import BIRTH_FORM, submit

    Procedure.objects.filter(code="1.001193").update(processing_days=0)
    monkeypatch.setattr(timezone, "now", lambda: at(2026, 11, 25, 16, 0))

    def accepted():
        code = submit(as_user("citizen1"), "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
        as_user("bennghe.receiver").act(code, "accept")
        return as_user("citizen1").dossier(code)["appointment_date"]

    assert accepted() == "2026-11-25"
    SameDayCutoff.objects.create(procedure=Procedure.objects.get(code="1.001193"),
                                 legal_basis="Luật Hộ tịch 2014")
    assert accepted() == "2026-11-26"
