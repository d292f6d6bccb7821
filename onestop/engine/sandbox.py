"""Run the Python found in uploaded BPMN files (conditions, scripts, timers, parameters) in a sandbox.

SpiffWorkflow evaluates those expressions with plain ``eval``/``exec``: any Python, with the server's
rights. Here every expression and script is

1. checked (``check_source``): our own AST rules, in plain English, then RestrictedPython's
   ``compile_restricted``; the same check runs at upload time and again before every run;
2. run in a separate, locked-down Python process (``python -I sandbox.py``): no imports, no names or
   attributes beginning with ``_``, RestrictedPython's guards, a short list of builtins, an address-space
   limit, no files, no child processes, no environment variables, an unprivileged user when the server
   runs as root, and a time limit enforced by the caller, which kills the process and starts a new one;
3. given task data as JSON and answering JSON (never pickle: a subverted sandbox process can send the
   server nothing but data).

``script_engine()`` gives the SpiffWorkflow script engine to attach to every ``BpmnWorkflow`` (at creation
and after each deserialization). Errors are ``SandboxError``; SpiffWorkflow wraps them in a
``WorkflowTaskException`` on the task, which goes to ERROR. See docs/sandbox.md.

This file is also the sandbox process's program: run as a script, it serves requests on stdin/stdout and
never imports SpiffWorkflow.
"""
import ast
import atexit
import functools
import json
import operator
import os
import re
import resource
import select
import subprocess
import sys
import textwrap
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

TIME_LIMIT = 1.0  # seconds (wall clock) for one evaluation, measured by the caller
MEMORY_LIMIT = 256 * 1024 * 1024  # address space of the sandbox process (RLIMIT_AS), bytes
MAX_DATA_BYTES = 1_000_000  # task data sent to, or returned by, one evaluation: bytes of JSON
MAX_SOURCE_CHARS = 100_000
POOL_SIZE = 2  # sandbox processes per server process, started when first needed
STARTUP_TIMEOUT = 10.0
TIME_ZONE = "Asia/Ho_Chi_Minh"
NOBODY = 65534  # user and group the sandbox process switches to when started as root

_FILENAME = "<bpmn>"
_MODES = ("eval", "exec")

# Names refused wherever they appear: builtins that open a way out (or read input, or print nowhere).
UNAVAILABLE_NAMES = frozenset({
    "eval", "exec", "compile", "getattr", "setattr", "delattr", "hasattr", "globals", "locals", "vars",
    "dir", "type", "__import__", "breakpoint", "input", "help", "open", "exit", "quit", "print", "printed",
    "memoryview", "object", "super", "classmethod", "staticmethod", "property",
})
_FORMAT_ATTRIBUTES = frozenset({"format", "format_map"})


class SandboxError(Exception):
    """An expression or script was refused, failed, or exceeded a limit. The message says which.

    A plain ``Exception`` on purpose: SpiffWorkflow's script engine wraps any non-SpiffWorkflow
    exception in a ``WorkflowTaskException`` carrying the task, and the task goes to ERROR.
    ``line`` is the line of the script concerned, when known.
    """

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


# --- checking source: our rules, then RestrictedPython's -------------------------------------------------


class _Checker(ast.NodeVisitor):
    def __init__(self):
        self.problems = []  # (line, message)

    def _add(self, node, message):
        self.problems.append((getattr(node, "lineno", None), message))

    def _name(self, node, name):
        if name is None:
            return
        if name.startswith("_"):
            self._add(node, "names beginning with an underscore are not allowed")
        elif name in UNAVAILABLE_NAMES:
            self._add(node, f"'{name}' is not available")

    def visit_Import(self, node):
        self._add(node, "imports are not allowed")

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self._add(node, "class definitions are not allowed")
        self.generic_visit(node)

    def _async(self, node):
        self._add(node, "asynchronous code is not allowed")
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_AsyncFor = visit_AsyncWith = visit_Await = _async

    def visit_Nonlocal(self, node):
        self._add(node, "'nonlocal' is not allowed")

    def visit_Global(self, node):
        for name in node.names:
            self._name(node, name)

    def visit_Name(self, node):
        self._name(node, node.id)

    def visit_FunctionDef(self, node):
        self._name(node, node.name)
        self.generic_visit(node)

    def visit_arg(self, node):
        self._name(node, node.arg)
        self.generic_visit(node)

    def visit_keyword(self, node):
        if node.arg is not None and node.arg.startswith("_"):
            self._add(node, "names beginning with an underscore are not allowed")
        self.generic_visit(node)

    def visit_ExceptHandler(self, node):
        self._name(node, node.name)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr.startswith("_"):
            self._add(node, "attributes beginning with an underscore are not allowed")
        elif node.attr in _FORMAT_ATTRIBUTES:
            self._add(node, f"str.{node.attr} is not allowed (a format string can read hidden attributes); "
                            "use an f-string")
        elif node.attr in INSPECT_ATTRIBUTES:
            self._add(node, f"the attribute '{node.attr}' is not allowed")
        self.generic_visit(node)


