from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NationalPortalConfig(AppConfig):
    name = "onestop.nationalportal"
    label = "nationalportal"
    verbose_name = _("National Public Service Portal")

    def ready(self):
        # The outbox follows the audit trail, like notifications: every change of a dossier is a DossierEvent,
        # and the message row is written by its post_save, in the transaction of the change.
        from django.db.models.signals import post_save

        from onestop.dossiers.models import DossierEvent

        from . import handlers

        post_save.connect(handlers.on_dossier_event, sender=DossierEvent,
                          dispatch_uid="nationalportal.on_dossier_event")
