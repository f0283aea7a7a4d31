from rest_framework.routers import SimpleRouter

from .views import DataCallResponseViewSet, DataCallViewSet, DeclaredFindingViewSet

app_name = "outreach-api"

router = SimpleRouter()
router.register("data-calls", DataCallViewSet, basename="datacall")
router.register("data-call-responses", DataCallResponseViewSet, basename="datacallresponse")
router.register("declared-findings", DeclaredFindingViewSet, basename="declaredfinding")

urlpatterns = router.urls
