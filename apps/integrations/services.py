"""Webhooks: an organisation's admins subscribe HTTPS endpoints to registry events; each matching event becomes
one signed delivery (Standard Webhooks), sent by a Celery task with exponential back-off.

- Subscriptions (`webhook_endpoint_*`) are admin-only (policy ADMINISTER), and every change is recorded on the
  audit chain (secrets never: only that a secret was rotated).
- `on_registry_activity` turns a domain event into deliveries for the enabled endpoints *of the event's
  organisation only* (shared data such as a public list version: every organisation's endpoints, each its own
  delivery); the payload holds the event type, ids and links, nothing read from another organisation.
- `webhook_delivery_attempt` posts one attempt through the list downloader's checked session (https only, the
  address checked at save time and again where the socket lands, WEBHOOK_ALLOWED_HOSTS the only exemption),
  records code, timing and an excerpt, and says when to retry. After WEBHOOK_DISABLE_AFTER_FAILURES failed
  deliveries in a row the endpoint is disabled and the organisation's admins get an in-app notification.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import logging
import secrets
import time
import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from apps.accounts.choices import Role
from apps.accounts.models import Membership, Organization
from apps.accounts.policies import Action, authorize
from apps.audit.services import audit_record, audited_transaction
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.lists.downloads import DownloadError, checked_session, url_check
from apps.security.enqueue import enqueue_on_commit

from .choices import SUBSCRIBABLE, DeliveryStatus, EventType
from .models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger("vendorrisk.webhooks")

USER_AGENT = "vendorrisk-webhooks/1.0"
EXCERPT = 500
DELIVER_TASK = "apps.integrations.tasks.webhook_deliver_task"

# Where a payload's links point (the API's detail pages; the receiver reads more with its own token).
_LINKS = {
    "plan": "/api/v1/remediations/{id}/",
    "waiver": "/api/v1/waivers/{id}/",
    "list_version": "/api/v1/list-versions/{id}/",
    "list_source": "/api/v1/lists/{id}/",
    "equipment": "/api/v1/equipment/{id}/",
    "finding": "/api/v1/findings/{id}/",
    "data_call": "/api/v1/data-calls/{id}/",
    "declared_finding": "/api/v1/declared-findings/{id}/",
}
# Audited fields of an endpoint (never the secrets).
_AUDITED = ("url", "description", "event_types", "filter_site_ids", "filter_categories", "filter_statuses",
            "enabled", "disabled_reason")


# --- subscriptions ---------------------------------------------------------------------------------------

def webhook_secret_generate() -> str:
    """A new Standard Webhooks secret: `whsec_` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_allowed_hosts() -> set[str]:
    return {h.strip().lower() for h in settings.WEBHOOK_ALLOWED_HOSTS if h.strip()}


def webhook_url_check(url: str) -> None:
    """Refuse a receiver URL that is not https or whose host resolves to a non-public address (unless the
    host is in WEBHOOK_ALLOWED_HOSTS). Raises ApplicationError(code="invalid") with the reason."""
    url = (url or "").strip()
    if not url.lower().startswith("https://"):
        raise ApplicationError("The endpoint URL must start with https://.", code="invalid")
    if len(url) > 500:
        raise ApplicationError("The endpoint URL is longer than 500 characters.", code="invalid")
    try:
        url_check(url, allow_http=False, allowed_hosts=webhook_allowed_hosts())
    except DownloadError as exc:
        reason = exc.reason.replace("LISTS_ALLOWED_HOSTS", "WEBHOOK_ALLOWED_HOSTS")
        raise ApplicationError(reason, code="invalid") from exc


def _clean_list(values: Any, name: str) -> list:
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, list | tuple | set | frozenset):
        raise ApplicationError(f"{name}: give a list.", code="invalid")
    return list(values)


