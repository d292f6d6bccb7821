from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.authtoken import serializers as authtoken
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from onestop.dossiers.api import (
    DataTrackerViewSet,
    DossierViewSet,
    IncidentViewSet,
    VersionMigrateView,
    WorkItemActionViewSet,
)
from onestop.organisation.api import AgencyViewSet
from onestop.reports.api import ReportViewSet
from onestop.workspace import extension

admin.site.site_header = _("onestop — One-stop shop")
admin.site.site_title = "onestop"
admin.site.index_title = _("Administration")
handler404 = "onestop.core.api.not_found"  # JSON under /api/

class AuthTokenSerializer(authtoken.AuthTokenSerializer):
    # A username longer than any user's is refused before django-axes records the failure in its
    # 255-character column (schemathesis found the 500 on PostgreSQL).
    username = serializers.CharField(label=_("Username"), max_length=150, write_only=True)


class LoginView(ObtainAuthToken):
    """Token login, rate-limited per client address against password guessing, and locked per username and
    address after failures like the login page (django-axes, docs/security.md)."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = AuthTokenSerializer
    parser_classes = api_settings.DEFAULT_PARSER_CLASSES  # ObtainAuthToken's own list lacks the safe JSON parser

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        finally:
            # django-axes flags a locked-out login on DRF's request; its middleware reads Django's (a 429).
            if getattr(request, "axes_locked_out", False):
                request._request.axes_locked_out = True


# No ``.json`` suffix routes: the API speaks JSON only; undocumented, and most suffixed actions answered 500.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("agencies", AgencyViewSet, basename="agency")
router.register("dossiers", DossierViewSet, basename="dossier")
router.register("work-items", WorkItemActionViewSet, basename="work-item")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("data-tracker", DataTrackerViewSet, basename="data-tracker")
router.register("reports", ReportViewSet, basename="report")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("catalogue/", include("procedures.urls")),
    path("dossiers/", include("onestop.dossiers.urls")),
    path("reports/", include("onestop.reports.urls")),
    path("documents/", include("onestop.documents.urls")),
    # The officials' page to extend an appointment date (form 04), under the deadlines' address.
    path("deadlines/", include(([path("<str:code>/extend/", extension.extend, name="extend")], "deadlines"))),
    path("national-portal/", include("onestop.nationalportal.page_urls")),
    # Moving running dossiers to a version is the lifecycle's; the rest of the catalogue's API is procedures'.
    path("api/v1/procedures/<str:code>/versions/<int:number>/migrate/", VersionMigrateView.as_view(),
         name="version-migrate"),
    path("api/v1/", include("procedures.api_urls")),
    path("api/v1/", include("onestop.notifications.urls")),
    path("api/v1/", include("onestop.nationalportal.urls")),
    path("api/v1/", include(router.urls)),
    path("api/v1/auth/token/", LoginView.as_view(), name="api-token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("work/", include("onestop.workspace.urls")),
    path("", include("onestop.web.urls")),
    path("", include("onestop.portal.urls")),
]
