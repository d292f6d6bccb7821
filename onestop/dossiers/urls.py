from django.urls import path

from . import views

urlpatterns = [
    path("files/<uuid:key>/", views.attachment, name="dossier-attachment"),
    path("<str:code>/diagram/", views.diagram, name="dossier-diagram"),
    path("<str:code>/diagram.bpmn", views.diagram_bpmn, name="dossier-diagram-bpmn"),
]
