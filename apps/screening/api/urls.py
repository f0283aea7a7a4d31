from rest_framework.routers import SimpleRouter

from .views import FindingViewSet, MatchViewSet, ReviewDecisionViewSet, ScreeningRunViewSet, ScreeningViewSet

app_name = "screening-api"

router = SimpleRouter()
router.register("findings", FindingViewSet, basename="finding")
router.register("matches", MatchViewSet, basename="match")
router.register("review-decisions", ReviewDecisionViewSet, basename="reviewdecision")
router.register("screening-runs", ScreeningRunViewSet, basename="screeningrun")
router.register("screenings", ScreeningViewSet, basename="screening")

urlpatterns = router.urls
