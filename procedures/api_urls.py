"""The catalogue's API: the public list of procedures, the admins' catalogue entries and BPMN versions.

Included under ``/api/v1/`` by ``onestop/urls.py``, which also routes ``.../versions/<n>/migrate/`` to the
lifecycle (``onestop.dossiers.api.VersionMigrateView``): moving running dossiers is not the catalogue's.
"""
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.include_format_suffixes = False  # the API speaks JSON only
router.register("procedures", api.ProcedureViewSet, basename="procedure")

version = "procedures/<str:code>/versions/<int:number>/"
urlpatterns = [
    path("procedures/<str:code>/versions/", api.VersionListView.as_view(), name="versions"),
    path(version, api.VersionDetailView.as_view(), name="version"),
    path(f"{version}publish/", api.VersionActionView.as_view(action="publish"), name="version-publish"),
    path(f"{version}retire/", api.VersionActionView.as_view(action="retire"), name="version-retire"),
    path(f"{version}bpmn/", api.VersionBpmnView.as_view(), name="version-bpmn"),
    path("", include(router.urls)),
]
