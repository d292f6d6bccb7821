"""The performance suite in one command: every figure against its target, with pgbench TPC-B
of the same run as the yardstick of every throughput.

Runs, one after the other (each in its own process and databases, dropped afterwards):

1. ``versus_viewflow.py``: ``api_throughput.py`` (submissions and work-item completions per second through
   gunicorn, p95, and pgbench TPC-B on the same PostgreSQL server), then the same shape of work on a minimal
   django-viewflow 2.4 project, with the ratios of the two;
2. ``queue_page.py``: the official's queue (API and page) with 1,000,000 dossiers and 5,000,000 work items;
3. ``history.py``: storage per completed 5-step dossier, growth of the workflow state and of the advance
   time at 5, 50 and 200 steps, the pages of a dossier with a 50-step history;

then prints one table (target / measured / ratio / met, with the load average of the moment) and writes
``bench/results/suite.json``. Exit status 1 if a benchmark failed (not when a target is missed: the table
says that).

    python bench/suite.py            # the full run: about 15 minutes on 2 cores, most of it loading 1M dossiers
    python bench/suite.py --quick    # every part on small data: about 4 minutes, checks that all works
"""
import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS_DIR, ROOT, load_average, print_table, setup_info, write_json  # noqa: E402

PARTS = {  # name: (script, its JSON, arguments of a quick run)
    "api": ("versus_viewflow.py", "api_throughput.json", ["--quick"]),
    "queue": ("queue_page.py", "queue_page.json", ["--quick"]),
    "history": ("history.py", "history.json", ["--quick"]),
}
PAGE_LIMIT_MS = 150  # every page under 150 ms of server time
LINEAR = 1.2  # the exponent k of x ~ steps^k above which growth is not linear any more (quadratic: 2)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data everywhere: a smoke run")
    parser.add_argument("--only", choices=sorted(PARTS), action="append", help="run only these parts")
    parser.add_argument("--report", action="store_true", help="no run: the table from the JSON files there")
    parser.add_argument("--reuse", action="store_true",
                        help="queue: keep the 1M-dossier database between runs (loaded once, then reused)")
    return parser.parse_args(argv)


def run_part(name, quick, extra=()):
    script, _json, quick_args = PARTS[name]
    print(f"\n===== {script} {'(quick)' if quick else ''}", flush=True)
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(ROOT / "bench" / script), *(quick_args if quick else []), *extra],
                          cwd=ROOT)
    return {"exit_status": done.returncode, "seconds": round(time.monotonic() - started, 1)}


def read(name):
    path = RESULTS_DIR / PARTS[name][1]
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def row(target, op, limit, measured, unit="", load=None):
    """(target, measured, ratio, met, load): ratio = measured / limit; met according to op."""
    if measured is None:
        return [target, f"{op} {limit:g}{unit}", "not measured", "", "no", load]
    met = measured >= limit if op == ">=" else measured <= limit
    return [target, f"{op} {limit:g}{unit}", f"{measured:g}{unit}", f"{measured / limit:.2f}" if limit else "",
            "yes" if met else "NO", load]


def versus_rows(versus):
    """onestop over viewflow, from ``versus_viewflow.json`` (same run as ``api_throughput.json``)."""
    if not versus:
        return []
    from versus_viewflow import TARGET_STARTS_RATIO, TARGET_STEPS_RATIO

    ratios = versus["ratios"]  # the median of the rounds' ratios
    load = versus["setup"].get("load_average")
    return [
        row("steps/s over viewflow's tasks/s", ">=", TARGET_STEPS_RATIO, ratios["steps"], "", load),
        row("submissions/s over viewflow's starts/s", ">=", TARGET_STARTS_RATIO, ratios["starts"], "", load),
    ]


