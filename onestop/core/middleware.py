"""Refuse what no view can answer: a NUL character in the path or the query string.

PostgreSQL cannot hold a NUL in a string, so ``/api/v1/dossiers/a%00b/`` or ``?q=%00`` reached the
database and failed there (a 500 on every lookup by code; schemathesis and a probe found it). One check
here instead of one in every view.
"""
from urllib.parse import unquote_plus

from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


class RefuseNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "\x00" in unquote_plus(request.META.get("QUERY_STRING", "")):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": _("Not in the expected format.")}, status=400)
            return defaults.bad_request(request, SuspiciousOperation("NUL character in the URL"))
        return self.get_response(request)
