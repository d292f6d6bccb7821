"""Where a submission and a completion spend their time: pyinstrument over the whole request, in-process.

On its own database (``onestop_bench_profile``, with the peer stand-ins for the birth registration's
population lookup), N birth registrations are submitted through ``POST /api/v1/dossiers/`` and their steps
claimed and completed through ``POST /api/v1/work-items/{id}/claim/`` and ``.../complete/`` (Django's test
client: middleware, DRF, services, SQL; no network, no WSGI server; Celery eager, so the exchanges a step
reaches run inside its request). For each kind of request: the SQL queries and transactions it makes, the
wall time per request, and pyinstrument's call tree, written to ``bench/results/profile-<kind>.txt`` and
``.html``, and the SQL of one request in ``.sql``.

    python bench/profile.py [--dossiers 40]
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
    drop_database,
    load_average,
    manage,
    project_env,
    recreate_database,
    setup_django,
    write_json,
)

BENCH_DB = "onestop_bench_profile"
STEPS = [("accept", "bennghe.receiver", "reception"), ("approve", "bennghe.specialist", "task"),
         ("sign", "bennghe.leader", "task"), ("returned", "bennghe.receiver", "return")]


def client_for(username):
    from django.contrib.auth import get_user_model
    from django.test import Client
    from rest_framework.authtoken.models import Token

    token = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))[0]
    return Client(headers={"Authorization": f"Token {token.key}", "Accept-Language": "vi"})


class Counter:
    """SQL statements and transactions of the requests run inside it: a statement outside ``atomic`` is a
    transaction of its own; a run of statements inside ``atomic`` is one (two blocks back to back with no
    statement between them count as one: rare)."""

    def __init__(self):
        self.queries = self.transactions = 0
        self.in_atomic = False
        self.statements = []  # of the last request: "[T] sql" (T: inside atomic)

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        atomic = context["connection"].in_atomic_block
        if not atomic or not self.in_atomic:
            self.transactions += 1
        self.in_atomic = atomic
        self.statements.append(f"{'T' if atomic else ' '} {sql[:300]}")
        return execute(sql, params, many, context)


def run(args):
    from django.db import connection
    from pyinstrument import Profiler

    from onestop.worklist.models import WorkItem

    citizen = client_for("citizen1")
    officials = {who: client_for(who) for _d, who, _k in STEPS}
    results, codes = {}, []

    def measure(kind, calls):
        counter = Counter()
        profiler, times = Profiler(interval=0.0005), []
        with connection.execute_wrapper(counter):
            profiler.start()
            for call in calls:
                counter.statements = []
                started = time.perf_counter()
                call()
                times.append(time.perf_counter() - started)
            profiler.stop()
        n = len(times)
        results[kind] = {"requests": n, "ms_median": round(statistics.median(times) * 1000, 2),
                         "ms_mean": round(statistics.mean(times) * 1000, 2),
                         "queries_per_request": round(counter.queries / n, 1),
                         "transactions_per_request": round(counter.transactions / n, 1),
                         "load_average": load_average()}
        (RESULTS_DIR / f"profile-{kind}.txt").write_text(profiler.output_text(unicode=True, show_all=False),
                                                         encoding="utf-8")
        (RESULTS_DIR / f"profile-{kind}.html").write_text(profiler.output_html(), encoding="utf-8")
        # The statements of the last request, in order (T: inside the service's transaction).
        (RESULTS_DIR / f"profile-{kind}.sql").write_text("\n".join(counter.statements) + "\n", encoding="utf-8")

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

        measure(f"claim-{decision}", [lambda pk=pk: claim(pk) for pk in ids])

        def complete(pk, decision=decision, who=who):
            response = officials[who].post(f"/api/v1/work-items/{pk}/complete/", json.dumps(
                {"decision": decision, "data": {}, "comment": ""}), content_type="application/json")
            assert response.status_code == 200, response.content[:300]

        measure(f"complete-{decision}", [lambda pk=pk: complete(pk) for pk in ids])
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=40)
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
    write_json("profile.json", results)
    for kind, r in results.items():
        print(f"{kind:18} {r['ms_median']:7.1f} ms median  {r['queries_per_request']:5.1f} queries  "
              f"{r['transactions_per_request']:4.1f} transactions per request  (load {r['load_average']})")
    print(f"call trees: {RESULTS_DIR}/profile-*.txt and .html")


if __name__ == "__main__":
    sys.exit(main())
