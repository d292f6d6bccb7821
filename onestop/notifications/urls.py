from django.urls import path

from .api import DossierNotificationsView

urlpatterns = [
    path("dossiers/<str:code>/notifications/", DossierNotificationsView.as_view(), name="dossier-notifications"),
]
