from rest_framework.routers import SimpleRouter

from .views import FetchRunViewSet, ListDiffViewSet, ListEntryViewSet, ListSourceViewSet, ListVersionViewSet

app_name = "lists-api"

router = SimpleRouter()
router.register("lists", ListSourceViewSet, basename="listsource")
router.register("list-versions", ListVersionViewSet, basename="listversion")
router.register("list-entries", ListEntryViewSet, basename="listentry")
router.register("list-diffs", ListDiffViewSet, basename="listdiff")
router.register("list-runs", FetchRunViewSet, basename="fetchrun")

urlpatterns = router.urls
