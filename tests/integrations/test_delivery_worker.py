"""Done-when of #20 (webhook half): a real Celery worker delivers signed messages to a real local HTTPS
receiver (trustme CA trusted through WEBHOOK_CA_BUNDLE), retries after a 500 and after a timeout, refuses a
private address without the allowance, and never sends one organisation's events to another's receiver."""
from __future__ import annotations

import time

import pytest
from standardwebhooks import Webhook

from apps.common import events
from apps.integrations import services
from apps.integrations.choices import DeliveryStatus
from apps.integrations.models import WebhookDelivery
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(request, receiver, monkeypatch):
    """The worker process reads these from its environment (the fixture copies os.environ)."""
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
    monkeypatch.setenv("WEBHOOK_CA_BUNDLE", receiver.ca_path)
    monkeypatch.setenv("WEBHOOK_TIMEOUT", "1")
    monkeypatch.setenv("WEBHOOK_BACKOFF_SECONDS", "0.2")
    return request.getfixturevalue("celery_worker_process")


def _settled(ids, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(WebhookDelivery.objects.filter(pk__in=ids))
        if rows and all(r.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED) for r in rows):
            return {r.pk: r for r in rows}
        time.sleep(0.2)
    raise AssertionError(list(WebhookDelivery.objects.filter(pk__in=ids).values("status", "attempts", "error")))


def test_a_real_worker_delivers_signed_messages_with_retries_and_scoping(org, other_org, admin_user, receiver,
                                                                       worker, settings):
    other_admin = MembershipFactory(organization=other_org, role="admin", user=UserFactory(username="oa")).user
    ok = services.webhook_endpoint_create(organization=org, user=admin_user, url=receiver.url("/ok"),
                                          event_types=["plan.created"])
    flaky = services.webhook_endpoint_create(organization=org, user=admin_user, url=receiver.url("/flaky"),
                                             event_types=["plan.created"])
    theirs = services.webhook_endpoint_create(organization=other_org, user=other_admin,
                                              url=receiver.url("/theirs"), event_types=["plan.created"])
    receiver.script["/flaky"] = ["500", "sleep"]
    # Published as a service does (on commit): the handler creates the deliveries and enqueues the tasks.
    events.publish(events.RegistryActivity(type="plan.created", organization_id=org.pk, object_kind="plan",
                                           object_id=41, site_id=None))
    rows = _settled(list(WebhookDelivery.objects.values_list("pk", flat=True)))
    by_endpoint = {r.endpoint_id: r for r in rows.values()}
    assert set(by_endpoint) == {ok.pk, flaky.pk}  # nothing for the other organisation
    assert by_endpoint[ok.pk].status == DeliveryStatus.DELIVERED and by_endpoint[ok.pk].attempts == 1
    assert by_endpoint[flaky.pk].status == DeliveryStatus.DELIVERED and by_endpoint[flaky.pk].attempts == 3
    received = receiver.wait_for(4)
    assert {r["path"] for r in received} == {"/ok", "/flaky"}
    assert [r["answered"] for r in received if r["path"] == "/flaky"] == ["500", "sleep", "200"]
    secrets = {"/ok": ok.secret, "/flaky": flaky.secret}
    for r in received:
        payload = Webhook(secrets[r["path"]]).verify(r["body"], r["headers"])
        assert payload["data"]["organization_id"] == org.pk and payload["data"]["object"]["id"] == 41
    assert not WebhookDelivery.objects.filter(endpoint=theirs).exists()


def test_the_worker_refuses_a_private_address_without_the_allowance(org, admin_user, receiver, worker,
                                                                   monkeypatch):
    endpoint = services.webhook_endpoint_create(organization=org, user=admin_user, url=receiver.url("/ok"),
                                                event_types=["plan.created"])
    # point the endpoint at a name that resolves to loopback: not on the worker's allow-list (127.0.0.1 only)
    type(endpoint).objects.filter(pk=endpoint.pk).update(url=receiver.url("/ok").replace("127.0.0.1", "localhost"))
    events.publish(events.RegistryActivity(type="plan.created", organization_id=org.pk, object_kind="plan",
                                           object_id=5))
    (row,) = _settled(list(WebhookDelivery.objects.values_list("pk", flat=True))).values()
    assert row.status == DeliveryStatus.FAILED and "non-public address" in row.error and row.attempts == 1
    assert receiver.received == []
