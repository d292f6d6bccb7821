from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAdminUser
from rest_framework.response import Response
from rest_framework.views import APIView

from onestop.core.exceptions import InvalidInput
from onestop.dossiers.models import FINAL_STATUSES
from onestop.engine import parsing

from . import content, entries, services
from .models import Procedure, ProcedureVersion
from .selectors import published_procedures, published_version, unroutable_agencies


class ProcedureSerializer(serializers.Serializer):
    """``name``, ``field`` and ``fee_note`` are in one language, ``language``: English when the request asks for
    it (``Accept-Language: en``) and the procedure has all its English texts, else Vietnamese, as on the
    portal's pages. The stored English texts are also given as they are (``*_en``, ``x-en`` in the form)."""

    code = serializers.CharField()
    language = serializers.SerializerMethodField(help_text="Language of name, field and fee_note: vi or en")
    name = serializers.SerializerMethodField()
    name_en = serializers.CharField()
    field = serializers.SerializerMethodField()
    field_en = serializers.CharField()
    competent_level = serializers.CharField()
    receiving_level = serializers.CharField()
    processing_days = serializers.IntegerField()
    fee = serializers.IntegerField()
    fee_note = serializers.SerializerMethodField()
    fee_note_en = serializers.CharField()
    online_level = serializers.CharField()
    documents = serializers.JSONField()
    form_schema = serializers.JSONField()

    def get_language(self, obj) -> str:
        return content.content_language(obj)

    def get_name(self, obj) -> str:
        return content.text(obj, "name", content.content_language(obj))

    def get_field(self, obj) -> str:
        return content.text(obj, "field", content.content_language(obj))

    def get_fee_note(self, obj) -> str:
        return content.text(obj, "fee_note", content.content_language(obj))


class ProcedureViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The public catalogue: published procedures, no login needed. Admins create a catalogue entry
    (``POST``) and change it (``PATCH``): names, levels, legal time, fee, documents, the applicant's form."""

    serializer_class = ProcedureSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filterset_fields = ["competent_level", "field"]
    parser_classes = [JSONParser]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        # Methods the catalogue does not take answer 405 to everyone, as before admins could write.
        return [IsAdminUser()] if self.action in ("create", "partial_update") else [AllowAny()]

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return published_procedures().order_by("code")
        return Procedure.objects.order_by("code")  # an admin changes entries not yet published too

    def get_serializer_class(self):
        return entries.CatalogueEntrySerializer if self.action in ("create", "partial_update") else ProcedureSerializer

    @extend_schema(request=entries.CatalogueEntrySerializer, responses={201: ProcedureSerializer})
    def create(self, request, *args, **kwargs):
        entry = entries.CatalogueEntrySerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        procedure = services.create_procedure(dict(entry.validated_data), user=request.user)
        return Response(ProcedureSerializer(procedure).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=entries.CatalogueEntrySerializer, responses=ProcedureSerializer)
    def partial_update(self, request, *args, **kwargs):
        procedure = self.get_object()
        entry = entries.CatalogueEntrySerializer(procedure, data=request.data, partial=True)
        entry.is_valid(raise_exception=True)
        procedure = services.update_procedure(procedure, dict(entry.validated_data), user=request.user)
        return Response(ProcedureSerializer(procedure).data)


# --- BPMN versions (admins) ---------------------------------------------------------------------------

class VersionSerializer(serializers.Serializer):
    procedure = serializers.CharField(source="procedure.code")
    number = serializers.IntegerField()
    state = serializers.CharField()
    process_id = serializers.CharField()
    dialect = serializers.CharField()
    checksum = serializers.CharField()
    filename = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True, default=None)
    uploaded_at = serializers.DateTimeField()
    published_at = serializers.DateTimeField(allow_null=True)
    report = serializers.JSONField()
    running_dossiers = serializers.SerializerMethodField()

    def get_running_dossiers(self, obj) -> int:
        annotated = getattr(obj, "running_dossiers", None)  # the list counts them all in its one query
        if annotated is not None:
            return annotated
        return obj.dossiers.exclude(status__in=FINAL_STATUSES).count()


class UnroutableLaneSerializer(serializers.Serializer):
    lane = serializers.CharField()
    role = serializers.CharField(help_text="The routing-role code the lane names")
    message = serializers.CharField(help_text="Why it does not resolve, naming the missing level")


