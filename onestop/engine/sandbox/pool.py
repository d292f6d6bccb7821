"""The caller's side: a small pool of sandbox processes, one request in flight per process.

``evaluate`` and ``execute`` send the code and the task-data entries it names as JSON to a sandbox
process (``child.py``), wait for the answer within ``TIME_LIMIT`` and kill the process if it does
not come. A process that times out, dies or speaks nonsense is never reused.
"""
import ast
import atexit
import functools
import json
import os
import select
import subprocess
import sys
import threading
import time

from . import child
from .checker import _FILENAME, _normalise
from .child import _JSON_ERRORS, _encode, _json_culprit
from .limits import MAX_DATA_BYTES, MAX_SOURCE_CHARS, POOL_SIZE, STARTUP_TIMEOUT, TIME_LIMIT, SandboxError

_CHILD_PROGRAM = os.path.abspath(child.__file__)

class _Worker:
    """One sandbox process and its pipes. Used by one thread at a time (the pool sees to it)."""

    def __init__(self):
        if not sys.executable:
            raise SandboxError("the sandbox cannot start: no Python interpreter (sys.executable is empty)")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-I", "-B", _CHILD_PROGRAM],
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
