"""Reporting: exact figures on a known set of dossiers, the exports carry the same numbers, permissions."""
import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from onestop.dossiers.models import Dossier, Handover, Rating, Status
from onestop.organisation.models import Agency
from onestop.reports import selectors
from procedures.models import Procedure

User = get_user_model()
PERIOD = {"date_from": "01/01/2026", "date_to": "31/03/2026"}


def at(day, hour=9, minute=0):
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


class Builder:
    """Dossiers written straight to the tables, with the dates a report reads."""

    def __init__(self):
        self.birth = Procedure.objects.get(code="1.001193")
        self.other = Procedure.objects.exclude(pk=self.birth.pk).order_by("code").first()
        self.applicant = User.objects.get(username="citizen1")
        self.n = 0

    def make(self, agency, received, appointment, *, procedure=None, channel="online", result=None,
             refused=None, withdrawn=None, timeliness="", rating=None, status=None):
        self.n += 1
        procedure = procedure or self.birth
        agency = Agency.objects.get(code=agency)
        if status is None:
            status = (Status.RETURNED if result else Status.REFUSED if refused else
                      Status.WITHDRAWN if withdrawn else Status.PROCESSING if received else Status.SUBMITTED)
        submitted = received or at(date(2026, 3, 1))
        dossier = Dossier.objects.create(
            code=f"T-{self.n:04d}", procedure=procedure, version=procedure.versions.order_by("-number").first(),
            applicant=self.applicant, receiving_agency=agency, channel=channel, status=status,
            submitted_at=submitted - timedelta(hours=1), received_at=received, appointment_date=appointment,
            result_at=result, closed_at=refused or withdrawn or (result + timedelta(hours=2) if result else None),
            timeliness=timeliness, form_data={"applicant_full_name": f"Người nộp {self.n}"},
        )
        if rating:
            Rating.objects.create(dossier=dossier, score=rating)
        return dossier


@pytest.fixture
def known(demo):
    return known_set(Builder())


def known_set(b):
    """The known set. Period: Q1 2026; pending counted at the end of 31/03/2026."""
    d = date
    b.make("q1-bennghe", at(d(2026, 1, 5)), d(2026, 1, 8), result=at(d(2026, 1, 7), 10), rating=5)  # early
    b.make("q1-bennghe", at(d(2026, 1, 6)), d(2026, 1, 9), channel="desk", result=at(d(2026, 1, 9), 16),
           rating=3)  # on time
    b.make("q1-bennghe", at(d(2026, 1, 10)), d(2026, 1, 15), result=at(d(2026, 1, 20)))  # late
    b.make("q1-bennghe", at(d(2026, 2, 2)), d(2026, 2, 5), result=at(d(2026, 2, 4)), timeliness="late")  # stored
    b.make("q1-bennghe", at(d(2026, 2, 10)), d(2026, 2, 20), procedure=b.other, channel="post",
           refused=at(d(2026, 2, 12)))  # refused after reception: resolved, early
    b.make("q1-bennghe", at(d(2026, 3, 2)), d(2026, 4, 10))  # pending within time
    b.make("q1-bennghe", at(d(2026, 3, 3)), d(2026, 3, 20), channel="desk")  # pending overdue
    b.make("q1-bennghe", at(d(2026, 3, 5)), d(2026, 3, 25), withdrawn=at(d(2026, 3, 10)))  # withdrawn
    b.make("q1-benthanh", at(d(2025, 12, 20)), d(2026, 1, 10), result=at(d(2026, 1, 12)))  # resolved only, late
    b.make("q1-benthanh", at(d(2026, 3, 30)), d(2026, 4, 2), channel="desk",
           result=at(d(2026, 4, 1)))  # received; pending on 31/03
    b.make("q3-vothisau", at(d(2026, 1, 15)), d(2026, 1, 20), result=at(d(2026, 1, 19)))  # another district
    b.make("q1-bennghe", None, None)  # submitted, never received: counts nowhere
    b.make("q1-bennghe", at(d(2026, 3, 31), 23, 30), d(2026, 4, 5))  # 23:30 local is 16:30 UTC: still March
    b.make("q1-bennghe", at(d(2026, 1, 1), 0, 30), d(2026, 1, 6), result=at(d(2026, 4, 2)))  # 00:30 local: January
    return b


def q1_filters(**kw):
    return selectors.Filters(date(2026, 1, 1), date(2026, 3, 31),
                             agencies=selectors.subtree({Agency.objects.get(code="q1").pk}), **kw)


