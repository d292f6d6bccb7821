"""Server time of each page with 10,000 dossiers in the database (the target: under 150 ms each).

Why: queues, lists and the dossier page are what officials and citizens open all day; with a year's
dossiers in the tables a missing index or a query per row shows up as a slow page long before it shows
up in tests with a dozen rows.

What it does, on the PostgreSQL server of ``DATABASE_URL`` (only the server and credentials are taken
from it; the database used is always ``onestop_bench_pages``, recreated, dropped at the end):

1. recreates ``onestop_bench_pages``, migrates it and loads the demo (agencies, officials, the three
   procedures), with the stand-in agency systems running so that real dossiers can go through their
   service tasks;
2. seeds N dossiers (default 10,000) with ``bulk_create``: spread over the three procedures, their
   receiving agencies, seven statuses and a year of submission dates, over N / 5 applicants (at least
   2,000; citizen1 and citizen2 get 20 each), each with its work items (open ones in the queues), audit events and
   hand-overs; then a few real dossiers through the services (submit, accept): the pages measured
   open those, so that the workflow state, the diagram and the attachments are real;
3. ANALYZE, then for each page one request counting its SQL queries and two warm-up requests; then R
   rounds (default 50) of one timed request per page, with Django's test ``Client`` in this process; the
   time is the whole ``client.get`` (request handling, middleware, view, templates; no network), which
   slightly overstates the server time;
4. prints a table (p50, p95, max, p95 / 150 ms, queries) and writes ``bench/results/pages.json``.

    python bench/pages.py [--dossiers 10000] [--runs 50] [--keep]
"""
import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(BENCH_DIR.parent))

from api_throughput import (  # noqa: E402  (the same database helpers as the first benchmark)
    BenchFailure,
    PeerStandIns,
    connect,
    database_url,
    drop_database,
    recreate_database,
)

BENCH_DB = "onestop_bench_pages"
RESULTS_FILE = BENCH_DIR / "results" / "pages.json"
LIMIT_MS = 150.0
DOSSIERS_PER_CITIZEN = 5  # on average; at least 2,000 applicants

# status -> share of the dossiers (a year of a city's dossiers: most returned)
STATUS_SHARES = {
    "submitted": 0.05, "supplement_requested": 0.04, "processing": 0.20, "result_ready": 0.05,
    "returned": 0.56, "refused": 0.05, "withdrawn": 0.05,
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help=f"keep the database {BENCH_DB} afterwards")
    return parser.parse_args(argv)


def setup_django(peers_url):
    os.environ.pop("CELERY_BROKER_URL", None)  # tasks run eagerly, in the request that enqueues them
    os.environ.update({
        "DATABASE_URL": database_url(BENCH_DB), "DEBUG": "0", "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "onestop.settings",
        "ONESTOP_ANON_RATE": "100000/min", "ONESTOP_LOGIN_RATE": "100000/min",
    })
    if peers_url:
        os.environ["ONESTOP_PEERS_URL"] = peers_url
    import django

    django.setup()


# --- seeding ----------------------------------------------------------------------------------------------

# Vietnamese family names with roughly their shares of the population (Nguyễn is about 38 %).
SURNAMES = {"Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 5, "Huỳnh": 4, "Phan": 4.5, "Vũ": 3.9,
            "Võ": 3, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1, "Lý": 0.5}
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh", "Đức", "Thu", "Quốc", "Kim"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hoa", "Hùng", "Khôi", "Lan", "Linh", "Long", "Mai",
         "Nam", "Ngân", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]