def _clean_subscription(organization_id: int, *, event_types: Any, filter_site_ids: Any, filter_categories: Any,
                        filter_statuses: Any) -> dict[str, list]:
    from apps.inventory.models import Site  # lower layer; imported here to keep start-up light

    types = _clean_list(event_types, "event_types")
    unknown = sorted(set(map(str, types)) - {str(t) for t in SUBSCRIBABLE})
    if unknown:
        raise ApplicationError(f"Unknown event types: {', '.join(unknown)}.", code="invalid")
    if not types:
        raise ApplicationError("Choose at least one event type.", code="invalid")
    try:
        site_ids = sorted({int(v) for v in _clean_list(filter_site_ids, "filter_site_ids")})
    except (TypeError, ValueError) as exc:
        raise ApplicationError("filter_site_ids: give site ids (numbers).", code="invalid") from exc
    if site_ids:
        own = set(Site.objects.filter(organization_id=organization_id, pk__in=site_ids).values_list("pk", flat=True))
        missing = [s for s in site_ids if s not in own]
        if missing:  # another organisation's site reads like a missing one
            raise ApplicationError(f"No such site in this organisation: {missing[0]}.", code="invalid")
    categories = sorted({str(v).strip() for v in _clean_list(filter_categories, "filter_categories") if str(v).strip()})
    statuses = sorted({str(v).strip() for v in _clean_list(filter_statuses, "filter_statuses") if str(v).strip()})
    for name, values in (("filter_categories", categories), ("filter_statuses", statuses)):
        if any(len(v) > 64 for v in values) or len(values) > 100:
            raise ApplicationError(f"{name}: at most 100 values of at most 64 characters.", code="invalid")
    return {"event_types": sorted(set(map(str, types))), "filter_site_ids": site_ids,
            "filter_categories": categories, "filter_statuses": statuses}


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {name: getattr(endpoint, name) for name in _AUDITED}


def _audit(endpoint: WebhookEndpoint, action: str, actor, before: dict, after: dict, **extra: Any) -> None:
    changes = {k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
               if before.get(k) != after.get(k)}
    changes.update(extra)
    audit_record(action=f"webhookendpoint.{action}", actor=actor, obj=endpoint,
                 organization_id=endpoint.organization_id, changes=changes)


def _locked(endpoint: WebhookEndpoint | int) -> WebhookEndpoint:
    pk = endpoint if isinstance(endpoint, int) else endpoint.pk
    row = WebhookEndpoint.objects.select_for_update().filter(pk=pk).first()
    if row is None:
        raise ApplicationError("No such webhook endpoint.", code="not_found")
    return row


@audited_transaction()
def webhook_endpoint_create(*, organization: Organization | int, user, url: str, event_types: list[str],
                            description: str = "", filter_site_ids: list[int] | None = None,
                            filter_categories: list[str] | None = None,
                            filter_statuses: list[str] | None = None) -> WebhookEndpoint:
    """Subscribe `url` (https, public address) of `organization` to `event_types`. Admins only."""
    org_id = organization if isinstance(organization, int) else organization.pk
    authorize(user, Action.ADMINISTER, organization_id=org_id)
    webhook_url_check(url)
    fields = _clean_subscription(org_id, event_types=event_types, filter_site_ids=filter_site_ids,
                                 filter_categories=filter_categories, filter_statuses=filter_statuses)
    endpoint = WebhookEndpoint(organization_id=org_id, url=url.strip(), description=(description or "").strip()[:200],
                               secret=webhook_secret_generate(), created_by=user if user is not None else None,
                               **fields)
    endpoint.full_clean()
    endpoint.save()
    _audit(endpoint, "create", user, {}, _snapshot(endpoint))
    return endpoint


@audited_transaction()
def webhook_endpoint_update(*, endpoint: WebhookEndpoint | int, user, **data: Any) -> WebhookEndpoint:
    """Change the URL, description, event types or filters (only the keys given). Admins only."""
    row = _locked(endpoint)
    authorize(user, Action.ADMINISTER, row)
    allowed = {"url", "description", "event_types", "filter_site_ids", "filter_categories", "filter_statuses"}
    unknown = set(data) - allowed
    if unknown:
        raise ApplicationError(f"Cannot change {', '.join(sorted(unknown))} here.", code="invalid")
    before = _snapshot(row)
    if "url" in data and data["url"].strip() != row.url:
        webhook_url_check(data["url"])
        row.url = data["url"].strip()
    if "description" in data:
        row.description = (data["description"] or "").strip()[:200]
    current = {k: data.get(k, getattr(row, k)) for k in ("event_types", "filter_site_ids", "filter_categories",
                                                          "filter_statuses")}
    for key, value in _clean_subscription(row.organization_id, **current).items():
        setattr(row, key, value)
    row.full_clean()
    after = _snapshot(row)
    if after != before:
        row.save()
        _audit(row, "update", user, before, after)
    return row