def _normalise(source, mode):
    # eval() ignores leading blanks; XML text often has them around a condition or an indented script.
    return source.strip() if mode == "eval" else textwrap.dedent(source)


def _excerpt(source, line):
    lines = source.splitlines()
    if not line or line > len(lines):
        return ""
    text = lines[line - 1].strip()
    return text if len(text) <= 80 else text[:77] + "..."


def _sentences(source, problems):
    seen, out = set(), []
    for line, message in problems:
        excerpt = _excerpt(source, line)
        sentence = f"{message} (line {line}: {excerpt})" if line and excerpt else message
        if sentence not in seen:
            seen.add(sentence)
            out.append(sentence)
    return out


_RP_ERROR = re.compile(r"^Line (\d+): (.*?)\.?$", re.S)


def _check_and_compile(source, mode):
    """``(problems, code)``: problems as ``(line, message)``; code only when there is none."""
    if mode not in _MODES:
        raise ValueError(f"mode must be 'eval' or 'exec', not {mode!r}")
    if not isinstance(source, str):
        return [(None, "the code must be text")], None
    if len(source) > MAX_SOURCE_CHARS:
        return [(None, f"the code is longer than {MAX_SOURCE_CHARS} characters")], None
    source = _normalise(source, mode)
    try:
        tree = ast.parse(source, _FILENAME, mode)
    except SyntaxError as exc:
        return [(exc.lineno, f"syntax error: {exc.msg}")], None
    except (ValueError, RecursionError, MemoryError):
        return [(None, "the code cannot be read (null character, or nested too deeply)")], None
    checker = _Checker()
    checker.visit(tree)
    problems = list(checker.problems)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, _FILENAME)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return problems + [(None, f"the code cannot be compiled ({exc})")], None
    flagged = {line for line, _ in problems}
    for error in result.errors:
        match = _RP_ERROR.match(error)
        line, message = (int(match[1]), match[2]) if match else (None, error.rstrip("."))
        if line not in flagged or line is None:
            problems.append((line, message))
    if problems or result.code is None:
        return problems or [(None, "the code cannot be compiled")], None
    return [], result.code


def check_source(source: str, mode: str) -> list[str]:
    """What is wrong with ``source`` for ``mode`` ("eval": conditions, parameters, timers; "exec": scripts).

    One plain-English sentence per problem, with the line; an empty list when the code may run.
    """
    problems, _ = _check_and_compile(source, mode)
    return _sentences(_normalise(source, mode) if isinstance(source, str) else "", problems)


# --- what runs inside the sandbox process ----------------------------------------------------------------

_ZONE = ZoneInfo(TIME_ZONE)


def today():
    """Today's date in Vietnam (a ``datetime.date``)."""
    return datetime.now(_ZONE).date()


