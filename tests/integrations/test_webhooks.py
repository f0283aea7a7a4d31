"""Webhook subscriptions, payload scoping, filters, signing, retries and SSRF refusals (in-process sender
against the local HTTPS receiver; the real worker is in test_delivery_worker.py)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apps.audit.models import AuditEvent
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.integrations import services
from apps.integrations.choices import DeliveryStatus
from apps.integrations.models import WebhookDelivery, WebhookEndpoint
from apps.remediation.models import Notification
from tests.factories import EquipmentFactory, RemediationPlanFactory, SiteFactory

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hook"  # a public address literal: no DNS needed


def _activity(org, **kw):
    values = {"type": "plan.created", "organization_id": org.pk, "object_kind": "plan", "object_id": 7}
    return events.RegistryActivity(**(values | kw))


def _endpoint(org, admin, url=PUBLIC, **kw):
    return services.webhook_endpoint_create(organization=org, user=admin, url=url,
                                            event_types=kw.pop("event_types", ["plan.created"]), **kw)


def test_create_needs_an_admin_and_an_https_public_url(org, admin_user, officer, auditor):
    with pytest.raises(ApplicationError):
        _endpoint(org, officer)
    with pytest.raises(ApplicationError):
        _endpoint(org, auditor)
    for bad in ("http://93.184.216.34/hook", "https://10.0.0.1/hook", "https://127.0.0.1/hook",
                "https://[::ffff:10.0.0.1]/hook", "https://[64:ff9b::7f00:1]/hook", "ftp://93.184.216.34/"):
        with pytest.raises(ApplicationError) as exc:
            _endpoint(org, admin_user, url=bad)
        assert exc.value.code == "invalid"
    with pytest.raises(ApplicationError, match="Unknown event types"):
        _endpoint(org, admin_user, event_types=["plan.created", "nope"])
    endpoint = _endpoint(org, admin_user)
    assert endpoint.secret.startswith("whsec_") and endpoint.enabled


def test_a_site_filter_of_another_organisation_is_refused(org, admin_user, other_site):
    with pytest.raises(ApplicationError, match="No such site"):
        _endpoint(org, admin_user, filter_site_ids=[other_site.pk])


def test_every_subscription_change_is_on_the_audit_chain_without_secrets(org, admin_user):
    endpoint = _endpoint(org, admin_user)
    services.webhook_endpoint_update(endpoint=endpoint, user=admin_user, description="SIEM")
    services.webhook_endpoint_rotate_secret(endpoint=endpoint, user=admin_user)
    services.webhook_endpoint_set_enabled(endpoint=endpoint, user=admin_user, enabled=False, reason="maintenance")
    services.webhook_endpoint_set_enabled(endpoint=endpoint, user=admin_user, enabled=True)
    secret = WebhookEndpoint.objects.get(pk=endpoint.pk).secret
    services.webhook_endpoint_delete(endpoint=endpoint, user=admin_user)
    actions = list(AuditEvent.objects.filter(object_type="integrations.webhookendpoint").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["webhookendpoint.create", "webhookendpoint.update", "webhookendpoint.rotate_secret",
                       "webhookendpoint.disable", "webhookendpoint.enable", "webhookendpoint.delete"]
    dumped = json.dumps(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert "whsec_" not in dumped and secret not in dumped
    assert all(e.organization_id == org.pk for e in AuditEvent.objects.filter(action__startswith="webhookendpoint"))


def test_events_reach_only_the_endpoints_of_their_organisation(org, other_org, admin_user, other_officer):
    from tests.factories import MembershipFactory, UserFactory

    other_admin = MembershipFactory(organization=other_org, role="admin", user=UserFactory(username="oa")).user
    mine = _endpoint(org, admin_user)
    theirs = _endpoint(other_org, other_admin)
    ids = services.webhook_deliveries_create(_activity(org))
    assert list(WebhookDelivery.objects.filter(pk__in=ids).values_list("endpoint_id", flat=True)) == [mine.pk]
    payload = WebhookDelivery.objects.get(pk=ids[0]).payload
    assert payload["type"] == "plan.created"
    assert payload["data"] == {"organization_id": org.pk,
                               "object": {"kind": "plan", "id": 7,
                                          "link": "http://localhost:8000/api/v1/remediations/7/"}}
    assert not WebhookDelivery.objects.filter(endpoint=theirs).exists()
    # shared data (a public list version): each organisation gets its own delivery, its own id in the payload
    both = _endpoint(other_org, other_admin, event_types=["list_version.activated"])
    mine_lists = _endpoint(org, admin_user, event_types=["list_version.activated"])
    ids = services.webhook_deliveries_create(events.RegistryActivity(
        type="list_version.activated", organization_id=None, object_kind="list_version", object_id=3))
    rows = {d.endpoint_id: d.payload["data"]["organization_id"] for d in WebhookDelivery.objects.filter(pk__in=ids)}
    assert rows == {both.pk: other_org.pk, mine_lists.pk: org.pk}


def test_filters_by_site_category_and_status(org, admin_user, site):
    other = SiteFactory(organization=org, code="T2")
    endpoint = _endpoint(org, admin_user, filter_site_ids=[site.pk], filter_categories=["cctv"],
                         filter_statuses=["open"])
    assert endpoint.filter_site_ids == [site.pk]
    ok = _activity(org, site_id=site.pk, category="cctv", status="open")
    assert services.webhook_deliveries_create(ok)
    for miss in (_activity(org, site_id=other.pk, category="cctv", status="open"),
                 _activity(org, site_id=site.pk, category="router", status="open"),
                 _activity(org, site_id=site.pk, category="cctv", status="done"),
                 _activity(org, type="plan.closed", site_id=site.pk, category="cctv", status="open")):
        assert services.webhook_deliveries_create(miss) == []
    services.webhook_endpoint_set_enabled(endpoint=endpoint, user=admin_user, enabled=False)
    assert services.webhook_deliveries_create(ok) == []


def test_a_plan_closed_by_its_service_is_published(org, admin_user, officer, site):
    from apps.remediation import services as remediation
    from tests.conftest import events_recorded

    plan = RemediationPlanFactory(equipment=EquipmentFactory(site=site), status="in_progress")
    with events_recorded(events.RegistryActivity, phase=events.IN_TRANSACTION) as seen:
        remediation.plan_transition(plan=plan, to_status="done", user=officer,
                                    outcome=sorted(_outcomes(plan.action))[0])
    assert [(e.type, e.object_id, e.organization_id, e.site_id) for e in seen] == [
        ("plan.closed", plan.pk, org.pk, site.pk)]


def _outcomes(action):
    from apps.remediation.services.plans import OUTCOMES_FOR_ACTION

    return OUTCOMES_FOR_ACTION[action]


def test_delivery_is_signed_and_verifies_with_the_library(org, admin_user, receiver):
    endpoint = _endpoint(org, admin_user, url=receiver.url("/ok"))
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    assert services.webhook_delivery_attempt(delivery_id) is None
    (req,) = receiver.wait_for(1)
    assert Webhook(endpoint.secret).verify(req["body"], req["headers"])["data"]["object"]["id"] == 7
    with pytest.raises(WebhookVerificationError):
        Webhook(services.webhook_secret_generate()).verify(req["body"], req["headers"])
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.response_code, row.attempts) == (DeliveryStatus.DELIVERED, 200, 1)
    assert req["headers"]["webhook-id"] == row.message_id and row.duration_ms is not None


def test_rotation_sends_both_signatures_during_the_grace(org, admin_user, receiver):
    endpoint = _endpoint(org, admin_user, url=receiver.url("/ok"))
    old = endpoint.secret
    endpoint = services.webhook_endpoint_rotate_secret(endpoint=endpoint, user=admin_user)
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    services.webhook_delivery_attempt(delivery_id)
    (req,) = receiver.wait_for(1)
    assert len(req["headers"]["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(req["body"], req["headers"])
    Webhook(endpoint.secret).verify(req["body"], req["headers"])
    later = timezone.now() + dt.timedelta(hours=25)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secrets_in_force(later) == [endpoint.secret]


def test_500_and_timeout_are_retried_with_back_off_then_delivered(org, admin_user, receiver):
    _endpoint(org, admin_user, url=receiver.url("/flaky"))
    receiver.script["/flaky"] = ["500", "sleep"]
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    first = services.webhook_delivery_attempt(delivery_id)
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.response_code, row.error) == (DeliveryStatus.RETRYING, 500, "HTTP 500")
    assert row.response_excerpt == '{"ok": false}'
    second = services.webhook_delivery_attempt(delivery_id)
    row.refresh_from_db()
    assert row.status == DeliveryStatus.RETRYING and "Timeout" in row.error and row.response_code is None
    assert second == 2 * first
    assert services.webhook_delivery_attempt(delivery_id) is None
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 3)
    ids = {r["headers"]["webhook-id"] for r in receiver.wait_for(3)}
    assert ids == {row.message_id}  # one idempotency key over the retries


def test_no_delivery_to_a_private_address_without_the_allowance(org, admin_user, receiver, settings):
    endpoint = _endpoint(org, admin_user, url=receiver.url("/ok"))
    settings.WEBHOOK_ALLOWED_HOSTS = []  # the receiver is on 127.0.0.1: refused when sending
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    assert services.webhook_delivery_attempt(delivery_id) is None
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert row.status == DeliveryStatus.FAILED and "non-public address" in row.error
    assert receiver.received == []
    # a name that resolves to loopback (checked where the socket lands, too)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(url=receiver.url("/ok").replace("127.0.0.1", "localhost"))
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    services.webhook_delivery_attempt(delivery_id)
    assert "non-public address" in WebhookDelivery.objects.get(pk=delivery_id).error
    assert receiver.received == []


def test_connect_time_check_refuses_a_rebound_name(org, admin_user, receiver, settings, monkeypatch):
    """The name passed the check (allowed), then the connection landed on loopback for a name not allowed."""
    from apps.lists import downloads

    _endpoint(org, admin_user, url=receiver.url("/ok"))
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    monkeypatch.setattr(services, "webhook_url_check", lambda url: None)  # as if DNS said "public" at check time
    settings.WEBHOOK_ALLOWED_HOSTS = []
    assert downloads.address_refusal("127.0.0.1")
    services.webhook_delivery_attempt(delivery_id)
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert row.status == DeliveryStatus.FAILED and "connection went to" in row.error
    assert receiver.received == []


def test_repeated_failures_disable_the_endpoint_and_alert_the_admins(org, admin_user, officer, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 1
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    endpoint = _endpoint(org, admin_user, url=receiver.url("/down"))
    receiver.script["/down"] = ["500"] * 5
    for _ in range(2):
        (delivery_id,) = services.webhook_deliveries_create(_activity(org))
        services.webhook_delivery_attempt(delivery_id)
    endpoint.refresh_from_db()
    assert not endpoint.enabled and "2 failed deliveries" in endpoint.disabled_reason
    notes = Notification.objects.filter(kind="webhook_disabled")
    assert [n.user_id for n in notes] == [admin_user.pk]
    assert AuditEvent.objects.filter(action="webhookendpoint.disable", actor=None).exists()
    assert services.webhook_deliveries_create(_activity(org)) == []


def test_manual_redelivery_keeps_the_message_id(org, admin_user, officer, receiver):
    _endpoint(org, admin_user, url=receiver.url("/ok"))
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    services.webhook_delivery_attempt(delivery_id)
    with pytest.raises(ApplicationError):
        services.webhook_redeliver(delivery=delivery_id, user=officer)
    services.webhook_redeliver(delivery=delivery_id, user=admin_user)
    services.webhook_delivery_attempt(delivery_id)
    first, second = receiver.wait_for(2)
    assert first["headers"]["webhook-id"] == second["headers"]["webhook-id"]


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_the_receiver_answers(org, admin_user, receiver):
    """While the request is on the wire another connection can lock the delivery row at once (NOWAIT), and
    a second attempt of the same delivery sends nothing (it is claimed); the first then records its outcome."""
    from django.db import connection, transaction

    _endpoint(org, admin_user, url=receiver.url("/ok"))
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))

    def probe():
        try:
            with transaction.atomic():
                row = WebhookDelivery.objects.select_for_update(nowait=True).get(pk=delivery_id)
                claimed = row.claimed_until is not None
            return ("unlocked", claimed, services.webhook_delivery_attempt(delivery_id))
        finally:
            connection.close()  # this thread's own connection

    receiver.during = probe
    assert services.webhook_delivery_attempt(delivery_id) is None
    assert receiver.during_results == [("unlocked", True, None)]
    assert len(receiver.wait_for(1)) == 1  # the second attempt sent nothing
    row = WebhookDelivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts, row.claimed_until) == (DeliveryStatus.DELIVERED, 1, None)


def test_a_claim_left_by_a_dead_worker_blocks_until_it_runs_out(org, admin_user, receiver, settings):
    _endpoint(org, admin_user, url=receiver.url("/ok"))
    (delivery_id,) = services.webhook_deliveries_create(_activity(org))
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=delivery_id).update(claimed_until=now + dt.timedelta(minutes=1),
                                                          next_attempt_at=now - dt.timedelta(hours=1))
    assert services.webhook_delivery_attempt(delivery_id) is None and not receiver.received
    assert services.webhook_deliveries_recover() == []  # on the wire, not lost
    WebhookDelivery.objects.filter(pk=delivery_id).update(claimed_until=now - dt.timedelta(seconds=1))
    assert services.webhook_deliveries_recover(now=now) == [delivery_id]
    assert services.webhook_delivery_attempt(delivery_id) is None
    assert WebhookDelivery.objects.get(pk=delivery_id).status == DeliveryStatus.DELIVERED
    assert len(receiver.wait_for(1)) == 1
