"""Log records carry the request id and the dossier code; in production they are JSON lines."""
import logging

from pythonjsonlogger.json import JsonFormatter

from . import context


class ContextFilter(logging.Filter):
    """Adds ``request_id`` and ``dossier`` to every record (empty outside a request or task)."""

    def filter(self, record):
        record.request_id = context.request_id.get()
        record.dossier = context.dossier.get()
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, dossier, and any extra."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", "%(levelname)s %(name)s %(message)s %(request_id)s %(dossier)s")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601 in UTC: log collectors sort on it
        super().__init__(*args, **kwargs)
