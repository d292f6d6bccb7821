"""The reporting API: the dashboard's figures, the steps per agency, form 07 and form 06 as JSON.

The filters are the dashboard's (``ReportForm``): the same checks and the same messages.
"""
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from onestop.core.api import Pagination
from onestop.core.exceptions import InvalidInput, NotFound
from onestop.dossiers.selectors import dossier_for

from . import exports, interconnection, selectors
from .forms import RegisterForm, ReportForm


class RefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FiguresSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Received (accepted at the desk) in the period")
    resolved = serializers.IntegerField(help_text="Result ready, or refused after reception, in the period")
    early = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    extended = serializers.IntegerField(help_text="Of the resolved: appointment date extended (form 04); still "
                                                  "measured against the original date")
    on_time_rate = serializers.FloatField(allow_null=True, help_text="(early + on time) / resolved, in %")
    pending = serializers.IntegerField(help_text="Received and not resolved at the end of `as_of`")
    pending_within = serializers.IntegerField()
    pending_overdue = serializers.IntegerField(help_text="Pending with an appointment date before `as_of`")
    avg_days = serializers.FloatField(allow_null=True, help_text="Calendar days from reception to result")
    rating_avg = serializers.FloatField(allow_null=True, help_text="Citizens' average rating (1-5)")
    rating_count = serializers.IntegerField()
    # Decision 766/QĐ-TTg: the formulas are in docs/reports.md.
    received_online = serializers.IntegerField(help_text="Of the received: submitted online")
    online_rate = serializers.FloatField(allow_null=True, help_text="received_online / received, in %")
    procedures = serializers.IntegerField(allow_null=True, help_text="Procedures offered (published, at the "
                                          "agency's receiving level); null in rows not grouped by agency alone")
    procedures_full_online = serializers.IntegerField(allow_null=True)
    full_online_rate = serializers.FloatField(allow_null=True, help_text="procedures_full_online / procedures, in %")
    received_digitised = serializers.IntegerField(help_text="Of the received: with the dossier's documents as files")
    digitised_rate = serializers.FloatField(allow_null=True, help_text="received_digitised / received, in %")
    results = serializers.IntegerField(help_text="Of the resolved: with a result (not refused)")
    results_digitised = serializers.IntegerField(help_text="Of those: with the result as a file on the dossier")
    results_digitised_rate = serializers.FloatField(allow_null=True, help_text="results_digitised / results, in %")
    rating_satisfied = serializers.IntegerField(help_text="Ratings of 4 or 5")
    satisfaction_rate = serializers.FloatField(allow_null=True, help_text="rating_satisfied / rating_count, in %")
    working_days = serializers.IntegerField(help_text="Working days from reception to resolution, summed")
    avg_working_days = serializers.FloatField(allow_null=True, help_text="working_days / resolved")
    online_payment_rate = serializers.FloatField(allow_null=True, help_text="Always null: onestop records no "
                                                 "payment")


class RowSerializer(FiguresSerializer):
    pending = serializers.IntegerField(
        allow_null=True, help_text="Received and not resolved at the end of `as_of`; null in rows grouped by month")
    pending_within = serializers.IntegerField(allow_null=True)
    pending_overdue = serializers.IntegerField(
        allow_null=True, help_text="Pending with an appointment date before `as_of`; null in rows grouped by month")
    agency = RefSerializer(required=False)
    procedure = RefSerializer(required=False)
    channel = RefSerializer(required=False)
    month = serializers.DateField(required=False, help_text="The first day of the month")


class SummarySerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    as_of = serializers.DateField()
    group_by = serializers.ListField(child=serializers.CharField())
    totals = FiguresSerializer()
    rows = RowSerializer(many=True)


class StepsRowSerializer(serializers.Serializer):
    agency = RefSerializer()
    completed = serializers.IntegerField()
    early = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)
    open = serializers.IntegerField()
    open_overdue = serializers.IntegerField()


class RegisterRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = serializers.CharField()
    applicant = serializers.CharField()
    contact = serializers.CharField()
    received_at = serializers.DateTimeField()
    appointment_date = serializers.DateField(allow_null=True)
    handed_over_at = serializers.DateTimeField(allow_null=True)
    result_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField()
    timeliness = serializers.CharField()


class RegisterPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RegisterRowSerializer(many=True)


