"""Reads of notifications, for the API and other apps' pages."""
from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from onestop.organisation import access

from .models import Notification

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier


def notifications_for_dossier(dossier: Dossier, viewer: User | None = None) -> QuerySet[Notification]:
    """The messages sent about ``dossier``, oldest first.

    The applicant (when ``viewer`` is given and is not an official or admin) sees only the messages
    addressed to them: reminders and escalations between officials are internal.
    """
    qs = Notification.objects.filter(dossier=dossier).select_related("recipient").order_by("created_at", "id")
    if viewer is None or viewer.is_superuser or viewer.is_staff:
        return qs
    if dossier.applicant_id == viewer.pk and not access.is_official(viewer):
        return qs.filter(recipient=viewer)
    return qs
