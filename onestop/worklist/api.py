import copy

from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers, viewsets

from onestop.core.api import OneLanguageField
from onestop.core.text import named
from procedures import content

from . import selectors
from .models import WorkItem

# What WorkItemSerializer reads besides the item: read with it, in one query.
SHOWN = ("dossier__procedure", "agency", "claimed_by")


class WorkItemSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code")
    procedure = serializers.CharField(source="dossier.procedure.code")
    procedure_name = serializers.SerializerMethodField(help_text="In the request's language, as the catalogue "
                                                       "reads (procedures.content)")
    name = OneLanguageField(help_text="The step's name in the request's language")
    agency = serializers.CharField(source="agency.code", allow_null=True)
    agency_name = serializers.SerializerMethodField(help_text="In the request's language")
    claimed_by = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = ["id", "dossier", "procedure", "procedure_name", "kind", "name", "agency", "agency_name", "role",
                  "task_spec_id", "state", "due_date", "due_at", "timeliness", "claimed_by", "claimed_at", "form",
                  "created_at", "completed_at", "decision", "comment", "data"]
        extra_kwargs = {"data": {"help_text": "What the official entered in the step's form (the decision apart)"}}

    def get_fields(self):
        """The fields DRF builds from the model for every instance (most of a single item's answer), built once per
        class. Each instance gets shallow copies to bind: the serializer only reads, and binding sets nothing but
        the copy's own attributes (DRF's deep copy was most of the cost of one item's answer)."""
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return {name: copy.copy(field) for name, field in built.items()}

    def get_procedure_name(self, obj) -> str:
        return content.display_name(obj.dossier.procedure, memo=self.context.setdefault("content_languages", {}))

    def get_agency_name(self, obj) -> str | None:
        return named(obj.agency)

    def get_claimed_by(self, obj) -> str | None:
        user = obj.claimed_by
        return (user.get_full_name() or user.get_username()) if user else None


class EnteredFieldSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField(help_text="The field's label in the step's form")
    value = serializers.JSONField()
    text = serializers.CharField(help_text="The value as a person reads it (option names, dd/mm/yyyy dates)")


class CaseFileEntrySerializer(serializers.Serializer):
    """One completed step of the dossier and what its official entered."""

    work_item = serializers.IntegerField()
    step = serializers.CharField()
    kind = serializers.CharField()
    agency = serializers.CharField(source="agency.code", allow_null=True, default=None)
    agency_name = serializers.SerializerMethodField(help_text="In the request's language")
    completed_at = serializers.DateTimeField()
    official = serializers.CharField(required=False, help_text="Who completed the step (officials only)")
    decision = serializers.CharField(required=False)
    decision_label = serializers.CharField(required=False)
    comment = serializers.CharField(required=False)
    fields = EnteredFieldSerializer(many=True)

    def get_agency_name(self, obj) -> str | None:
        return named(obj.get("agency") if isinstance(obj, dict) else obj.agency)


class WorkItemDetailSerializer(WorkItemSerializer):
    case_file = serializers.SerializerMethodField()

    class Meta(WorkItemSerializer.Meta):
        fields = WorkItemSerializer.Meta.fields + ["case_file"]

    @extend_schema_field(CaseFileEntrySerializer(many=True))
    def get_case_file(self, obj):
        """The dossier's completed steps with every field their officials entered: what this step builds on."""
        return CaseFileEntrySerializer(selectors.case_file(obj.dossier), many=True).data


class CompleteSerializer(serializers.Serializer):
    decision = serializers.CharField(required=False, allow_blank=True, default="")
    data = serializers.JSONField(required=False, default=dict)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class WorkItemFilter(filters.FilterSet):
    # No DISTINCT (django-filter adds it by default): no join here repeats a row, and DISTINCT made PostgreSQL
    # sort every column of the whole history on disk before taking a page (bench/README.md, queue page).
    state = filters.MultipleChoiceFilter(choices=WorkItem.State.choices, distinct=False)
    kind = filters.ChoiceFilter(choices=WorkItem.Kind.choices)
    procedure = filters.CharFilter(field_name="procedure_code")
    agency = filters.CharFilter(field_name="agency__code")
    due_before = filters.DateFilter(field_name="due_date", lookup_expr="lte")
    due_after = filters.DateFilter(field_name="due_date", lookup_expr="gte")
    mine = filters.BooleanFilter(method="filter_mine")

    class Meta:
        model = WorkItem
        fields = ["state", "kind", "procedure", "agency"]

    def filter_mine(self, queryset, name, value):
        user = self.request.user
        return queryset.filter(claimed_by=user) if value else queryset.exclude(claimed_by=user)


class WorkItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The task queues of the official's agencies and roles. Open and claimed items by default."""

    # Read only: the lifecycle's API adds the actions that change a dossier (dossiers.api.WorkItemActionViewSet).

    serializer_class = WorkItemSerializer
    filterset_class = WorkItemFilter

    def get_serializer_class(self):
        return WorkItemDetailSerializer if self.action == "retrieve" else WorkItemSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return WorkItem.objects.none()
        qs = selectors.work_items_for(self.request.user)
        if self.action == "list" and "state" not in self.request.query_params:
            qs = qs.filter(state__in=WorkItem.ACTIVE_STATES)
        return qs

    def get_object(self):
        """By id first, then the queue check: filtering by the user's (agency, role) pairs and the id
        together lets PostgreSQL read a whole queue when its statistics are stale."""
        # The actions (claim, complete...) lock and read the item again in their service: only the queue check
        # needs it here. Showing it needs its dossier, procedure, agency and holder.
        items = WorkItem.objects.select_related(*SHOWN) if self.action == "retrieve" else WorkItem.objects.all()
        items = items.annotate(may_act=selectors.may_act_on_row(self.request.user))  # the check in the same query
        item = items.filter(pk=self.kwargs["pk"]).first() if str(self.kwargs["pk"]).isdigit() else None
        if item is None or not item.may_act:
            raise Http404
        return item