class LegSerializer(serializers.Serializer):
    from_agency = RefSerializer(allow_null=True)
    to_agency = RefSerializer()
    handed_at = serializers.DateTimeField()
    given_by = serializers.CharField()
    received_by = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    result = serializers.CharField(help_text="The decision that sent the dossier on (its code)")
    result_label = serializers.CharField(help_text="The same, as the step's form names it")
    timeliness = serializers.CharField(help_text="early, on_time or late: the worst of this agency's steps on this "
                                                 "leg; blank while none has ended")


class ExtensionRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    procedure = RefSerializer()
    agency = RefSerializer(help_text="The receiving agency")
    asked_at = serializers.DateTimeField()
    original_appointment_date = serializers.DateField(help_text="What early / on time / late is measured against")
    previous_date = serializers.DateField(help_text="The appointment date when the extension was asked")
    new_date = serializers.DateField()
    reason = serializers.CharField()
    timeliness = serializers.CharField(help_text="early, on_time or late once resolved; blank before")


class ExtensionsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    rows = ExtensionRowSerializer(many=True)


class MatrixEntrySerializer(serializers.Serializer):
    key = serializers.CharField(help_text="agency:<code> for one of our agencies, system:<name> for another system")
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    mark = serializers.CharField(help_text="Y (takes part), X (supplies an input) or \"Y, X\"")
    direction = serializers.CharField(help_text="horizontal, vertical or both, seen from the receiving agency; "
                                                "blank for the receiving agency itself")
    roles = serializers.ListField(child=serializers.CharField(), help_text="receiving desk, or the lanes it acts in")
    inputs = serializers.ListField(child=serializers.CharField(), help_text="The inputs it supplies")


class MatrixInputSerializer(serializers.Serializer):
    element = serializers.CharField()
    name = serializers.CharField()
    operator = serializers.CharField()
    description = serializers.CharField()
    supplier = serializers.CharField(help_text="The agency or system that answers; blank for the receiving "
                                               "agency's own data")
    local = serializers.BooleanField()


class MatrixProcedureSerializer(serializers.Serializer):
    procedure = RefSerializer()
    version = serializers.IntegerField()
    entries = MatrixEntrySerializer(many=True)
    inputs = MatrixInputSerializer(many=True)


class MatrixSerializer(serializers.Serializer):
    procedures = MatrixProcedureSerializer(many=True)


FILTERS = [
    OpenApiParameter("date_from", OpenApiTypes.DATE, description="First day (default: 1 January this year)"),
    OpenApiParameter("date_to", OpenApiTypes.DATE, description="Last day, inclusive (default: today)"),
    OpenApiParameter("agency", str, description="Agency code: it and the agencies below it"),
    OpenApiParameter("procedure", str, description="Procedure code"),
    OpenApiParameter("channel", str, enum=["online", "desk", "post"]),
    OpenApiParameter("as_of", OpenApiTypes.DATE, description="Count pending dossiers at the end of this day"),
]


def _ref(obj):
    return {"code": obj.code, "name": obj.name} if obj else None


