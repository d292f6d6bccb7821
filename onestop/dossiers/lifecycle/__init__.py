"""The dossier lifecycle (Decree 61/2018, Decree 118/2025): submit, receive, process, return.

One module per use case; this package is their public door. Every function that changes a dossier takes
its row lock first (``lock_dossier``), applies the change and records it in the audit trail, in one
transaction: a dossier is never half-written. Every advance of a process goes through ``advance``.

The apps below (worklist, interop, deadlines, procedures, engine) never import this package: it calls
them, and interop tells of an exchange's end through its signals.
"""
from .advance import advance, after_advance
from .desk import hand_over_result, receive_at_desk
from .exchanges import enter_exchange_manually, raise_exchange_incident, resume_after_exchange
from .extensions import check_extender, extend, official_agency
from .incidents import retry_incident, stop_dossier, sweep_stuck_dossiers
from .locking import lock_dossier, locked_item, queued_item
from .migration import migrate_dossiers, migrate_version
from .rating import rate
from .reception import DESK_DECISIONS, RECEPTION_FORM, RECEPTION_NAME
from .returns import RETURN_FORM, RETURN_NAME
from .steps import (
    claim_locked,
    claim_work_item,
    comment_on,
    complete_locked,
    complete_work_item,
    reassign_work_item,
    unclaim_work_item,
)
from .submission import submit
from .supplementation import supplement
from .timers import fire_due_timers, fire_timer_step
from .withdrawal import withdraw

__all__ = [
    "DESK_DECISIONS", "RECEPTION_FORM", "RECEPTION_NAME", "RETURN_FORM", "RETURN_NAME", "advance", "after_advance",
    "check_extender", "claim_locked", "claim_work_item", "comment_on", "complete_locked", "complete_work_item",
    "enter_exchange_manually", "extend", "fire_due_timers", "fire_timer_step", "hand_over_result", "lock_dossier",
    "locked_item", "migrate_dossiers", "migrate_version", "official_agency", "queued_item", "raise_exchange_incident",
    "rate", "reassign_work_item", "receive_at_desk", "resume_after_exchange", "retry_incident", "stop_dossier",
    "submit", "supplement", "sweep_stuck_dossiers", "unclaim_work_item", "withdraw",
]
