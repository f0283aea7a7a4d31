"""Webhook pages: officers read, admins write; another organisation's endpoint is a 404; constant queries."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.integrations.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _endpoint(org):
    return WebhookEndpoint.objects.create(organization=org, url="https://93.184.216.34/hook",
                                          event_types=["plan.created"], secret="whsec_dGVzdA==")


def _deliveries(endpoint, n, start=0):
    WebhookDelivery.objects.bulk_create([
        WebhookDelivery(endpoint=endpoint, organization_id=endpoint.organization_id, event_type="plan.created",
                        message_id=f"msg_{start + i}", payload={"type": "plan.created"}, status="delivered",
                        attempts=1, response_code=200, duration_ms=12) for i in range(n)])


def test_officer_reads_admin_writes(client, org, officer, admin_user, site):
    endpoint = _endpoint(org)
    client.force_login(officer)
    assert client.get(reverse("web:webhook-list")).status_code == 200
    page = client.get(reverse("web:webhook-detail", args=[endpoint.pk]))
    assert page.status_code == 200 and b"whsec_" not in page.content
    assert client.post(reverse("web:webhook-action", args=[endpoint.pk, "rotate"])).status_code == 403
    client.force_login(admin_user)
    response = client.post(reverse("web:webhook-list"), {"url": "https://93.184.216.34/new", "event_types":
                                                         ["plan.created", "waiver.requested"],
                                                         "filter_site_ids": [site.pk]})
    created = WebhookEndpoint.objects.exclude(pk=endpoint.pk).get()
    assert response.status_code == 302 and created.filter_site_ids == [site.pk]
    bad = client.post(reverse("web:webhook-list"), {"url": "https://10.0.0.1/x", "event_types": ["plan.created"]})
    assert bad.status_code == 400 and b"non-public address" in bad.content
    client.post(reverse("web:webhook-action", args=[created.pk, "disable"]))
    assert not WebhookEndpoint.objects.get(pk=created.pk).enabled
    assert AuditEvent.objects.filter(action="webhookendpoint.disable", actor=admin_user).exists()
    assert b"whsec_" in client.get(reverse("web:webhook-detail", args=[created.pk])).content


def test_another_organisations_endpoint_is_not_found(client, other_org, officer):
    endpoint = _endpoint(other_org)
    client.force_login(officer)
    assert client.get(reverse("web:webhook-detail", args=[endpoint.pk])).status_code == 404
    assert b"93.184.216.34" not in client.get(reverse("web:webhook-list")).content


def test_delivery_log_queries_do_not_grow(client, org, admin_user):
    endpoint = _endpoint(org)
    client.force_login(admin_user)
    url = reverse("web:webhook-detail", args=[endpoint.pk])
    _deliveries(endpoint, 3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _deliveries(endpoint, 40, start=100)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)