def _full_name(rng):
    surname = rng.choices(list(SURNAMES), list(SURNAMES.values()))[0]
    return f"{surname} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def seed_volume(n, rng):
    """``n`` dossiers with their work items, events and hand-overs, in bulk (no workflow state)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from onestop.core.text import fold
    from onestop.dossiers.models import Dossier, DossierEvent, Handover
    from onestop.organisation.models import Agency, Citizen, Membership, OfficialRole, same_tier
    from onestop.worklist.models import WorkItem
    from procedures.models import Procedure
    from procedures.selectors import published_version

    User = get_user_model()
    citizens = max(2000, n // DOSSIERS_PER_CITIZEN)
    unusable = make_password(None)
    users = User.objects.bulk_create([User(username=f"bench{i:05d}", first_name="Dân", last_name=f"Công {i}",
                                           password=unusable) for i in range(citizens)], batch_size=1000)
    names = [_full_name(rng) for _ in users]
    Citizen.objects.bulk_create([Citizen(user=u, id_number=f"0791{i:08d}", full_name=names[i],
                                         search_name=fold(names[i]), address=f"{i} Lê Lợi, Quận 1")
                                 for i, u in enumerate(users)], batch_size=1000)
    applicants = list(User.objects.filter(username__in=["citizen1", "citizen2"]))
    procedures = []
    for procedure in Procedure.objects.all():
        version = published_version(procedure)
        agencies = [a for a in Agency.objects.all() if same_tier(a.level, procedure.receiving_level)]
        if version and agencies:
            procedures.append((procedure, version, agencies))
    officials = {}
    for m in Membership.objects.select_related("user"):
        officials.setdefault((m.agency_id, m.role), m.user)
    statuses = list(STATUS_SHARES)
    weights = list(STATUS_SHARES.values())
    now = timezone.now()
    sequence = {}
    dossiers = []
    for i in range(n):
        procedure, version, agencies = procedures[i % len(procedures)]
        agency = rng.choice(agencies)
        status = rng.choices(statuses, weights)[0]
        # Dossiers still open are recent; closed ones span the year. Never today: real ones get today's codes.
        age = rng.uniform(1, 20) if status in {"submitted", "supplement_requested", "processing",
                                                "result_ready"} else rng.uniform(1, 365)
        submitted = now - timedelta(days=age)
        day = timezone.localdate(submitted)
        key = (agency.pk, day)
        sequence[key] = sequence.get(key, 0) + 1
        applicant = applicants[i % 2] if i < 40 else users[i % citizens]
        received = submitted + timedelta(hours=rng.uniform(1, 20)) if status not in {
            "submitted", "supplement_requested", "withdrawn"} else None
        closed = received + timedelta(days=rng.uniform(1, 10)) if received and status in {
            "returned", "refused"} else None
        dossiers.append(Dossier(
            code=f"{agency.identifier}-{day:%y%m%d}-{sequence[key]:04d}", procedure=procedure, version=version,
            applicant=applicant, receiving_agency=agency, form_data={"bench": i}, status=status,
            channel=rng.choice(["online", "online", "online", "desk"]), submitted_at=submitted,
            received_at=received, appointment_date=(received + timedelta(days=procedure.processing_days + 2)).date()
            if received else None, closed_at=closed,
            missing_documents=["Giấy chứng sinh (bản chính)"] if status == "supplement_requested" else [],
        ))
    Dossier.objects.bulk_create(dossiers, batch_size=2000)

    items, events, legs = [], [], []
    for d in dossiers:
        receiver = officials.get((d.receiving_agency_id, OfficialRole.RECEIVER))
        specialist = officials.get((d.receiving_agency_id, OfficialRole.SPECIALIST))
        waiting = d.status == "submitted"
        items.append(WorkItem(
            dossier=d, kind="reception", agency_id=d.receiving_agency_id, role="receiver", name="Tiếp nhận hồ sơ",
            due_date=timezone.localdate(d.submitted_at) + timedelta(days=1),
            state="open" if waiting else "completed", completed_by=None if waiting else receiver,
            completed_at=None if waiting else d.submitted_at + timedelta(hours=1),
            decision="" if waiting else {"supplement_requested": "supplement", "withdrawn": "accept"}.get(
                d.status, "refuse" if d.status == "refused" else "accept"),
        ))
        events.append(DossierEvent(dossier=d, action="submitted", actor=d.applicant, agency_id=d.receiving_agency_id,
                                   to_status="submitted"))
        legs.append(Handover(dossier=d, to_agency_id=d.receiving_agency_id, given_by=d.applicant,
                             result="Nộp trực tuyến"))
        if not waiting:
            events.append(DossierEvent(dossier=d, action="reception_completed", actor=receiver,
                                       agency_id=d.receiving_agency_id, from_status="submitted", to_status=d.status,
                                       data={"decision": items[-1].decision}))
        if d.received_at:
            done = d.status != "processing"
            state = "completed" if done else rng.choice(["open", "open", "claimed"])
            items.append(WorkItem(
                dossier=d, kind="task", agency_id=d.receiving_agency_id, role="specialist",
                name="Thẩm định hồ sơ", task_id=f"bench-{d.code}", due_date=d.appointment_date, state=state,
                claimed_by=None if state == "open" else specialist,
                claimed_at=None if state == "open" else d.received_at + timedelta(hours=2),
                completed_by=specialist if done else None,
                completed_at=d.received_at + timedelta(hours=3) if done else None, decision="approve" if done else "",
            ))
            events.append(DossierEvent(dossier=d, action="task_completed" if done else "claimed", actor=specialist,
                                       agency_id=d.receiving_agency_id, from_status="processing",
                                       to_status=d.status))
        if d.status in {"result_ready", "returned"}:
            items.append(WorkItem(
                dossier=d, kind="return", agency_id=d.receiving_agency_id, role="receiver", name="Trả kết quả",
                due_date=d.appointment_date, state="open" if d.status == "result_ready" else "completed",
                completed_by=receiver if d.status == "returned" else None,
                completed_at=d.closed_at if d.status == "returned" else None,
            ))
    WorkItem.objects.bulk_create(items, batch_size=2000)
    DossierEvent.objects.bulk_create(events, batch_size=2000)
    Handover.objects.bulk_create(legs, batch_size=2000)
    return {"dossiers": len(dossiers), "work_items": len(items), "events": len(events), "handovers": len(legs),
            "citizens": citizens}


def real_dossiers():
    """Dossiers made by the services, as the pages would see them: one waiting, one accepted (in processing)."""
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from onestop.dossiers import lifecycle as services
    from onestop.dossiers.attachments import add_attachment
    from onestop.worklist.models import WorkItem

    User = get_user_model()
    citizen, receiver = User.objects.get(username="citizen1"), User.objects.get(username="bennghe.receiver")
    from onestop.demo.samples import BIRTH_FORM as form
    made = []
    for _ in range(2):
        dossier = services.submit(citizen, procedure_code="1.001193", agency_code="q1-bennghe", form_data=form)
        pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
        add_attachment(dossier, SimpleUploadedFile("giay-chung-sinh.pdf", pdf, content_type="application/pdf"),
                       user=citizen, document_index=1)
        made.append(dossier)
    waiting, accepted = made
    reception = accepted.work_items.get(kind=WorkItem.Kind.RECEPTION)
    services.claim_work_item(reception, receiver)
    services.complete_work_item(reception, receiver, decision="accept")
    accepted.refresh_from_db()
    task = accepted.work_items.filter(kind=WorkItem.Kind.TASK, state__in=WorkItem.ACTIVE_STATES).first()
    if task is None:
        raise BenchFailure(f"dossier {accepted.code} has no open step after acceptance (status {accepted.status})")
    return {"waiting": waiting, "accepted": accepted, "reception_item": waiting.work_items.get(kind="reception"),
            "task_item": task}


# --- measuring --------------------------------------------------------------------------------------------

def pages(real):
    """(label, user or None, url name, kwargs[, query string]) of each page measured."""
    waiting, accepted = real["waiting"], real["accepted"]
    return [
        ("catalogue", None, "portal:catalogue", {}),
        ("catalogue: search", None, "portal:catalogue", {}, "?q=khai+sinh"),
        ("procedure page", None, "portal:procedure", {"code": "1.001193"}),
        ("citizen: my dossiers", "citizen1", "portal:my-dossiers", {}),
        ("citizen: dossier page", "citizen1", "portal:dossier", {"code": accepted.code}),
        ("desk: reception queue", "bennghe.receiver", "workspace:desk", {}),
        ("desk: reception item", "bennghe.receiver", "workspace:item", {"pk": real["reception_item"].pk}),
        ("queue (specialist)", "bennghe.specialist", "workspace:queue", {}),
        ("queue: all, by code", "bennghe.specialist", "workspace:queue", {}, "?tab=all&sort=-code"),
        # "Nguyễn" matches about 4 applicants in 10: the broadest search a desk would type.
        ("queue: search applicant", "bennghe.specialist", "workspace:queue", {}, "?tab=all&q=Nguy%E1%BB%85n"),
        ("workspace item (step)", "bennghe.specialist", "workspace:item", {"pk": real["task_item"].pk}),
        ("form 01 PDF", "bennghe.receiver", "documents:form01", {"code": accepted.code}),
        ("dossier diagram", "citizen1", "dossier-diagram", {"code": waiting.code}),
    ]


class _QueryLog:
    """A database execute wrapper that notes each query's SQL and adds up the time spent waiting for them."""

    def __init__(self, into=None):
        self.into = [] if into is None else into
        self.ms = 0.0

    def __call__(self, execute, sql, params, many, context):
        self.into.append(sql)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - start) * 1000


