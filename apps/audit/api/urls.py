from rest_framework.routers import SimpleRouter

from .views import AuditEventViewSet

app_name = "audit-api"

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="auditevent")

urlpatterns = router.urls
