"""The lane naming rule, as routing reads it: the engine's (``onestop.engine.lanes``), which the upload
report applies too, so a lane the report accepts is a lane routing resolves."""
from onestop.engine.lanes import APPLICANT, role_code_of_lane  # noqa: F401 - re-exported for routing
