"""Where a submission and a completion spend their time: pyinstrument over the whole request, in-process.

On its own database (``onestop_bench_profile``, with the peer stand-ins for the birth registration's
population lookup), N birth registrations are submitted through ``POST /api/v1/dossiers/`` and their steps
completed through ``POST /api/v1/work-items/{id}/complete/``, which claims an open step as it completes it
(``--two-requests``: ``.../claim/`` first) (Django's test
client: middleware, DRF, services, SQL; no network, no WSGI server; Celery eager, so the exchanges and
messages a step sends run inside its request, counted apart as background work). For each kind of request:
its SQL statements and commits (``onestop.ops.db_work``), the wall time per request, and pyinstrument's call
tree, written to ``bench/results/profile-<kind>.txt`` and ``.html`` (each function's own time in
``.flat.txt``), and the SQL of one request in ``.sql``;
then the statements and commits per submission and per completion (claim + complete, in one request or two)
against the limits: at most 3 commits and 12 statements per completion, at most 2 commits per submission.

    python bench/profile.py [--dossiers 40] [--two-requests]
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BIRTH_FORM,
    RESULTS_DIR,
    PeerStandIns,
    data_for,
    drop_database,
    load_average,
    manage,
    print_table,
    project_env,
    recreate_database,
    setup_django,
    write_json,
)

BENCH_DB = "onestop_bench_profile"
LIMITS = {"completion_commits": 3, "completion_statements": 12, "submission_commits": 2}
STEPS = [("accept", "bennghe.receiver", "reception"), ("approve", "bennghe.specialist", "task"),
         ("sign", "bennghe.leader", "task"), ("returned", "bennghe.receiver", "return")]


def client_for(username):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))[0]
    return Client(headers={"Authorization": f"Token {token.key}", "Accept-Language": "vi"})


def run(args):
    from pyinstrument import Profiler
    from pyinstrument.renderers import ConsoleRenderer

    from onestop.ops.db_work import DbWork, Work
    from onestop.worklist.models import WorkItem

    citizen = client_for("citizen1")
    officials = {who: client_for(who) for _d, who, _k in STEPS}
    results, codes = {}, []

    def measure(kind, calls):
        profiler, times, cpu, last = Profiler(interval=0.0005), [], [], None
        request, background = Work(), Work()
        profiler.start()
        for call in calls:
            with DbWork() as work:
                started, cpu_started = time.perf_counter(), time.process_time()
                call()
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            request += work.request
            background += work.background
            last = work
        profiler.stop()
        n = len(times)
        results[kind] = {"requests": n, "ms_median": round(statistics.median(times) * 1000, 2),
                         "ms_mean": round(statistics.mean(times) * 1000, 2),
                         # CPU of this process (Django, the services, eager tasks; not PostgreSQL's): steadier
                         # than the wall time on a machine shared with other work.
                         "cpu_ms_median": round(statistics.median(cpu) * 1000, 2),
                         "statements": round(request.statements / n, 2), "commits": round(request.commits / n, 2),
                         "background_statements": round(background.statements / n, 2),
                         "background_commits": round(background.commits / n, 2),
                         "load_average": load_average()}
        (RESULTS_DIR / f"profile-{kind}.txt").write_text(profiler.output_text(unicode=True, show_all=False),
                                                         encoding="utf-8")
        (RESULTS_DIR / f"profile-{kind}.html").write_text(profiler.output_html(), encoding="utf-8")
        # Each function's own time, highest first: where the CPU goes, whoever calls it.
        (RESULTS_DIR / f"profile-{kind}.flat.txt").write_text(
            profiler.output(ConsoleRenderer(flat=True, show_all=True, unicode=True)), encoding="utf-8")
        # The statements of the last request, in order (T: inside a transaction block), then its background's.
        (RESULTS_DIR / f"profile-{kind}.sql").write_text(
            "\n".join(last.request.sql + ["-- background (Celery tasks, eager)"] + last.background.sql) + "\n",
            encoding="utf-8")

    def submit():
        response = citizen.post("/api/v1/dossiers/", json.dumps(
            {"procedure": "1.001193", "agency": "q1-bennghe", "form_data": BIRTH_FORM}),
            content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        codes.append(response.json()["code"])

    for _ in range(3):  # warm-up: caches, the parsed spec, first pages
        submit()
    codes.clear()
    measure("submit", [submit] * args.dossiers)
    for decision, who, kind in STEPS:
        ids = [WorkItem.objects.get(dossier__code=code, kind=kind, state__in=WorkItem.ACTIVE_STATES).pk
               for code in codes]

        def claim(pk, who=who):
            response = officials[who].post(f"/api/v1/work-items/{pk}/claim/")
            assert response.status_code == 200, response.content[:300]

        if args.two_requests:
            measure(f"claim-{decision}", [lambda pk=pk: claim(pk) for pk in ids])

        def complete(pk, decision=decision, who=who):
            response = officials[who].post(f"/api/v1/work-items/{pk}/complete/", json.dumps(
                {"decision": decision, "data": data_for(decision), "comment": ""}), content_type="application/json")
            assert response.status_code == 200, response.content[:300]

        measure(f"complete-{decision}", [lambda pk=pk: complete(pk) for pk in ids])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=40)
    parser.add_argument("--two-requests", action="store_true",
                        help="claim each step in a request of its own before completing it")
    args = parser.parse_args(argv)
    recreate_database(BENCH_DB)
    try:
        with PeerStandIns(log=RESULTS_DIR / "profile-peers.log") as peers:
            env = project_env(BENCH_DB, peers.url)
            manage(env, "migrate", "--noinput")
            manage(env, "seed_demo")
            setup_django(env)
            results = run(args)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(BENCH_DB)
    results["per_completion"] = per_completion(results)
    write_json("profile.json", results)
    print_report(results)
    print(f"call trees: {RESULTS_DIR}/profile-*.txt and .html; the SQL of one request: profile-*.sql")


def per_completion(results):
    """A completion is the complete request (which claims an open step), or with ``--two-requests`` claim +
    complete: their statements and commits added, per decision and on average over the four steps of a dossier."""
    rows = {}
    for decision, _who, _kind in STEPS:
        parts = [results[kind] for kind in (f"claim-{decision}", f"complete-{decision}") if kind in results]
        rows[decision] = {key: round(sum(part[key] for part in parts), 2) for key in
                          ("statements", "commits", "background_statements", "background_commits", "cpu_ms_median")}
    rows["mean"] = {key: round(statistics.mean(r[key] for r in rows.values()), 2)
                    for key in ("statements", "commits", "background_statements", "background_commits",
                                "cpu_ms_median")}
    return rows


def print_report(results):
    print_table(["request", "median ms", "cpu ms", "statements", "commits", "background statements",
                 "background commits", "load"],
                [[kind, r["ms_median"], r["cpu_ms_median"], r["statements"], r["commits"], r["background_statements"],
                  r["background_commits"], r["load_average"]]
                 for kind, r in results.items() if kind != "per_completion"])
    print("\nAgainst the limits (the request's own work; background = Celery tasks, run eagerly here, that a worker"
          " runs elsewhere):")
    submit = results["submit"]
    rows = [["submission", f"<= {LIMITS['submission_commits']}", submit["commits"],
             "met" if submit["commits"] <= LIMITS["submission_commits"] else "NOT MET", "", submit["statements"], "",
             f"{submit['background_commits']} / {submit['background_statements']}", submit["cpu_ms_median"]]]
    for decision, r in results["per_completion"].items():
        label = "completion, mean of 4 steps" if decision == "mean" else f"completion: claim + {decision}"
        rows.append([label, f"<= {LIMITS['completion_commits']}", r["commits"],
                     "met" if r["commits"] <= LIMITS["completion_commits"] else "NOT MET",
                     f"<= {LIMITS['completion_statements']}", r["statements"],
                     "met" if r["statements"] <= LIMITS["completion_statements"] else "NOT MET",
                     f"{r['background_commits']} / {r['background_statements']}", r["cpu_ms_median"]])
    print_table(["per", "commits limit", "commits", "", "statements limit", "statements", "",
                 "background commits / statements", "cpu ms (eager tasks included)"], rows)


if __name__ == "__main__":
    sys.exit(main())