@audited_transaction()
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint | int, user,
                                   now: dt.datetime | None = None) -> WebhookEndpoint:
    """A new secret; the old one keeps signing (both signatures are sent) for WEBHOOK_SECRET_GRACE_HOURS."""
    row = _locked(endpoint)
    authorize(user, Action.ADMINISTER, row)
    now = now or timezone.now()
    row.previous_secret = row.secret
    row.previous_secret_expires_at = now + dt.timedelta(hours=settings.WEBHOOK_SECRET_GRACE_HOURS)
    row.secret = webhook_secret_generate()
    row.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    _audit(row, "rotate_secret", user, {}, {}, previous_secret_valid_until=row.previous_secret_expires_at.isoformat())
    return row


@audited_transaction()
def webhook_endpoint_set_enabled(*, endpoint: WebhookEndpoint | int, user, enabled: bool,
                                 reason: str = "") -> WebhookEndpoint:
    """Disable (with a reason) or enable again (the failure count starts over). Admins only; user None is the
    registry itself (the automatic disabling)."""
    row = _locked(endpoint)
    authorize(user, Action.ADMINISTER, row)
    before = _snapshot(row)
    row.enabled = bool(enabled)
    row.disabled_reason = "" if enabled else ((reason or "").strip()[:300] or "Disabled by an administrator.")
    if enabled:
        row.consecutive_failures = 0
    after = _snapshot(row)
    if after != before or enabled:
        row.save(update_fields=["enabled", "disabled_reason", "consecutive_failures", "updated_at"])
        if after != before:
            _audit(row, "enable" if enabled else "disable", user, before, after)
    return row


@audited_transaction()
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint | int, user) -> None:
    """Delete the endpoint and its delivery log. Admins only."""
    row = _locked(endpoint)
    authorize(user, Action.ADMINISTER, row)
    before = _snapshot(row)
    _audit(row, "delete", user, before, {})
    row.delete()


# --- events -> deliveries --------------------------------------------------------------------------------

def _matches(endpoint: WebhookEndpoint, event: events.RegistryActivity) -> bool:
    """The endpoint wants this event: its type, and each filter the event carries the attribute of."""
    if event.type not in endpoint.event_types:
        return False
    if endpoint.filter_site_ids and event.site_id is not None and event.site_id not in endpoint.filter_site_ids:
        return False
    if endpoint.filter_categories and event.category and event.category not in endpoint.filter_categories:
        return False
    return not (endpoint.filter_statuses and event.status and event.status not in endpoint.filter_statuses)


def _narrowed(endpoint: WebhookEndpoint, event: events.RegistryActivity) -> events.RegistryActivity:
    """A set-valued event with per-id facets, cut to the ids the endpoint's site, category and status filters
    keep (the same rule as _matches, id by id). Other events are returned as they are."""
    if not event.object_facets or not (endpoint.filter_site_ids or endpoint.filter_categories
                                       or endpoint.filter_statuses):
        return event
    kept = [(pk, facet) for pk, facet in zip(event.object_ids, event.object_facets, strict=True)
            if _matches(endpoint, dataclasses.replace(event, object_ids=(), object_facets=(), site_id=facet[0],
                                                      category=facet[1], status=facet[2]))]
    return dataclasses.replace(event, object_ids=tuple(pk for pk, _ in kept),
                               object_facets=tuple(facet for _, facet in kept))


def _object(kind: str, pk: int) -> dict[str, Any]:
    obj: dict[str, Any] = {"kind": kind, "id": pk}
    path = _LINKS.get(kind, "")
    if path:
        obj["link"] = settings.PUBLIC_BASE_URL + path.format(id=pk)
    return obj


