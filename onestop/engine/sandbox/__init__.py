"""Run the Python found in uploaded BPMN files (conditions, scripts, timers, parameters) in a sandbox.

SpiffWorkflow evaluates those expressions with plain ``eval``/``exec``: any Python, with the server's
rights. Here every expression and script is

1. checked (``check_source``, in ``checker``): our own AST rules, in plain English, then RestrictedPython's
   ``compile_restricted``; the same check runs at upload time and again before every run;
2. run in a separate, locked-down Python process (``child``, started as ``python -I child.py`` by
   ``pool``): no imports, no names or attributes beginning with ``_``, RestrictedPython's guards, a short
   list of builtins, an address-space limit, no files, no child processes, no environment variables, an
   unprivileged user when the server runs as root, and a time limit enforced by the caller, which kills
   the process and starts a new one;
3. given task data as JSON and answering JSON (never pickle: a subverted sandbox process can send the
   server nothing but data).

``script_engine()`` (in ``engine``) gives the SpiffWorkflow script engine to attach to every
``BpmnWorkflow`` (at creation and after each deserialization). Errors are ``SandboxError``; SpiffWorkflow
wraps them in a ``WorkflowTaskException`` on the task, which goes to ERROR. See docs/sandbox.md.
"""
from . import pool as _pool_module
from .checker import UNAVAILABLE_NAMES, check_source
from .child import SAFE_BUILTINS, _Refused, add_days, today
from .engine import RestrictedEnvironment, SandboxScriptEngine, script_engine
from .limits import (
    MAX_DATA_BYTES,
    MAX_SOURCE_CHARS,
    MEMORY_LIMIT,
    NOBODY,
    POOL_SIZE,
    STARTUP_TIMEOUT,
    TIME_LIMIT,
    TIME_ZONE,
    SandboxError,
)
from .pool import evaluate, execute, shutdown

__all__ = [
    "MAX_DATA_BYTES", "MAX_SOURCE_CHARS", "MEMORY_LIMIT", "NOBODY", "POOL_SIZE", "SAFE_BUILTINS", "STARTUP_TIMEOUT",
    "TIME_LIMIT", "TIME_ZONE", "UNAVAILABLE_NAMES", "RestrictedEnvironment", "SandboxError", "SandboxScriptEngine",
    "_Refused", "add_days", "check_source", "evaluate", "execute", "script_engine", "shutdown", "today",
]


def __getattr__(name):
    # The pool is replaced after a fork: always hand out the current one.
    if name == "_pool":
        return _pool_module._pool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
