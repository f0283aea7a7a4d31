from rest_framework.routers import SimpleRouter

from .views import WebhookDeliveryViewSet, WebhookEndpointViewSet

app_name = "integrations-api"

router = SimpleRouter()
router.register("webhooks", WebhookEndpointViewSet, basename="webhookendpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhookdelivery")

urlpatterns = router.urls