def webhook_payload(event: events.RegistryActivity, *, organization_id: int, timestamp: dt.datetime) -> dict:
    """The body of a delivery: the type, when, and ids with links; nothing else is read, so nothing of another
    organisation can be in it. `organization_id` is the receiving organisation. A set-valued event: see
    webhook_payloads."""
    data: dict[str, Any] = {"organization_id": organization_id, "object": _object(event.object_kind, event.object_id)}
    if event.site_id is not None:
        data["site_id"] = event.site_id
    for name in ("category", "status", "previous_status"):
        value = getattr(event, name)
        if value:
            data[name] = value
    return {"type": event.type, "timestamp": timestamp.isoformat().replace("+00:00", "Z"), "data": data}


def _facet_fields(facet: tuple[int | None, str, str] | None) -> dict[str, Any]:
    if facet is None:
        return {}
    site_id, category, status = facet
    return {k: v for k, v in (("site_id", site_id), ("category", category), ("status", status)) if v not in (None, "")}


def webhook_payloads(event: events.RegistryActivity, *, organization_id: int, timestamp: dt.datetime) -> list[dict]:
    """The bodies of one event for one endpoint: one, or for a set-valued event (`object_ids`) one per
    WEBHOOK_BATCH_MAX_IDS ids, each with `objects` (ids and links), `count` (ids in the whole event), `part`
    and `parts`, so a receiver knows it has them all."""
    if not event.object_ids:
        return [webhook_payload(event, organization_id=organization_id, timestamp=timestamp)]
    size = max(int(settings.WEBHOOK_BATCH_MAX_IDS), 1)
    facets = dict(zip(event.object_ids, event.object_facets, strict=True)) if event.object_facets else {}
    ids = sorted(set(event.object_ids))
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    stamp = timestamp.isoformat().replace("+00:00", "Z")
    bodies = []
    for n, chunk in enumerate(chunks, start=1):
        data: dict[str, Any] = {"organization_id": organization_id, "count": len(ids), "part": n,
                                "parts": len(chunks),
                                "objects": [_object(event.object_kind, pk) | _facet_fields(facets.get(pk))
                                            for pk in chunk]}
        if event.status:
            data["status"] = event.status
        bodies.append({"type": event.type, "timestamp": stamp, "data": data})
    return bodies


def on_registry_activity(event: events.RegistryActivity) -> None:
    """Subscribed on commit: a delivery for every matching enabled endpoint of the event's organisation (shared
    data: of every organisation), each sent by its own task."""
    webhook_deliveries_create(event)


def on_registry_activities(event: events.RegistryActivities) -> None:
    """Subscribed on commit: a batch of activities (one evaluation's plans), endpoints read once."""
    webhook_deliveries_create_many(list(event.items))


def webhook_deliveries_create(event: events.RegistryActivity, *, now: dt.datetime | None = None) -> list[int]:
    return webhook_deliveries_create_many([event], now=now)


@transaction.atomic
def webhook_deliveries_create_many(items: list[events.RegistryActivity], *,
                                   now: dt.datetime | None = None) -> list[int]:
    """Deliveries for `items`: the enabled endpoints of their organisations are read in one query whatever the
    number of items (shared data, organisation None: every organisation's), then one bulk insert."""
    if not items:
        return []
    now = now or timezone.now()
    endpoints = WebhookEndpoint.objects.filter(enabled=True)
    org_ids = {e.organization_id for e in items}
    if None not in org_ids:
        endpoints = endpoints.filter(organization_id__in=sorted(org_ids))
    wanted_types = {e.type for e in items}
    by_org: dict[int, list[WebhookEndpoint]] = {}
    every: list[WebhookEndpoint] = []
    for endpoint in endpoints.only("id", "organization_id", "event_types", "filter_site_ids", "filter_categories",
                                   "filter_statuses").order_by("organization_id", "id"):
        if not wanted_types.intersection(endpoint.event_types):
            continue
        by_org.setdefault(endpoint.organization_id, []).append(endpoint)
        every.append(endpoint)
    rows = []
    for event in items:
        targets = every if event.organization_id is None else by_org.get(event.organization_id, [])
        for endpoint in targets:
            if not _matches(endpoint, event):
                continue
            wanted = _narrowed(endpoint, event)
            if event.object_ids and not wanted.object_ids:
                continue  # a set-valued event none of whose ids passes this endpoint's filters
            for payload in webhook_payloads(wanted, organization_id=endpoint.organization_id, timestamp=now):
                rows.append(WebhookDelivery(
                    endpoint_id=endpoint.pk, organization_id=endpoint.organization_id, event_type=event.type,
                    message_id=f"msg_{uuid.uuid4().hex}", next_attempt_at=now, payload=payload))
    created = WebhookDelivery.objects.bulk_create(rows, batch_size=1000)
    for row in created:
        enqueue_on_commit(DELIVER_TASK, row.pk)
    return [row.pk for row in created]


