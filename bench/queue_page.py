"""An official's queue (API and page) with 1,000,000 dossiers and 5,000,000 work items in the database.

1. Recreates ``onestop_bench_queue`` (PostgreSQL of ``DATABASE_URL``: server and credentials only): migrate,
   seed_demo, 160 more wards, 50,000 applicants, then N dossiers (default 1,000,000) received over two
   years and 5 work items each, written by PostgreSQL itself (``INSERT ... SELECT generate_series``: no
   rows cross the wire; a few minutes), then ``VACUUM ANALYZE``.
2. Starts gunicorn (2 sync workers, DEBUG off, no broker) and logs in the demo's officials of Bến Nghé
   ward (API token; a browser-like session with CSRF for the pages).
3. In rounds (one request per case and round, so a burst of other work slows every case a little), times
   the queue API and the queue page: the default tab, each tab, each sort, a procedure filter, a search
   by code and by name; plus the leader's view (every role of the ward) and the desk. p50/p95/p99.
4. With ``--explain``, runs each page in-process and writes ``EXPLAIN (ANALYZE, BUFFERS)`` of its two
   slowest queries to ``bench/results/queue_explain.txt`` (the profile behind any slow case).
5. Prints the table and writes ``bench/results/queue_page.json``.

    python bench/queue_page.py [--dossiers 1000000] [--runs 60] [--quick] [--reuse] [--keep] [--explain]
                               [--database NAME]
"""
import argparse
import http.client
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    PASSWORD,
    RESULTS_DIR,
    ROOT,
    BenchFailure,
    Server,
    connect,
    database_exists,
    distribution,
    drop_database,
    load_average,
    manage,
    print_table,
    project_env,
    recreate_database,
    setup_info,
    write_json,
)

BENCH_DB = "onestop_bench_queue"
TARGET_P95_MS = 30.0
APPLICANTS = 50_000
EXTRA_WARDS = 160
ITEMS_PER_DOSSIER = 5

# (label, who, path, query): the cases timed; "queue" rows are the page of the queue target.
CASES = [
    ("api: queue (active)", "bennghe.specialist", "/api/v1/work-items/", {}),
    ("api: procedure filter", "bennghe.specialist", "/api/v1/work-items/", {"procedure": "1.001193"}),
    ("api: due before", "bennghe.specialist", "/api/v1/work-items/", {"due_before": "2030-01-01"}),
    ("api: completed (history)", "bennghe.specialist", "/api/v1/work-items/", {"state": "completed"}),
    ("api: leader (claimed)", "bennghe.leader", "/api/v1/work-items/", {"state": "claimed"}),
    ("page: queue (to claim)", "bennghe.specialist", "/work/queue/", {}),
    ("page: tab mine", "bennghe.specialist", "/work/queue/", {"tab": "mine"}),
    ("page: tab due soon", "bennghe.specialist", "/work/queue/", {"tab": "due_soon"}),
    ("page: tab overdue", "bennghe.specialist", "/work/queue/", {"tab": "overdue"}),
    ("page: tab all, by due", "bennghe.specialist", "/work/queue/", {"tab": "all"}),
    ("page: tab all, by code", "bennghe.specialist", "/work/queue/", {"tab": "all", "sort": "code"}),
    ("page: tab all, newest", "bennghe.specialist", "/work/queue/", {"tab": "all", "sort": "-received"}),
    ("page: tab all, by procedure", "bennghe.specialist", "/work/queue/", {"tab": "all", "sort": "procedure"}),
    ("page: procedure filter", "bennghe.specialist", "/work/queue/", {"tab": "all", "procedure": "1.001193"}),
    ("page: due date range", "bennghe.specialist", "/work/queue/",
     {"tab": "all", "due_from": "01/01/2020", "due_to": "31/12/2030"}),
    ("page: search by code", "bennghe.specialist", "/work/queue/", {"tab": "all", "q": "Q1-BENNGHE-2511"}),
    ("page: search by name", "bennghe.specialist", "/work/queue/", {"tab": "all", "q": "Nguyễn"}),
    ("page: search by name, no marks", "bennghe.specialist", "/work/queue/", {"tab": "all", "q": "nguyen van"}),
    ("page: search by code fragment", "bennghe.specialist", "/work/queue/", {"tab": "all", "q": "0004"}),
    ("page: leader's queue", "bennghe.leader", "/work/queue/", {}),
    ("page: desk", "bennghe.receiver", "/work/desk/", {}),
]
HEADLINE = ("api: queue (active)", "page: queue (to claim)")


