"""The dossier's audit trail. Every service that changes a dossier calls ``record``.

Inside ``batch()`` the events are kept in memory and written at its end in one insert, in the order of the
trail (``reserve`` keeps a place for an event known only later: a completion, whose status is the one its
advance leads to, comes before what the advance recorded). Each still sends its ``post_save``, so the messages
and the portal's outbox follow every event as before.
"""
import threading
from contextlib import contextmanager

from onestop.core import inserts

from .models import DossierEvent

_local = threading.local()


def _pending():
    return getattr(_local, "events", None)


def event(dossier, action, *, actor=None, agency=None, from_status="", to_status=None, work_item=None,
          comment="", data=None):
    """The event, not written yet."""
    return DossierEvent(
        dossier=dossier,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else None,
        agency=agency,
        from_status=from_status or "",
        to_status=dossier.status if to_status is None else to_status,
        work_item=work_item,
        comment=comment or "",
        data=data or {},
    )


def record(dossier, action, **kwargs):
    made = event(dossier, action, **kwargs)
    pending = _pending()
    if pending is not None:
        pending.append(made)
    else:
        made.save()
    return made


def reserve():
    """A place in the current batch for an event recorded later (``fill``); None outside a batch."""
    pending = _pending()
    if pending is None:
        return None
    pending.append(None)
    return len(pending) - 1


def fill(place, made):
    """Put ``made`` at ``place`` (from ``reserve``), or write it now when there was no batch."""
    if place is None:
        record_now([made])
    else:
        _pending()[place] = made


def mark():
    """Where the batch stands (for ``forget_since``), or None outside a batch."""
    pending = _pending()
    return None if pending is None else len(pending)


def forget_since(position):
    """Drop the events recorded since ``mark()``: their savepoint was rolled back."""
    pending = _pending()
    if pending is not None and position is not None:
        del pending[position:]


def record_now(events):
    """Write ``events`` in one statement; each sends its ``pre_save`` and ``post_save`` as ``save()`` would."""
    events = [e for e in events if e is not None]
    if events:
        inserts.insert_rows(*events)


@contextmanager
def batch():
    """Record the events of the block in memory and write them at its end, if it ends without an error.
    Nested, the outer batch writes them."""
    if _pending() is not None:
        yield
        return
    _local.events = []
    try:
        yield
        events, _local.events = _local.events, None
        record_now(events)
    finally:
        _local.events = None
