from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "onestop.ops"
    verbose_name = _("Operations")

    def ready(self):
        # The Celery signals that carry the request id into tasks.
        from . import tasks  # noqa: F401

        # Every change of a dossier records an event: from then on, log lines name the dossier.
        post_save.connect(_note_dossier, sender="dossiers.DossierEvent", dispatch_uid="onestop.ops.dossier")


def _note_dossier(sender, instance, created, **kwargs):
    from . import context

    if created:
        context.dossier.set(instance.dossier.code)
