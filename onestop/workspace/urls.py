from django.urls import path
from django.views.generic import RedirectView

from . import incidents, views

app_name = "workspace"

urlpatterns = [
    # The queue has its own path so that the menu marks the desk and the queue apart.
    path("", RedirectView.as_view(pattern_name="workspace:queue", http_method_names=["get", "head"]), name="home"),
    path("queue/", views.queue, name="queue"),
    path("desk/", views.desk, name="desk"),
    path("desk/intake/", views.intake, name="intake"),
    path("items/<int:pk>/", views.item, name="item"),
    path("items/<int:pk>/claim/", views.claim, name="claim"),
    path("items/<int:pk>/unclaim/", views.unclaim, name="unclaim"),
    path("items/<int:pk>/complete/", views.complete, name="complete"),
    path("items/<int:pk>/receive/", views.receive, name="receive"),
    path("items/<int:pk>/return/", views.hand_over, name="return"),
    path("items/<int:pk>/comment/", views.comment, name="comment"),
    path("items/<int:pk>/reassign/", views.reassign, name="reassign"),
    path("items/<int:pk>/incidents/<int:incident>/retry/", views.retry_incident, name="retry-incident"),
    path("incidents/", incidents.incidents, name="incidents"),
    path("incidents/<int:incident>/retry/", incidents.retry, name="incident-retry"),
    path("incidents/<int:incident>/stop/", incidents.stop, name="incident-stop"),
]
