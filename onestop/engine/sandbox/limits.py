"""What one evaluation in the sandbox may use, and the error every refusal or failure raises.

Plain Python with no imports: the sandbox process (``child.py``) loads this module by itself.
"""

TIME_LIMIT = 1.0  # seconds (wall clock) for one evaluation, measured by the caller
MEMORY_LIMIT = 256 * 1024 * 1024  # address space of the sandbox process (RLIMIT_AS), bytes
MAX_DATA_BYTES = 1_000_000  # task data sent to, or returned by, one evaluation: bytes of JSON
MAX_SOURCE_CHARS = 100_000
POOL_SIZE = 2  # sandbox processes per server process, started when first needed
STARTUP_TIMEOUT = 10.0
TIME_ZONE = "Asia/Ho_Chi_Minh"
NOBODY = 65534  # user and group the sandbox process switches to when started as root


class SandboxError(Exception):
    """An expression or script was refused, failed, or exceeded a limit. The message says which.

    A plain ``Exception`` on purpose: SpiffWorkflow's script engine wraps any non-SpiffWorkflow
    exception in a ``WorkflowTaskException`` carrying the task, and the task goes to ERROR.
    ``line`` is the line of the script concerned, when known.
    """

    def __init__(self, message, line=None):
        super().__init__(message)
        self.line = line