class ReportViewSet(viewsets.ViewSet):
    """Figures for leaders (their agencies and those below) and administrators (all)."""

    def _form(self, request, group_by=None):
        form = ReportForm(request.query_params, scope=selectors.visible_agencies(request.user))
        if not form.is_valid():
            raise InvalidInput(_("Check the filters."), errors=form.errors)
        return form.filters(group_by=group_by)

    @extend_schema(parameters=FILTERS + [OpenApiParameter(
        "group_by", str, description="Comma-separated: agency, procedure, channel, month (default: agency)")],
        responses=SummarySerializer)
    @action(detail=False)
    def summary(self, request):
        """Received, resolved early / on time / late, pending, on-time rate, days and rating, grouped."""
        group_by = tuple(g for g in request.query_params.get("group_by", "agency").split(",") if g)
        unknown = set(group_by) - set(selectors.DIMENSIONS)
        if unknown:
            raise InvalidInput(_("Check the filters."), errors={"group_by": [
                _("Unknown grouping: %(names)s.") % {"names": ", ".join(sorted(unknown))}]})
        filters = self._form(request, group_by)
        report = selectors.summary(filters)
        return Response(SummarySerializer({
            "date_from": filters.date_from, "date_to": filters.date_to, "as_of": report["as_of"],
            "group_by": list(report["group_by"]), "totals": report["totals"], "rows": report["rows"],
        }).data)

    @extend_schema(parameters=FILTERS, responses=StepsRowSerializer(many=True))
    @action(detail=False)
    def steps(self, request):
        """Per processing agency: steps completed in the period by timeliness, and steps open at its end."""
        return Response(StepsRowSerializer(selectors.steps(self._form(request)), many=True).data)

    @extend_schema(parameters=FILTERS, responses=SummarySerializer)
    @action(detail=False)
    def indicators(self, request):
        """The indicators of Decision 766/QĐ-TTg per agency: on time, online, fully online procedures,
        digitised dossiers and results, satisfaction, average working days (the summary grouped by agency)."""
        filters = self._form(request, ("agency",))
        report = selectors.summary(filters)
        return Response(SummarySerializer({
            "date_from": filters.date_from, "date_to": filters.date_to, "as_of": report["as_of"],
            "group_by": list(report["group_by"]), "totals": report["totals"], "rows": report["rows"],
        }).data)

    @extend_schema(parameters=[OpenApiParameter("procedure", str, description="One procedure's code")],
                   responses=MatrixSerializer)
    @action(detail=False)
    def interconnection(self, request):
        """The interconnection matrix from the published versions: per procedure, the agencies taking part
        (Y) or supplying an input (X), horizontal or vertical, and the inputs with who supplies them."""
        scope = selectors.visible_agencies(request.user)
        code = request.query_params.get("procedure")
        if code:
            version = interconnection.published(code)
            if version is None:
                raise NotFound(_("No published procedure with this code."))
            found = [interconnection.scoped(version, scope)]
        else:
            found = interconnection.matrix(scope)["procedures"]
        return Response(MatrixSerializer({"procedures": [interconnection.as_data(f) for f in found]}).data)

    @extend_schema(parameters=FILTERS, responses=ExtensionsSerializer)
    @action(detail=False)
    def extensions(self, request):
        """Extensions of the appointment date (form 04) asked in the period: how many, and why."""
        return Response(ExtensionsSerializer(selectors.extensions(self._form(request))).data)

    @extend_schema(parameters=[
        OpenApiParameter("agency", str, required=True, description="The receiving agency's code"),
        OpenApiParameter("date_from", OpenApiTypes.DATE), OpenApiParameter("date_to", OpenApiTypes.DATE),
        OpenApiParameter("page", int), OpenApiParameter("page_size", int, description="At most 200"),
    ], responses=RegisterPageSerializer)
    @action(detail=False)
    def register(self, request):
        """Form 07: the dossiers the agency's desk received in the period (the desk, its leaders, admins)."""
        form = RegisterForm(request.query_params, scope=selectors.register_agencies(request.user))
        if not form.is_valid():
            raise InvalidInput(_("Check the filters."), errors=form.errors)
        data = form.cleaned_data
        dossiers = selectors.register(form.agencies[data["agency"]], data["date_from"], data["date_to"])
        paginator = Pagination()
        dossiers = paginator.paginate_queryset(dossiers, request, view=self)
        rows = [{
            "code": d.code, "procedure": d.procedure.code, "applicant": selectors.applicant_name(d),
            "contact": selectors.applicant_contact(d), "received_at": d.received_at,
            "appointment_date": d.appointment_date, "handed_over_at": d.handed_over_at, "result_at": d.result_at,
            "returned_at": selectors.returned_at(d), "status": d.status, "timeliness": d.timeliness,
        } for d in dossiers]
        return paginator.get_paginated_response(RegisterRowSerializer(rows, many=True).data)

    @extend_schema(responses=LegSerializer(many=True))
    @action(detail=False, url_path=r"control-sheet/(?P<code>[^/]+)")
    def control_sheet(self, request, code=None):
        """Form 06: each leg of the dossier's route: hand-over time, giver, receiver, result."""
        try:
            dossier = dossier_for(request.user, code)
        except NotFound:
            dossier = selectors.overseen_dossier(request.user, code)
            if dossier is None:
                raise
        legs = [{
            "from_agency": _ref(leg.from_agency), "to_agency": _ref(leg.to_agency), "handed_at": leg.handed_at,
            "given_by": exports.person(leg.given_by), "received_by": exports.person(leg.received_by),
            "received_at": leg.received_at, "result": leg.result, "result_label": leg.result_label,
            "timeliness": leg.timeliness,
        } for leg in selectors.control_sheet(dossier)]
        return Response(LegSerializer(legs, many=True).data)
