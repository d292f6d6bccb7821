"""The layers of docs/architecture.md, read from the imports themselves.

The contracts are in pyproject.toml (``[tool.importlinter]``) and run here through import-linter, as a
developer would run ``lint-imports``. Import-linter does not check cycles of modules, so the last test
reads the import graph (grimp, import-linter's own) for cycles that span two apps.
"""
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
ROOTS = ("onestop", "procedures")


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, "an import contract of pyproject.toml is broken:\n" + done.stdout[-6000:]
    assert "0 broken" in done.stdout


def _app(module):
    """``onestop.dossiers.lifecycle.steps`` -> ``onestop.dossiers``; ``procedures.api`` -> ``procedures``."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "onestop" else parts[0]


def _cycles(graph):
    """The strongly connected groups of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, groups, counter = {}, {}, set(), [], [], [0]

    def visit(start):
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return groups


def test_no_import_cycle_spans_two_apps():
    graph = grimp.build_graph(*ROOTS, include_external_packages=False, cache_dir=None)
    spanning = [sorted(group) for group in _cycles(graph) if len({_app(m) for m in group}) > 1]
    assert not spanning, f"modules of several apps import each other in a circle: {spanning}"


def test_the_cycle_finder_finds_a_cycle_across_apps():
    graph = grimp.ImportGraph()
    for module in ("onestop.a.services", "onestop.b.tasks", "onestop.b.models"):
        graph.add_module(module)
    graph.add_import(importer="onestop.a.services", imported="onestop.b.tasks")
    graph.add_import(importer="onestop.b.tasks", imported="onestop.a.services")
    graph.add_import(importer="onestop.b.tasks", imported="onestop.b.models")
    assert _cycles(graph) == [{"onestop.a.services", "onestop.b.tasks"}]
