"""Probes and metrics. Plain functions called by ``OpsMiddleware`` (see why there)."""
import hmac
import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotFound, JsonResponse

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
