"""Who is asking (the client's address behind our proxies), what a locked-out login sees, and how many
dossiers one account may submit.

Login lockout is django-axes (settings: AXES_*; docs/security.md): after AXES_FAILURE_LIMIT wrong
passwords for one username from one address, that pair waits AXES_COOLOFF_TIME. Admins unlock in the
admin (Axes → access attempts: delete the row) or with ``manage.py axes_reset_username <name>``.
"""
import ipaddress
import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import NON_FIELD_ERRORS
from django.forms.utils import ErrorDict
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def client_address(request):
    """The client's IP address (or None): REMOTE_ADDR, or, behind ``ONESTOP_PROXY_COUNT`` reverse proxies that each
    append to X-Forwarded-For, the address the outermost one saw (entries further left can be forged).

    Used by the login lockout, the API throttles (REST_FRAMEWORK NUM_PROXIES, same rule) and the portal's
    lookup limit, so that behind nginx every citizen does not share one allowance.
    """
    remote = _valid(request.META.get("REMOTE_ADDR"))
    count = getattr(settings, "ONESTOP_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote
    addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
    return (_valid(addresses[-min(count, len(addresses))]) if addresses else None) or remote


def _valid(address):
    """An IP address, or None (no address, as in the test client's force_login, or garbage in a header)."""
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


class LockoutBackend(AxesStandaloneBackend):
    """Axes' check, skipped when ``authenticate()`` is called without a request (the test client's
    ``login``, management commands): there is no client address to lock out, and the password is still
    checked by ModelBackend. Every login a person makes (pages, admin, API token) passes the request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _minutes(request):
    cool_off = get_cool_off(request)
    return max(1, math.ceil(cool_off.total_seconds() / 60)) if cool_off else None


def lockout_message(request):
    minutes = _minutes(request)
    if minutes is None:
        return _("Too many failed logins for this account from your network. Ask an administrator to unlock it.")
    return ngettext(
        "Too many failed logins for this account from your network. Try again in %(minutes)d minute, "
        "or ask an administrator to unlock it.",
        "Too many failed logins for this account from your network. Try again in %(minutes)d minutes, "
        "or ask an administrator to unlock it.",
        minutes,
    ) % {"minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    """429 with the reason and the wait: JSON for the API, else the login page with the message on top."""
    message = lockout_message(request)
    minutes = _minutes(request)
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=429)
    else:
        form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
        form._errors = ErrorDict({NON_FIELD_ERRORS: form.error_class([message], error_class="nonfield")})
        response = render(request, "registration/login.html",
                          {"form": form, "next": request.POST.get("next", "")}, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