def test_totals_are_exact(known):
    totals = selectors.summary(q1_filters())["totals"]
    assert {k: totals[k] for k in ("received", "resolved", "early", "on_time", "late", "pending",
                                   "pending_within", "pending_overdue", "rating_count")} == {
        "received": 11, "resolved": 6, "early": 2, "on_time": 1, "late": 3,
        "pending": 5, "pending_within": 3, "pending_overdue": 2, "rating_count": 2,
    }
    assert totals["on_time_rate"] == 50.0
    assert totals["rating_avg"] == 4.0
    # (2d1h + 3d7h + 10d + 2d + 2d + 23d) / 6, calendar days
    assert totals["avg_days"] == 7.1


def _file(dossier, kind):
    from onestop.dossiers.models import Attachment

    Attachment.objects.create(dossier=dossier, kind=kind, file=f"{dossier.pk}/{kind}", original_name=f"{kind}.pdf",
                              content_type="application/pdf", size=1, sha256="0" * 64)


def test_decision_766_indicators_by_hand(known):
    """Q1 2026 in District 1 and its wards, counted by hand from ``known_set``."""
    first, second = Dossier.objects.get(code="T-0001"), Dossier.objects.get(code="T-0002")
    _file(first, "document")  # submitted online with its documents
    _file(second, "scan")  # a desk dossier scanned
    _file(first, "result")  # its result is a file
    _file(Dossier.objects.get(code="T-0003"), "other")  # not a dossier document nor a result
    report = selectors.summary(q1_filters())
    t = report["totals"]
    # Received: 11, of which online T-0001, 3, 4, 6, 8, 13, 14 = 7.
    assert (t["received"], t["received_online"], t["online_rate"]) == (11, 7, 63.6)
    # Digitised: T-0001 and T-0002 of 11; results: T-0001 of the 5 with a result (T-0005 was refused).
    assert (t["received_digitised"], t["digitised_rate"]) == (2, 18.2)
    assert (t["results"], t["results_digitised"], t["results_digitised_rate"]) == (5, 1, 20.0)
    # Ratings 5 and 3: one satisfied of two.
    assert (t["rating_satisfied"], t["rating_count"], t["satisfaction_rate"]) == (1, 2, 50.0)
    # Working days from reception to resolution (the day of receipt not counted):
    # T-0001 5/1 -> 7/1: 2; T-0002 6/1 -> 9/1: 3; T-0003 Sat 10/1 -> 20/1: 7; T-0004 2/2 -> 4/2: 2;
    # T-0005 10/2 -> refused 12/2: 2; T-0009 Sat 20/12/2025 -> 12/1/2026: 22-26/12, 29-31/12, 2/1 (1/1 off),
    # 5-9/1, 12/1 = 15. Sum 31 over 6 resolved.
    assert (t["working_days"], t["avg_working_days"]) == (31, 5.2)
    # The catalogue: birth and business household registration (ward, fully online), construction permit
    # (district, partly online); District 1 and its wards offer all three, two fully online.
    assert (t["procedures"], t["procedures_full_online"], t["full_online_rate"]) == (3, 2, 66.7)
    assert t["on_time_rate"] == 50.0 and t["online_payment_rate"] is None
    rows = {r["agency"]["name"]: r for r in report["rows"]}
    ward = rows["Ủy ban nhân dân Phường Bến Nghé"]
    assert (ward["procedures"], ward["full_online_rate"], ward["received"], ward["online_rate"]) == (2, 100.0, 10, 70.0)
    # Grouped by procedure, a row has no catalogue share of its own.
    by_procedure = selectors.summary(q1_filters(group_by=("procedure",)))
    assert all(r["full_online_rate"] is None for r in by_procedure["rows"])
    # The API and the exports say the same.
    leader = APIClient()
    leader.force_authenticate(User.objects.get(username="q1.leader"))
    api = leader.get("/api/v1/reports/indicators/", {**PERIOD, "agency": "q1"}).json()
    assert {k: api["totals"][k] for k in ("online_rate", "digitised_rate", "results_digitised_rate",
                                          "satisfaction_rate", "avg_working_days", "full_online_rate")} == {
        "online_rate": 63.6, "digitised_rate": 18.2, "results_digitised_rate": 20.0, "satisfaction_rate": 50.0,
        "avg_working_days": 5.2, "full_online_rate": 66.7}


def test_the_766_indicators_are_on_the_dashboard_and_in_the_files(known, client):
    _file(Dossier.objects.get(code="T-0002"), "scan")
    login(client, "q1.leader")
    html = client.get("/reports/", {**PERIOD, "agency": "q1"}).content.decode()
    assert "766/QĐ-TTg" in html and ("63,6" in html or "63.6" in html)
    rows = list(csv.reader(io.StringIO(client.get("/reports/export.csv", {**PERIOD, "agency": "q1"})
                                       .content.decode("utf-8-sig"))))
    header, total = rows[0], rows[-1]
    assert total[header.index("Tiếp nhận trực tuyến (%)")] == "63.6"
    assert total[header.index("Hồ sơ được số hoá (%)")] == "9.1"  # 1 of 11
    assert total[header.index("Thời gian giải quyết trung bình (ngày làm việc)")] == "5.2"


