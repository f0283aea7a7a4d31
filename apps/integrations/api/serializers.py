from __future__ import annotations

from rest_framework import serializers

from apps.integrations.choices import SUBSCRIBABLE
from apps.integrations.models import WebhookDelivery, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as members read it: never its secret (admins see it on the web page and after a rotation)."""

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "organization", "url", "description", "event_types", "filter_site_ids", "filter_categories",
                  "filter_statuses", "enabled", "consecutive_failures", "disabled_reason",
                  "previous_secret_expires_at", "created_at", "updated_at"]
        read_only_fields = fields


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    """The answer to a create or a rotation (admins only): the secret, once, to configure the receiver."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    url = serializers.CharField(max_length=500)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=[str(c) for c in SUBSCRIBABLE]),
                                        max_length=50)
    filter_site_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                            default=list, max_length=1000)
    filter_categories = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                              default=list, max_length=100)
    filter_statuses = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                            default=list, max_length=100)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.CharField(max_length=500, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=[str(c) for c in SUBSCRIBABLE]),
                                        max_length=50, required=False)
    filter_site_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False,
                                            max_length=1000)
    filter_categories = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                              max_length=100)
    filter_statuses = serializers.ListField(child=serializers.CharField(max_length=64), required=False,
                                            max_length=100)


class WebhookEnableInputSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class WebhookDeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "endpoint", "organization", "event_type", "message_id", "payload", "status", "attempts",
                  "next_attempt_at", "response_code", "duration_ms", "response_excerpt", "error", "created_at",
                  "last_attempt_at", "delivered_at"]
        read_only_fields = fields
