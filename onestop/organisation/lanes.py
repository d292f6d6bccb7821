"""The lane naming rule, shared by routing (at run time) and the upload report (no database here).

A lane is named after a routing role, either exactly by its code (``district``) or as a label ending
with the code in brackets (``Ủy ban nhân dân quận [district]``). The lane ``applicant`` means the
citizen who submitted the dossier.
"""
import re

APPLICANT = "applicant"
_BRACKETED = re.compile(r"\[([A-Za-z0-9_-]+)\]\s*$")


def role_code_of_lane(lane_name):
    """The routing-role code a lane names, or None for a task outside any lane."""
    if not lane_name:
        return None
    match = _BRACKETED.search(lane_name)
    return (match.group(1) if match else lane_name).strip().lower()
