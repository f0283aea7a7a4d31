from rest_framework.routers import SimpleRouter

from .views import ApiTokenViewSet, OrganizationViewSet

app_name = "accounts-api"

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register("tokens", ApiTokenViewSet, basename="token")

urlpatterns = router.urls