class UnroutableAgencySerializer(serializers.Serializer):
    agency = serializers.CharField(help_text="Agency code")
    name = serializers.CharField()
    lanes = UnroutableLaneSerializer(many=True)


class VersionDetailSerializer(VersionSerializer):
    unroutable_agencies = UnroutableAgencySerializer(
        many=True, read_only=True,
        help_text="Receiving agencies from which a lane cannot be routed: the procedure is not offered there")


class UploadSerializer(serializers.Serializer):
    bpmn_file = serializers.FileField()
    process_id = serializers.CharField(required=False, allow_blank=True, default="")
    catalogue_file = serializers.FileField(required=False, help_text="The catalogue entry (NAME.catalogue.json, "
                                                                     "docs/bpmn-conventions.md)")
    form_file = serializers.FileField(required=False, help_text="The applicant's form: a Camunda Forms .form file "
                                                                "or a JSON Schema")


def _version(code, number):
    return get_object_or_404(ProcedureVersion.objects.select_related("procedure", "uploaded_by"),
                             procedure__code=code, number=number)


class VersionListView(APIView):
    """Upload a BPMN file as a new draft version (multipart field ``bpmn_file``), or list the versions."""

    permission_classes = [IsAdminUser]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=VersionSerializer(many=True))
    def get(self, request, code):
        versions = (ProcedureVersion.objects.filter(procedure__code=code).select_related("procedure", "uploaded_by")
                    .annotate(running_dossiers=Count("dossiers", filter=~Q(dossiers__status__in=FINAL_STATUSES))))
        return Response(VersionSerializer(versions, many=True).data)

    @extend_schema(request={"multipart/form-data": UploadSerializer}, responses={201: VersionSerializer})
    def post(self, request, code):
        payload = UploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload_file = payload.validated_data["bpmn_file"]
        if upload_file.size > parsing.MAX_BPMN_BYTES:
            raise InvalidInput(_("The file is larger than 5 MB."), errors={"bpmn_file": [_("Too large.")]})
        entry = _side_files(payload.validated_data, code)
        upload = services.upload_version(upload_file.read(), code, user=request.user, filename=upload_file.name,
                                         process_id=payload.validated_data["process_id"] or None, entry=entry)
        if upload.version is None:
            return Response({"detail": _("The file cannot be read as an executable BPMN process."),
                             "report": upload.report}, status=status.HTTP_400_BAD_REQUEST)
        body = {**VersionSerializer(upload.version).data, "created": upload.created}
        return Response(body, status=status.HTTP_201_CREATED if upload.created else status.HTTP_200_OK)


def _side_files(data, code):
    """The catalogue entry given beside the BPMN file: its side file, and its form file over it."""
    entry = {}
    if data.get("catalogue_file"):
        entry = entries.read_side_file(data["catalogue_file"].read(entries.MAX_SIDE_FILE_BYTES + 1), code=code)
    if data.get("form_file"):
        entry["form_schema"] = entries.read_form_file(data["form_file"].read(entries.MAX_SIDE_FILE_BYTES + 1))
    return entry


class VersionDetailView(APIView):
    permission_classes = [IsAdminUser]

    @extend_schema(responses=VersionDetailSerializer)
    def get(self, request, code, number):
        version = _version(code, number)
        version.unroutable_agencies = unroutable_agencies(version) if not version.has_errors else []
        body = VersionDetailSerializer(version).data
        published = published_version(version.procedure)
        if published is not None and published.pk != version.pk:
            body["diff"] = {"against": published.number, **services.diff(version, published)}
        return Response(body)

    @extend_schema(responses={204: None})
    def delete(self, request, code, number):
        services.discard_version(_version(code, number), user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionActionView(APIView):
    permission_classes = [IsAdminUser]
    action = None

    @extend_schema(request=None, responses=VersionDetailSerializer)
    def post(self, request, code, number):
        version = _version(code, number)
        broken = []
        if self.action == "publish":
            broken = services.publish_version(version, user=request.user).unroutable_agencies
        elif self.action == "retire":
            services.retire_version(version, user=request.user)
        version.refresh_from_db()
        version.unroutable_agencies = broken
        return Response(VersionDetailSerializer(version).data)


class VersionBpmnView(APIView):
    """The version's BPMN XML, for the diagram."""

    permission_classes = [IsAdminUser]

    @extend_schema(responses={(200, "application/xml"): str})
    def get(self, request, code, number):
        return HttpResponse(_version(code, number).bpmn_xml, content_type="application/xml; charset=utf-8")
