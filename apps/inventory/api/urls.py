from rest_framework.routers import SimpleRouter

from .views import BomDocumentViewSet, ComponentViewSet, EquipmentViewSet, ProductModelViewSet, SiteViewSet

app_name = "inventory-api"

router = SimpleRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("products", ProductModelViewSet, basename="productmodel")
router.register("equipment", EquipmentViewSet, basename="equipment")
router.register("components", ComponentViewSet, basename="component")
router.register("boms", BomDocumentViewSet, basename="bomdocument")

urlpatterns = router.urls
