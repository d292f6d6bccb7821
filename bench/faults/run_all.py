"""Run every fault script, one after the other, and print their figures side by side.

    python bench/faults/run_all.py [--short] [--only worker_kill,broker]

The first script migrates and seeds a private PostgreSQL cluster; the others start from a copy of it
(``FAULTS_TEMPLATE``), which saves half a minute each. Exit status 1 if any fault lost, doubled or left
something inconsistent, 2 if one could not run. Each script writes bench/results/faults-<name>.json.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAULTS = ["worker_kill", "broker", "postgres", "peer", "beat"]
COLUMNS = [("sent", "sent"), ("accepted", "accepted"), ("refused", "refused"), ("no_answer", "no answer"),
           ("lost", "lost"), ("duplicated", "duplicated"), ("inconsistent", "inconsistent"),
           ("time_to_recover_s", "recover s"), ("messages_sent", "msgs sent"), ("messages_lost", "msgs lost"),
           ("messages_sent_twice", "msgs twice")]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the short version of each fault")
    parser.add_argument("--only", help="comma-separated names among " + ", ".join(FAULTS))
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else FAULTS
    unknown = set(names) - set(FAULTS)
    if unknown:
        parser.error(f"unknown faults: {', '.join(sorted(unknown))}")
    template = Path(tempfile.mkdtemp(prefix="onestop-faults-template-"))
    if os.geteuid() == 0:
        shutil.chown(template, "postgres")
    env = {**os.environ, "FAULTS_TEMPLATE": str(template)}
    codes, rows = {}, []
    try:
        for name in names:
            started = time.monotonic()
            script = ROOT / "bench" / "faults" / f"{name}.py"
            command = [sys.executable, str(script), *(["--short"] if args.short else [])]
            codes[name] = subprocess.run(command, cwd=ROOT, env=env).returncode
            result = ROOT / "bench" / "results" / f"faults-{name}.json"
            figures = json.loads(result.read_text()) if codes[name] != 2 and result.exists() else {}
            rows.append((name, figures, time.monotonic() - started))
    finally:
        shutil.rmtree(template, ignore_errors=True)
    print("\n" + " | ".join(["fault".ljust(12)] + [label for _key, label in COLUMNS] + ["run s", "ok"]))
    for name, figures, seconds in rows:
        cells = [str(figures.get(key, "-")).rjust(len(label)) for key, label in COLUMNS]
        print(" | ".join([name.ljust(12), *cells, f"{seconds:5.0f}", "yes" if codes[name] == 0 else "NO"]))
    return max(codes.values(), default=0)


if __name__ == "__main__":
    sys.exit(main())
