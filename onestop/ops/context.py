"""What the current piece of work is about: the request id, and the dossier once known.

Held in context variables so that every log line of a request, and of the Celery tasks it enqueues,
carries them (``logging.ContextFilter``, ``tasks``) without passing them around.
"""
import contextvars
import re
import uuid

request_id = contextvars.ContextVar("onestop_request_id", default="")
dossier = contextvars.ContextVar("onestop_dossier", default="")

# A request id from a proxy or a caller is kept if it looks like one; anything else is replaced.
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def clean_request_id(value):
    """The caller's id when it is safe to log and echo, else a new one."""
    if value and _VALID.match(value):
        return value
    return uuid.uuid4().hex


def bind(request_id_value="", dossier_code=""):
    """Set both variables; returns tokens for ``reset``."""
    return request_id.set(request_id_value), dossier.set(dossier_code)


def reset(tokens):
    rid, dos = tokens
    request_id.reset(rid)
    dossier.reset(dos)