def test_by_agency(known):
    rows = {r["agency"]["code"]: r for r in selectors.summary(q1_filters(group_by=("agency",)))["rows"]}
    assert set(rows) == {"q1-bennghe", "q1-benthanh"}
    bennghe, benthanh = rows["q1-bennghe"], rows["q1-benthanh"]
    assert (bennghe["received"], bennghe["resolved"], bennghe["early"], bennghe["on_time"], bennghe["late"]) == (
        10, 5, 2, 1, 2)
    assert (bennghe["pending"], bennghe["pending_overdue"], bennghe["on_time_rate"]) == (4, 2, 60.0)
    assert bennghe["avg_days"] == 3.9
    assert (benthanh["received"], benthanh["resolved"], benthanh["late"], benthanh["pending"]) == (1, 1, 1, 1)
    assert benthanh["on_time_rate"] == 0.0


def test_by_month_and_channel(known):
    report = selectors.summary(q1_filters(group_by=("month",)))
    months = {r["month"]: r for r in report["rows"]}
    assert [(m.month, r["received"], r["early"], r["on_time"], r["late"]) for m, r in sorted(months.items())] == [
        (1, 4, 1, 1, 2), (2, 2, 1, 0, 1), (3, 5, 0, 0, 0)]
    # Pending is counted at one date: in the totals only.
    assert report["totals"]["pending"] == 5
    channels = {r["channel"]["code"]: r["received"]
                for r in selectors.summary(q1_filters(group_by=("channel",)))["rows"]}
    assert channels == {"online": 7, "desk": 3, "post": 1}


def test_procedure_and_channel_filters(known):
    birth = Procedure.objects.get(code="1.001193")
    assert selectors.summary(q1_filters(procedure_id=birth.pk))["totals"]["received"] == 10
    assert selectors.summary(q1_filters(channel="desk"))["totals"]["received"] == 3


def test_admin_sees_every_agency(known):
    admin = User.objects.get(username="admin")
    scope = selectors.visible_agencies(admin)
    totals = selectors.summary(selectors.Filters(date(2026, 1, 1), date(2026, 3, 31), agencies=scope))["totals"]
    assert (totals["received"], totals["resolved"], totals["early"]) == (12, 7, 3)


def test_leader_scope_is_their_agency_and_below(demo):
    q1 = selectors.visible_agencies(User.objects.get(username="q1.leader"))
    assert set(Agency.objects.filter(pk__in=q1).values_list("code", flat=True)) == {
        "q1", "q1-bennghe", "q1-benthanh"}
    ward = selectors.visible_agencies(User.objects.get(username="bennghe.leader"))
    assert set(Agency.objects.filter(pk__in=ward).values_list("code", flat=True)) == {"q1-bennghe"}


# --- pages and exports --------------------------------------------------------------------------------

def login(client, username):
    client.force_login(User.objects.get(username=username))
    return client


