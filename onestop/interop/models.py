"""Exchanges with other agencies' systems (X-interconnection), the peers we talk to, and admin-made
REST connectors. One ``Exchange`` per service task a process reached, done by a Celery task."""
import os
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Platform(models.Model):
    """A data-sharing platform (a city's LGSP, the national NDXP): one gateway every exchange goes through.

    The platform routes by the provider and service named in the request's headers, checks our RFC 9421
    signature (with our public key, registered there under our key id) and signs its answer with its own.
    """

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    gateway_url = models.URLField(_("gateway URL"))
    # Who we are on the platform (the consumer code it gave our system).
    consumer_code = models.CharField(_("consumer code"), max_length=100)
    # {"consumer": "X-Consumer-Code", "provider": ..., "service": ..., "message_id": ...}: the platform's headers.
    header_names = models.JSONField(_("header names"), default=dict, blank=True)
    # {"key id": "public key"}: the keys the platform signs its answers with.
    platform_keys = models.JSONField(_("platform's public keys"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    DEFAULT_HEADERS = {"consumer": "X-Consumer-Code", "provider": "X-Provider-Code", "service": "X-Service-Code",
                       "message_id": "X-Message-Id"}

    class Meta:
        verbose_name = _("data-sharing platform")
        verbose_name_plural = _("data-sharing platforms")

    def __str__(self):
        return self.name

    def header(self, name):
        return (self.header_names or {}).get(name) or self.DEFAULT_HEADERS[name]


class Peer(models.Model):
    """Another agency's system: where it is, the key we sign with, and how patiently we call it."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    agency = models.ForeignKey("organisation.Agency", on_delete=models.PROTECT, null=True, blank=True,
                               help_text=_("The agency that holds the data, when it is one of ours."))
    base_url = models.URLField(_("base URL"))
    key_id = models.CharField(_("key id"), max_length=100)
    # "env:NAME" reads the secret from the environment variable NAME instead of the database.
    secret = models.CharField(_("shared secret"), max_length=200)
    connect_timeout = models.FloatField(_("connect timeout (s)"), default=3.0)
    read_timeout = models.FloatField(_("read timeout (s)"), default=10.0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts before an incident"), default=5)
    backoff_seconds = models.FloatField(_("first retry delay (s)"), default=5.0,
                                        help_text=_("Doubled after each failed attempt."))
    is_active = models.BooleanField(_("active"), default=True)
    # Set: every exchange with this peer goes through the platform's gateway instead of ``base_url``.
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, null=True, blank=True,
                                 verbose_name=_("through platform"))
    provider_code = models.CharField(_("provider code on the platform"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("peer system")
        verbose_name_plural = _("peer systems")

    def __str__(self):
        return self.name

    def get_secret(self):
        if self.secret.startswith("env:"):
            return os.environ.get(self.secret[4:], "")
        return self.secret


class RestConnector(models.Model):
    """An operator an admin configures without code: a REST call and where the result is in the answer."""

    operator = models.CharField(_("operator"), max_length=100, unique=True)
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT)
    method = models.CharField(max_length=6, choices=[("GET", "GET"), ("POST", "POST")], default="GET")
    # Python format syntax over the parameters, e.g. "/tax/enterprises/{tax_code}".
    path_template = models.CharField(_("path template"), max_length=300)
    params_schema = models.JSONField(_("parameter schema"), default=dict, blank=True)
    # {"result name": "dotted.path.in.the.answer"}; empty keeps the whole answer.
    response_mapping = models.JSONField(_("response mapping"), default=dict, blank=True)
    # Data protection (Decree 13/2023/NĐ-CP): whose record the answer is, and which of its fields are about them.
    subject_param = models.CharField(
        _("subject's ID parameter"), max_length=100, blank=True,
        help_text=_("The parameter holding the ID number of the person the answer is about."))
    subject_field = models.CharField(
        _("subject's ID field"), max_length=100, blank=True,
        help_text=_("Or the answer's field holding that ID number (e.g. a parcel's owner)."))
    personal_fields = models.JSONField(
        _("personal fields"), null=True, blank=True,
        help_text=_("Result fields that are personal data of that person. Empty: the whole answer is. "
                    "The applicant sees them only when the person is the applicant."))

    class Meta:
        verbose_name = _("REST connector")
        verbose_name_plural = _("REST connectors")

    def __str__(self):
        return self.operator


class Exchange(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("exchange state", "Pending")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")
        MANUAL = "manual", _("Entered manually")

    dossier = models.ForeignKey("dossiers.Dossier", on_delete=models.PROTECT, related_name="exchanges",
                                verbose_name=_("dossier"))
    task_id = models.CharField(_("BPMN task instance"), max_length=36)
    task_spec_id = models.CharField(_("BPMN element id"), max_length=200, blank=True)
    # The process variable the result goes into (the service task's id unless the BPMN names one).
    result_key = models.CharField(_("result variable"), max_length=200, blank=True)
    task_name = models.CharField(_("step"), max_length=300)
    lane = models.CharField(_("lane"), max_length=200, blank=True)
    operator = models.CharField(_("operator"), max_length=100)
    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("peer system"))
    params = models.JSONField(_("parameters"), default=dict)
    acting_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("on behalf of"))
    # The same on every attempt: the peer can tell a retry from a new question.
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, editable=False, unique=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # Kept as soon as the answer is verified, so that a repeated delivery resumes without calling again.
    result = models.JSONField(_("result"), null=True, blank=True)
    request_id = models.CharField(_("last request id"), max_length=36, blank=True)
    request_digest = models.CharField(_("request digest"), max_length=64, blank=True)
    response_digest = models.CharField(_("response digest"), max_length=64, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(_("last call (ms)"), null=True, blank=True)
    total_duration_ms = models.PositiveIntegerField(_("all calls (ms)"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("exchange")
        verbose_name_plural = _("exchanges")
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["dossier", "task_id"], name="uniq_exchange_task")]

    def __str__(self):
        return f"{self.operator} – {self.dossier_id} ({self.get_state_display()})"


class PersonalDataRead(models.Model):
    """One read of a person's data from another agency's system: whose (ID number), for which dossier and step
    (the purpose), on behalf of which agency, by whom, which fields, when. The access log of Decree 13/2023/NĐ-CP:
    written with the answer, never changed; admins read it, the person sees it in their data tracker."""

    subject_id_number = models.CharField(_("subject's ID number"), max_length=12, db_index=True)
    exchange = models.ForeignKey(Exchange, verbose_name=_("exchange"), on_delete=models.PROTECT,
                                 related_name="personal_reads")
    dossier = models.ForeignKey("dossiers.Dossier", verbose_name=_("dossier"), on_delete=models.PROTECT,
                                related_name="+")
    step = models.CharField(_("purpose (step)"), max_length=300)
    agency = models.ForeignKey("organisation.Agency", verbose_name=_("agency"), on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    operator = models.CharField(_("operator"), max_length=100)
    peer = models.ForeignKey(Peer, verbose_name=_("peer system"), on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+")
    fields = models.JSONField(_("fields read"), default=list)
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("personal data read")
        verbose_name_plural = _("personal data reads")
        ordering = ["-read_at", "-id"]

    def __str__(self):
        return f"{self.operator}: {self.subject_id_number} – {self.dossier_id}"


class RegisterBook(models.Model):
    """A register an agency keeps locally (e.g. the birth register), numbered per year."""

    agency = models.ForeignKey("organisation.Agency", on_delete=models.PROTECT, verbose_name=_("agency"))
    book = models.CharField(_("register"), max_length=60)
    year = models.PositiveIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("register book")
        verbose_name_plural = _("register books")
        constraints = [models.UniqueConstraint(fields=["agency", "book", "year"], name="uniq_register_book")]

    def __str__(self):
        return f"{self.book} {self.year} – {self.agency_id}: {self.last}"
