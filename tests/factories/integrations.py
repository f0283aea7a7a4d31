import factory

from apps.integrations.choices import EventType
from apps.integrations.models import WebhookDelivery, WebhookEndpoint

from .accounts import OrganizationFactory


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """An enabled endpoint of an organisation subscribed to plan events (secret in the Standard Webhooks form)."""

    class Meta:
        model = WebhookEndpoint

    organization = factory.SubFactory(OrganizationFactory)
    url = factory.Sequence(lambda n: f"https://receiver{n}.example.org/hooks")
    event_types = factory.LazyFunction(lambda: [EventType.PLAN_CREATED.value])
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    """A pending delivery to `endpoint`, of its organisation."""

    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    organization = factory.LazyAttribute(lambda o: o.endpoint.organization)
    event_type = EventType.PLAN_CREATED
    message_id = factory.Sequence(lambda n: f"msg_factory{n}")
    payload = factory.LazyAttribute(lambda o: {"type": o.event_type, "data": {}})
