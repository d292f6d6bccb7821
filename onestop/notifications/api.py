from rest_framework import generics, serializers

from onestop.dossiers.selectors import dossier_for

from .models import Notification
from .selectors import notifications_for_dossier


class NotificationSerializer(serializers.ModelSerializer):
    recipient = serializers.SerializerMethodField()
    channel_display = serializers.CharField(source="get_channel_display")
    state_display = serializers.CharField(source="get_state_display")

    class Meta:
        model = Notification
        fields = ["id", "template", "channel", "channel_display", "recipient", "address", "subject", "body",
                  "state", "state_display", "attempts", "last_error", "created_at", "sent_at"]

    def get_recipient(self, obj) -> str | None:
        user = obj.recipient
        return (user.get_full_name() or user.get_username()) if user is not None else None


class DossierNotificationsView(generics.ListAPIView):
    """The messages sent about a dossier (email, SMS), to whoever may see the dossier."""

    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        dossier = dossier_for(self.request.user, self.kwargs["code"])  # 404 for anyone else
        return notifications_for_dossier(dossier, viewer=self.request.user)
