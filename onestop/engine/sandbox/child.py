"""The sandbox process's program: one JSON request per line on stdin, one JSON answer per line on stdout.

Run by the pool as ``python -I -B child.py``: no ``PYTHON*`` variables, no user site-packages, no
current directory on ``sys.path``. It loads only this directory's ``limits`` and ``checker`` (the
same rules as the upload check) besides the standard library and RestrictedPython, and never imports
SpiffWorkflow or Django. It compiles each request's code with RestrictedPython, runs it with the
guards and a short list of builtins, and answers JSON (never pickle).
"""
import json
import operator
import os
import resource
import sys
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES

if __package__:
    from .checker import _FILENAME, _FORMAT_ATTRIBUTES, _check_and_compile, _normalise, _sentences
    from .limits import MAX_DATA_BYTES, MEMORY_LIMIT, NOBODY, TIME_LIMIT, TIME_ZONE, SandboxError
else:  # the sandbox process: this file run as a script, its directory is not on sys.path (-I)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from checker import _FILENAME, _FORMAT_ATTRIBUTES, _check_and_compile, _normalise, _sentences
    from limits import MAX_DATA_BYTES, MEMORY_LIMIT, NOBODY, TIME_LIMIT, TIME_ZONE, SandboxError

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