def parse_args(argv=None):
    global BENCH_DB
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=60, help="rounds of one request per case")
    parser.add_argument("--quick", action="store_true", help="20,000 dossiers and 10 rounds: a smoke run")
    parser.add_argument("--reuse", action="store_true", help="keep an already loaded database")
    parser.add_argument("--keep", action="store_true", help="do not drop the database afterwards")
    parser.add_argument("--explain", action="store_true", help="write EXPLAIN ANALYZE of each page's queries")
    parser.add_argument("--database", help=f"the database to load or reuse (default {BENCH_DB}, or "
                        f"{BENCH_DB}_N with fewer dossiers)")
    args = parser.parse_args(argv)
    if args.quick:
        args.dossiers, args.runs = min(args.dossiers, 20_000), min(args.runs, 10)
    if args.database:
        BENCH_DB = args.database
    elif args.dossiers < 1_000_000:  # a small run never replaces the loaded million
        BENCH_DB = f"onestop_bench_queue_{args.dossiers}"
    return args


# --- the data ---------------------------------------------------------------------------------------------

SURNAMES = ["Nguyễn"] * 38 + ["Trần"] * 11 + ["Lê"] * 10 + ["Phạm"] * 7 + ["Hoàng", "Huỳnh"] * 5 + \
    ["Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"] * 2
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Thanh", "Quốc", "Đức"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hoa", "Hùng", "Khang", "Lan", "Linh",
         "Long", "Mai", "Minh", "Nam", "Nga", "Phúc", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn"]


def _array(words):
    return "ARRAY[" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + "]"


