"""Run procedure versions with SpiffWorkflow: start, complete human tasks, persist.

Callers hold the dossier's row lock (``select_for_update``) around every call that changes an
instance, so two completions on one dossier are applied one after the other.
Everything returned is plain data, so no other module needs SpiffWorkflow's types.
"""
import copy
import functools
import json
import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.db import DatabaseError
from django.utils.translation import gettext as _
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.config import DEFAULT_CONFIG
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter, MultiInstanceTaskConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ParallelMultiInstanceTask, SequentialMultiInstanceTask
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.multiinstance_task import ParallelMultiInstanceTask as _CamundaParallelMI
from SpiffWorkflow.camunda.specs.multiinstance_task import SequentialMultiInstanceTask as _CamundaSequentialMI
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from onestop.core import updates

from . import analysis, budget, parsing, sandbox
from .errors import (  # noqa: F401 - EngineError is the runtime's public error type
    EngineError,
    ProcessFailed,
    StepNotWaiting,
    StoredStateError,
    WorkBudgetExceeded,
)
from .models import ProcessInstance

SPEC_CACHE_SIZE = 256


class _WaitingServiceTaskConverter(BpmnTaskSpecConverter):
    def to_dict(self, spec):
        dct = self.get_default_attributes(spec)
        dct.update(operator=spec.operator, parameters=spec.parameters, result_variable=spec.result_variable)
        return dct


# The Camunda parser makes plain multi-instance specs for tasks other than its user tasks, but the
# Camunda configuration converts only its own multi-instance classes: add the plain ones back.
_CAMUNDA = {**CAMUNDA_CONFIG, parsing.WaitingServiceTask: _WaitingServiceTaskConverter,
            ParallelMultiInstanceTask: MultiInstanceTaskConverter,
            SequentialMultiInstanceTask: MultiInstanceTaskConverter}
_SPIFF = {**SPIFF_CONFIG, parsing.WaitingServiceTask: _WaitingServiceTaskConverter}
_CONFIGS = {"camunda": _CAMUNDA, "spiff": _SPIFF, "bpmn": DEFAULT_CONFIG}
_serializers = {d: BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(c)) for d, c in _CONFIGS.items()}
_specs = OrderedDict()
_spec_jsons = {}
_shareable_by_spec = weakref.WeakKeyDictionary()  # parsed spec -> whether workflows may share its objects
_specs_lock = threading.Lock()
_serializer_lock = threading.Lock()


@dataclass(frozen=True)
class HumanTask:
    id: str
    spec_id: str
    name: str
    lane: str | None
    groups: tuple
    form: tuple  # ({"id", "type", "label", "options": [{"id", "name"}]}, ...)
    budget: str = ""  # ISO duration in working time ("P2D", "PT4H"), "" when the step has none


@dataclass(frozen=True)
class TimerWait:
    """A timer event the process waits on."""

    id: str
    spec_id: str
    name: str
    due_at: datetime | None  # as SpiffWorkflow computed it (calendar time, UTC)
    duration: str  # the literal ISO duration of a duration timer, "" for a date or a cycle
    attached_to: str  # the task id of the human task a boundary timer is attached to, "" otherwise
    interrupting: bool


@dataclass(frozen=True)
class ServiceCall:
    id: str
    spec_id: str
    name: str
    lane: str | None
    operator: str
    result_variable: str
    params: dict


@dataclass(frozen=True)
class ProcessError:
    task_id: str
    spec_id: str
    name: str
    message: str


@dataclass(frozen=True)
class Snapshot:
    ready: tuple  # HumanTask, in process order
    waiting: tuple  # ServiceCall: service tasks waiting for their background job
    errors: tuple  # ProcessError: steps that failed (a script, a condition); the process waits there
    completed: bool
    outcome: str  # "outcome" property of the end event reached, "" while running
    timers: tuple = ()  # TimerWait: timers waiting to fire
    fired_timers: tuple = ()  # ids of timer events that have fired


def _element_of(exc):
    """The BPMN element a SpiffWorkflow exception names (its task's spec), as EngineError keywords."""
    task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None) if task is not None else getattr(exc, "task_spec", None)
    if spec is None:
        return {}
    return {"element_id": getattr(spec, "bpmn_id", None) or "", "element_name": getattr(spec, "bpmn_name", None) or ""}


