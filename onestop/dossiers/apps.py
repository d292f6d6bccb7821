from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DossiersConfig(AppConfig):
    name = "onestop.dossiers"
    label = "dossiers"
    verbose_name = _("Dossiers")

    def ready(self):
        # An exchange's end resumes its dossier's process or opens an incident (lifecycle.exchanges).
        from onestop.interop import signals

        from .lifecycle import exchanges

        signals.exchange_answered.connect(exchanges.on_exchange_answered, dispatch_uid="lifecycle-answered")
        signals.exchange_failed.connect(exchanges.on_exchange_failed, dispatch_uid="lifecycle-failed")
