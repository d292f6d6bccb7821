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
    """key -> value, each entry for ``ttl`` seconds; past ``max_entries`` the cache starts afresh."""

    def __init__(self, name, max_entries=10_000):
        self.name, self.max_entries, self._entries = name, max_entries, {}

    def get(self, key, load, keep_none=True):
        """The cached value of ``key``, or ``load()`` kept for next time (``None`` too, unless ``keep_none`` is
        false: a key from the client that finds nothing then costs its query each time, and no memory)."""
        now = time.monotonic()
        value, expires = self._entries.get(key, (_MISSING, 0.0))
        if value is _MISSING or expires <= now:
            value = load()
            if value is None and not keep_none:
                return value
            if len(self._entries) >= self.max_entries:
                self._entries = {}
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


def row(instance):
    """What ``rebuild`` needs to make a fresh copy of ``instance`` (its loaded fields only): keep this, not the
    instance, so that what one request caches on its objects never reaches another."""
    if instance is None:
        return None
    deferred = instance.get_deferred_fields()
    names = [f.attname for f in instance._meta.concrete_fields if f.attname not in deferred]
    return type(instance), names, [getattr(instance, name) for name in names]


def rebuild(kept):
    """A model instance from ``row``'s result, as if just read (no query)."""
    if kept is None:
        return None
    model, names, values = kept
    return model.from_db("default", names, values)


def invalidate_on(model, name):
    """Empty cache ``name`` in this process whenever a row of ``model`` (a class or "app.Model") is saved or
    deleted."""
    target = cache(name)
    post_save.connect(target.clear, sender=model, weak=False, dispatch_uid=f"refcache-save-{name}-{model}")
    post_delete.connect(target.clear, sender=model, weak=False, dispatch_uid=f"refcache-delete-{name}-{model}")


def clear_all():
    for entry in list(_caches.values()):
        entry.clear()
