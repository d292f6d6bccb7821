"""The audit trail tells the portal: each dossier event that changes the status or hands the dossier to
another agency writes an outbox message, in the event's transaction."""
import logging

from django.db import transaction

from . import services

log = logging.getLogger(__name__)


def on_dossier_event(sender, instance, created, raw=False, **kwargs):
    """post_save of DossierEvent. A fault here must not undo the dossier's change: the message is written in
    a savepoint; if that fails, the failure is logged and ``resync`` can report the dossier later."""
    if not created or raw or not services.may_report(instance) or not services.is_connected():
        return  # decided without a query or a savepoint where the portal hears nothing of it
    try:
        with transaction.atomic():
            services.record_change(instance)
    except Exception:
        log.exception("The portal message for event %s of dossier %s was not written", instance.pk,
                      instance.dossier_id)
