"""Factories of apps.security (rate-limit counters, the task outbox)."""
import datetime as dt

import factory
from django.utils import timezone

from apps.security.models import OutboxJob, OutboxStatus, RateCounter


class RateCounterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateCounter

    key = factory.Sequence(lambda n: f"test:counter:{n}")
    count = 1
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(minutes=1))


class OutboxJobFactory(factory.django.DjangoModelFactory):
    """A pending task the broker did not take; `task_name` must be a registered task for a flush to send it."""

    class Meta:
        model = OutboxJob

    task_name = "security.outbox_flush"
    status = OutboxStatus.PENDING
