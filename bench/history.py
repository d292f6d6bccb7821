"""A dossier's history: storage per completed dossier, growth of the workflow state with the steps taken,
and the dossier pages of a dossier with a 50-step history.

Procedure ``B.LOOP`` (below) is one processing step that the specialist either repeats ("again") or ends
("done"), so a dossier takes as many steps as the bench wants. Everything runs through the services
(``submit``, ``complete_work_item``), in this process, on PostgreSQL (database ``onestop_bench_history``):

1. **Storage.** Two batches of M dossiers (default 150) go through 5 steps: reception, three processing
   steps, return of the result; the second batch is measured (the first one's freed space is reused, as in
   a running system). Per dossier: the bytes of its rows (``pg_column_size`` of the dossier, process
   instance, work items, audit events, hand-overs, exchanges; notifications apart) and the growth of the
   tables on disk (heap, TOAST and indexes, after VACUUM) divided by M. No attachments.
2. **Growth.** One dossier is taken through 200 processing steps; at 5, 50 and 200 steps: the size of
   its stored workflow state, the median time of a completion (``complete_work_item``: lock, load the
   workflow, run, store, work items, audit) and of a bare load + store of the state. The exponent k of
   size ~ steps^k between 50 and 200 steps says linear (k <= 1) or quadratic (k = 2).
3. **Pages.** A dossier with a 50-step history: its citizen page, the official's work item page and
   ``GET /api/v1/dossiers/{code}/`` through gunicorn, p50/p95; and their SQL query counts, which must
   not grow with the history (compared with a 5-step dossier).

    python bench/history.py [--dossiers 200] [--runs 40] [--quick] [--keep]
"""
import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    RESULTS_DIR,
    BenchFailure,
    Server,
    connect,
    distribution,
    drop_database,
    load_average,
    manage,
    print_table,
    project_env,
    recreate_database,
    setup_django,
    setup_info,
    write_json,
)
from queue_page import Client  # noqa: E402

BENCH_DB = "onestop_bench_history"
PROCEDURE, AGENCY = "B.LOOP", "q1-bennghe"
STORAGE_LIMIT = 8 * 1024
GROWTH_POINTS = (5, 50, 200)
LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="http://onestop.bench">
  <bpmn:process id="loop" name="Thẩm định nhiều vòng (benchmark)" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Phường [ward]">
      <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>review</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>more</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"/>
    <bpmn:userTask id="review" name="Thẩm định" camunda:candidateGroups="specialist">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="decision" label="Kết luận" type="enum">
          <camunda:value id="again" name="Thẩm định tiếp"/>
          <camunda:value id="done" name="Hoàn thành"/>
        </camunda:formField>
      </camunda:formData></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="more"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="more"/>
    <bpmn:sequenceFlow id="f3" sourceRef="more" targetRef="review">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "again"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="more" targetRef="end">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">decision == "done"</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>""".encode()
FORM_SCHEMA = {"type": "object", "properties": {"note": {"type": "string"}}}
# The tables a dossier writes to (attachments excluded: their bytes are files, counted elsewhere).
ROWS_BY_DOSSIER = {
    "dossiers_dossier": "id", "worklist_workitem": "dossier_id", "dossiers_dossierevent": "dossier_id",
    "dossiers_handover": "dossier_id", "interop_exchange": "dossier_id",
    "notifications_notification": "dossier_id",
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=150, help="5-step dossiers per storage batch (two batches)")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="40 dossiers, 10 runs: a smoke run")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.dossiers, args.runs = min(args.dossiers, 30), min(args.runs, 10)
    return args


# --- driving dossiers -------------------------------------------------------------------------------------

def actors():
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return {name: users.get(username=name) for name in
            ("citizen1", "bennghe.receiver", "bennghe.specialist")}


def new_dossier(people):
    """A dossier submitted and accepted at the desk: its first processing step is open."""
    from onestop.dossiers import lifecycle as services
    from onestop.worklist.models import WorkItem

    dossier = services.submit(people["citizen1"], procedure_code=PROCEDURE, agency_code=AGENCY,
                              form_data={"note": "benchmark"})
    reception = WorkItem.objects.get(dossier=dossier, kind=WorkItem.Kind.RECEPTION)
    services.complete_work_item(reception, people["bennghe.receiver"], decision="accept")
    dossier.refresh_from_db()
    return dossier


def step(dossier, people, decision):
    """Complete the open processing step; returns the seconds the service took."""
    from onestop.dossiers import lifecycle as services
    from onestop.worklist.models import WorkItem

    item = WorkItem.objects.get(dossier=dossier, kind=WorkItem.Kind.TASK, state__in=WorkItem.ACTIVE_STATES)
    started = time.perf_counter()
    services.complete_work_item(item, people["bennghe.specialist"], decision=decision)
    return time.perf_counter() - started


def hand_back(dossier, people):
    from onestop.dossiers import lifecycle as services
    from onestop.worklist.models import WorkItem

    item = WorkItem.objects.get(dossier=dossier, kind=WorkItem.Kind.RETURN, state__in=WorkItem.ACTIVE_STATES)
    services.complete_work_item(item, people["bennghe.receiver"], decision="returned")


