"""The first middleware: a request id for every request, its metrics and access log line, and the probes.

/healthz, /readyz and /metrics are answered here, before host validation, sessions or locale: a
Kubernetes probe or a Prometheus server calls a pod by its IP address, which is not in ALLOWED_HOSTS,
and a probe must cost nothing but the check itself.
"""
import logging
import time

from django.db import DatabaseError

from . import context, metrics, views

logger = logging.getLogger("onestop.requests")

PROBES = {"/healthz": views.healthz, "/readyz": views.readyz, "/metrics": views.metrics}


class OpsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        if probe is not None:
            return probe(request)
        request_id = context.clean_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id
        tokens = context.bind(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            match = getattr(request, "resolver_match", None)
            view = match.view_name if match else "unmatched"  # the route, never the raw path: few labels
            metrics.observe_request(request.method, view, response.status_code, seconds)
            response["X-Request-ID"] = request_id
            logger.info("%s %s %s", request.method, request.path, response.status_code,
                        extra={"method": request.method, "path": request.path, "status": response.status_code,
                               "view": view, "duration_ms": round(seconds * 1000, 1),
                               "user": getattr(getattr(request, "user", None), "username", "") or ""})
            return response
        finally:
            context.reset(tokens)

    def process_exception(self, request, exception):
        # Only a lost connection: other database errors are bugs and stay 500s with their traceback.
        if isinstance(exception, DatabaseError) and _connection_lost(exception):
            logger.warning("database unavailable: %s", exception)
            return views.database_unavailable(request)
        return None

    def process_view(self, request, view_func, view_args, view_kwargs):
        code = view_kwargs.get("code")
        if isinstance(code, str):
            context.dossier.set(code)


def _connection_lost(exception):
    from django.db import InterfaceError, OperationalError

    return isinstance(exception, InterfaceError) or (
        isinstance(exception, OperationalError) and not getattr(exception.__cause__, "pgcode", None))