def _first_line(exc):
    return (str(exc).split("\n")[0] or type(exc).__name__)[:1000]


def engine_call(function):
    """Every failure of ``function`` as an ``EngineError`` (database errors pass through unchanged)."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except (EngineError, DatabaseError):
            raise
        except Exception as exc:  # noqa: BLE001 - the run contract: one error type out of the engine
            raise ProcessFailed(_("The process failed: %(msg)s") % {"msg": _first_line(exc)},
                                cause=type(exc).__name__, **_element_of(exc)) from exc

    return wrapper


def parsed_version(version) -> parsing.ParsedProcess:
    """The parsed spec of a procedure version, parsed once per process and kept by checksum."""
    with _specs_lock:
        parsed = _specs.get(version.checksum)
        if parsed is not None:
            _specs.move_to_end(version.checksum)
            return parsed
    parsed = parsing.parse_bpmn(version.bpmn_xml.encode("utf-8"), process_id=version.process_id or None)
    with _specs_lock:
        _specs[version.checksum] = parsed
        while len(_specs) > SPEC_CACHE_SIZE:
            _specs.popitem(last=False)
    return parsed


# Task specs that SpiffWorkflow changes while a workflow runs (Camunda's multi-instance tasks rewrite their
# collection and cardinality from the task data); a start event that triggers event subprocesses connects
# them on its first trigger. A spec holding one cannot be shared by several workflows.
_CHANGED_WHILE_RUNNING = (_CamundaParallelMI, _CamundaSequentialMI)


def _shareable(parsed):
    for spec in (parsed.spec, *parsed.subprocess_specs.values()):
        if getattr(getattr(spec, "start", None), "trigger_specs", None):
            return False
        if any(isinstance(task_spec, _CHANGED_WHILE_RUNNING) for task_spec in spec.task_specs.values()):
            return False
    return True


def _run_specs(version, loading=False):
    """``(spec, subprocess_specs)`` for a workflow of ``version``: the parsed objects themselves, shared by every
    workflow of the version, when nothing in them changes while a workflow runs (then loading a workflow
    restores its tasks only). Otherwise a copy of its own: restored from the version's serialized spec when
    ``loading``, as stored workflows have always been read, else a deep copy of the parsed objects."""
    parsed = parsed_version(version)
    shareable = _shareable_by_spec.get(parsed.spec)
    if shareable is None:
        shareable = _shareable_by_spec[parsed.spec] = _shareable(parsed)
    if shareable:
        return parsed.spec, parsed.subprocess_specs
    if not loading:
        return copy.deepcopy((parsed.spec, parsed.subprocess_specs))
    serializer = _serializers[parsed.dialect]
    dct = json.loads(_spec_json(version), cls=serializer.json_decoder_cls)
    return (serializer.from_dict(dct["spec"]),
            {name: serializer.from_dict(spec) for name, spec in dct["subprocess_specs"].items()})


@engine_call
def start(version, data=None) -> tuple[ProcessInstance, Snapshot]:
    """Create and save a process instance of ``version`` and run it to its first wait."""
    parsed = parsed_version(version)
    workflow = BpmnWorkflow(*_run_specs(version), script_engine=sandbox.script_engine())
    first = workflow.get_next_task(state=TaskState.READY)
    if first is not None and data:
        first.data.update(data)
    _advance(workflow)
    instance = ProcessInstance(version=version)
    _store(instance, workflow, parsed.dialect)
    return instance, _snapshot(workflow)


@engine_call
def trial(xml_bytes: bytes, data: dict | None = None, process_id: str | None = None,
          complete: tuple = ()) -> Snapshot:
    """Start the process of a BPMN file in memory, run it to its first wait and store it the way a dossier's
    process is stored (spec and state through the serializer, read back): what the first dossier would
    meet. Then complete, in turn, the ready human tasks whose element ids ``complete`` lists (each a
    ``(element id, data)`` pair or an id), storing and reading back after each. Nothing is saved.
    For checking uploads and foreign files."""
    parsed = parsing.parse_bpmn(xml_bytes, process_id=process_id)
    serializer = _serializers[parsed.dialect]
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=sandbox.script_engine())
    first = workflow.get_next_task(state=TaskState.READY)
    if first is not None and data:
        first.data.update(data)
    _advance(workflow)
    for step in ("", *complete):
        if step:
            spec_id, values = step if isinstance(step, tuple) else (step, {})
            task = next((t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                         if t.task_spec.bpmn_id == spec_id), None)
            if task is None:
                raise StepNotWaiting(_("This step is no longer waiting to be done."), element_id=spec_id)
            task.data.update(values)
            task.run()
            _advance(workflow)
        workflow = serializer.from_dict(json.loads(_to_json(serializer, workflow), cls=serializer.json_decoder_cls))
        workflow.script_engine = sandbox.script_engine()
    return _snapshot(workflow)


@engine_call
def complete_task(instance: ProcessInstance, task_id: str, data: dict) -> Snapshot:
    """Complete the READY human task ``task_id`` with ``data`` and advance to the next wait."""
    workflow = _load(instance)
    task = _ready_human_task(workflow, task_id)
    # A decision belongs to the step that made it. Through a parallel join the branch finishing last
    # overwrites the other's data, so a decision left from an earlier round of a loop would win.
    for key in [k for k in task.data if k == "decision" or k.endswith("_decision")]:
        del task.data[key]
    task.data.update(data)
    return _finish(instance, workflow, task.run)


@engine_call
def complete_service_task(instance: ProcessInstance, task_id: str, result: dict) -> Snapshot:
    """Give a waiting service task its result and advance to the next wait."""
    workflow = _load(instance)
    task = _find(workflow, task_id)
    if task is None or not isinstance(task.task_spec, parsing.WaitingServiceTask) or task.state != TaskState.STARTED:
        raise StepNotWaiting(_("This service step is no longer waiting for a result."))
    task.data.update(result)
    return _finish(instance, workflow, task.complete)


def _finish(instance, workflow, step):
    """Run ``step`` (the task's run or complete), advance to the next wait, and store."""
    try:
        step()
    except SpiffWorkflowException as exc:
        raise ProcessFailed(_("The step could not be completed: %(msg)s") % {"msg": exc},
                            cause=type(exc).__name__, **_element_of(exc)) from None
    _advance(workflow)
    _store(instance, workflow, parsed_version(instance.version).dialect)
    return _snapshot(workflow)


@engine_call
def retry_failed(instance: ProcessInstance, task_id: str) -> Snapshot:
    """Run a failed step again (after its cause was fixed, e.g. the dossier moved to a mended version)."""
    workflow = _load(instance)
    task = _find(workflow, task_id)
    if task is None or task.state != TaskState.ERROR:
        raise StepNotWaiting(_("This step has not failed."))
    task.internal_data.pop("error", None)
    workflow.reset_from_task_id(task.id)
    _advance(workflow)
    _store(instance, workflow, parsed_version(instance.version).dialect)
    return _snapshot(workflow)


@engine_call
def migration_blockers(instance: ProcessInstance, new_version) -> list[str]:
    """The steps this process waits in that the new version does not have (empty: it can move)."""
    return _blockers(_load(instance), parsed_version(new_version).spec.task_specs)


def _blockers(workflow, new_specs):
    waiting = workflow.get_tasks(state=TaskState.READY | TaskState.STARTED | TaskState.WAITING | TaskState.ERROR)
    return sorted({t.task_spec.bpmn_name or t.task_spec.name for t in waiting
                   if t.task_spec.name not in new_specs and (t.task_spec.manual or t.state != TaskState.READY)})


@engine_call
def migrate(instance: ProcessInstance, new_version) -> Snapshot:
    """Move a running process onto ``new_version``: every step it waits in must exist there."""
    workflow = _load(instance)
    new = parsed_version(new_version)
    if _blockers(workflow, new.spec.task_specs):
        raise StepNotWaiting(_("The new version lacks steps this process waits in."))
    registry = _serializers[new.dialect].registry
    spec, subprocess_specs = _run_specs(new_version)
    top_diff, _sub_diffs = diff_workflow(registry, workflow, spec, subprocess_specs)
    # Keep READY human tasks (and their ids: the work items point at them); repredict the waiting rest.
    migrate_workflow(top_diff, workflow, spec, reset_mask=TaskState.WAITING)
    workflow.subprocess_specs = subprocess_specs
    instance.version = new_version
    instance._moved = True  # the next write saves the version too
    _advance(workflow)
    _store(instance, workflow, new.dialect)
    return _snapshot(workflow)


@engine_call
def set_timer_due(instance: ProcessInstance, dues: dict) -> None:
    """Make waiting timers due at the given moments ({task id: aware datetime}), e.g. counted in working time
    instead of SpiffWorkflow's calendar time, so that the engine never fires them earlier on its own."""
    workflow = _load(instance)
    for task_id, due in dues.items():
        task = _find(workflow, task_id)
        if task is not None and _is_timer(task) and task.state == TaskState.WAITING:
            task.internal_data["event_value"] = due.astimezone(UTC).isoformat()
    _store(instance, workflow, parsed_version(instance.version).dialect)


@engine_call
def fire_timer(instance: ProcessInstance, task_id: str) -> Snapshot:
    """Fire the waiting timer ``task_id`` now, whatever the wall clock says (the caller decided it is due:
    the deadlines app keeps the clock), and advance to the next wait."""
    workflow = _load(instance)
    task = _find(workflow, task_id)
    if task is None or not _is_timer(task) or task.state != TaskState.WAITING:
        raise StepNotWaiting(_("This timer is no longer waiting."))
    task.internal_data["event_fired"] = True
    workflow.refresh_timers()
    _advance(workflow)
    _store(instance, workflow, parsed_version(instance.version).dialect)
    return _snapshot(workflow)


@engine_call
def positions(instance: ProcessInstance) -> dict:
    """For the diagram: element ids the process waits in (``current``) and those it went through (``done``)."""
    workflow = _load(instance)
    current = {t.task_spec.bpmn_id for t in workflow.get_tasks(
        state=TaskState.READY | TaskState.STARTED | TaskState.ERROR) if t.task_spec.bpmn_id}
    done = {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id}
    return {"current": sorted(current), "done": sorted(done - current)}


@engine_call
def snapshot(instance: ProcessInstance) -> Snapshot:
    return _snapshot(_load(instance))


@engine_call
def task_data(instance: ProcessInstance, task_id: str) -> dict:
    """The data a READY human task sees (for showing forms with current values)."""
    return dict(_ready_human_task(_load(instance), task_id).data)


# --- internals ---------------------------------------------------------------------------------------

_kinds = weakref.WeakKeyDictionary()  # a workflow's spec -> the kinds of elements it and its subprocesses hold


def _has(workflow, kind):
    """Whether the workflow's process (subprocesses included) has ``kind`` of element ("timers" or
    "multi_instance"): without one, looking through the task tree for them is skipped."""
    kinds = _kinds.get(workflow.spec)
    if kinds is None:
        task_specs = [t for spec in (workflow.spec, *workflow.subprocess_specs.values())
                      for t in spec.task_specs.values()]
        kinds = _kinds[workflow.spec] = frozenset(
            kind for kind, present in (
                ("timers", any(isinstance(getattr(t, "event_definition", None), TimerEventDefinition)
                               for t in task_specs)),
                ("multi_instance", any(isinstance(t, MultiInstanceTask) for t in task_specs)),
            ) if present)
    return kind in kinds


def _is_timer(task):
    return isinstance(getattr(task.task_spec, "event_definition", None), TimerEventDefinition)


def _timer_due(task):
    value = task.task_spec.event_definition.details(task).value
    if isinstance(value, dict):  # an unstarted cycle
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None


def _timers(workflow):
    waiting = []
    for task in workflow.event_manager.tasks.values():
        if not _is_timer(task) or task.state != TaskState.WAITING:
            continue
        spec = task.task_spec
        boundary = hasattr(spec, "cancel_activity")
        attached = ""
        if boundary:
            attached = next((str(t.id) for t in task.parent.children if t.task_spec.manual), "")
        waiting.append(TimerWait(
            id=str(task.id), spec_id=spec.bpmn_id or spec.name, name=spec.bpmn_name or spec.bpmn_id or spec.name,
            due_at=_timer_due(task), duration=parsing.timer_duration(spec), attached_to=attached,
            interrupting=bool(boundary and spec.cancel_activity),
        ))
    if not _has(workflow, "timers"):
        return tuple(waiting), ()
    fired = tuple(str(t.id) for t in workflow.get_tasks(state=TaskState.COMPLETED) if _is_timer(t))
    return tuple(waiting), fired


def _find(workflow, task_id):
    try:
        return workflow.get_task_from_id(UUID(str(task_id)))
    except (ValueError, KeyError):
        return None


def _ready_human_task(workflow, task_id):
    task = _find(workflow, task_id)
    if task is None or not task.task_spec.manual or task.state != TaskState.READY:
        raise StepNotWaiting(_("This step is no longer waiting to be done."))
    return task


class _Budget:
    """Counts the engine steps of one advance and the instances of multi-instance elements."""

    def __init__(self):
        self.steps = 0
        self.limit = budget.max_steps()

    def __call__(self, task):  # do_engine_steps' will_complete_task
        self.steps += 1
        spec = task.task_spec
        if self.steps > self.limit:
            name = spec.bpmn_name or spec.bpmn_id or spec.name
            raise WorkBudgetExceeded(
                _("The process ran more than %(limit)d steps without waiting (at “%(step)s”): a loop or a "
                  "multi-instance that does not stop (ONESTOP_MAX_STEPS).") % {"limit": self.limit, "step": name},
                element_id=spec.bpmn_id or "", element_name=spec.bpmn_name or "")
        parent = task.parent
        if parent is not None and isinstance(parent.task_spec, MultiInstanceTask):
            budget.check_instances(parent.task_spec, _instance_count(parent))


def _instance_count(task):
    """How many instances the multi-instance ``task`` runs: its collection's length, else those created."""
    spec = task.task_spec
    if spec.data_input is not None and spec.data_input.exists(task):
        try:
            return len(spec.data_input.get(task))
        except TypeError:
            pass  # not a sized collection: SpiffWorkflow reports it
    return sum(1 for child in task.children if child.task_spec.name == spec.task_spec)


def _check_instances(workflow):
    """Multi-instance elements over a collection (human tasks included) within the limit."""
    if not _has(workflow, "multi_instance"):
        return
    for task in workflow.get_tasks(state=TaskState.STARTED | TaskState.READY):
        if isinstance(task.task_spec, MultiInstanceTask):
            budget.check_instances(task.task_spec, _instance_count(task))


def _advance(workflow):
    """Run the engine's own steps until the process waits. A step that fails stays in ERROR, with its
    message kept on the task, and the process waits there for an admin (an incident), instead of the
    failure undoing the official's step that led to it. Work beyond the budget raises an EngineError."""
    try:
        workflow.do_engine_steps(will_complete_task=_Budget())
    except SpiffWorkflowException as exc:
        task = getattr(exc, "task", None)
        if task is None or task.state != TaskState.ERROR:
            raise ProcessFailed(_("The process failed: %(msg)s") % {"msg": _first_line(exc)},
                                cause=type(exc).__name__, **_element_of(exc)) from None
        task.internal_data["error"] = _first_line(exc)
        return
    _check_instances(workflow)
    if workflow.is_completed():
        return
    waiting = workflow.get_tasks_iterator(  # lazily: the first task waiting ends the walk
        state=TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR)
    if not any(t.task_spec.manual or t.state != TaskState.READY for t in waiting):
        # SpiffWorkflow stops silently when a loop grows the task tree past its iterator depth.
        raise ProcessFailed(_("The process stalled: nothing is waiting and it has not ended."))


def _to_json(serializer, obj):
    """SpiffWorkflow's ``serialize_json`` without the version key. Everything goes through the
    serializer's registry (its converters), never through hand-written JSON."""
    try:
        with _serializer_lock:  # the registry's encoder flag is shared by every thread
            serializer.registry._encoder_mode = True
            try:
                dct = serializer.to_dict(obj)
            finally:
                serializer.registry._encoder_mode = False
        return json.dumps(dct, cls=serializer._encoder_cls)
    except (TypeError, ValueError, KeyError, RecursionError) as exc:
        raise StoredStateError(_("The process state cannot be stored: %(msg)s") % {"msg": _first_line(exc)},
                               cause=type(exc).__name__) from exc


def _spec_json(version):
    """The version's spec as SpiffWorkflow serializes it, made once per version and kept with the spec."""
    with _specs_lock:
        cached = _spec_jsons.get(version.checksum)
    if cached is None:
        parsed = parsed_version(version)
        serializer = _serializers[parsed.dialect]
        cached = json.dumps({
            "spec": json.loads(_to_json(serializer, parsed.spec)),
            "subprocess_specs": {name: json.loads(_to_json(serializer, spec))
                                 for name, spec in parsed.subprocess_specs.items()},
        })
        with _specs_lock:
            _spec_jsons[version.checksum] = cached
            while len(_spec_jsons) > SPEC_CACHE_SIZE:
                _spec_jsons.pop(next(iter(_spec_jsons)))
    return cached


@contextmanager
def stored_once(instance: ProcessInstance):
    """Within the block, advances of ``instance`` and timers' due moments set after them (``set_timer_due``)
    change the workflow in memory; it is serialized and saved once, when the block ends without an error."""
    if hasattr(instance, "_deferred"):  # nested: the outer block writes
        yield
        return
    instance._deferred = None
    try:
        yield
        pending = instance._deferred
    finally:
        del instance._deferred
    if pending is not None:
        _write(instance, *pending)


def _store(instance, workflow, dialect):
    if hasattr(instance, "_deferred"):  # inside ``stored_once``
        instance._deferred = (workflow, dialect)
        return
    _write(instance, workflow, dialect)


def _write(instance, workflow, dialect):
    """Keep the workflow's state without its spec: the spec is the version's, stored once with it
    (about 6 KB of a 10 KB state for a small procedure)."""
    instance.state = _state_json(_serializers[dialect], workflow)
    instance.serializer_version = _serializers[dialect].VERSION
    instance.is_completed = workflow.is_completed()
    instance.outcome = _outcome(workflow) if instance.is_completed else ""
    if instance.pk is None:
        instance.save()
        return
    fields = ["state", "serializer_version", "is_completed", "outcome", "updated_at"]
    if instance.__dict__.pop("_moved", False):  # migrated onto another version
        fields.append("version")
    updates.save_columns(instance, fields)


def _state_json(serializer, workflow):
    """The JSON ``serialize_json`` makes of the workflow, without the "spec" and "subprocess_specs" keys, and
    without converting the spec at all: ``BpmnWorkflowConverter.to_dict`` minus its spec parts, through the
    serializer's registry (its converters)."""
    registry = serializer.registry
    typename = registry.typenames[BpmnWorkflow]
    converter = _workflow_converter(registry)
    try:
        with _serializer_lock:  # the registry's encoder flag is shared by every thread
            registry._encoder_mode = True
            try:
                dct = WorkflowConverter.to_dict(converter, workflow)
                dct["subprocesses"] = converter.mapping_to_dict(workflow.subprocesses)
                dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
            finally:
                registry._encoder_mode = False
        dct["typename"] = typename
        dct[serializer.VERSION_KEY] = serializer.VERSION
        return json.dumps(dct, cls=serializer._encoder_cls, separators=(",", ":"))
    except (TypeError, ValueError, KeyError, RecursionError) as exc:
        raise StoredStateError(_("The process state cannot be stored: %(msg)s") % {"msg": _first_line(exc)},
                               cause=type(exc).__name__) from exc


@functools.cache
def _workflow_converter(registry):
    """The registry's converter of ``BpmnWorkflow`` (``register`` keeps its bound ``to_dict``)."""
    converter = registry.convert_to_dict[registry.typenames[BpmnWorkflow]].args[1].__self__
    if not isinstance(converter, BpmnWorkflowConverter):
        raise TypeError(f"unexpected workflow converter {type(converter).__name__}")
    return converter


def _load(instance):
    if getattr(instance, "_deferred", None) is not None:  # changed in memory, not written yet
        return instance._deferred[0]
    dialect = parsed_version(instance.version).dialect
    serializer = _serializers[dialect]
    if instance.serializer_version != serializer.VERSION:
        # SpiffWorkflow's migrations expect the spec in the old format too: upgrade stored states first.
        raise StoredStateError(_("This process was stored by another version of the workflow library."))
    try:
        dct = json.loads(instance.state, cls=serializer.json_decoder_cls)
        if dct.get(serializer.VERSION_KEY) == serializer.VERSION:
            # The registry restores only what it recognises and returns the spec objects as they are.
            dct["spec"], dct["subprocess_specs"] = _run_specs(instance.version, loading=True)
        else:  # SpiffWorkflow's migrations work on the serialized spec
            dct.update(json.loads(_spec_json(instance.version)))
        serializer.migrate(dct)
        workflow = serializer.from_dict(dct)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise StoredStateError(_("The process state cannot be read: %(msg)s") % {"msg": _first_line(exc)},
                               cause=type(exc).__name__) from exc
    workflow.script_engine = sandbox.script_engine()  # not serialized: attach it after every load
    return workflow


def _outcome(workflow):
    ends = workflow.get_tasks(state=TaskState.COMPLETED, spec_class=EndEvent)
    if not ends:
        return ""
    last = max(ends, key=lambda t: t.last_state_change)
    return (getattr(last.task_spec, "extensions", None) or {}).get("outcome", "completed")


_forms = weakref.WeakKeyDictionary()  # task spec -> its form (a parsed spec does not change)


def _form_of(spec):
    """``_step_form`` of the task spec, worked out once per spec; the caller gets dicts of its own."""
    form = _forms.get(spec)
    if form is None:
        form = _forms[spec] = _step_form(spec)
    return tuple({**field, "options": [dict(option) for option in field["options"]]} for field in form)


def _step_form(spec):
    """The step's form as plain dicts. The decision options whose path can end the dossier refused carry
    ``"requires_reason": True`` (found from the graph, whatever their names): the step then needs a comment."""
    form = getattr(spec, "form", None)
    decision = analysis.decision_field(spec)
    refusing = analysis.refusal_options(spec) if decision is not None else set()
    fields = []
    for field in getattr(form, "fields", None) or []:
        options = []
        for o in getattr(field, "options", []):
            option = {"id": o.id, "name": o.name}
            if field is decision and o.id in refusing:
                option["requires_reason"] = True
            options.append(option)
        fields.append({
            "id": field.id,
            "type": field.type or "string",
            "label": field.label or field.id,
            "options": options,
        })
        if _property(field, "public") == "true":  # the applicant may read what is entered here
            fields[-1]["public"] = True
    return tuple(fields)


def _property(field, name):
    get = getattr(field, "get_property", None)
    return (get(name) or "").strip().lower() if get else ""


def _any_failed(workflow):
    """Whether a task of the workflow or of its subprocesses is in ERROR: a look at each task, cheaper than
    walking the tree, which is then needed only when one is."""
    return any(task.state == TaskState.ERROR for wf in (workflow, *workflow.subprocesses.values())
               for task in wf.tasks.values())


def _snapshot(workflow):
    # One walk of the task tree for both: a filter on READY or on STARTED walks the same tasks.
    ready_or_started = workflow.get_tasks(state=TaskState.READY | TaskState.STARTED)
    ready = []
    for task in ready_or_started:
        spec = task.task_spec
        if task.state != TaskState.READY or not spec.manual:
            continue
        extensions = getattr(spec, "extensions", None) or {}
        groups = tuple(g.strip() for g in (extensions.get("candidateGroups") or "").split(",") if g.strip())
        ready.append(HumanTask(
            id=str(task.id),
            spec_id=spec.bpmn_id or spec.name,
            name=spec.bpmn_name or spec.bpmn_id or spec.name,
            lane=spec.lane,
            groups=groups,
            form=_form_of(spec),
            budget=parsing.budget_of(spec),
        ))
    waiting = tuple(
        ServiceCall(
            id=str(task.id),
            spec_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            lane=task.task_spec.lane,
            operator=task.task_spec.operator,
            result_variable=task.task_spec.result_variable,
            params=dict(task.internal_data.get("service_params", {})),
        )
        for task in ready_or_started
        if task.state == TaskState.STARTED and isinstance(task.task_spec, parsing.WaitingServiceTask)
    )
    errors = tuple(
        ProcessError(task_id=str(task.id), spec_id=task.task_spec.bpmn_id or task.task_spec.name,
                     name=task.task_spec.bpmn_name or task.task_spec.bpmn_id or task.task_spec.name,
                     message=task.internal_data.get("error", ""))
        for task in (workflow.get_tasks(state=TaskState.ERROR) if _any_failed(workflow) else ())
    )
    completed = workflow.is_completed()
    timers, fired = _timers(workflow)
    return Snapshot(ready=tuple(ready), waiting=waiting, errors=errors, completed=completed,
                    outcome=_outcome(workflow) if completed else "", timers=timers, fired_timers=fired)
