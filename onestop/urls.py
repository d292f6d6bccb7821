from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from onestop.dossiers.api import DataTrackerViewSet, DossierViewSet, IncidentViewSet
from onestop.organisation.api import AgencyViewSet
from onestop.worklist.api import WorkItemViewSet
from procedures.api import ProcedureViewSet

router = DefaultRouter()
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("agencies", AgencyViewSet, basename="agency")
router.register("dossiers", DossierViewSet, basename="dossier")
router.register("work-items", WorkItemViewSet, basename="work-item")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("data-tracker", DataTrackerViewSet, basename="data-tracker")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/v1/auth/token/", obtain_auth_token, name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]
