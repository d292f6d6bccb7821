"""What a web process does before it takes its first request.

Django and onestop load much of themselves on first use: the URL configuration (and through it every view
module and what those import), the tables that ``reverse()`` reads, per language, the translation catalogues,
DRF's settings and the ``holidays`` package's calendars. A fresh worker's first request took about half a
second of CPU for it, and a worker restarted under load passed that on to whoever came first. ``warm_up()``
does this work at boot, from ``onestop.wsgi``. It reads no database, since a worker must boot while PostgreSQL is
down (``/readyz`` says so), and a fault in it is logged, never raised: the first requests then do the rest.
"""
import logging

from django.conf import settings
from django.urls import get_resolver
from django.utils import timezone, translation

log = logging.getLogger(__name__)


def warm_up() -> None:
    try:
        from rest_framework.settings import api_settings

        from onestop.deadlines import schedule

        resolver = get_resolver()
        resolver.url_patterns  # noqa: B018 - imports every view module
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                resolver.reverse_dict  # noqa: B018 - built per language
        for name in ("DEFAULT_RENDERER_CLASSES", "DEFAULT_PARSER_CLASSES", "DEFAULT_AUTHENTICATION_CLASSES",
                     "DEFAULT_PERMISSION_CLASSES", "DEFAULT_CONTENT_NEGOTIATION_CLASS", "DEFAULT_THROTTLE_CLASSES"):
            getattr(api_settings, name)  # DRF imports these on first use
        year = timezone.localdate().year
        for each in range(year - 1, year + 3):  # the years a deadline computed now reads (working_days)
            schedule.fallback(each)
    except Exception:  # noqa: BLE001 - the first requests will do it
        log.exception("The web process could not prepare itself before its first request")
