"""The lane naming rule of docs/bpmn-conventions.md, shared by the upload report and routing (no database here).

A lane is named after a routing role, either exactly by its code (``district``) or as a label ending
with the code in brackets (``Ủy ban nhân dân quận [district]``). The lane ``applicant`` means the
citizen who submitted the dossier. Routing (``onestop.organisation.routing``) reads lanes with the
same rule at run time, so what the report accepts is what routing finds.
"""
import re

APPLICANT = "applicant"
_BRACKETED = re.compile(r"\[([A-Za-z0-9_-]+)\]\s*$")


def role_code_of_lane(lane_name: str | None) -> str | None:
    """The routing-role code a lane names, or None for a task outside any lane."""
    if not lane_name:
        return None
    match = _BRACKETED.search(lane_name)
    return (match.group(1) if match else lane_name).strip().lower()