def load(n):
    """Migrate, seed the demo, then write the city's wards, applicants, dossiers and work items in SQL."""
    sys.path.insert(0, str(ROOT))
    from onestop.core.text import fold  # the folded names of the search, as Citizen.save() writes them

    timings = {}
    started = time.perf_counter()
    recreate_database(BENCH_DB)
    env = project_env(BENCH_DB)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    timings["migrate_and_demo_s"] = round(time.perf_counter() - started, 1)
    conn = connect(BENCH_DB)
    cur = conn.cursor()

    def step(name, statement, params=None):
        t = time.perf_counter()
        cur.execute(statement, params)
        timings[name] = round(time.perf_counter() - t, 1)
        print(f"  {name}: {timings[name]} s", flush=True)

    step("wards", """
        INSERT INTO organisation_agency (code, name, name_en, level, parent_id, is_active)
        SELECT 'w' || lpad(g::text, 3, '0'), 'Ủy ban nhân dân Phường ' || g, '', 'ward',
               (SELECT id FROM organisation_agency WHERE code = CASE WHEN g %% 2 = 0 THEN 'q1' ELSE 'q3' END), true
        FROM generate_series(1, %s) g""", [EXTRA_WARDS])
    step("applicants", f"""
        WITH u AS (
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                   is_active, date_joined)
            SELECT '!', false, 'bench' || g, '', '', '', false, true, now() FROM generate_series(1, %s) g
            RETURNING id)
        INSERT INTO organisation_citizen (user_id, id_number, full_name, search_name, phone, address)
        SELECT id, '0790' || lpad(id::text, 8, '0'),
               ({_array(SURNAMES)})[1 + (id::bigint * 7919) %% {len(SURNAMES)}] || ' ' ||
               ({_array(MIDDLE)})[1 + (id::bigint * 104729) %% {len(MIDDLE)}] || ' ' ||
               ({_array(GIVEN)})[1 + (id::bigint * 1299709) %% {len(GIVEN)}],
               ({_array([fold(n) for n in SURNAMES])})[1 + (id::bigint * 7919) %% {len(SURNAMES)}] || ' ' ||
               ({_array([fold(n) for n in MIDDLE])})[1 + (id::bigint * 104729) %% {len(MIDDLE)}] || ' ' ||
               ({_array([fold(n) for n in GIVEN])})[1 + (id::bigint * 1299709) %% {len(GIVEN)}], '', ''
        FROM u""", [APPLICANTS])
    cur.execute("SELECT array_agg(id ORDER BY id) FROM organisation_agency WHERE level IN ('ward', 'commune')")
    wards = cur.fetchone()[0]
    cur.execute("SELECT min(user_id), max(user_id) FROM organisation_citizen WHERE user_id IN "
                "(SELECT id FROM auth_user WHERE username LIKE 'bench%%')")
    first_applicant, last_applicant = cur.fetchone()
    cur.execute("SELECT id FROM auth_user WHERE username = 'bennghe.specialist'")
    specialist = cur.fetchone()[0]
    cur.execute("SELECT coalesce(max(id), 0) FROM dossiers_dossier")  # the demo's own dossiers keep theirs
    last_demo = cur.fetchone()[0]
    # Dossiers: received at a pseudo-random moment of the last two years (a hash of the row number),
    # at a pseudo-random ward and procedure; the last 20 days' ones are still being processed.
    step("dossiers", """
        INSERT INTO dossiers_dossier (code, procedure_id, version_id, applicant_id, receiving_agency_id, form_data,
            status, channel, missing_documents, submitted_at, received_at, appointment_date, result_at, closed_at,
            timeliness, process_id, updated_at)
        SELECT upper(a.code) || '-' || to_char(r.received, 'YYMMDD') || '-' || lpad(g::text, 7, '0'),
               p.id, p.version, %(first)s + (g::bigint * 7919) %% (%(last)s - %(first)s + 1), a.id, '{}',
               CASE WHEN r.open THEN 'processing' ELSE 'returned' END, 'online', '[]',
               r.received - interval '2 hours', r.received, (r.received + interval '7 days')::date,
               CASE WHEN r.open THEN NULL ELSE r.received + interval '5 days' END,
               CASE WHEN r.open THEN NULL ELSE r.received + interval '6 days' END,
               CASE WHEN r.open THEN '' ELSE 'early' END, NULL, now()
        FROM generate_series(1, %(n)s) g
        CROSS JOIN LATERAL (SELECT now() - ((g::bigint * 104729) %% (730 * 86400)) * interval '1 second' AS received) r0
        CROSS JOIN LATERAL (SELECT r0.received, r0.received > now() - interval '20 days' AS open) r
        JOIN organisation_agency a ON a.id = (%(wards)s::int[])[1 + (g::bigint * 31) %% %(w)s]
        JOIN (SELECT row_number() OVER (ORDER BY p.id) - 1 AS k, p.id, max(v.id) AS version
              FROM procedures_procedure p JOIN procedures_procedureversion v ON v.procedure_id = p.id
              GROUP BY p.id) p ON p.k = g %% 3
        ORDER BY r.received""", {"n": n, "wards": wards, "w": len(wards), "first": first_applicant,
                                 "last": last_applicant})
    # Five steps each: reception, appraisal (specialist), approval (leader), register entry (specialist),
    # return (desk). An open dossier: reception done, appraisal open (a third claimed), and three items of an
    # earlier round cancelled by a supplement request.
    step("work_items", """
        INSERT INTO worklist_workitem (dossier_id, dossier_code, procedure_code, kind, agency_id, role, task_id,
            task_spec_id, name, lane, form, due_date, state, claimed_by_id, claimed_at, completed_at, decision,
            timeliness, comment, data, created_at)
        SELECT d.id, d.code, p.code, s.kind, d.receiving_agency_id, s.role,
               CASE WHEN s.k IN (1, 5) THEN '' ELSE d.id || '-' || s.k END,
               s.spec, s.name, '', '[]', (d.received_at + s.k * interval '1 day')::date,
               CASE WHEN d.status = 'returned' OR s.k = 1 THEN 'completed'
                    WHEN s.k = 2 AND d.id %% 3 = 0 THEN 'claimed' WHEN s.k = 2 THEN 'open' ELSE 'cancelled' END,
               CASE WHEN s.k = 2 AND d.status <> 'returned' AND d.id %% 3 = 0 AND d.receiving_agency_id =
                    (SELECT agency_id FROM organisation_membership m WHERE m.user_id = %(specialist)s LIMIT 1)
                    THEN %(specialist)s END,
               NULL,
               CASE WHEN d.status = 'returned' OR s.k = 1 THEN d.received_at + s.k * interval '1 day' END,
               CASE WHEN d.status = 'returned' OR s.k = 1 THEN 'approve' ELSE '' END,
               CASE WHEN d.status = 'returned' OR s.k = 1 THEN 'on_time' ELSE '' END,
               '', '{}', d.received_at + s.k * interval '1 hour'
        FROM dossiers_dossier d JOIN procedures_procedure p ON p.id = d.procedure_id
        CROSS JOIN (VALUES (1, 'reception', 'receiver', '', 'Tiếp nhận hồ sơ'),
                           (2, 'task', 'specialist', 'appraise', 'Thẩm định hồ sơ'),
                           (3, 'task', 'leader', 'approve', 'Phê duyệt'),
                           (4, 'task', 'specialist', 'register', 'Vào sổ, cấp bản chính'),
                           (5, 'return', 'receiver', '', 'Trả kết quả')) s(k, kind, role, spec, name)
        WHERE d.id > %(last_demo)s""", {"specialist": specialist, "last_demo": last_demo})
    # Claimed items of the ward the bench's official works at are claimed by that official ("mine").
    cur.execute("UPDATE worklist_workitem SET claimed_at = created_at + interval '1 hour' "
                "WHERE state = 'claimed'")
    t = time.perf_counter()
    cur.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = round(time.perf_counter() - t, 1)
    cur.execute("SELECT (SELECT count(*) FROM dossiers_dossier), (SELECT count(*) FROM worklist_workitem), "
                "pg_database_size(current_database())")
    dossiers, items, size = cur.fetchone()
    conn.close()
    timings["total_s"] = round(time.perf_counter() - started, 1)
    return {"dossiers": dossiers, "work_items": items, "database_mb": round(size / 2**20), "seconds": timings}