def test_dashboard_shows_the_figures_and_charts(known, client):
    response = login(client, "q1.leader").get("/reports/", PERIOD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bảng điều khiển" in html or "Dashboard" in html
    assert html.count("<svg") == 2 and 'class="bar late"' in html and 'class="rate' in html
    assert "Ủy ban nhân dân Phường Bến Nghé" in html and "Võ Thị Sáu" not in html.split("<table")[1]
    assert response.context["report"]["totals"]["received"] == 11


def test_dashboard_is_for_leaders_and_admins(known, client):
    assert login(client, "citizen1").get("/reports/").status_code == 403
    assert login(client, "bennghe.receiver").get("/reports/").status_code == 403
    assert login(client, "bennghe.specialist").get("/reports/export.xlsx").status_code == 403
    assert login(client, "admin").get("/reports/", PERIOD).status_code == 200
    client.logout()
    assert client.get("/reports/").status_code == 302  # to the login page


def test_a_leader_cannot_pick_an_agency_above_theirs(known, client):
    response = login(client, "bennghe.leader").get("/reports/", {**PERIOD, "agency": "q3-vothisau"})
    assert response.status_code == 200
    assert "agency" in response.context["form"].errors
    assert "report" not in response.context


def test_a_period_that_ends_before_it_starts_is_explained(known, client):
    response = login(client, "q1.leader").get("/reports/", {"date_from": "31/03/2026", "date_to": "01/01/2026"})
    assert response.context["form"].errors["date_to"]


def test_xlsx_export_has_the_same_numbers(known, client):
    response = login(client, "q1.leader").get("/reports/export.xlsx", PERIOD)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="bao-cao-20260101-20260331.xlsx')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    table = {r[0]: dict(zip(header, r, strict=True)) for r in rows[3:]}
    received, rate, overdue = header[1], header[6], header[9]
    assert table["Ủy ban nhân dân Phường Bến Nghé"][received] == 10
    assert table["Ủy ban nhân dân Phường Bến Thành"][received] == 1
    total = table[rows[-1][0]]
    assert (total[received], total[rate], total[overdue]) == (11, 50.0, 2)


def test_csv_export_by_month(known, client):
    response = login(client, "q1.leader").get("/reports/export.csv", {**PERIOD, "group": "month"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [r[:2] for r in rows[1:4]] == [["01/2026", "4"], ["02/2026", "2"], ["03/2026", "5"]]
    assert rows[-1][1] == "11" and rows[-1][7] == "5"  # total received; pending as of 31/03


def test_register_form_07(known, client):
    response = login(client, "bennghe.receiver").get(
        "/reports/register/", {"agency": "q1-bennghe", **PERIOD})
    assert response.status_code == 200
    codes = [r[1] for r in response.context["rows"]]
    assert len(codes) == 10 and "T-0009" not in codes and "T-0012" not in codes
    assert codes[0] == "T-0014"  # 01/01 00:30 local, the first received
    # Another ward's register is not the receiver's.
    response = client.get("/reports/register/", {"agency": "q1-benthanh", **PERIOD})
    assert "agency" in response.context["form"].errors
    book = client.get("/reports/register/", {"agency": "q1-bennghe", **PERIOD, "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in rows[3:]] == codes
    assert rows[3][5] == datetime(2026, 1, 1, 0, 30)  # local time in the file
    assert login(client, "citizen1").get("/reports/register/").status_code == 403


def test_control_sheet_form_06(known, client):
    dossier = Dossier.objects.get(code="T-0001")
    bennghe = Agency.objects.get(code="q1-bennghe")
    receiver = User.objects.get(username="bennghe.receiver")
    Handover.objects.create(dossier=dossier, to_agency=bennghe, received_by=receiver, result="Nộp trực tuyến")
    response = login(client, "q1.leader").get("/reports/dossiers/T-0001/control-sheet/")
    assert response.status_code == 200
    rows = response.context["rows"]
    # The giver is in the giver's column (not under a date): the submission, handed to the desk.
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        ("Tổ chức, cá nhân nộp hồ sơ", selectors.applicant_name(dossier), "Ủy ban nhân dân Phường Bến Nghé",
         "Cán bộ một cửa Phường Bến Nghé")]
    page = response.content.decode()
    assert "Bên giao" in page and "Bên nhận" in page
    book = client.get("/reports/dossiers/T-0001/control-sheet/", {"format": "xlsx"})
    sheet_rows = list(load_workbook(io.BytesIO(book.content)).active.iter_rows(values_only=True))
    assert sheet_rows[1][1] == "T-0001"
    assert [r[3] for r in sheet_rows[-1:]] == ["Ủy ban nhân dân Phường Bến Nghé"]
    # Someone who may not see the dossier gets the 404 page.
    assert login(client, "citizen2").get("/reports/dossiers/T-0001/control-sheet/").status_code == 404
    assert login(client, "vothisau.leader").get("/reports/dossiers/T-0001/control-sheet/").status_code == 404


# --- API ------------------------------------------------------------------------------------------------

def api(username):
    client = APIClient()
    client.force_authenticate(User.objects.get(username=username))
    return client


def test_api_summary_gives_the_dashboard_figures(known):
    response = api("q1.leader").get("/api/v1/reports/summary/",
                                    {"date_from": "2026-01-01", "date_to": "2026-03-31", "group_by": "agency,channel"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["totals"]["received"] == 11 and body["totals"]["on_time_rate"] == 50.0
    assert body["as_of"] == "2026-03-31"
    row = next(r for r in body["rows"] if r["agency"]["code"] == "q1-bennghe" and r["channel"]["code"] == "desk")
    assert (row["received"], row["on_time"], row["pending_overdue"]) == (2, 1, 1)


def test_api_refuses_citizens_and_bad_filters(known):
    assert api("citizen1").get("/api/v1/reports/summary/").status_code == 403
    response = api("q1.leader").get("/api/v1/reports/summary/", {"group_by": "colour"})
    assert response.status_code == 400 and "group_by" in response.json()["errors"]
    response = api("bennghe.leader").get("/api/v1/reports/summary/", {"agency": "q1"})
    assert response.status_code == 400 and "agency" in response.json()["errors"]


def test_api_register_and_control_sheet(known):
    page = api("bennghe.receiver").get("/api/v1/reports/register/",
                                       {"agency": "q1-bennghe", **PERIOD, "page_size": 4}).json()
    assert page["count"] == 10 and len(page["results"]) == 4 and page["results"][0]["code"] == "T-0014"
    assert api("q1.leader").get("/api/v1/reports/control-sheet/T-0001/").json() == []
    assert api("citizen2").get("/api/v1/reports/control-sheet/T-0001/").status_code == 404


# --- the monthly cache -------------------------------------------------------------------------------

def live_only(filters):
    """The figures straight from the dossiers, without the monthly cache."""
    found = selectors.live_cells(filters)
    for v in selectors._pending(filters):
        found[(v["receiving_agency_id"], v["procedure_id"], v["channel"], None)] = {
            **dict.fromkeys(selectors.SUMMED, 0), "pending": v["pending"], "pending_overdue": v["pending_overdue"]}
    return found


@pytest.mark.parametrize("start,end", [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 1, 15), date(2026, 3, 20)),
                                       (date(2025, 12, 1), date(2026, 2, 10)), (date(2026, 2, 3), date(2026, 2, 27)),
                                       (date(2026, 1, 1), None)])
@pytest.mark.parametrize("group", ["agency", "month", "procedure", "channel"])
def test_cached_months_give_the_same_figures(known, start, end, group):
    filters = q1_filters(group_by=(group,))
    end = end or timezone.localdate()  # up to today: this month up to yesterday cached, today live
    filters = selectors.Filters(start, end, agencies=filters.agencies, group_by=(group,), as_of=date(2026, 3, 31))
    assert selectors.summary(filters) == selectors.summary(filters, live_only(filters))


def test_a_change_in_a_cached_month_shows_at_once(known, django_capture_on_commit_callbacks):
    filters = q1_filters()
    assert selectors.summary(filters)["totals"]["rating_count"] == 2  # January and February are now cached
    dossier = Dossier.objects.get(code="T-0003")  # resolved late in January
    with django_capture_on_commit_callbacks(execute=True):
        Rating.objects.create(dossier=dossier, score=2)
    from onestop.reports.models import CachedMonth

    january = CachedMonth.objects.get(month=date(2026, 1, 1))
    assert january.is_fresh  # a rating is added to the cached month in place
    assert selectors.summary(filters)["totals"]["rating_count"] == 3
    with django_capture_on_commit_callbacks(execute=True):
        dossier.timeliness = "on_time"  # say the deadline service corrects it
        dossier.save()
    assert not CachedMonth.objects.get(month=date(2026, 1, 1)).is_fresh  # computed again when next read
    totals = selectors.summary(filters)["totals"]
    assert (totals["rating_count"], totals["on_time"], totals["late"]) == (3, 2, 2)
    assert totals == selectors.summary(filters, live_only(filters))["totals"]


def test_a_scan_added_to_a_dossier_of_a_cached_month_counts_at_once(known, django_capture_on_commit_callbacks):
    filters = q1_filters()
    assert selectors.summary(filters)["totals"]["received_digitised"] == 0  # the months are now cached
    with django_capture_on_commit_callbacks(execute=True):
        _file(Dossier.objects.get(code="T-0002"), "scan")  # received in January, scanned later
        _file(Dossier.objects.get(code="T-0002"), "result")
    totals = selectors.summary(filters)["totals"]
    assert (totals["received_digitised"], totals["results_digitised"]) == (1, 1)
    assert totals == selectors.summary(filters, live_only(filters))["totals"]


def test_steps_per_processing_agency(known, client):
    from onestop.worklist.models import WorkItem

    q1 = Agency.objects.get(code="q1")
    for code, timeliness in (("T-0001", "early"), ("T-0002", "late")):
        WorkItem.objects.create(dossier=Dossier.objects.get(code=code), kind="task", agency=q1, name="Thẩm định",
                                state="completed", completed_at=at(date(2026, 1, 20)), timeliness=timeliness,
                                due_date=date(2026, 1, 21))
    WorkItem.objects.create(dossier=Dossier.objects.get(code="T-0007"), kind="task", agency=q1, name="Thẩm định",
                            due_date=date(2026, 3, 10))
    response = login(client, "q1.leader").get("/reports/steps/", PERIOD)
    assert response.status_code == 200
    [row] = response.context["steps"]
    assert (row["agency"]["code"], row["completed"], row["early"], row["late"], row["on_time_rate"]) == (
        "q1", 2, 1, 1, 50.0)
    # The open step was created today: not yet open at the end of March.
    assert row["open"] == 0
    assert login(client, "bennghe.leader").get("/reports/steps/", PERIOD).context["steps"] == []


def test_pending_as_of_today(known):
    """Today nothing can be closed later: the quick path (dossiers open now) gives the same dossiers."""
    today = timezone.localdate()
    report = selectors.summary(selectors.Filters(date(2026, 1, 1), today, agencies=q1_filters().agencies))
    # Received in Q1 and still open (T-0006, T-0007, T-0013; T-0014 got its result in April): all overdue by now.
    assert (report["totals"]["pending"], report["totals"]["pending_overdue"], report["as_of"]) == (3, 3, today)
    yesterday = selectors.summary(selectors.Filters(date(2026, 1, 1), today, agencies=q1_filters().agencies,
                                                    as_of=today - timedelta(days=1)))
    assert yesterday["totals"]["pending"] == 3


def test_refresh_fills_the_ended_months_once(known):
    from onestop.reports import services, tasks

    # the 12 ended months, and this month up to yesterday
    assert tasks.refresh_monthly_figures.delay(months=12).get() == 13
    assert services.refresh_recent(12) == 0  # all fresh now
    from onestop.reports.models import MonthlyFigures

    january = MonthlyFigures.objects.filter(month=date(2026, 1, 1))
    assert sum(january.values_list("received", flat=True)) == 5  # T-0001..3, T-0011, T-0014


def test_the_plan_reads_only_today_and_partial_months_live():
    today = date(2026, 11, 25)
    cached, live = selectors.plan(selectors.Filters(date(2026, 1, 15), today), today)
    assert set(cached) == {date(2026, m, 1) for m in range(2, 12)}
    assert cached[date(2026, 2, 1)] == date(2026, 2, 28) and cached[date(2026, 11, 1)] == date(2026, 11, 24)
    assert live == [(date(2026, 1, 15), date(2026, 1, 31)), (today, today)]
    assert selectors.plan(selectors.Filters(date(2026, 11, 1), date(2026, 11, 20)), today) == (
        {}, [(date(2026, 11, 1), date(2026, 11, 20))])


def test_rows_by_month_leave_pending_blank(known):
    rows = selectors.summary(q1_filters(group_by=("month",)))["rows"]
    assert {r["pending"] for r in rows} == {None}
    body = api("q1.leader").get("/api/v1/reports/summary/", {**PERIOD, "group_by": "month"}).json()
    assert body["rows"][0]["pending"] is None and body["totals"]["pending"] == 5


def test_exports_never_turn_a_name_into_a_formula(known, client):
    from onestop.organisation.models import Citizen

    Citizen.objects.filter(user__username="citizen1").update(full_name='=HYPERLINK("http://x.example","bấm")')
    Agency.objects.filter(code="q1-benthanh").update(name="=1+2")
    book = login(client, "q1.leader").get("/reports/register/", {"agency": "q1-bennghe", **PERIOD, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(book.content)).active
    cell = sheet.cell(row=4, column=4)
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"
    summary = load_workbook(io.BytesIO(client.get("/reports/export.xlsx", PERIOD).content)).active
    assert [c for c in summary["A"] if c.value == "=1+2"][0].data_type == "s"
    text = client.get("/reports/export.csv", PERIOD).content.decode("utf-8-sig")
    assert "\n'=1+2," in text


# --- through the real lifecycle ---------------------------------------------------------------------------

def test_a_dossier_processed_by_the_services_is_counted(as_user, client):
    """Submitted, accepted at the ward, verified there, registered by the district, returned: the
    ward's figures count it received and resolved, and form 06 follows it to the district and back."""
    from tests.conftest import submit
    from tests.test_business_household import FORM

    code = submit(as_user("citizen2"), "2.000720", "q1-benthanh", FORM)["code"]
    as_user("benthanh.receiver").act(code, "accept")
    as_user("benthanh.specialist").act(code, "forward", {"verify_notes": "Đúng thực tế"})
    as_user("q1.specialist").act(code, "approve")
    as_user("q1.leader").act(code, "sign")
    as_user("benthanh.receiver").act(code, "returned")

    today = timezone.localdate().strftime("%d/%m/%Y")
    body = as_user("q1.leader").get("/api/v1/reports/summary/", date_from=today, date_to=today).json()
    totals = body["totals"]
    assert (totals["received"], totals["resolved"], totals["early"], totals["pending"]) == (1, 1, 1, 0)
    [row] = body["rows"]
    assert row["agency"]["code"] == "q1-benthanh"
    legs = as_user("benthanh.leader").get(f"/api/v1/reports/control-sheet/{code}/").json()
    assert [leg["to_agency"]["code"] for leg in legs] == ["q1-benthanh", "q1", "q1-benthanh"]
    assert legs[1]["from_agency"]["code"] == "q1-benthanh" and legs[1]["received_by"]
    # Each agency's steps on its leg ended well before their due date (the appointment).
    assert [leg["timeliness"] for leg in legs] == ["early", "early", "early"]
    assert legs[1]["result"] == "forward" and legs[1]["result_label"] != "forward"  # the form's wording
    steps = as_user("q1.leader").get("/api/v1/reports/steps/", date_from=today, date_to=today).json()
    assert {s["agency"]["code"]: s["completed"] for s in steps} == {"q1-benthanh": 3, "q1": 2}


def test_charts_escape_names_and_show_the_lowest_rates_first():
    from onestop.reports import charts

    rows = [{"agency": {"code": f"a{i}", "name": f"Phường {i} <b>"}, "on_time_rate": float(100 - i)}
            for i in range(20)]
    svg = str(charts.rate_bars(rows, "Tỷ lệ"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg
    assert svg.count('<rect class="rate') == charts.RATE_BARS
    assert svg.index("Phường 19 ") < svg.index("Phường 18 ")  # 81 % before 82 %
    assert "Phường 0 " not in svg  # 100 %: not among the lowest fifteen


def test_a_result_today_leaves_the_cached_month_fresh(demo, django_capture_on_commit_callbacks):
    """The common case during office hours: it must not make every dashboard compute the month again."""
    from onestop.reports.models import CachedMonth
    from onestop.reports.services import refresh_recent

    today = timezone.localdate()
    if today.day == 1:
        pytest.skip("on the 1st, this month has no day before today")
    b = Builder()
    dossier = b.make("q1-bennghe", at(today.replace(day=1)), today + timedelta(days=5))
    refresh_recent(1)
    with django_capture_on_commit_callbacks(execute=True):
        dossier.result_at, dossier.status, dossier.timeliness = timezone.now(), Status.RESULT_READY, "early"
        dossier.save()
    assert CachedMonth.objects.get(month=today.replace(day=1)).is_fresh
    with django_capture_on_commit_callbacks(execute=True):
        dossier.received_at = at(today.replace(day=1), 10)  # a correction of a counted day
        dossier.save()
    assert not CachedMonth.objects.get(month=today.replace(day=1)).is_fresh


def test_the_dashboard_costs_the_same_queries_for_more_dossiers(known, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, "admin")
    client.get("/reports/", PERIOD)  # fills the cache
    with CaptureQueriesContext(connection) as few:
        assert client.get("/reports/", PERIOD).status_code == 200
    b = Builder()
    b.n = 100
    for code in ("q3-vothisau", "tn-anbinh", "q1-benthanh"):
        for month in (1, 2, 3):
            b.make(code, at(date(2026, month, 3)), date(2026, month, 9), result=at(date(2026, month, 6)), rating=4)
    from onestop.reports.models import CachedMonth

    CachedMonth.objects.all().delete()  # counted again, with the new dossiers
    assert client.get("/reports/", PERIOD).context["report"]["totals"]["received"] == 12 + 9
    with CaptureQueriesContext(connection) as more:
        assert client.get("/reports/", PERIOD).status_code == 200
    assert len(more) == len(few)


@pytest.mark.django_db(transaction=True)
def test_a_rating_given_while_its_month_is_computed_is_counted_once(peers, monkeypatch):
    """The month's row lock orders a new rating after a computation that could not see it."""
    import threading

    from django.db import connection, connections, transaction

    from onestop.reports import services
    from onestop.reports.models import MonthlyFigures
    from tests.conftest import load_demo

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    load_demo(peers)
    dossier = Builder().make("q1-bennghe", at(date(2026, 1, 5)), date(2026, 1, 8), result=at(date(2026, 1, 7)))
    computed, release = threading.Event(), threading.Event()
    real = selectors.live_cells

    def slow(filters, found=None):
        out = real(filters, found)
        computed.set()
        release.wait(10)
        return out

    def in_thread(work):
        def run():
            try:
                work()
            finally:
                connections.close_all()
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    def rate():
        with transaction.atomic():
            Rating.objects.create(dossier=Dossier.objects.get(pk=dossier.pk), score=4)

    monkeypatch.setattr(selectors, "live_cells", slow)
    fill = in_thread(lambda: services.fill_month(date(2026, 1, 1)))
    assert computed.wait(10)  # figures computed without the rating, not yet stored
    rating = in_thread(rate)
    rating.join(0.5)
    assert rating.is_alive()  # waiting for the month's lock
    release.set()
    fill.join(10)
    rating.join(10)
    assert sum(MonthlyFigures.objects.filter(month=date(2026, 1, 1)).values_list("rating_count", flat=True)) == 1


def test_a_deleted_rating_leaves_the_cached_month(known, django_capture_on_commit_callbacks):
    filters = q1_filters()
    assert selectors.summary(filters)["totals"]["rating_count"] == 2
    Rating.objects.get(dossier__code="T-0001").delete()  # e.g. an admin removes an abusive one
    totals = selectors.summary(filters)["totals"]
    assert (totals["rating_count"], totals["rating_avg"]) == (1, 3.0)
    assert totals == selectors.summary(filters, live_only(filters))["totals"]


# --- the interconnection matrix -------------------------------------------------------------------------

def test_interconnection_matrix_of_the_demo_follows_the_bpmn_files(demo):
    """What bpmn/*.bpmn say: birth registration runs in the ward's lane and looks the mother up in the
    population database; the business household goes ward -> district and asks the business registry;
    the construction permit goes district -> Department of Construction and asks the land registry; the
    land change registration goes commune -> provincial Department of Agriculture and Environment."""
    from onestop.reports import interconnection

    def cells(code):
        found = interconnection.procedure_matrix(interconnection.published(code))
        return {e.code: (e.mark, e.direction) for e in found["entries"]}, found

    birth, found = cells("1.001193")
    assert birth == {"q1-bennghe": ("Y", ""), "q1-benthanh": ("Y", ""), "q3-vothisau": ("Y", ""),
                     "tn-anbinh": ("Y", ""), "tn-tanninh": ("Y", ""), "population": ("X", "vertical")}
    assert [(i.element, i.operator, i.supplier, i.local) for i in found["inputs"]] == [
        ("lookup_mother", "population.lookup_citizen", "Cơ sở dữ liệu quốc gia về dân cư", False),
        ("register_birth", "civil_status.register_birth", "", True)]
    household, _found = cells("2.000720")
    # An Bình is a commune of a two-tier province: no district above it, so the procedure is not offered there.
    assert household == {"q1-bennghe": ("Y", ""), "q1-benthanh": ("Y", ""), "q3-vothisau": ("Y", ""),
                         "q1": ("Y", "vertical"), "q3": ("Y", "vertical"), "business_registry": ("X", "vertical")}
    permit, _found = cells("1.009794")
    assert permit == {"q1": ("Y", ""), "q3": ("Y", ""), "hcm-sxd": ("Y", "vertical"),
                      "land_registry": ("X", "vertical")}
    # The two-tier province: its commune and ward receive, its Department of Agriculture and Environment
    # decides; the city's wards cannot route to another province's department.
    land, _found = cells("TN.DD.01")
    assert land == {"tn-anbinh": ("Y", ""), "tn-tanninh": ("Y", ""), "tn-snnmt": ("Y", "vertical")}


def test_interconnection_page_api_and_files(known, client):
    leader = APIClient()
    leader.force_authenticate(User.objects.get(username="q1.leader"))
    api = leader.get("/api/v1/reports/interconnection/").json()
    by_code = {p["procedure"]["code"]: p for p in api["procedures"]}
    assert set(by_code) == {"1.001193", "2.000720", "1.009794"}
    # A leader of District 1 sees the dossiers its agencies receive: its wards, itself, and who they reach.
    permit = {e["code"]: e for e in by_code["1.009794"]["entries"]}
    assert set(permit) == {"q1", "hcm-sxd", "land_registry"}
    assert permit["hcm-sxd"]["mark"] == "Y" and permit["hcm-sxd"]["direction"] == "vertical"
    assert permit["land_registry"]["inputs"] == ["Lấy thông tin thửa đất / Fetch the land parcel"]
    one = leader.get("/api/v1/reports/interconnection/", {"procedure": "1.009794"}).json()
    assert [p["procedure"]["code"] for p in one["procedures"]] == ["1.009794"]
    assert leader.get("/api/v1/reports/interconnection/", {"procedure": "9.999"}).status_code == 404
    citizen = APIClient()
    citizen.force_authenticate(User.objects.get(username="citizen1"))
    assert citizen.get("/api/v1/reports/interconnection/").status_code == 403
    login(client, "q1.leader")
    html = client.get("/reports/interconnection/").content.decode()
    assert "Sở Xây dựng Thành phố Hồ Chí Minh" in html and "Cơ sở dữ liệu đất đai" in html
    page = client.get("/reports/interconnection/1.009794/").content.decode()
    assert "Sở Xây dựng" in page and "Lấy thông tin thửa đất —" in page and "Fetch the land parcel" not in page
    rows = list(csv.reader(io.StringIO(client.get("/reports/interconnection/", {"format": "csv"})
                                       .content.decode("utf-8-sig"))))
    header = rows[0]
    permit_row = next(r for r in rows if r[0] == "1.009794")
    assert permit_row[header.index("Sở Xây dựng Thành phố Hồ Chí Minh")] == "Y (dọc)"
    assert permit_row[header.index("Ủy ban nhân dân Quận 1")] == "Y"
    book = load_workbook(io.BytesIO(client.get("/reports/interconnection/", {"format": "xlsx"}).content))
    assert [c for c in next(book.worksheets[0].iter_rows(min_row=3, max_row=3, values_only=True))][:2] == [
        header[0], header[1]]
