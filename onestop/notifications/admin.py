from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from onestop.core.admin import KeptRecordAdmin

from . import services
from .models import Notification


@admin.register(Notification)
class NotificationAdmin(KeptRecordAdmin):
    """The record of what was sent; read-only, except to send a failed message again."""

    list_display = ["created_at", "dossier", "template", "channel", "address", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel", "template"]
    search_fields = ["dossier__code", "address", "recipient__username"]
    list_select_related = ["dossier"]
    date_hierarchy = "created_at"
    actions = ["send_again"]

    @admin.action(description=_("Send the selected failed notifications again"))
    def send_again(self, request, queryset):
        count = 0
        for notification in queryset.filter(state=Notification.State.FAILED):
            count += services.resend(notification).state == Notification.State.QUEUED
        self.message_user(request, ngettext("%(count)d notification queued again.",
                                            "%(count)d notifications queued again.", count) % {"count": count},
                          messages.SUCCESS)
