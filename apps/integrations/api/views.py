"""Webhook endpoints (`/webhooks/`: members read, admins write) and their delivery log (`/webhook-deliveries/`,
admins redeliver). Every write calls one service of apps.integrations.services."""
from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.api.permissions import ADMIN_ROLES
from apps.api.viewsets import ReadOnlyApiViewSet, ServiceCreateMixin, ServiceDestroyMixin, ServiceUpdateMixin
from apps.integrations import services
from apps.integrations.filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from apps.integrations.models import WebhookDelivery, WebhookEndpoint

from .serializers import (
    WebhookDeliverySerializer,
    WebhookEnableInputSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSecretSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)


class WebhookEndpointViewSet(ServiceCreateMixin, ServiceUpdateMixin, ServiceDestroyMixin, ReadOnlyApiViewSet):
    """HTTPS endpoints of your organisations subscribed to registry events (signed per Standard Webhooks; see
    docs/integrations.md). Members read; organisation admins subscribe, change, rotate the secret, disable,
    enable, ping and delete. The secret is shown only in the answer to a create or a rotation."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = WebhookEndpointSerializer
    base_filterset_class = WebhookEndpointFilterSet
    write_roles = ADMIN_ROLES
    ordering_fields = ["id", "created_at"]
    create_serializer_class = WebhookEndpointInputSerializer
    update_serializer_class = WebhookEndpointUpdateSerializer

    @extend_schema(request=WebhookEndpointInputSerializer, responses={201: WebhookEndpointSecretSerializer})
    def create(self, request, *args, **kwargs):
        data = self.validated_input(self.create_serializer_class)
        endpoint = services.webhook_endpoint_create(user=request.user, **data)
        return Response(WebhookEndpointSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def perform_service_update(self, instance, data: dict):
        return services.webhook_endpoint_update(endpoint=instance.pk, user=self.request.user, **data)

    def perform_service_destroy(self, instance) -> None:
        services.webhook_endpoint_delete(endpoint=instance.pk, user=self.request.user)

    @extend_schema(request=None, responses={200: WebhookEndpointSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate")
    def rotate_secret(self, request, pk=None):
        """A new secret; the previous one keeps signing (both signatures sent) for WEBHOOK_SECRET_GRACE_HOURS."""
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object().pk, user=request.user)
        return Response(WebhookEndpointSecretSerializer(endpoint).data)

    @extend_schema(request=WebhookEnableInputSerializer, responses={200: WebhookEndpointSerializer})
    @action(detail=True, methods=["post"], url_path="set-enabled", url_name="enable")
    def set_enabled(self, request, pk=None):
        endpoint = self.get_object()
        data = self.validated_input(WebhookEnableInputSerializer)
        endpoint = services.webhook_endpoint_set_enabled(endpoint=endpoint.pk, user=request.user, **data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def ping(self, request, pk=None):
        """Send a test message (type webhook.ping) now."""
        delivery = services.webhook_ping(endpoint=self.get_object().pk, user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(ReadOnlyApiViewSet):
    """The delivery log of your organisations' endpoints: payload, attempts, response code, timing and an
    excerpt of the answer. Admins redeliver (same message id: the receiver's idempotency key)."""

    queryset = WebhookDelivery.objects.all()
    serializer_class = WebhookDeliverySerializer
    base_filterset_class = WebhookDeliveryFilterSet
    write_roles = ADMIN_ROLES
    ordering_fields = ["id", "created_at"]

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = services.webhook_redeliver(delivery=self.get_object().pk, user=request.user)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
