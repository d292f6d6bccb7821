"""Middleware of our own: refuse a NUL in the URL; skip what only pages need on the API's token calls; the
CSP and locale middleware with their per-request work cut down, their answers unchanged.

Refuse what no view can answer: a NUL character in the path or the query string.

PostgreSQL cannot hold a NUL in a string, so ``/api/v1/dossiers/a%00b/`` or ``?q=%00`` reached the
database and failed there (a 500 on every lookup by code; schemathesis and a probe found it). One check
here instead of one in every view.
"""
from urllib.parse import unquote_plus

from csp import middleware as csp_middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.core.exceptions import SuspiciousOperation
from django.http import JsonResponse
from django.middleware import locale
from django.utils import translation
from django.utils.cache import patch_vary_headers
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


# --- The API's token calls skip what only pages need ------------------------------------------------------
# A call to /api/ with "Authorization: Token ..." is authenticated by its token alone: REST framework answers
# 401 to a bad token and never falls back to the session. Django's lazy user (REST framework sets the user on
# the request) and the messages are then work for nothing on every call. The session and CSRF middleware stay
# as they are, for every call: they cost little when unused, and `check --deploy` looks for them by name.

def token_api_call(request):
    if not request.path_info.startswith("/api/"):
        return False
    keyword = request.META.get("HTTP_AUTHORIZATION", "").split(" ", 1)[0]
    return keyword.lower() == "token"  # REST framework's keyword, compared as it does


class _PagesOnly:
    def __call__(self, request):
        if not self.async_mode and token_api_call(request):
            return self.get_response(request)
        return super().__call__(request)


class AuthenticationMiddleware(_PagesOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(_PagesOnly, messages.MessageMiddleware):
    pass


_PER_RESPONSE = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class CSPMiddleware(csp_middleware.CSPMiddleware):
    """django-csp, with the headers built once per policy rather than per response (two dataclass copies and
    the policy's text each time) when a response changes nothing: no decorator on its view, no nonce used."""

    _built = (None, None, "", "")

    def _headers(self):
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built[0] is not policy or built[1] is not report_only:  # built again when a test overrides them
            built = (policy, report_only, build_policy(), build_policy(report_only=True))
            CSPMiddleware._built = built
        return built[2], built[3], (policy or {}).get("EXCLUDE_URL_PREFIXES") or (), \
            (report_only or {}).get("EXCLUDE_URL_PREFIXES") or ()

    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(
                getattr(response, name, None) is not None for name in _PER_RESPONSE):
            return super().process_response(request, response)
        if response.status_code in (500, 404) and settings.DEBUG:
            return response
        policy, report_only, excluded, excluded_ro = self._headers()
        path = request.path_info
        if (policy and HEADER not in response and getattr(response, "_csp_exempt", False) is False
                and not path.startswith(tuple(excluded))):
            response[HEADER] = policy
        if (report_only and HEADER_REPORT_ONLY not in response and getattr(response, "_csp_exempt_ro", False) is False
                and not path.startswith(tuple(excluded_ro))):
            response[HEADER_REPORT_ONLY] = report_only
        request.csp_nonce = csp_middleware.CheckableLazyObject(self._csp_nonce_post_response)
        return response


class LocaleMiddleware(locale.LocaleMiddleware):
    """Django's, without looking for a language in the path (twice a request) when no URL has a language
    prefix (``i18n_patterns``, which this site does not use): the language is then the cookie's or
    Accept-Language's, as Django picks it, and the answer says so the same way."""

    @staticmethod
    def _prefixed(request):
        return is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]

    def process_request(self, request):
        if self._prefixed(request):
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request))
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        if self._prefixed(request):
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
