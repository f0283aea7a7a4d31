from rest_framework.routers import SimpleRouter

from .views import (
    EvidenceViewSet,
    NotificationViewSet,
    PolicyRuleViewSet,
    ProjectionReportViewSet,
    RemediationPlanViewSet,
    WaiverViewSet,
)

app_name = "remediation-api"

router = SimpleRouter()
router.register("remediations", RemediationPlanViewSet, basename="remediationplan")
router.register("waivers", WaiverViewSet, basename="waiver")
router.register("evidence", EvidenceViewSet, basename="evidence")
router.register("rules", PolicyRuleViewSet, basename="policyrule")
router.register("projections", ProjectionReportViewSet, basename="projectionreport")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
