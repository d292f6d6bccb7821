"""The link to the National Public Service Portal (Cổng Dịch vụ công quốc gia): where it is and how we talk
to it, the outbox of dossier messages waiting to be sent there, and the dossiers taken in from it."""
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PortalLink(models.Model):
    """The portal's integration endpoint as a city configured it (one active row). No secret here: our
    private key is a setting (``ONESTOP_SIGNING_KEY``); the portal's public keys verify its answers."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    base_url = models.URLField(_("base URL"))
    endpoint = models.CharField(_("integration endpoint"), max_length=200, default="/dvcqg/integration")
    # Sent in the ``dstcode`` header, which the portal's adapter routes on (VietOpenCPS's "dstcode").
    dstcode = models.CharField(_("destination code"), max_length=100, blank=True)
    # {"key id": "public key (base64url of the 32 bytes, or PEM)"}: the keys the portal signs its answers with.
    portal_keys = models.JSONField(_("portal's public keys"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    pull_submissions = models.BooleanField(_("take in dossiers submitted on the portal"), default=True)
    connect_timeout = models.FloatField(_("connect timeout (s)"), default=3.0)
    read_timeout = models.FloatField(_("read timeout (s)"), default=15.0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before a message is marked failed"), default=12)
    backoff_seconds = models.FloatField(_("first retry delay (s)"), default=5.0,
                                        help_text=_("Doubled after each failed attempt."))
    backoff_max_seconds = models.FloatField(_("longest retry delay (s)"), default=900.0)

    class Meta:
        verbose_name = _("portal link")
        verbose_name_plural = _("portal links")

    def __str__(self):
        return self.name


class OutboxMessage(models.Model):
    """One message for the portal, written in the transaction of the dossier change it reports.

    Sent in ``sequence`` order per dossier: a message waits while an earlier one of its dossier is unsent.
    ``message_id`` is the same on every attempt, so the portal can tell a repeat from a new message.
    """

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("outbox state", "Pending")
        SENT = "sent", pgettext_lazy("outbox state", "Sent")
        FAILED = "failed", pgettext_lazy("outbox state", "Failed")

    message_id = models.UUIDField(_("message id"), default=uuid.uuid4, unique=True, editable=False)
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="portal_messages")
    sequence = models.PositiveIntegerField(_("number within the dossier"))
    event = models.ForeignKey("dossiers.DossierEvent", verbose_name=_("event"), on_delete=models.PROTECT, null=True,
                              blank=True,
                              related_name="+")
    service = models.CharField(_("portal service"), max_length=60)
    status_code = models.CharField(_("portal status"), max_length=10, blank=True)
    # The last leg of the dossier's route when the message was made: a new leg is a hand-over to report.
    handover_id = models.PositiveBigIntegerField(_("handover id on the portal"), null=True, blank=True)
    payload = models.JSONField(_("message"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    answer = models.TextField(_("portal's answer"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("portal message")
        verbose_name_plural = _("portal messages")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "sequence"], name="uniq_portal_message_seq")]
        indexes = [
            # The sender's sweep and the admin's lists: what is not sent yet.
            models.Index(fields=["next_attempt_at"], condition=~models.Q(state="sent"),
                         name="portal_outbox_unsent_idx"),
        ]

    def __str__(self):
        return f"{self.dossier_id} #{self.sequence} {self.service} ({self.get_state_display()})"


class PortalSubmission(models.Model):
    """A dossier submitted on the portal and taken into our desk's queue, once per portal code."""

    portal_code = models.CharField(_("code on the portal"), max_length=80, unique=True)
    # None when it was refused (unknown procedure or agency, a form that does not fit): ``error`` says why.
    dossier = models.OneToOneField("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                   null=True, blank=True,
                                   related_name="portal_submission")
    error = models.TextField(_("why it was refused"), blank=True)
    citizen_created = models.BooleanField(_("applicant account created"), default=False)
    payload = models.JSONField(_("portal's record"))
    received_at = models.DateTimeField(_("taken in at"), auto_now_add=True)
    acknowledged = models.BooleanField(_("acknowledged to the portal"), default=False)

    class Meta:
        verbose_name = _("dossier from the portal")
        verbose_name_plural = _("dossiers from the portal")
        ordering = ["-received_at"]

    def __str__(self):
        return f"{self.portal_code} → {self.dossier_id}"
