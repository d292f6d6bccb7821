from rest_framework.routers import SimpleRouter

from .api import OutboxViewSet

router = SimpleRouter()
router.register("national-portal/outbox", OutboxViewSet, basename="national-portal-outbox")
urlpatterns = router.urls
