"""SpiffWorkflow's script engine, with every evaluation run in the sandbox."""
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from ..budget import check_instances
from . import simple
from .checker import _normalise
from .limits import SandboxError
from .pool import evaluate, execute


class RestrictedEnvironment(TaskDataEnvironment):
    """``TaskDataEnvironment``'s contract, with every evaluation run in the sandbox, but for comparisons of
    plain task-data values with literals (``simple``), which cannot reach anything else."""

    def __init__(self):
        super().__init__({})

    def evaluate(self, expression, context, external_context=None):
        value = simple.evaluate(expression, context, external_context)  # a comparison of plain values
        if value is simple.UNDECIDED:
            value = evaluate(expression, context, external_context)
        return value

    def execute(self, script, context, external_context=None):
        return execute(script, context, external_context)


class SandboxScriptEngine(PythonScriptEngine):
    """``PythonScriptEngine`` whose errors keep the sandbox's message (and script line) for the admin."""

    def evaluate(self, task, expression, external_context=None):
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException as exc:
            exc.add_note(f"Error evaluating expression '{expression}'")
            raise
        except Exception as exc:
            raise WorkflowTaskException(f"Error evaluating expression '{expression}': {exc}",
                                        task=task, exception=exc) from exc
        spec = task.task_spec
        if isinstance(spec, MultiInstanceTask) and expression == spec.cardinality:
            check_instances(spec, value)  # before SpiffWorkflow creates the instances
        return value

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
