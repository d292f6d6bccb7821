import math

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, Throttled
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from onestop.core.api import OneLanguageField
from onestop.core.text import bilingual, named
from onestop.core.throttling import SubmissionThrottle, submission_refused
from onestop.deadlines import schedule
from onestop.deadlines.models import Extension
from onestop.interop.selectors import exchanges_seen
from onestop.worklist.api import CaseFileEntrySerializer, CompleteSerializer, WorkItemSerializer, WorkItemViewSet
from onestop.worklist.models import WorkItem
from onestop.worklist.selectors import case_file
from procedures import content
from procedures.models import ProcedureVersion

from . import lifecycle, selectors
from .lifecycle import extensions
from .models import Dossier, Incident, Status


class AgencyRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.SerializerMethodField(help_text="In the request's language (Accept-Language)")

    def get_name(self, obj) -> str:
        return named(obj)


def _person(user):
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class DossierCreateSerializer(serializers.Serializer):
    procedure = serializers.CharField(help_text="Procedure code, e.g. 1.001193")
    agency = serializers.CharField(help_text="Code of the agency whose one-stop desk receives the dossier")
    form_data = serializers.JSONField(help_text="The applicant's form, checked against the procedure's JSON Schema")


def _plain_code(value):
    """A code DRF's CharField would take as it is: a non-empty string with no surrounding blanks and nothing
    unprintable (NUL, surrogates)."""
    return type(value) is str and value != "" and value == value.strip() and value.isprintable()


def _submission_payload(data):
    """The body of a submission, checked as ``DossierCreateSerializer`` does. The common JSON body is checked
    here directly (building the serializer cost about a tenth of a submission's CPU); anything else goes
    through the serializer, for its exact messages."""
    if (type(data) is dict and _plain_code(data.get("procedure")) and _plain_code(data.get("agency"))
            and data.get("form_data") is not None):
        return data
    payload = DossierCreateSerializer(data=data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data


_datetime, _date = serializers.DateTimeField(), serializers.DateField()


def _submitted(dossier):
    """``DossierListSerializer(dossier).data`` of a dossier just submitted, written out (no serializer to build,
    and every value is at hand)."""
    agency, procedure = dossier.receiving_agency, dossier.procedure
    return {"code": dossier.code, "procedure": procedure.code, "procedure_name": content.display_name(procedure),
            "status": dossier.status, "status_display": str(Status(dossier.status).label),
            "receiving_agency": {"code": agency.code, "name": named(agency)},
            "submitted_at": _datetime.to_representation(dossier.submitted_at),
            "appointment_date": _date.to_representation(dossier.appointment_date),
            "appointment_provisional": schedule.is_provisional(dossier.appointment_date)}


class SupplementSerializer(serializers.Serializer):
    form_data = serializers.JSONField(required=False, help_text="Fields to change; the whole form is re-checked")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ExtendSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why the result is late; quoted in the apology letter")
    new_date = serializers.DateField(help_text="The new appointment date, a working day after the current one")


class DossierListSerializer(serializers.ModelSerializer):
    procedure = serializers.CharField(source="procedure.code")
    procedure_name = serializers.SerializerMethodField(help_text="In the request's language, as the catalogue "
                                                                 "gives it (docs/portal.md)")
    status_display = serializers.CharField(source="get_status_display")
    receiving_agency = AgencyRefSerializer()
    appointment_provisional = serializers.SerializerMethodField()

    class Meta:
        model = Dossier
        fields = ["code", "procedure", "procedure_name", "status", "status_display", "receiving_agency",
                  "submitted_at", "appointment_date", "appointment_provisional"]

    def get_procedure_name(self, obj) -> str:
        return content.display_name(obj.procedure, memo=self.context.setdefault("content_languages", {}))

    def get_appointment_provisional(self, obj) -> bool:
        """True when the appointment date falls in a year whose working calendar is not yet confirmed by the
        government's notice: the date may move once it is."""
        return schedule.is_provisional(obj.appointment_date)


class StepSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = OneLanguageField()
    kind = serializers.CharField()
    agency = AgencyRefSerializer(allow_null=True)
    state = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="Set for a step with a budget in hours")


class HandoverSerializer(serializers.Serializer):
    from_agency = AgencyRefSerializer(allow_null=True)
    to_agency = AgencyRefSerializer()
    handed_at = serializers.DateTimeField()
    given_by = serializers.SerializerMethodField()
    received_by = serializers.SerializerMethodField()
    received_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField()

    def get_given_by(self, obj) -> str | None:
        return _person(obj.given_by)

    def get_received_by(self, obj) -> str | None:
        return _person(obj.received_by)


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    action = serializers.CharField()
    actor = serializers.SerializerMethodField()
    agency = AgencyRefSerializer(allow_null=True)
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    work_item = serializers.IntegerField(source="work_item_id", allow_null=True)
    step = serializers.SerializerMethodField()
    comment = serializers.CharField()

    def get_actor(self, obj) -> str | None:
        return _person(obj.actor)

    def get_step(self, obj) -> str | None:
        return bilingual(obj.work_item.name) if obj.work_item_id else None