# --- HTTP -------------------------------------------------------------------------------------------------

class Client:
    """One user over HTTP, one connection per request (gunicorn's sync workers close them anyway)."""

    def __init__(self, port, username):
        self.port, self.username, self.headers = port, username, {"Accept-Language": "vi"}

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers={**self.headers, **(headers or {})})
            response = conn.getresponse()
            return response, response.read()
        finally:
            conn.close()

    def api_login(self):
        body = json.dumps({"username": self.username, "password": PASSWORD})
        response, raw = self.request("POST", "/api/v1/auth/token/", body, {"Content-Type": "application/json"})
        if response.status != 200:
            raise BenchFailure(f"token for {self.username}: {response.status} {raw[:200]!r}")
        return {"Authorization": f"Token {json.loads(raw)['token']}", "Accept": "application/json"}

    def page_login(self):
        """As a browser: the login form's CSRF cookie and token, then the session cookie."""
        response, raw = self.request("GET", "/login/")
        csrf = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "").group(1)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', raw).group(1).decode()
        body = urlencode({"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
        response, raw = self.request("POST", "/login/", body, {
            "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}",
            "Referer": f"http://127.0.0.1:{self.port}/login/"})
        session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
        if response.status != 302 or not session:
            raise BenchFailure(f"login of {self.username}: {response.status}")
        return {"Cookie": f"csrftoken={csrf}; sessionid={session.group(1)}"}


def time_cases(port, runs):
    clients = {}
    for _label, who, path, _q in CASES:
        kind = "api" if path.startswith("/api/") else "page"
        if (who, kind) not in clients:
            client = Client(port, who)
            clients[who, kind] = (client, client.api_login() if kind == "api" else client.page_login())
    urls = [(label, clients[who, "api" if path.startswith("/api/") else "page"],
             path + ("?" + urlencode(q) if q else "")) for label, who, path, q in CASES]
    rows, samples = {}, {label: [] for label, *_ in CASES}
    for label, (client, headers), url in urls:  # one untimed request: check it works, warm caches
        response, raw = client.request("GET", url, headers=headers)
        if response.status != 200:
            raise BenchFailure(f"{label}: GET {url} -> {response.status}")
        rows[label] = {"url": url, "bytes": len(raw), "items": _count_rows(raw, url)}
    loads = []
    for _ in range(runs):
        for label, (client, headers), url in urls:
            started = time.perf_counter()
            response, _raw = client.request("GET", url, headers=headers)
            samples[label].append(time.perf_counter() - started)
            if response.status != 200:
                raise BenchFailure(f"{label}: GET {url} -> {response.status}")
        loads.append(load_average())
    for label in rows:
        rows[label].update(distribution(samples[label]))
    return rows, {"min": min(loads), "max": max(loads)}


def _count_rows(raw, url):
    if url.startswith("/api/"):
        data = json.loads(raw)
        return {"on_page": len(data.get("results", [])), "total": data.get("count")}
    return {"on_page": raw.count(b"<tr") - 1}


# --- EXPLAIN ----------------------------------------------------------------------------------------------

def explain(path):
    """Each case in-process, its queries captured, and EXPLAIN ANALYZE of the two slowest."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    out = []
    users = get_user_model().objects
    for label, who, url, q in CASES:
        client = DjangoClient()
        client.post("/login/", {"username": who, "password": PASSWORD})  # force_login upsets django-axes
        if url.startswith("/api/"):
            from rest_framework.authtoken.models import Token

            key = Token.objects.get_or_create(user=users.get(username=who))[0].key
            client = DjangoClient(headers={"Authorization": f"Token {key}"})
        client.get(url, q)
        with CaptureQueriesContext(connection) as queries:
            client.get(url, q)
        slow = sorted(queries.captured_queries, key=lambda x: -float(x["time"]))[:2]
        out.append(f"=== {label}: {url}?{urlencode(q)}  ({len(queries)} queries)")
        for query in slow:
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n".join(r[0] for r in cur.fetchall())
            out.append(f"--- {query['time']} s\n{query['sql']}\n{plan}\n")
    path.write_text("\n".join(out), encoding="utf-8")


# --- report -----------------------------------------------------------------------------------------------

def report(results):
    print(f"\nqueue with {results['data']['dossiers']:,} dossiers and {results['data']['work_items']:,} work items"
          f" (load average {results['load_average']['min']}-{results['load_average']['max']} during the runs)")
    print_table(["case", "rows", "p50 ms", "p95 ms", "p99 ms", "max ms", "p95/30"], [
        (label, r["items"]["on_page"], r["p50_ms"], r["p95_ms"], r["p99_ms"], r["max_ms"],
         f"{r['p95_ms'] / TARGET_P95_MS:.2f}") for label, r in results["cases"].items()])


def run(args):
    results = {}
    if args.reuse and database_exists(BENCH_DB):
        conn = connect(BENCH_DB)
        with conn.cursor() as cur:
            cur.execute("SELECT (SELECT count(*) FROM dossiers_dossier), (SELECT count(*) FROM worklist_workitem), "
                        "pg_database_size(current_database())")
            d, w, size = cur.fetchone()
        conn.close()
        results["data"] = {"dossiers": d, "work_items": w, "database_mb": round(size / 2**20), "reused": True}
    else:
        print(f"loading {args.dossiers:,} dossiers and {args.dossiers * ITEMS_PER_DOSSIER:,} work items into "
              f"{BENCH_DB}...", flush=True)
        results["data"] = load(args.dossiers)
    env = project_env(BENCH_DB)
    manage(env, "migrate", "--noinput")  # a reused database gets the indexes added since it was loaded
    conn = connect(BENCH_DB)
    with conn.cursor() as cur:
        cur.execute("ANALYZE")  # statistics of new expression indexes too
    conn.close()
    with Server(env, workers=2, log=RESULTS_DIR / "queue-gunicorn.log") as server:
        print(f"timing {len(CASES)} cases x {args.runs} rounds on gunicorn 127.0.0.1:{server.port}...", flush=True)
        results["cases"], results["load_average"] = time_cases(server.port, args.runs)
    if args.explain:
        from common import setup_django

        setup_django(env)
        explain(RESULTS_DIR / "queue_explain.txt")
        print(f"plans in {RESULTS_DIR / 'queue_explain.txt'}")
    worst = max((r["p95_ms"], label) for label, r in results["cases"].items() if label.startswith("page: queue")
                or label.startswith("api: queue"))
    results["headline"] = {"queue_p95_ms": worst[0], "case": worst[1], "target_p95_ms": TARGET_P95_MS,
                           "met": worst[0] <= TARGET_P95_MS}
    results["setup"] = setup_info(runs=args.runs, quick=args.quick)
    return results


def main(argv=None):
    args = parse_args(argv)
    try:
        results = run(args)
    except BenchFailure as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            drop_database(BENCH_DB)
    write_json("queue_page.json", results)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
