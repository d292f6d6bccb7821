"""Messages sent to citizens and officials about a dossier: one row per message, per channel."""
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One message to one address. The row is the record on the dossier of what was sent, when, to whom."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="notifications")
    # The audit event that caused the message (null for messages made by hand or by a future trigger).
    event = models.ForeignKey("dossiers.DossierEvent", verbose_name=_("event"), on_delete=models.PROTECT, null=True,
                              blank=True,
                              related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True,
                                  related_name="notifications", verbose_name=_("recipient"))
    # Copied when the message is made: the address it went to, even if the profile changes later.
    address = models.CharField(_("address"), max_length=254, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    template = models.CharField(_("message"), max_length=40)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["dossier", "created_at"]),
            models.Index(fields=["state", "created_at"]),
        ]
        constraints = [
            # One message per trigger, recipient, channel and kind: a handler run twice adds nothing.
            models.UniqueConstraint(fields=["event", "recipient", "channel", "template"],
                                    name="uniq_notification_per_event"),
        ]

    def __str__(self):
        return f"{self.dossier_id} {self.template} → {self.address or '-'} ({self.get_state_display()})"