def five_step_dossier(people):
    dossier = new_dossier(people)
    for decision in ("again", "again", "done"):
        step(dossier, people, decision)
    hand_back(dossier, people)
    return dossier


# --- 1. storage -------------------------------------------------------------------------------------------

def table_sizes(cur):
    cur.execute("SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace")
    return dict(cur.fetchall())


def row_bytes(cur, ids):
    """Bytes of the rows of these dossiers, table by table (pg_column_size of the whole row)."""
    out = {}
    for table, column in ROWS_BY_DOSSIER.items():
        cur.execute(f"SELECT coalesce(sum(pg_column_size(t.*)), 0), count(*) FROM {table} t "  # noqa: S608
                    f"WHERE {column} = ANY(%s)", [ids])
        out[table] = cur.fetchone()
    cur.execute("SELECT coalesce(sum(pg_column_size(p.*)), 0), count(*) FROM engine_processinstance p "
                "WHERE id IN (SELECT process_id FROM dossiers_dossier WHERE id = ANY(%s))", [ids])
    out["engine_processinstance"] = cur.fetchone()
    return out


SCOPE = ("dossiers_dossier", "engine_processinstance", "worklist_workitem", "dossiers_dossierevent",
         "dossiers_handover", "interop_exchange")  # the storage target: workflow state, work items, events


def storage(people, count):
    """Two batches of ``count`` dossiers; the second is measured, so the space the first one's updates
    freed (VACUUM) is reused as it would be in a running system: the steady state, not a cold start."""
    from onestop.dossiers.models import Dossier

    conn = connect(BENCH_DB)
    cur = conn.cursor()
    for _ in range(count):
        five_step_dossier(people)
    cur.execute("VACUUM")
    before = table_sizes(cur)
    ids = [five_step_dossier(people).pk for _ in range(count)]
    statuses = set(Dossier.objects.filter(pk__in=ids).values_list("status", flat=True))
    if statuses != {"returned"}:
        raise BenchFailure(f"5-step dossiers ended as {statuses}, not returned")
    cur.execute("VACUUM")
    after = table_sizes(cur)
    rows = row_bytes(cur, ids)
    conn.close()
    disk = {t: (after[t] - before.get(t, 0)) / count for t in after if after[t] != before.get(t, 0)}
    return {
        "dossiers": count,
        "row_bytes_per_dossier": round(sum(b for t, (b, _n) in rows.items() if t in SCOPE) / count),
        "row_bytes_with_notifications": round(sum(b for b, _n in rows.values()) / count),
        "rows_by_table": {t: {"bytes_per_dossier": round(b / count), "rows_per_dossier": round(n / count, 2)}
                          for t, (b, n) in rows.items()},
        "disk_bytes_per_dossier": round(sum(v for t, v in disk.items() if t in SCOPE)),
        "disk_bytes_all_tables": round(sum(disk.values())),
        "disk_by_table": {t: round(v) for t, v in sorted(disk.items(), key=lambda kv: -kv[1])},
    }


# --- 2. growth --------------------------------------------------------------------------------------------

def load_store_seconds(instance, repeat=5):
    """A bare restore + serialize of the stored state (what every advance pays on top of the step)."""
    from onestop.engine import runtime

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        workflow = runtime._load(instance)
        runtime._state_json(runtime._serializers[runtime.parsed_version(instance.version).dialect], workflow)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def growth(people):
    from onestop.engine.models import ProcessInstance

    dossier = new_dossier(people)
    points, times = [], []
    for n in range(1, max(GROWTH_POINTS) + 1):
        times.append(step(dossier, people, "again"))
        if n in GROWTH_POINTS:
            instance = ProcessInstance.objects.get(pk=dossier.process_id)
            window = times[-5:]
            points.append({"steps": n, "state_bytes": len(instance.state.encode()),
                           "complete_ms": round(statistics.median(window) * 1000, 2),
                           "load_store_ms": round(load_store_seconds(instance) * 1000, 2)})
    first, last = points[1], points[-1]  # 50 and 200 steps

    def exponent(key):
        return round(math.log(last[key] / first[key]) / math.log(last["steps"] / first["steps"]), 2)

    return {"points": points, "dossier": dossier.code,
            "exponent_state": exponent("state_bytes"), "exponent_complete": exponent("complete_ms"),
            "exponent_load_store": exponent("load_store_ms"),
            "bytes_per_step": round((last["state_bytes"] - first["state_bytes"]) / (last["steps"] - first["steps"]))}


# --- 3. pages ---------------------------------------------------------------------------------------------

def history_dossier(people, steps):
    dossier = new_dossier(people)
    for _ in range(steps - 1):
        step(dossier, people, "again")
    return dossier