def targets(api, queue, history):
    rows = []
    if api:
        tps = api["pgbench"]["tps"]
        a, b, lat = api["phase_a"], api["phase_b"], api["latency"]
        # The load average is not kept by api_throughput.py; its CPU split says how much other work took.
        load_a = f"others: {a['cpu']['other']:.0%} CPU" if a.get("cpu") else None
        load_b = f"others: {b['cpu']['other']:.0%} CPU" if b.get("cpu") else None
        rows += [
            row("submissions per second", ">=", 250, a["per_second"], "/s", load_a),
            row("  as a ratio of pgbench TPC-B tps", ">=", 0.08, round(a["per_second"] / tps, 4), "", load_a),
            row("  submission p95", "<=", 50, lat["submit"]["p95_ms"], " ms", load_a),
            row("completions per second", ">=", 400, b["per_second"], "/s", load_b),
            row("  as a ratio of pgbench TPC-B tps", ">=", 0.12, round(b["per_second"] / tps, 4), "", load_b),
            row("  completion p95", "<=", 50, lat["complete (all)"]["p95_ms"], " ms", load_b),
            ["pgbench TPC-B (the yardstick)", "", f"{tps:g} tps", "", "", api["pgbench"].get("load_average")],
        ]
    if queue:
        load = f"{queue['load_average']['min']}-{queue['load_average']['max']}"
        size = f"{queue['data']['dossiers']:,} dossiers"
        for label in ("api: queue (active)", "page: queue (to claim)"):
            rows.append(row(f"queue {label.split(':')[0]} p95, {size}", "<=", 30, queue["cases"][label]["p95_ms"],
                            " ms", load))
        worst = max(queue["cases"].items(), key=lambda kv: kv[1]["p95_ms"])
        rows.append(row(f"  slowest filter or sort: {worst[0]}", "<=", 30, worst[1]["p95_ms"], " ms", load))
    if history:
        s, g, pages = history["storage"], history["growth"], history["pages"]
        load = history.get("load_average_end")
        rows += [
            row("storage per completed 5-step dossier: rows", "<=", 8192, s["row_bytes_per_dossier"], " B", load),
            row("  on disk, with indexes and page overhead", "<=", 8192, s["disk_bytes_per_dossier"], " B", load),
            row("state size growth, exponent k (50->200 steps)", "<=", LINEAR, g["exponent_state"], "", load),
            row("advance time growth, exponent k (50->200 steps)", "<=", LINEAR, g["exponent_complete"], "", load),
        ]
        for label, v in pages.items():
            rows.append(row(f"50-step dossier: {label} p95", "<=", PAGE_LIMIT_MS, v["p95_ms"], " ms", load))
        grows = [label for label, v in pages.items() if v["queries_50_steps"] != v["queries_5_steps"]]
        rows.append(["no N+1: queries of 5-step = 50-step pages", "equal",
                     "equal" if not grows else "grow: " + ", ".join(grows), "", "yes" if not grows else "NO", load])
    return rows


def main(argv=None):
    args = parse_args(argv)
    names = args.only or list(PARTS)
    runs = {}
    if not args.report:
        for name in names:
            extra = ["--reuse", "--keep"] if args.reuse and name == "queue" else []
            runs[name] = run_part(name, args.quick, extra)
    results = {name: read(name) for name in PARTS}
    table = targets(results["api"], results["queue"], results["history"])
    versus = RESULTS_DIR / "versus_viewflow.json"
    table[:0] = versus_rows(json.loads(versus.read_text(encoding="utf-8")) if versus.exists() else None)
    print("\n===== targets (2-core machine; web, database and load generator on it together)")
    print_table(["target", "limit", "measured", "ratio", "met", "load avg"], table)
    print("Figures measured under load (load average above about 1) understate the machine.")
    write_json("suite.json", {"runs": runs, "table": [dict(zip(["target", "limit", "measured", "ratio", "met",
                                                                  "load_average"], r, strict=True)) for r in table],
                              "setup": setup_info(quick=args.quick, load_average_end=load_average())})
    return 1 if any(r["exit_status"] for r in runs.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