def measure(runs):
    """Time every page ``runs`` times, in rounds (each page once per round): a burst of other work on the
    machine then slows all pages a little rather than one page a lot."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    real = real_dossiers()
    analyze()
    rows, measured = [], []
    for label, username, name, kwargs, *query in pages(real):
        try:
            url = reverse(name, kwargs=kwargs) + "".join(query)
        except NoReverseMatch:
            rows.append({"page": label, "url": None, "skipped": f"no URL named {name}"})
            continue
        client = Client()
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        queries = []
        with connection.execute_wrapper(_QueryLog(queries)):
            response = client.get(url)
        if response.status_code != 200:
            raise BenchFailure(f"{label}: GET {url} answered {response.status_code}")
        for _ in range(2):  # warm: templates compiled, caches filled
            client.get(url)
        row = {"page": label, "url": url, "user": username or "anonymous", "runs": runs, "queries": len(queries),
               "bytes": len(response.content)}
        rows.append(row)
        measured.append((row, client, {"times": [], "cpu": [], "db": []}))
    for _ in range(runs):
        for row, client, samples in measured:
            log = _QueryLog()
            with connection.execute_wrapper(log):
                start, start_cpu = time.perf_counter(), time.process_time()
                client.get(row["url"])
                samples["times"].append((time.perf_counter() - start) * 1000)
                samples["cpu"].append((time.process_time() - start_cpu) * 1000)
            samples["db"].append(log.ms)
    for row, _client, samples in measured:
        times = sorted(samples["times"])
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        row.update({"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1),
                    "max_ms": round(times[-1], 1), "cpu_p50_ms": round(statistics.median(samples["cpu"]), 1),
                    "db_p50_ms": round(statistics.median(samples["db"]), 1),
                    "p95_over_limit": round(p95 / LIMIT_MS, 2)})
    return rows


def analyze():
    conn = connect(BENCH_DB)
    try:
        with conn.cursor() as cur:
            cur.execute("ANALYZE")
    finally:
        conn.close()


def report(rows, seeded, args, seconds):
    print(f"\nServer time per page, {seeded['dossiers']:,} dossiers + {seeded['work_items']:,} work items + "
          f"{seeded['events']:,} events; {args.runs} runs each; limit {LIMIT_MS:.0f} ms")
    head = (f"{'page':28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/150':>8} {'queries':>8} "
            f"{'cpu p50':>8} {'db p50':>8}  url")
    print(head)
    print("-" * len(head))
    for r in rows:
        if r.get("skipped"):
            print(f"{r['page']:28} {'skipped: ' + r['skipped']}")
            continue
        flag = "  << over the limit" if r["p95_ms"] > LIMIT_MS else ""
        print(f"{r['page']:28} {r['p50_ms']:8.1f} {r['p95_ms']:8.1f} {r['max_ms']:8.1f} {r['p95_over_limit']:8.2f} "
              f"{r['queries']:8d} {r['cpu_p50_ms']:8.1f} {r['db_p50_ms']:8.1f}  {r['url']}{flag}")
    load = os.getloadavg()
    print(f"load average now {load[0]:.1f} on {os.cpu_count()} CPUs: other work on the machine inflates the times.\n"
          "cpu p50: this process's own CPU time (middleware, view, templates); db p50: time waiting for the "
          "page's queries (PostgreSQL's work and the round trips)")
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps({
        "benchmark": "pages", "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_average": [round(v, 1) for v in os.getloadavg()]},
        "limit_ms": LIMIT_MS, "runs": args.runs, "seeded": seeded, "seconds": round(seconds, 1), "pages": rows,
    }, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {RESULTS_FILE.relative_to(BENCH_DIR.parent)}")


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    recreate_database(BENCH_DB)
    try:
        with PeerStandIns() as peers:
            setup_django(peers.url)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
            call_command("seed_demo", verbosity=0)
            t = time.monotonic()
            seeded = seed_volume(args.dossiers, random.Random(61))
            seeded["seed_seconds"] = round(time.monotonic() - t, 1)
            print(f"seeded {seeded} ", flush=True)
            analyze()
            rows = measure(args.runs)
        report(rows, seeded, args, time.monotonic() - started)
    finally:
        if "django.db" in sys.modules:  # django was set up: let go of the database before dropping it
            from django.db import connections

            connections.close_all()
        if not args.keep:
            drop_database(BENCH_DB)
    return 1 if any(r.get("p95_ms", 0) > LIMIT_MS for r in rows) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchFailure as failure:
        print(f"bench failed: {failure}", file=sys.stderr)
        sys.exit(2)
