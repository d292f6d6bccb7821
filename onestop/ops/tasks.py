"""The request id (and dossier) travel with every Celery task in its message headers.

Published from a request, a task carries the request's id; run by a worker, it puts that id back in
the context so that its log lines, and the tasks it enqueues in turn, carry it too. A task with no
id (from beat, or an old message) gets its own task id as request id.
"""
import logging
import time

from celery.signals import before_task_publish, task_postrun, task_prerun

from . import context

logger = logging.getLogger("onestop.tasks")

HEADER_REQUEST = "onestop_request_id"
HEADER_DOSSIER = "onestop_dossier"

_running = {}  # task id -> (context tokens, start time); a worker thread runs one task at a time


@before_task_publish.connect(dispatch_uid="onestop.ops.publish")
def _add_headers(headers=None, **kwargs):
    if headers is None:
        return
    request_id = context.request_id.get()
    if request_id:
        headers.setdefault(HEADER_REQUEST, request_id)
    dossier = context.dossier.get()
    if dossier:
        headers.setdefault(HEADER_DOSSIER, dossier)


@task_prerun.connect(dispatch_uid="onestop.ops.prerun")
def _bind(task_id=None, task=None, **kwargs):
    if task is None or task.request.is_eager:
        return  # an eager task runs inside the request and shares its context already
    request_id = getattr(task.request, HEADER_REQUEST, None) or task_id
    dossier = getattr(task.request, HEADER_DOSSIER, None) or ""
    _running[task_id] = (context.bind(request_id, dossier), time.perf_counter())


@task_postrun.connect(dispatch_uid="onestop.ops.postrun")
def _unbind(task_id=None, task=None, state=None, **kwargs):
    entry = _running.pop(task_id, None)
    if entry is None:
        return
    tokens, started = entry
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    logger.info("task %s %s", task.name, state,
                extra={"task": task.name, "task_id": task_id, "state": state, "duration_ms": duration_ms})
    context.reset(tokens)
