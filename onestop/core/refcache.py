"""Reference data read on every step (routing roles, office hours, the calendar, peers, API tokens), kept per
process for a short while instead of read from PostgreSQL by every request.

Each table has a cache of its own, emptied in this process as soon as one of its rows is saved or deleted
(``invalidate_on``) and, in the other web and worker processes, when its entries expire
(``settings.ONESTOP_REFCACHE_SECONDS``, 30 by default; 0 turns the caches off): an admin's change to these
rarely changed tables reaches every process within that time. A bulk ``update()`` sends no signal, so it is
seen after the expiry too (``clear_all`` empties everything at once, as the tests do between them).
"""
import threading
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save

_MISSING = object()
_caches = {}
_lock = threading.Lock()


class Cache:
    """key -> value, each entry for ``ttl`` seconds."""

    def __init__(self, name):
        self.name, self._entries = name, {}

    def get(self, key, load):
        """The cached value of ``key``, or ``load()`` kept for next time (``None`` is kept too)."""
        now = time.monotonic()
        value, expires = self._entries.get(key, (_MISSING, 0.0))
        if value is _MISSING or expires <= now:
            value = load()
            self._entries[key] = (value, now + settings.ONESTOP_REFCACHE_SECONDS)
        return value

    def __len__(self):
        return len(self._entries)

    def clear(self, **kwargs):
        self._entries = {}


def cache(name) -> Cache:
    with _lock:
        if name not in _caches:
            _caches[name] = Cache(name)
        return _caches[name]


def invalidate_on(model, name):
    """Empty cache ``name`` in this process whenever a row of ``model`` (a class or "app.Model") is saved or
    deleted."""
    target = cache(name)
    post_save.connect(target.clear, sender=model, weak=False, dispatch_uid=f"refcache-save-{name}-{model}")
    post_delete.connect(target.clear, sender=model, weak=False, dispatch_uid=f"refcache-delete-{name}-{model}")


def clear_all():
    for entry in list(_caches.values()):
        entry.clear()
