from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "onestop.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Messages follow the audit trail: every change of a dossier is a DossierEvent, so listening to
        # its creation needs no call from the lifecycle services.
        from django.db.models.signals import post_save

        from onestop.dossiers.models import DossierEvent

        from . import handlers

        post_save.connect(handlers.on_dossier_event, sender=DossierEvent,
                          dispatch_uid="notifications.on_dossier_event")
