"""Factories of apps.security (rate-limit counters, windows of repeated access denials, the task outbox)."""
import datetime as dt
import hashlib

import factory
from django.utils import timezone

from apps.security.models import DenialWindow, OutboxJob, OutboxStatus, RateCounter


class RateCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateCounter

    key = factory.Sequence(lambda n: f"test:counter:{n}")
    count = 1
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=1))


class DenialWindowFactory(factory.django.DjangoModelFactory):
    """An open window of an anonymous address's refusals with two counted after the first (apps.security.denials
    writes these rows with one SQL statement; the factory is for tests of the flush and the admin)."""

    class Meta:
        model = DenialWindow

    subject = factory.Sequence(lambda n: f"ip:192.0.2.{n % 250 + 1}")
    kind = factory.Sequence(lambda n: f"403 POST test-route-{n}")
    key = factory.LazyAttribute(lambda o: hashlib.sha256(f"{o.subject}\n{o.kind}".encode()).hexdigest())
    status = 403
    method = "POST"
    ip = "192.0.2.1"
    last_ip = "192.0.2.1"
    first_path = "/api/v1/sites/"
    last_path = "/api/v1/sites/"
    count = 2
    opened_at = factory.LazyFunction(timezone.now)
    last_at = factory.LazyAttribute(lambda o: o.opened_at)
    closes_at = factory.LazyAttribute(lambda o: o.opened_at + dt.timedelta(minutes=5))


class OutboxJobFactory(factory.django.DjangoModelFactory):
    """A pending task the broker did not take; `task_name` must be a registered task for a flush to send it."""

    class Meta:
        model = OutboxJob

    task_name = "security.outbox_flush"
    status = OutboxStatus.PENDING
