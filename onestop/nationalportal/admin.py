from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from onestop.core.admin import KeptRecordAdmin

from . import services
from .models import OutboxMessage, PortalLink, PortalSubmission


@admin.register(PortalLink)
class PortalLinkAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "base_url", "endpoint", "is_active", "pull_submissions"]


@admin.register(OutboxMessage)
class OutboxMessageAdmin(KeptRecordAdmin):
    """What the portal was told and what waits: read-only, except to send failed messages again."""

    list_display = ["created_at", "dossier", "sequence", "service", "status_code", "state", "attempts",
                    "next_attempt_at", "sent_at", "error"]
    list_filter = ["state", "service", "status_code"]
    search_fields = ["dossier__code", "message_id"]
    list_select_related = ["dossier"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description=_("Send the selected portal messages again"))
    def send_again(self, request, queryset):
        count = 0
        for message in queryset.exclude(state=OutboxMessage.State.SENT):
            count += services.retry(message).state == OutboxMessage.State.PENDING
        self.message_user(request, ngettext("%(count)d message queued again.", "%(count)d messages queued again.",
                                            count) % {"count": count}, messages.SUCCESS)


@admin.register(PortalSubmission)
class PortalSubmissionAdmin(KeptRecordAdmin):
    """Kept: the row is what stops a portal dossier from being taken in twice."""

    list_display = ["received_at", "portal_code", "dossier", "citizen_created", "acknowledged", "error"]
    list_filter = ["acknowledged", "citizen_created"]
    search_fields = ["portal_code", "dossier__code"]