def query_counts(cases):
    from common import PASSWORD
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for label, who, url in cases:
        client = DjangoClient()
        client.post("/login/", {"username": who, "password": PASSWORD})
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        if response.status_code != 200:
            raise BenchFailure(f"{label}: {url} -> {response.status_code}")
        counts[label] = len(queries)
    return counts


def page_cases(dossier):
    from onestop.worklist.models import WorkItem

    item = WorkItem.objects.get(dossier=dossier, kind=WorkItem.Kind.TASK, state__in=WorkItem.ACTIVE_STATES)
    return [("citizen: dossier page", "citizen1", f"/my/dossiers/{dossier.code}/"),
            ("official: work item page", "bennghe.specialist", f"/work/items/{item.pk}/"),
            ("api: dossier detail", "bennghe.specialist", f"/api/v1/dossiers/{dossier.code}/")]


def time_pages(env, cases, runs):
    with Server(env, workers=2, log=RESULTS_DIR / "history-gunicorn.log") as server:
        headers = {}
        for _label, who, url in cases:
            kind = "api" if url.startswith("/api/") else "page"
            if (who, kind) not in headers:
                client = Client(server.port, who)
                headers[who, kind] = (client, client.api_login() if kind == "api" else client.page_login())
        samples = {label: [] for label, *_ in cases}
        for round_ in range(runs + 1):
            for label, who, url in cases:
                client, h = headers[who, "api" if url.startswith("/api/") else "page"]
                started = time.perf_counter()
                response, _raw = client.request("GET", url, headers=h)
                if response.status != 200:
                    raise BenchFailure(f"{label}: GET {url} -> {response.status}")
                if round_:  # the first round warms up
                    samples[label].append(time.perf_counter() - started)
    return {label: distribution(values) for label, values in samples.items()}


# --- run --------------------------------------------------------------------------------------------------

def run(args):
    recreate_database(BENCH_DB)
    env = project_env(BENCH_DB)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    setup_django(env)
    from procedures import services as procedure_services
    from procedures.models import Procedure

    procedure_services.import_bpmn(LOOP, PROCEDURE, publish=True, defaults={"form_schema": FORM_SCHEMA})
    Procedure.objects.filter(code=PROCEDURE).update(form_schema=FORM_SCHEMA)  # a second run keeps the entry
    people = actors()
    results = {"load_average_start": load_average()}
    print(f"storage: {args.dossiers} dossiers of 5 steps...", flush=True)
    results["storage"] = storage(people, args.dossiers)
    print(f"growth: one dossier through {max(GROWTH_POINTS)} steps...", flush=True)
    results["growth"] = growth(people)
    print("pages: dossiers with 5 and 50 steps...", flush=True)
    short, long = history_dossier(people, 5), history_dossier(people, 50)
    counts_short, counts_long = query_counts(page_cases(short)), query_counts(page_cases(long))
    timings = time_pages(env, page_cases(long), args.runs)
    results["pages"] = {label: {**timings[label], "queries_5_steps": counts_short[label],
                                "queries_50_steps": counts_long[label]} for label in timings}
    results["pages_dossier"] = long.code
    results["load_average_end"] = load_average()
    results["setup"] = setup_info(dossiers=args.dossiers, runs=args.runs, quick=args.quick)
    return results


def report(r):
    s = r["storage"]
    print(f"\nstorage per completed 5-step dossier ({s['dossiers']} dossiers, no attachments; state, work items,"
          f" events): {s['row_bytes_per_dossier']:,} bytes of rows, {s['disk_bytes_per_dossier']:,} bytes on disk"
          f" with indexes (limit {STORAGE_LIMIT:,}); with the notifications and every table:"
          f" {s['row_bytes_with_notifications']:,} and {s['disk_bytes_all_tables']:,}")
    print_table(["table", "rows/dossier", "row bytes/dossier", "disk bytes/dossier"], [
        (t, v["rows_per_dossier"], v["bytes_per_dossier"], s["disk_by_table"].get(t, 0))
        for t, v in s["rows_by_table"].items()])
    g = r["growth"]
    print(f"\ngrowth with the steps taken (exponent k of x ~ steps^k from 50 to 200 steps: 1 linear, 2 quadratic;"
          f" {g['bytes_per_step']} bytes of state per step)")
    print_table(["steps", "state bytes", "complete ms", "load+store ms"],
                [(p["steps"], p["state_bytes"], p["complete_ms"], p["load_store_ms"]) for p in g["points"]]
                + [("k", g["exponent_state"], g["exponent_complete"], g["exponent_load_store"])])
    print(f"\npages of a dossier with a 50-step history ({r['pages_dossier']})")
    print_table(["page", "p50 ms", "p95 ms", "max ms", "queries (5 steps)", "queries (50 steps)"], [
        (label, v["p50_ms"], v["p95_ms"], v["max_ms"], v["queries_5_steps"], v["queries_50_steps"])
        for label, v in r["pages"].items()])


def main(argv=None):
    args = parse_args(argv)
    try:
        results = run(args)
    except BenchFailure as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            drop_database(BENCH_DB)
    write_json("history.json", results)
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