def add_days(day, n):
    """``day`` plus ``n`` days. ``day`` is an ISO string (the result is one too) or a date (gives a date)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError("add_days: the number of days must be a whole number")
    delta = timedelta(days=n)
    if isinstance(day, date):
        return day + delta
    if isinstance(day, str):
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return (parse(day) + delta).isoformat()
            except ValueError:
                continue
        raise ValueError(f"add_days: {day[:40]!r} is not an ISO date (YYYY-MM-DD)")
    raise TypeError("add_days: the first argument must be an ISO date string or a date")


class _Refused(Exception):
    """A guard refused an operation at run time."""


def _guarded_getattr(obj, name, *default):
    if not isinstance(name, str) or name.startswith("_") or name in _FORMAT_ATTRIBUTES or name in INSPECT_ATTRIBUTES:
        raise _Refused(f"the attribute {name!r} is not allowed")
    return safer_getattr(obj, name, *default)


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow, "<<=": operator.ilshift,
    ">>=": operator.irshift, "&=": operator.iand, "^=": operator.ixor, "|=": operator.ior,
    "@=": operator.imatmul,
}


def _inplacevar(op, target, value):
    return _INPLACE[op](target, value)


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


SAFE_BUILTINS = {
    **{f.__name__: f for f in (
        len, min, max, sum, abs, round, sorted, reversed, str, int, float, bool, list, dict, set, tuple,
        range, any, all, enumerate, zip, isinstance, today, add_days, date, datetime, timedelta,
    )},
    "True": True, "False": False, "None": None,
    # RestrictedPython's compiled code calls these:
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
}

_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
_JSON_ERRORS = (TypeError, ValueError, RecursionError, OverflowError)


def _json_culprit(data, what):
    """Which entry of ``data`` is not JSON, as a sentence."""
    for key, value in data.items():
        try:
            _encode(value)
        except _JSON_ERRORS as exc:
            hint = " (store dates as ISO strings: .isoformat())" if isinstance(value, date) else ""
            return f"{what} '{key}' is not JSON data: {exc}{hint}"
    return f"{what} is not JSON data"


def _describe(exc):
    if isinstance(exc, MemoryError):
        return f"the code needed more than the {MEMORY_LIMIT // 2**20} MB of memory allowed"
    if isinstance(exc, RecursionError):
        return "the code recursed too deeply"
    if isinstance(exc, _Refused):
        return str(exc)
    text = str(exc)
    text = text if len(text) <= 300 else text[:297] + "..."
    if isinstance(exc, NameError):
        text += " (no task data, form field or function has this name)"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _line_of(exc):
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


_code_cache = {}  # (mode, source) -> code object, or (refusal message, line)


def _compiled(mode, source):
    key = (mode, source)
    entry = _code_cache.get(key)
    if entry is None:
        problems, code = _check_and_compile(source, mode)
        if problems:
            sentences = _sentences(_normalise(source, mode), problems)
            entry = ("the code is not allowed: " + "; ".join(sentences), problems[0][0])
        else:
            entry = code
        if len(_code_cache) >= 1024:
            _code_cache.clear()
        _code_cache[key] = entry
    if isinstance(entry, tuple):
        raise SandboxError(entry[0], line=entry[1])
    return entry


def _cpu_backstop():
    # If the caller dies mid-evaluation nobody kills us: let the kernel do it (SIGXCPU) a little later.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(usage.ru_utime + usage.ru_stime + TIME_LIMIT) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (soft, resource.getrlimit(resource.RLIMIT_CPU)[1]))


def _serve(line):
    """One request (JSON) to one answer (JSON bytes); never raises."""
    source = ""
    try:
        request = json.loads(line)
        mode, source, namespace, external = request["m"], request["s"], request["c"], set(request["x"])
        code = _compiled(mode, source)
        namespace["__builtins__"] = SAFE_BUILTINS
        _cpu_backstop()
        if mode == "eval":
            answer = {"ok": True, "v": eval(code, namespace)}  # restricted code, restricted builtins
            what = "the value of the expression"
        else:
            exec(code, namespace)  # restricted code, restricted builtins
            answer = {"ok": True, "c": {
                key: value for key, value in namespace.items()
                if not key.startswith("_") and key not in external and not callable(value)
            }}
            what = "the task data"
        try:
            data = _encode(answer)
        except _JSON_ERRORS as exc:
            if mode == "exec":
                raise SandboxError(_json_culprit(answer["c"], "the variable")) from None
            hint = " (store dates as ISO strings: .isoformat())" if isinstance(answer["v"], date) else ""
            raise SandboxError(f"{what} is not JSON data: {exc}{hint}") from None
        if len(data) > MAX_DATA_BYTES:
            raise SandboxError(f"{what} would be larger than {MAX_DATA_BYTES // 1000} kB of JSON")
        return data.encode()
    except SandboxError as exc:
        error = {"ok": False, "e": str(exc), "l": exc.line}
    except BaseException as exc:  # noqa: B036 - anything the code raised becomes an answer
        error = {"ok": False, "e": _describe(exc), "l": _line_of(exc)}
    try:
        return _encode(error).encode()
    except BaseException:  # noqa: B036
        return b'{"ok":false,"e":"the sandbox could not describe the error","l":null}'


def _lock_down():
    os.chdir("/")
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    for limit, value in (
        (resource.RLIMIT_AS, MEMORY_LIMIT),
        (resource.RLIMIT_FSIZE, 0),  # no writing to files
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, 0),  # no fork, no threads
        (resource.RLIMIT_NOFILE, 16),
    ):
        hard = resource.getrlimit(limit)[1]
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (value, value))


def _child_main():
    """The sandbox process: one JSON request per line on stdin, one JSON answer per line on stdout."""
    requests = os.fdopen(os.dup(0), "rb")
    answers = os.dup(1)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # nothing but the protocol may reach the caller
        os.dup2(null, fd)
    os.close(null)
    _serve(b'{"m":"eval","s":"1","c":{},"x":[]}')  # warm up (imports, caches) before the limits
    _code_cache.clear()
    _lock_down()

    def send(data):
        view = memoryview(data + b"\n")
        while view:
            view = view[os.write(answers, view):]

    send(b'{"ready":true}')
    for line in requests:
        send(_serve(line))


if __name__ == "__main__":
    _child_main()
    sys.exit(0)


# --- the caller's side: a small pool of sandbox processes ------------------------------------------------


class _Worker:
    """One sandbox process and its pipes. Used by one thread at a time (the pool sees to it)."""

    def __init__(self):
        if not sys.executable:
            raise SandboxError("the sandbox cannot start: no Python interpreter (sys.executable is empty)")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", os.path.abspath(__file__)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={}, cwd="/", close_fds=True, start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(f"the sandbox cannot start: {exc}") from None
        self._in = self.proc.stdin.fileno()
        self._out = self.proc.stdout.fileno()
        os.set_blocking(self._in, False)
        self._poll_in, self._poll_out = select.poll(), select.poll()
        self._poll_in.register(self._in, select.POLLOUT)
        self._poll_out.register(self._out, select.POLLIN)
        try:
            ready = self._read(time.monotonic() + STARTUP_TIMEOUT, 100)
        except TimeoutError:
            self.kill()
            raise SandboxError(f"the sandbox did not start within {STARTUP_TIMEOUT:g} s") from None
        except SandboxError:
            self.kill()
            raise
        if ready != b'{"ready":true}':
            self.kill()
            raise SandboxError("the sandbox did not start properly")

    @staticmethod
    def _wait(poller, deadline):
        """Until the pipe is ready (or closed); TimeoutError at the deadline."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if poller.poll(int(remaining * 1000) + 1):
                return

    def _write(self, data, deadline):
        view = memoryview(data)
        while view:
            try:
                view = view[os.write(self._in, view):]
            except BlockingIOError:
                self._wait(self._poll_in, deadline)
            except (BrokenPipeError, ConnectionResetError):
                raise SandboxError("the sandbox process stopped unexpectedly") from None

    def _read(self, deadline, limit):
        buffer = bytearray()
        while True:
            self._wait(self._poll_out, deadline)
            chunk = os.read(self._out, 1 << 16)
            if not chunk:
                raise SandboxError("the sandbox process stopped unexpectedly (out of memory or CPU time?)")
            end = chunk.find(b"\n")
            if end >= 0:
                buffer += chunk[:end]
                return bytes(buffer)
            buffer += chunk
            if len(buffer) > limit:
                raise SandboxError("the sandbox answer is too large")

    def call(self, payload, time_limit):
        deadline = time.monotonic() + time_limit
        try:
            self._write(payload, deadline)
            answer = self._read(deadline, MAX_DATA_BYTES + 65536)
        except TimeoutError:
            raise SandboxError(f"the code took longer than {time_limit:g} s and was stopped") from None
        try:
            answer = json.loads(answer)
        except ValueError:
            raise SandboxError("the sandbox answer is not JSON") from None
        if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
            raise SandboxError("the sandbox answer is malformed")
        return answer

    def kill(self):
        try:
            self.proc.kill()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.release()

    def release(self):
        """Close our ends of the pipes (also used, without killing, in a forked copy of the caller)."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Pool:
    def __init__(self, size):
        self._idle = []
        self._all = set()
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(size)

    def call(self, payload):
        with self._slots:
            with self._lock:
                worker = self._idle.pop() if self._idle else None
            if worker is not None and worker.proc.poll() is not None:
                self._discard(worker)
                worker = None
            if worker is None:
                worker = _Worker()
                with self._lock:
                    self._all.add(worker)
            healthy = False
            try:
                answer = worker.call(payload, TIME_LIMIT)
                healthy = True
                return answer
            finally:
                if healthy:
                    with self._lock:
                        self._idle.append(worker)
                else:  # timed out, died or spoke nonsense: never reuse it
                    self._discard(worker)

    def _discard(self, worker):
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def shutdown(self):
        with self._lock:
            workers, self._idle = self._idle, []
        for worker in workers:
            self._discard(worker)

    def forget(self):
        """In a forked copy of the caller: close the inherited pipes, leave the processes to their owner."""
        for worker in list(self._all):
            worker.release()
        self._idle, self._all = [], set()


_pool = _Pool(POOL_SIZE)


def shutdown():
    """Stop the idle sandbox processes (new ones start when needed)."""
    _pool.shutdown()


def _after_fork():
    # A forked server process (gunicorn, Celery prefork) must not share its parent's sandbox pipes.
    global _pool
    _pool.forget()
    _pool = _Pool(POOL_SIZE)


os.register_at_fork(after_in_child=_after_fork)
atexit.register(shutdown)


def _usable(key):
    return isinstance(key, str) and not key.startswith("_")


@functools.lru_cache(maxsize=2048)
def _names_used(mode, source):
    """Every global name the code can read, write or delete. The code can reach no other (no globals(),
    no frames), so only these entries of the task data are sent: the cost does not grow with the data."""
    try:
        tree = ast.parse(_normalise(source, mode), _FILENAME, mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()  # refused in the sandbox anyway
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Global):
            names.update(node.names)
    return frozenset(names)


def _call(mode, source, context, external_context):
    """Send one request; the answer (a dict with "ok") and the names of ``context`` that were sent."""
    if not isinstance(source, str):
        raise SandboxError("the code must be text")
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxError(f"the code is longer than {MAX_SOURCE_CHARS} characters")
    names = _names_used(mode, source)
    namespace = {key: external_context[key] for key in names if key in external_context and _usable(key)}
    external_only = [key for key in namespace if key not in context]
    sent = [key for key in names if key in context and _usable(key)]
    namespace.update((key, context[key]) for key in sent)
    try:
        data = _encode(namespace)
    except _JSON_ERRORS:
        raise SandboxError(_json_culprit(namespace, "the task data entry")) from None
    data = data.encode()
    if len(data) > MAX_DATA_BYTES:
        raise SandboxError(f"the task data used by the code is {len(data) / 1e6:.1f} MB of JSON; "
                           f"the sandbox accepts at most {MAX_DATA_BYTES // 1000} kB")
    payload = b"".join((b'{"m":"', mode.encode(), b'","s":', _encode(source).encode(), b',"x":',
                        _encode(external_only).encode(), b',"c":', data, b"}\n"))
    answer = _pool.call(payload)
    if not answer["ok"]:
        line = answer.get("l")
        raise SandboxError(str(answer.get("e")), line=line if isinstance(line, int) else None)
    return answer, sent


def evaluate(expression, data, external_context=None):
    """The value of ``expression`` over the task ``data`` (JSON), computed in the sandbox."""
    answer, _ = _call("eval", expression, data, external_context or {})
    return answer.get("v")


def execute(script, data, external_context=None):
    """Run ``script`` in the sandbox and apply its changes to ``data`` (new, changed and deleted variables).

    Variables holding functions are dropped, as SpiffWorkflow does; other values must be JSON.
    """
    answer, sent = _call("exec", script, data, external_context or {})
    new = answer.get("c")
    if not isinstance(new, dict):
        raise SandboxError("the sandbox answer is malformed")
    for key in sent:
        if key not in new:
            del data[key]  # deleted by the script
    data.update(new)
    return True


# --- SpiffWorkflow: the script engine --------------------------------------------------------------------

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException  # noqa: E402 - not needed by the sandbox process
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment  # noqa: E402
from SpiffWorkflow.exceptions import SpiffWorkflowException  # noqa: E402


class RestrictedEnvironment(TaskDataEnvironment):
    """``TaskDataEnvironment``'s contract, with every evaluation run in the sandbox."""

    def __init__(self):
        super().__init__({})

    def evaluate(self, expression, context, external_context=None):
        return evaluate(expression, context, external_context)

    def execute(self, script, context, external_context=None):
        return execute(script, context, external_context)


class SandboxScriptEngine(PythonScriptEngine):
    """``PythonScriptEngine`` whose errors keep the sandbox's message (and script line) for the admin."""

    def evaluate(self, task, expression, external_context=None):
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {exc}",
                                        task=task, exception=exc) from exc

    def execute(self, task, script, external_context=None):
        try:
            return self.environment.execute(script, task.data, external_context or {})
        except SandboxError as exc:
            line = exc.line or 0
            lines = _normalise(script, "exec").splitlines()
            error_line = lines[line - 1] if 0 < line <= len(lines) else ""
            raise WorkflowTaskException(f"Error in script: {exc}", task=task, exception=exc,
                                        line_number=line, error_line=error_line) from exc
        except Exception as exc:
            raise self.create_task_exec_exception(task, script, exc) from exc

    def call_service(self, task, **kwargs):
        # The base class names an undefined variable in its error path.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except Exception as exc:
            raise WorkflowTaskException(f"Service call failed: {exc}", task=task, exception=exc) from exc


_engine = SandboxScriptEngine(environment=RestrictedEnvironment())


def script_engine() -> PythonScriptEngine:
    """The sandboxed script engine (one shared, stateless instance) for ``BpmnWorkflow(..., script_engine=)``."""
    return _engine