@audited_transaction()
def webhook_ping(*, endpoint: WebhookEndpoint | int, user, now: dt.datetime | None = None) -> WebhookDelivery:
    """Send a test message (type webhook.ping) to one endpoint now, whatever its subscriptions. Admins only."""
    row = _locked(endpoint)
    authorize(user, Action.ADMINISTER, row)
    now = now or timezone.now()
    payload = {"type": EventType.PING.value, "timestamp": now.isoformat().replace("+00:00", "Z"),
               "data": {"organization_id": row.organization_id, "endpoint_id": row.pk}}
    delivery = WebhookDelivery.objects.create(endpoint=row, organization_id=row.organization_id,
                                              event_type=EventType.PING, message_id=f"msg_{uuid.uuid4().hex}",
                                              payload=payload, next_attempt_at=now)
    enqueue_on_commit(DELIVER_TASK, delivery.pk)
    return delivery


@transaction.atomic
def webhook_redeliver(*, delivery: WebhookDelivery | int, user, now: dt.datetime | None = None) -> WebhookDelivery:
    """Send a delivery again (same message id: the receiver's idempotency key), with a fresh set of attempts.
    Admins only; the endpoint must be enabled."""
    pk = delivery if isinstance(delivery, int) else delivery.pk
    row = WebhookDelivery.objects.select_for_update().select_related("endpoint").filter(pk=pk).first()
    if row is None:
        raise ApplicationError("No such delivery.", code="not_found")
    authorize(user, Action.ADMINISTER, organization_id=row.organization_id)
    if not row.endpoint.enabled:
        raise ApplicationError("The endpoint is disabled: enable it first.", code="invalid")
    if row.status in (DeliveryStatus.PENDING, DeliveryStatus.RETRYING):
        raise ApplicationError("This delivery is still being attempted.", code="invalid")
    row.status = DeliveryStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = now or timezone.now()
    row.error = ""
    row.save(update_fields=["status", "attempts", "next_attempt_at", "error"])
    enqueue_on_commit(DELIVER_TASK, row.pk)
    return row


def webhook_deliveries_recover(*, now: dt.datetime | None = None, limit: int = 1000) -> list[int]:
    """Beat job: re-queue deliveries whose task message was lost (a pending or retrying delivery whose next
    attempt is more than WEBHOOK_RECOVER_AFTER_MINUTES late). The same row, so the same webhook-id: the receiver
    dedupes; an attempt of a settled delivery does nothing; one whose attempt is on the wire (claimed) is left.
    Each re-queued row's next attempt is moved to now,
    so the next run does not send it again before another such delay. At most `limit` per run (the oldest)."""
    now = now or timezone.now()
    late = now - dt.timedelta(minutes=settings.WEBHOOK_RECOVER_AFTER_MINUTES)
    with transaction.atomic():
        ids = list(WebhookDelivery.objects.select_for_update(skip_locked=True)
                   .filter(status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING], next_attempt_at__lt=late)
                   .exclude(claimed_until__gt=now)  # an attempt on the wire, not lost
                   .order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=now)
            for pk in ids:
                enqueue_on_commit(DELIVER_TASK, pk)
    if ids:
        logger.warning("re-queued %d webhook deliveries whose message was lost", len(ids))
    return ids


# --- sending ---------------------------------------------------------------------------------------------

