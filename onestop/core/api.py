"""Shared API pieces: pagination, the mapping of service errors to HTTP answers, one-language names."""
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import DomainError
from .text import bilingual


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        body = {"detail": str(exc.message)}
        if exc.errors:
            body["errors"] = exc.errors
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        # Django's "No Procedure matches the given query." names a model class, in English whatever the language.
        exc = NotFound()
    return drf_exception_handler(exc, context)


def not_found(request, exception=None):
    """The 404 answer (``handler404``): JSON under /api/, where clients parse the body; the page elsewhere.

    A path that matches no route (``/api/v1/work-items/0.5/claim/``) never reaches DRF, whose own 404s
    are JSON already.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


class OneLanguageField(serializers.CharField):
    """A BPMN name written "Tiếng Việt / English", in the request's language only (``core.text.bilingual``)."""

    def to_representation(self, value):
        return bilingual(super().to_representation(value))