class ExchangeSerializer(serializers.Serializer):
    step = OneLanguageField(source="task_name", help_text="What the system was asked for: the process step")
    operator = serializers.CharField()
    system = serializers.SerializerMethodField()
    requested_by = serializers.SerializerMethodField()
    state = serializers.CharField()
    attempts = serializers.IntegerField()
    about_applicant = serializers.BooleanField(help_text="Whether the person looked up is the dossier's applicant")
    result = serializers.JSONField(
        source="shown_result", allow_null=True,
        help_text="The answer. The applicant gets the fields about another person left out (docs/interop.md)")
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_requested_by(self, obj) -> str:
        return _person(obj.acting_user) or "onestop"

    def get_system(self, obj) -> str | None:
        return named(obj.peer)


class RefusalSerializer(serializers.Serializer):
    reason = serializers.CharField(source="comment", help_text="Why the dossier was refused, as the official wrote it")
    step = serializers.SerializerMethodField()
    agency = AgencyRefSerializer(allow_null=True)
    at = serializers.DateTimeField()

    def get_step(self, obj) -> str | None:
        return bilingual(obj.work_item.name) if obj.work_item_id else None


class DossierDetailSerializer(DossierListSerializer):
    refusal = serializers.SerializerMethodField()
    case_file = serializers.SerializerMethodField()
    current_agencies = serializers.SerializerMethodField()
    open_steps = serializers.SerializerMethodField()
    route = serializers.SerializerMethodField()
    timeline = serializers.SerializerMethodField()
    exchanges = serializers.SerializerMethodField()
    incidents = serializers.SerializerMethodField()
    extension = serializers.SerializerMethodField()

    class Meta(DossierListSerializer.Meta):
        fields = DossierListSerializer.Meta.fields + [
            "refusal", "form_data", "case_file", "missing_documents", "received_at", "original_appointment_date",
            "result_at", "closed_at", "timeliness",
            "current_agencies", "open_steps", "route", "timeline", "exchanges", "incidents", "extension",
        ]

    @extend_schema_field(RefusalSerializer(allow_null=True))
    def get_refusal(self, obj):
        """Set when the dossier is refused: who refused it, at which step, and why."""
        event = selectors.refusal(obj)
        return RefusalSerializer(event).data if event else None

    def _as_applicant(self, obj):
        request = self.context.get("request")
        return selectors.sees_as_applicant(request.user if request else None, obj)

    @extend_schema_field(CaseFileEntrySerializer(many=True))
    def get_case_file(self, obj):
        """What officials entered at each completed step; the applicant gets the fields the procedure marks
        public (and no official's name, decision or comment: those are in the timeline)."""
        entries = case_file(obj, public_only=self._as_applicant(obj))
        return CaseFileEntrySerializer(entries, many=True).data

    def get_extension(self, obj) -> dict | None:
        """The one extension of the appointment date (form 04), if any."""
        extension = Extension.objects.filter(dossier=obj).select_related("letter").first()
        if extension is None:
            return None
        letter = reverse("dossier-attachment", args=[extension.letter.key]) if extension.letter else None
        return {"previous_date": extension.previous_date, "new_date": extension.new_date,
                "reason": extension.reason, "created_at": extension.created_at, "letter": letter}

    def _open_steps(self, obj):
        # One query for both fields that read the open steps.
        if not hasattr(obj, "_open_steps"):
            obj._open_steps = list(selectors.open_steps(obj))
        return obj._open_steps

    def get_current_agencies(self, obj) -> list[dict]:
        return AgencyRefSerializer(selectors.current_agencies(self._open_steps(obj)), many=True).data

    def get_open_steps(self, obj) -> list[dict]:
        return StepSerializer(self._open_steps(obj), many=True).data

    def get_route(self, obj) -> list[dict]:
        return HandoverSerializer(selectors.route(obj), many=True).data

    def get_timeline(self, obj) -> list[dict]:
        return EventSerializer(selectors.timeline(obj), many=True).data

    def get_exchanges(self, obj) -> list[dict]:
        return ExchangeSerializer(exchanges_seen(obj, as_applicant=self._as_applicant(obj)), many=True).data

    def get_incidents(self, obj) -> list[dict]:
        return [{"id": i.id, "step": bilingual(i.element_name), "message": i.message, "created_at": i.created_at,
                 "resolved_at": i.resolved_at} for i in obj.incidents.all()]


class DossierFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Status.choices)
    procedure = filters.CharFilter(field_name="procedure__code")

    class Meta:
        model = Dossier
        fields = ["status", "procedure"]


class DossierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Dossiers: a citizen's own, or those of an official's agencies."""

    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filterset_class = DossierFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Dossier.objects.none()
        return selectors.dossiers_for(self.request.user).order_by("-submitted_at", "-id")

    def get_serializer_class(self):
        return DossierDetailSerializer if self.action != "list" else DossierListSerializer

    def get_object(self):
        return selectors.dossier_for(self.request.user, self.kwargs["code"])

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.action == "create":
            self.submission_throttle = SubmissionThrottle()  # counts the dossier once received (``create``)
            throttles.append(self.submission_throttle)
        return throttles

    def throttled(self, request, wait):
        if self.action == "create":
            # The message says when, in minutes; DRF would add it again in seconds.
            refused = Throttled(detail=submission_refused(wait))
            refused.wait = math.ceil(wait) if wait else None  # Retry-After
            raise refused
        super().throttled(request, wait)

    @extend_schema(request=DossierCreateSerializer, responses={201: DossierListSerializer},
                   description="Submit a dossier. The answer is the dossier's summary (code, status, desk); its "
                               "detail is at the Location given, /api/v1/dossiers/{code}/.")
    def create(self, request):
        payload = _submission_payload(request.data)
        dossier = lifecycle.submit(
            request.user,
            procedure_code=payload["procedure"],
            agency_code=payload["agency"],
            form_data=payload["form_data"],
        )
        self.submission_throttle.record(request)
        # The summary only: the detail's timeline, route and steps cost a query each and the submitter has
        # just sent all of it (bench/README.md: building the detail was 65 % of a submission's time).
        return Response(_submitted(dossier), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("dossier-detail", kwargs={"code": dossier.code})})

    @extend_schema(request=SupplementSerializer, responses={200: DossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def supplement(self, request, code=None):
        payload = SupplementSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier = lifecycle.supplement(request.user, code, **payload.validated_data)
        return Response(DossierDetailSerializer(dossier, context=self.get_serializer_context()).data)

    @extend_schema(request=WithdrawSerializer, responses={200: DossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request, code=None):
        payload = WithdrawSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        dossier = lifecycle.withdraw(request.user, code, **payload.validated_data)
        return Response(DossierDetailSerializer(dossier, context=self.get_serializer_context()).data)

    @extend_schema(request=ExtendSerializer, responses={200: DossierDetailSerializer})
    @action(detail=True, methods=["post"])
    def extend(self, request, code=None):
        """Extend the appointment date once, with an apology letter (form 04), one working day ahead at least."""
        extensions.check_extender(request.user, code)  # 404 or 403 before the body is looked at
        payload = ExtendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        extension = extensions.extend(request.user, code, **payload.validated_data)
        return Response(DossierDetailSerializer(extension.dossier, context=self.get_serializer_context()).data)


class IncidentSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code")
    operator = serializers.CharField(source="exchange.operator", allow_null=True)
    attempts = serializers.IntegerField(source="exchange.attempts", allow_null=True)
    resolved_by = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = ["id", "dossier", "kind", "element_id", "element_name", "message", "operator", "attempts",
                  "created_at", "resolved_at", "resolved_by", "resolution", "comment"]

    def get_resolved_by(self, obj) -> str | None:
        return _person(obj.resolved_by)


class ManualEntrySerializer(serializers.Serializer):
    data = serializers.JSONField(help_text="The document's data, as the connector would have returned it")
    reason = serializers.CharField(allow_blank=True, default="")


class StopSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, default="", help_text="Why the dossier cannot go on")


class IncidentFilter(filters.FilterSet):
    open = filters.BooleanFilter(field_name="resolved_at", lookup_expr="isnull")

    class Meta:
        model = Incident
        fields = ["open", "kind"]


class IncidentViewSet(viewsets.ReadOnlyModelViewSet):
    """Dossiers whose process stopped: retry, enter the missing data by hand, or stop the dossier."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Incident.objects.none()
        return selectors.incidents_for(self.request.user)

    @extend_schema(request=None, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        incident = lifecycle.retry_incident(self.get_object().pk, request.user)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=StopSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        """End the dossier with a reason the applicant reads: its open steps are cancelled."""
        incident = self.get_object()
        payload = StopSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = lifecycle.stop_dossier(incident.pk, request.user, **payload.validated_data)
        return Response(IncidentSerializer(incident).data)

    @extend_schema(request=ManualEntrySerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"], url_path="enter-manually")
    def enter_manually(self, request, pk=None):
        incident = self.get_object()  # someone else's incident is not found, whatever the body says
        payload = ManualEntrySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        incident = lifecycle.enter_exchange_manually(incident.pk, request.user, **payload.validated_data)
        return Response(IncidentSerializer(incident).data)


class DataLookupSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="created_at")
    dossier = serializers.CharField(source="dossier.code")
    purpose = OneLanguageField(source="task_name")
    operator = serializers.CharField()
    system = serializers.SerializerMethodField()
    requested_by = serializers.SerializerMethodField()
    state = serializers.CharField()
    about_me = serializers.SerializerMethodField()
    fields_read = serializers.JSONField(source="fields_about_me", allow_null=True,
                                        help_text="The fields of my own record this exchange read")

    def get_requested_by(self, obj) -> str:
        return _person(obj.acting_user) or "onestop"

    def get_system(self, obj) -> str | None:
        return named(obj.peer)

    def get_about_me(self, obj) -> bool:
        """Whether the system was asked about me (else it served my dossier, about someone else)."""
        return obj.fields_about_me is not None


class DataTrackerViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Which systems were asked for my data, for which dossier, by whom (Estonia's data tracker)."""

    serializer_class = DataLookupSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            from onestop.interop.models import Exchange

            return Exchange.objects.none()
        return selectors.data_lookups_for(self.request.user)


def _decision_of(request):
    """The decision the body names, and the error of a body that cannot be read (raised after the queue check)."""
    try:
        data = request.data
    except APIException as exc:
        return None, exc
    return (data.get("decision") if hasattr(data, "get") else None), None


class WorkItemActionViewSet(WorkItemViewSet):
    """The task queues of the official's agencies and roles. Open and claimed items by default."""

    # The queues are the worklist's (``worklist.api``); what changes a dossier is the lifecycle's.

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        with transaction.atomic():  # one transaction, one statement to find and lock: the queue check, the claim
            dossier, item = lifecycle.queued_item(pk, request.user)
            lifecycle.claim_locked(dossier, item, request.user)
            return Response(WorkItemSerializer(item).data)

    @extend_schema(request=None, responses=WorkItemSerializer)
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        item = lifecycle.unclaim_work_item(self.get_object(), request.user)
        return Response(WorkItemSerializer(item).data)

    @extend_schema(
        request=CompleteSerializer, responses=WorkItemSerializer,
        description="Complete a step of your queues. A step still open (nobody holds it) is claimed and completed "
                    "by this one request: the audit trail records both, `claimed` then the completion, by you. A "
                    "step someone else holds is refused (403); `claim/` first remains possible. For the return of "
                    "a result, `data` names who collected it (`collector_name`, `collector_id_number`).")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        decision, unreadable = _decision_of(request)
        with transaction.atomic():  # one transaction: the queue check and both locks in one statement, the step
            # Another queue's item is not found, whatever the body says. The desk's decisions change the status
            # the applicant is told of: their record is read with the lock.
            dossier, item = lifecycle.queued_item(
                pk, request.user, with_process=True,
                with_applicant=isinstance(decision, str) and decision in lifecycle.DESK_DECISIONS)
            if unreadable is not None:
                raise unreadable
            payload = CompleteSerializer(data=request.data)
            payload.is_valid(raise_exception=True)
            if item.kind == WorkItem.Kind.RETURN:
                # As at the desk's page: the result is handed to a named person, whose ID number is checked.
                data = payload.validated_data["data"] if isinstance(payload.validated_data["data"], dict) else {}
                lifecycle.hand_over_result(item, request.user, collector_name=str(data.get("collector_name") or ""),
                                           collector_id_number=str(data.get("collector_id_number") or ""),
                                           locked=dossier)
            else:
                lifecycle.complete_locked(dossier, item, request.user, **payload.validated_data)
            return Response(WorkItemSerializer(item).data)


class MigrateSerializer(serializers.Serializer):
    from_version = serializers.IntegerField(help_text="Move the running dossiers of this version here")


class VersionMigrateView(APIView):
    """Move the running dossiers of an older version onto this one: all, or none with the blockers listed."""

    permission_classes = [IsAdminUser]

    @extend_schema(request=MigrateSerializer, responses={200: dict})
    def post(self, request, code, number):
        payload = MigrateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        versions = ProcedureVersion.objects.select_related("procedure")
        target = get_object_or_404(versions, procedure__code=code, number=number)
        source = get_object_or_404(versions, procedure__code=code, number=payload.validated_data["from_version"])
        moved = lifecycle.migrate_version(source, target, user=request.user)
        return Response({"moved": moved})