def webhook_sign_headers(*, endpoint: WebhookEndpoint, message_id: str, body: str, now: dt.datetime) -> dict[str, str]:
    """Standard Webhooks headers: webhook-id, webhook-timestamp, webhook-signature (one `v1,` signature per
    secret in force, space-separated, so a receiver holding either secret verifies during a rotation)."""
    signatures = [Webhook(s).sign(msg_id=message_id, timestamp=now, data=body) for s in endpoint.secrets_in_force(now)]
    return {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": " ".join(signatures)}


def backoff_seconds(attempts: int) -> float:
    """Delay before attempt `attempts + 1`: WEBHOOK_BACKOFF_SECONDS doubled after each failed attempt."""
    return settings.WEBHOOK_BACKOFF_SECONDS * (2 ** max(attempts - 1, 0))


def _post(url: str, body: str, headers: dict[str, str]) -> tuple[int | None, str, str, bool]:
    """(status code, response excerpt, error, retryable). Never raises for the network."""
    try:
        webhook_url_check(url)  # at send time too: DNS may have changed since the subscription
    except ApplicationError as exc:
        return None, "", exc.message if hasattr(exc, "message") else str(exc), False
    verify: bool | str = settings.WEBHOOK_CA_BUNDLE or True
    session = checked_session(allowed_hosts=webhook_allowed_hosts())
    try:
        with session.post(url, data=body.encode(), headers=headers, timeout=settings.WEBHOOK_TIMEOUT, stream=True,
                          allow_redirects=False, verify=verify) as resp:
            excerpt = resp.raw.read(EXCERPT, decode_content=True).decode("utf-8", "replace")
            code = resp.status_code
    except DownloadError as exc:  # the connection landed on a refused address
        return None, "", exc.reason.replace("LISTS_ALLOWED_HOSTS", "WEBHOOK_ALLOWED_HOSTS")[:EXCERPT], False
    except Exception as exc:  # requests wraps the peer check's refusal too
        cause = exc
        while cause is not None and not isinstance(cause, DownloadError):
            cause = cause.__context__ or cause.__cause__
        if isinstance(cause, DownloadError):
            return None, "", cause.reason[:EXCERPT], False
        return None, "", f"{exc.__class__.__name__}: {exc}"[:EXCERPT], True
    finally:
        session.close()
    if 200 <= code < 300:
        return code, excerpt, "", True
    # Redirects are not followed (the receiver's address is the one subscribed); 4xx and 5xx are retried.
    return code, excerpt, f"HTTP {code}", True


def webhook_delivery_attempt(delivery_id: int, *, now: dt.datetime | None = None) -> float | None:
    """One attempt of a delivery: returns the seconds until the next attempt, or None when it is settled
    (delivered, failed for good, missing, or its endpoint disabled) or another attempt of it is on the wire.
    Idempotent: a settled delivery is left.

    Three steps, so no row lock is held while the receiver answers (up to WEBHOOK_TIMEOUT): a short transaction
    claims the row (claimed_until = now + the task's time limit and a margin) and signs the body; the request
    is sent outside any transaction; a second short transaction records the outcome and frees the claim."""
    claim = _claim(delivery_id, now=now)
    if claim is None:
        return None
    url, body, headers, claimed_until = claim
    started = time.monotonic()
    code, excerpt, error, retryable = _post(url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    with transaction.atomic():
        row = WebhookDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if row is None or row.claimed_until != claimed_until:
            return None  # deleted with its endpoint, or the claim ran out and another attempt took it over
        row.claimed_until = None
        row.duration_ms = duration_ms
        row.attempts += 1
        row.last_attempt_at = timezone.now()
        row.response_code = code
        row.response_excerpt = excerpt[:EXCERPT]
        row.error = error[:500]
        delay = None
        if not error:
            row.status = DeliveryStatus.DELIVERED
            row.delivered_at = row.last_attempt_at
            row.next_attempt_at = None
        elif retryable and row.attempts < settings.WEBHOOK_MAX_ATTEMPTS:
            delay = backoff_seconds(row.attempts)
            row.status = DeliveryStatus.RETRYING
            row.next_attempt_at = row.last_attempt_at + dt.timedelta(seconds=delay)
        else:
            row.status = DeliveryStatus.FAILED
            row.next_attempt_at = None
        row.save()
        _count_outcome(row.endpoint_id, row)
    return delay


CLAIM_SECONDS = 150  # longer than webhook_deliver_task's hard time limit (120 s)


def _claim(delivery_id: int, *, now: dt.datetime | None) -> tuple[str, str, dict[str, str], dt.datetime] | None:
    """Take a delivery for one attempt: (url, body, signed headers, the claim's end), or None when there is
    nothing to send (settled, locked or claimed by another attempt, or its endpoint disabled: failed here)."""
    with transaction.atomic():
        row = (WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",)).select_related("endpoint")
               .filter(pk=delivery_id).first())
        if row is None or row.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            return None
        current = timezone.now()
        if row.claimed_until is not None and row.claimed_until > current:
            return None
        endpoint = row.endpoint
        if not endpoint.enabled:
            row.status = DeliveryStatus.FAILED
            row.error = "The endpoint is disabled."
            row.next_attempt_at = None
            row.claimed_until = None
            row.save(update_fields=["status", "error", "next_attempt_at", "claimed_until"])
            return None
        body = json.dumps(row.payload, separators=(",", ":"), sort_keys=True)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   **webhook_sign_headers(endpoint=endpoint, message_id=row.message_id, body=body,
                                          now=now or current)}
        row.claimed_until = current + dt.timedelta(seconds=CLAIM_SECONDS)
        row.save(update_fields=["claimed_until"])
        return endpoint.url, body, headers, row.claimed_until


def _count_outcome(endpoint_id: int, delivery: WebhookDelivery) -> None:
    """A delivered message resets the endpoint's failure count; a delivery that failed for good adds one, and
    WEBHOOK_DISABLE_AFTER_FAILURES in a row disable the endpoint with an alert to the organisation's admins."""
    if delivery.status == DeliveryStatus.DELIVERED:
        WebhookEndpoint.objects.filter(pk=endpoint_id).exclude(consecutive_failures=0).update(consecutive_failures=0)
        return
    if delivery.status != DeliveryStatus.FAILED:
        return
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    endpoint.consecutive_failures += 1
    endpoint.save(update_fields=["consecutive_failures"])
    if endpoint.enabled and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        reason = (f"Disabled automatically after {endpoint.consecutive_failures} failed deliveries in a row "
                  f"(last: {delivery.error or 'no answer'}).")[:300]
        webhook_endpoint_set_enabled(endpoint=endpoint, user=None, enabled=False, reason=reason)
        _alert_admins(endpoint, reason)


def _alert_admins(endpoint: WebhookEndpoint, reason: str) -> None:
    """An in-app notification to each admin of the endpoint's organisation (the registry's notifications)."""
    from apps.remediation.choices import NotificationKind
    from apps.remediation.models import Notification

    now = timezone.now()
    admins = Membership.objects.filter(organization_id=endpoint.organization_id, role=Role.ADMIN)
    Notification.objects.bulk_create([
        Notification(organization_id=endpoint.organization_id, user_id=m.user_id,
                     kind=NotificationKind.WEBHOOK_DISABLED, title=f"Webhook disabled: {endpoint}"[:200],
                     body=reason, created_at=now)
        for m in admins.only("user_id")
    ])


def connect_event_handlers() -> None:
    events.subscribe(events.RegistryActivity, on_registry_activity)
    events.subscribe(events.RegistryActivities, on_registry_activities)
    events.subscribe(events.ListVersionActivated, on_list_version_activated)


def on_list_version_activated(event: events.ListVersionActivated) -> None:
    """A list version became active: the list's organisation, or every organisation for a public list."""
    from apps.lists.models import ListVersion

    version = ListVersion.objects.filter(pk=event.version_id).select_related("source").first()
    if version is None:
        return
    webhook_deliveries_create(events.RegistryActivity(
        type=EventType.LIST_VERSION_ACTIVATED.value, organization_id=getattr(version.source, "organization_id", None),
        object_kind="list_version", object_id=version.pk, status=str(version.status)))
