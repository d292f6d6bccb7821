"""``/api/v1/national-portal/outbox/``: what waits for the portal, what failed and why; a retry. Admins only."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import selectors, services
from .models import OutboxMessage


class OutboxMessageSerializer(serializers.ModelSerializer):
    dossier = serializers.CharField(source="dossier.code")
    state_display = serializers.CharField(source="get_state_display")

    class Meta:
        model = OutboxMessage
        fields = ["id", "message_id", "dossier", "sequence", "service", "status_code", "state", "state_display",
                  "attempts", "next_attempt_at", "last_attempt_at", "sent_at", "http_status", "error", "created_at"]


class OutboxMessageDetailSerializer(OutboxMessageSerializer):
    class Meta(OutboxMessageSerializer.Meta):
        fields = OutboxMessageSerializer.Meta.fields + ["payload", "answer"]


class OutboxCountsSerializer(serializers.Serializer):
    pending = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()


@extend_schema(tags=["national-portal"])
class OutboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Messages to the National Public Service Portal, newest first (``?state=pending|sent|failed``,
    ``?dossier=<code>``)."""

    permission_classes = [permissions.IsAdminUser]
    queryset = OutboxMessage.objects.none()

    def get_serializer_class(self):
        return OutboxMessageDetailSerializer if self.action == "retrieve" else OutboxMessageSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            return OutboxMessage.objects.select_related("dossier")
        state = self.request.query_params.get("state") or None
        if state not in (None, *OutboxMessage.State.values):
            state = "-"  # an unknown state lists nothing rather than everything
        return selectors.outbox(state=state, dossier_code=self.request.query_params.get("dossier") or None)

    @extend_schema(parameters=[
        OpenApiParameter("state", str, enum=OutboxMessage.State.values),
        OpenApiParameter("dossier", str),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=OutboxMessageSerializer)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Send a failed or waiting message again (its attempts start over; its message id stays)."""
        message = services.retry(self.get_object())
        return Response(OutboxMessageSerializer(message).data)

    @extend_schema(responses=OutboxCountsSerializer)
    @action(detail=False, methods=["get"])
    def counts(self, request):
        """How many messages are pending, sent and failed."""
        return Response(selectors.outbox_counts())
