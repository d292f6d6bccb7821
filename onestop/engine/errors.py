"""The one exception type of the engine: every failure of ``runtime`` is an ``EngineError``.

Callers advancing a dossier catch ``EngineError`` alone: a step that is no longer waiting
(``StepNotWaiting``, the request changes nothing) or a process that cannot go on (every other
subclass), which becomes an incident naming the element. No ``TypeError``, ``KeyError`` or sandbox
error escapes the runtime's functions bare; database errors are not the engine's and pass through.
"""
from onestop.core.exceptions import Conflict


class EngineError(Conflict):
    """The process could not advance. ``element_id``/``element_name`` name the BPMN element concerned
    when known; ``cause`` is the name of the underlying exception's type, when there is one."""

    def __init__(self, message, *, element_id: str = "", element_name: str = "", cause: str = "", errors=None):
        super().__init__(message, errors=errors)
        self.element_id = element_id
        self.element_name = element_name
        self.cause = cause


class StepNotWaiting(EngineError):
    """The step asked for is not waiting (already done, not a human step, unknown id): nothing changed."""


class ProcessFailed(EngineError):
    """An expression, a script or the engine itself failed outside a step that can wait in error."""


class WorkBudgetExceeded(EngineError):
    """One advance ran more engine steps than allowed (a loop or a multi-instance that does not stop)."""


class InstanceLimitExceeded(EngineError):
    """A multi-instance element asked for more instances than allowed."""


class StoredStateError(EngineError):
    """The process state could not be written or read back (serialization)."""
