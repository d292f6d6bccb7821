"""Log records carry the request id and the dossier code; in production they are JSON lines."""
import logging
import re

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


# --- personal data out of the logs -------------------------------------------------------------------------
# Logs are read by operators and shipped to log stores that are not meant to hold citizens' data (Decree
# 13/2023 on personal data protection). The code logs ids and codes, never form data; this filter is the net
# for what slips through anyway (SQL at DEBUG, a peer's URL, an exception's text, a dict in a message).
MASK = "***"
_KEY = r"[\w-]*(?:name|address|addr|phone|mobile|email|birth|place|id_number|identity|cccd|cmnd|residence)[\w-]*"
_PERSONAL_KEY = re.compile(rf"^{_KEY}$", re.IGNORECASE)
_PATTERNS = [
    # key/value pairs of dict reprs and JSON whose key names a personal field: the value goes, the key stays
    (re.compile(rf"""(?P<q>['"])(?P<key>{_KEY})(?P=q)\s*:\s*"""
                r"""(?P<v>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""", re.IGNORECASE),
     lambda m: f"{m['q']}{m['key']}{m['q']}: {m['v'][0]}{MASK}{m['v'][0]}"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), lambda m: MASK),  # email addresses
    (re.compile(r"(?<![\w+.-])(?:\+84|84|0)(?:[ .-]?\d){9}(?![\d]|[.-]\d)"), lambda m: MASK),  # Vietnamese phones
    (re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)"), lambda m: MASK),  # citizen ID (12 digits), old ID card (9)
]
_SQL_STRING = re.compile(r"'(?:[^']|'')*'")
# Attributes of every record that hold no data from a request; everything else that is a string is masked.
_FIXED = frozenset({"name", "levelname", "pathname", "filename", "module", "funcName", "processName",
                    "threadName", "taskName", "request_id", "dossier", "msg", "args", "exc_text", "stack_info"})


def mask(text):
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    """Masks ID numbers, phone numbers, email addresses and personal fields of key/value dumps in a record:
    its message (rendered first), its extra fields, its traceback. Attached to the handlers in LOGGING."""

    _plain = logging.Formatter()

    def filter(self, record):
        if record.name.startswith("django.db.backends") and hasattr(record, "params"):
            # SQL at DEBUG: the statement stays, its values go (free text such as a letter names the citizen).
            # The statement comes with its values filled in: its string literals are masked too.
            record.params = _values_hidden(record.params)
            record.sql = _SQL_STRING.sub(f"'{MASK}'", str(getattr(record, "sql", "")))
            if isinstance(record.args, tuple) and len(record.args) == 4:  # (duration, sql, params, alias)
                record.args = (record.args[0], record.sql, record.params, record.args[3])
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, as text
            message = f"{record.msg} {record.args}"
        record.msg, record.args = mask(message), ()
        if record.exc_info:
            record.exc_text = self._plain.formatException(record.exc_info)
            record.exc_info = None  # formatters print exc_text instead
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _FIXED:
                setattr(record, key, _scrub(value))
        return True


def _values_hidden(params):
    """SQL parameters with every value but numbers, booleans and NULL replaced by the mask."""
    if isinstance(params, dict):
        return {key: _values_hidden(value) for key, value in params.items()}
    if isinstance(params, list | tuple):
        return type(params)(_values_hidden(value) for value in params)
    return params if params is None or isinstance(params, int | float | bool) else MASK


def _scrub(value):
    """Extra fields may be lists or dicts (the SQL log's ``params``): masked all the way down."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, list | tuple):
        return type(value)(_scrub(item) for item in value)
    if isinstance(value, dict):
        return {key: MASK if _PERSONAL_KEY.search(str(key)) else _scrub(item) for key, item in value.items()}
    return value
