from rest_framework.routers import SimpleRouter

from .views import ChangeProposalViewSet, OemRelationViewSet, OwnershipViewSet, VendorViewSet

app_name = "vendors-api"

router = SimpleRouter()
router.register("vendors", VendorViewSet, basename="vendor")
router.register("ownerships", OwnershipViewSet, basename="ownership")
router.register("oem-relations", OemRelationViewSet, basename="oemrelation")
router.register("proposals", ChangeProposalViewSet, basename="proposal")

urlpatterns = router.urls
