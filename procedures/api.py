from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from .selectors import published_procedures


class ProcedureSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    field = serializers.CharField()
    field_en = serializers.CharField()
    competent_level = serializers.CharField()
    receiving_level = serializers.CharField()
    processing_days = serializers.IntegerField()
    fee = serializers.IntegerField()
    fee_note = serializers.CharField()
    online_level = serializers.CharField()
    documents = serializers.JSONField()
    form_schema = serializers.JSONField()


class ProcedureViewSet(viewsets.ReadOnlyModelViewSet):
    """The public catalogue: published procedures, no login needed."""

    permission_classes = [AllowAny]
    serializer_class = ProcedureSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filterset_fields = ["competent_level", "field"]

    def get_queryset(self):
        return published_procedures().order_by("code")
