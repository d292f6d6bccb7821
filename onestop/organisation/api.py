from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny

from .models import Agency


class AgencySerializer(serializers.ModelSerializer):
    # A province has no parent: null, and the schema says so (schemathesis found the mismatch).
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Agency
        fields = ["code", "name", "name_en", "level", "parent", "national_id"]


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """Agencies, so that applicants can choose where to submit. Public."""

    permission_classes = [AllowAny]
    serializer_class = AgencySerializer
    lookup_field = "code"
    filterset_fields = ["level"]
    queryset = Agency.objects.filter(is_active=True).select_related("parent").order_by("code")
