from django.apps import AppConfig
from django.db.models.signals import post_delete, post_init, post_save
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "onestop.reports"
    verbose_name = _("Reports")

    def ready(self):
        from onestop.dossiers.models import Attachment, Dossier, Rating

        from . import signals

        post_init.connect(signals.remember, sender=Dossier, dispatch_uid="reports-remember")
        post_save.connect(signals.dossier_saved, sender=Dossier, dispatch_uid="reports-dossier")
        post_save.connect(signals.rating_saved, sender=Rating, dispatch_uid="reports-rating")
        post_delete.connect(signals.rating_deleted, sender=Rating, dispatch_uid="reports-rating-delete")
        post_save.connect(signals.attachment_changed, sender=Attachment, dispatch_uid="reports-attachment")
        post_delete.connect(signals.attachment_changed, sender=Attachment, dispatch_uid="reports-attachment-delete")
