"""Webhook fan-out of batches (one endpoint query per batch), set-valued events split into bounded deliveries,
the events sent by the services, and the beat job re-queueing lost deliveries."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.common import events
from apps.integrations import services
from apps.integrations.models import WebhookDelivery

pytestmark = pytest.mark.django_db

PUBLIC = "https://93.184.216.34/hook"


def _endpoint(org, admin, types=("plan.created",), **kw):
    return services.webhook_endpoint_create(organization=org, user=admin, url=PUBLIC, event_types=list(types), **kw)


def _plans(org, n, start=1):
    return [events.RegistryActivity(type="plan.created", organization_id=org.pk, object_kind="plan", object_id=i)
            for i in range(start, start + n)]


def test_a_batch_reads_endpoints_once_whatever_its_size(org, other_org, admin_user, django_capture_on_commit_callbacks):
    from tests.factories import MembershipFactory, UserFactory

    other_admin = MembershipFactory(organization=other_org, role="admin", user=UserFactory(username="oa2")).user
    _endpoint(org, admin_user)
    _endpoint(org, admin_user, types=("plan.created", "plan.closed"))
    _endpoint(other_org, other_admin)

    def count(n: int) -> int:
        items = _plans(org, n) + _plans(other_org, n, start=1000)
        with CaptureQueriesContext(connection) as ctx:
            services.webhook_deliveries_create_many(items)
        return len(ctx.captured_queries)

    small, large = count(2), count(40)
    assert small == large
    assert WebhookDelivery.objects.filter(organization=org).count() == 2 * 2 + 2 * 40
    assert WebhookDelivery.objects.filter(organization=other_org).count() == 2 + 40


def test_a_published_batch_reaches_the_webhooks_on_commit(org, admin_user, django_capture_on_commit_callbacks):
    _endpoint(org, admin_user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        events.publish_activities(_plans(org, 3))
    assert len(callbacks) == 1  # one handler call for the batch, not one per plan
    callbacks[0]()
    assert WebhookDelivery.objects.filter(event_type="plan.created").count() == 3


def test_a_set_valued_event_is_split_into_bounded_deliveries(org, admin_user, settings):
    settings.WEBHOOK_BATCH_MAX_IDS = 100
    _endpoint(org, admin_user, types=("unit.status_changed",))
    event = events.RegistryActivity(type="unit.status_changed", organization_id=org.pk, object_kind="equipment",
                                    object_ids=tuple(range(1, 251)))
    ids = services.webhook_deliveries_create(event)
    payloads = [d.payload["data"] for d in WebhookDelivery.objects.filter(pk__in=ids).order_by("id")]
    assert [(p["part"], p["parts"], p["count"], len(p["objects"])) for p in payloads] == [
        (1, 3, 250, 100), (2, 3, 250, 100), (3, 3, 250, 50)]
    assert payloads[0]["objects"][0] == {"kind": "equipment", "id": 1,
                                         "link": "http://localhost:8000/api/v1/equipment/1/"}
    assert len({d.message_id for d in WebhookDelivery.objects.filter(pk__in=ids)}) == 3


def test_the_beat_job_requeues_lost_deliveries_once_with_the_same_message_id(org, admin_user, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from apps.common.schedules import DEFAULT_SCHEDULES

    assert any(task == "apps.integrations.tasks.webhook_recover_task" for _, task, _, _ in DEFAULT_SCHEDULES)
    sent: list[int] = []
    monkeypatch.setattr(services, "enqueue_on_commit", lambda task, pk: sent.append(pk))
    _endpoint(org, admin_user)
    lost, fresh, done = services.webhook_deliveries_create_many(_plans(org, 3))
    sent.clear()
    now = timezone.now()
    WebhookDelivery.objects.filter(pk=lost).update(status="retrying", next_attempt_at=now - dt.timedelta(hours=2))
    WebhookDelivery.objects.filter(pk=done).update(status="delivered", next_attempt_at=now - dt.timedelta(hours=2))
    message_id = WebhookDelivery.objects.get(pk=lost).message_id
    assert services.webhook_deliveries_recover(now=now) == [lost]
    assert sent == [lost]
    assert services.webhook_deliveries_recover(now=now + dt.timedelta(minutes=5)) == []  # not again at once
    row = WebhookDelivery.objects.get(pk=lost)
    assert row.message_id == message_id and row.status == "retrying"
    assert fresh not in sent


def test_a_set_valued_event_with_facets_is_narrowed_per_endpoint(org, admin_user, site):
    from tests.factories import SiteFactory

    other = SiteFactory(organization=org, code="F2")
    everything = _endpoint(org, admin_user, types=("unit.status_changed",))
    cameras_here = _endpoint(org, admin_user, types=("unit.status_changed",), filter_site_ids=[site.pk],
                             filter_categories=["camera"])
    prohibited = _endpoint(org, admin_user, types=("unit.status_changed",), filter_statuses=["prohibited"])
    event = events.RegistryActivity(
        type="unit.status_changed", organization_id=org.pk, object_kind="equipment", object_ids=(1, 2, 3, 4),
        object_facets=((site.pk, "camera", "prohibited"), (site.pk, "router", "prohibited"),
                       (other.pk, "camera", "clear"), (site.pk, "camera", "clear")))
    services.webhook_deliveries_create(event)

    def got(endpoint):
        (row,) = WebhookDelivery.objects.filter(endpoint=endpoint)
        return [(o["id"], o["site_id"], o["category"], o["status"]) for o in row.payload["data"]["objects"]]

    assert [o[0] for o in got(everything)] == [1, 2, 3, 4]
    assert got(cameras_here) == [(1, site.pk, "camera", "prohibited"), (4, site.pk, "camera", "clear")]
    assert [o[0] for o in got(prohibited)] == [1, 2]
    # None of the ids passes the filtered endpoints' filters: a delivery for the unfiltered one only.
    assert {WebhookDelivery.objects.get(pk=pk).endpoint_id for pk in services.webhook_deliveries_create(
        events.RegistryActivity(
        type="unit.status_changed", organization_id=org.pk, object_kind="equipment", object_ids=(9,),
            object_facets=((other.pk, "router", "clear"),)))} == {everything.pk}
    with pytest.raises(ValueError):
        events.RegistryActivity(type="unit.status_changed", organization_id=org.pk, object_kind="equipment",
                                object_ids=(1, 2), object_facets=((site.pk, "camera", "clear"),))
