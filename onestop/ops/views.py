"""Probes and metrics. Plain functions called by ``OpsMiddleware`` (see why there)."""
import hmac
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

from . import health
from .metrics import exposition

logger = logging.getLogger(__name__)


def healthz(request):
    """The process is alive and answers; nothing else is checked (a liveness probe must not cascade)."""
    return JsonResponse({"status": "ok"})


def readyz(request):
    """Ready for traffic: the database and the broker answer. 503 takes the instance out of the balancer."""
    checks = {}
    for name, check in (("database", health.database_ok), ("broker", health.broker_ok)):
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready; say which
            logger.warning("readyz: %s unavailable: %s", name, exc)
            checks[name] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def metrics(request):
    """Prometheus text. Needs ``Authorization: Bearer <ONESTOP_METRICS_TOKEN>``; with no token configured it
    is served only in DEBUG (the demo), and is a 404 in production rather than public."""
    token = settings.ONESTOP_METRICS_TOKEN
    if not token:
        if not settings.DEBUG:
            return HttpResponseNotFound()
    else:
        given = request.META.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            response = HttpResponse(status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)


def database_unavailable(request):
    """The database cannot be reached (a restart, a failover): 503 with Retry-After instead of a bare 500, so
    that a person and a client know to try again. Renders nothing that needs the database."""
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": _(
            "The service is briefly unavailable. Please try again in a minute. If you were submitting a dossier, "
            "look at your dossiers first: it may have been received.")}, status=503)
    else:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = "30"
    return response
