"""The daily data call job run by a real Celery worker process (the beat task's registered name): an overdue
call gets its one reminder with a new link (the old link refused), an audit event, and its data_call.overdue
webhook delivery for the organisation's endpoint (that a second run changes nothing: test_services.py)."""
from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.integrations import services as hooks
from apps.integrations.models import WebhookDelivery
from apps.outreach import services
from apps.outreach.choices import DataCallTemplate, RecipientKind
from apps.outreach.models import DataCall, DataCallToken
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("the worker did not finish in time")


def test_a_real_worker_sends_the_overdue_reminder_once(org, officer, admin_user, settings, celery_worker_process):
    from vendorrisk.celery import app

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    endpoint = hooks.webhook_endpoint_create(organization=org, user=admin_user, url="https://93.184.216.34/hook",
                                             event_types=["data_call.overdue"])
    call = services.data_call_create(
        user=officer, organization_id=org.pk, template=DataCallTemplate.COVERED_LIST,
        recipient_kind=RecipientKind.VENDOR, vendor=VendorFactory(), recipient_email="s@example.org",
        due_date=timezone.localdate())
    DataCall.objects.filter(pk=call.pk).update(due_date=timezone.localdate() - dt.timedelta(days=2))
    old = re.search(r"/respond/([^/]+)/$", call.answer_link).group(1)

    app.send_task("apps.outreach.tasks.outreach_daily_task")
    _wait(lambda: DataCall.objects.filter(pk=call.pk, reminded_at__isnull=False).exists())
    _wait(lambda: WebhookDelivery.objects.filter(endpoint=endpoint, event_type="data_call.overdue").exists())
    tokens = list(DataCallToken.objects.filter(data_call=call).order_by("created_at", "id"))
    assert len(tokens) == 2 and tokens[0].revoked_at is not None and tokens[1].revoked_at is None
    with pytest.raises(services.LinkRefused):
        services.data_call_open(token=old)
    assert AuditEvent.objects.filter(action="outreach.datacall.overdue", object_id=str(call.pk)).count() == 1
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.payload["data"]["object"]["id"] == call.pk

