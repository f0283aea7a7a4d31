"""The daily run: overdue flags, then one digest per organisation and day (claimed through DigestDelivery,
so several runs never send it twice), the hourly retry of failed digests, and in-app notifications."""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from apps.accounts.choices import WRITE_ROLES
from apps.accounts.models import Organization
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError

from .. import conf
from ..choices import NotificationKind, WaiverStatus
from ..models import (
    Digest,
    DigestDelivery,
    DigestItem,
    FactChangeNotice,
    Notification,
    RemediationPlan,
    RemediationPlanQuerySet,
    Waiver,
)
from ..policy import add_days
from .common import _announce_plans, _notify, _org_members, remediation_today
from .waivers import waivers_announce_expiring, waivers_expire

logger = logging.getLogger(__name__)


def plans_mark_overdue(*, today: dt.date, now: dt.datetime | None = None, chunk_size: int = 2000) -> tuple[int, int]:
    """Set `is_overdue` on running plans past their deadline, clear it where it no longer holds. Returns
    (newly overdue, cleared). Written with history, in chunks (bounded memory)."""
    now = now or timezone.now()
    counts = []
    for flag, qs in (
        (True, RemediationPlan.objects.overdue(today).filter(is_overdue=False)),
        (False, RemediationPlan.objects.filter(is_overdue=True).exclude(RemediationPlanQuerySet.overdue_q(today))),
    ):
        ids = list(qs.values_list("id", flat=True))
        for i in range(0, len(ids), chunk_size):
            with transaction.atomic():
                plans = list(RemediationPlan.objects.filter(pk__in=ids[i:i + chunk_size]))
                for p in plans:
                    p.is_overdue = flag
                bulk_update_with_history(plans, RemediationPlan, ["is_overdue"], batch_size=1000, default_date=now,
                                         default_change_reason="daily overdue check")
                if flag:
                    _announce_plans(("plan.overdue", p) for p in plans)
        counts.append(len(ids))
    return counts[0], counts[1]


@dataclass
class DigestEntry:
    key: str
    kind: str
    organization_id: int
    text: str
    plan_id: int | None = None
    waiver_id: int | None = None


def _fact_notice_key(notice_id: int) -> str:
    return f"fact-change:{notice_id}"


def _fact_notices_due(*, today: dt.date, organization_id: int | None = None):
    """Notices of accepted changes to shared vendor facts (apps.remediation.services.notices) from the last days
    that no digest of their organisation has listed yet: each is in one digest."""
    since = dt.datetime.combine(add_days(today, -conf.digest_new_days()), dt.time.min,
                                tzinfo=zoneinfo.ZoneInfo(conf.time_zone()))
    qs = FactChangeNotice.objects.filter(state=FactChangeNotice.State.READY, computed_at__gte=since)
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    announced = DigestItem.objects.filter(kind=NotificationKind.FACT_CHANGE,
                                          digest_date__gte=add_days(today, -conf.digest_new_days() - 1))
    if organization_id is not None:
        announced = announced.filter(organization_id=organization_id)
    keys = set(announced.values_list("item_key", flat=True))
    return qs.exclude(pk__in=[int(k.rsplit(":", 1)[1]) for k in keys]) if keys else qs


def _digest_organization_ids(*, today: dt.date, expired_ids: Iterable[int] = ()) -> list[int]:
    horizon = add_days(today, max(conf.due_windows()))
    ids = set(RemediationPlan.objects.running()
              .filter(Q(deadline__lte=horizon) | Q(discovered_on__gte=add_days(today, -conf.digest_new_days())))
              .order_by().values_list("organization_id", flat=True).distinct())
    ids |= set(_fact_notices_due(today=today).values_list("organization_id", flat=True).distinct())
    ids |= set(Waiver.objects.filter(Q(status=WaiverStatus.APPROVED, expires_on__gte=today,
                                       expires_on__lte=add_days(today, conf.waiver_warning_days()))
                                     | Q(pk__in=list(expired_ids))).values_list("organization_id", flat=True))
    return sorted(ids)


def _digest_entries(*, organization_id: int, today: dt.date, expired_ids: Iterable[int] = ()) -> list[DigestEntry]:
    """What one organisation's digest would say today (before removing what was already sent today)."""
    windows = conf.due_windows()
    horizon = add_days(today, max(windows))
    out: list[DigestEntry] = []
    plan_fields = ("id", "deadline", "action", "category", "site__name", "equipment__asset_tag", "equipment_id",
                   "rule__code")
    plans = RemediationPlan.objects.filter(organization_id=organization_id).running()

    def label(p: dict) -> str:
        what = p["equipment__asset_tag"] or f"equipment #{p['equipment_id']}"
        return f"plan #{p['id']}: {p['action']} {p['category'].replace('_', ' ')} {what} at {p['site__name']}"

    # Newly flagged units (plans discovered in the last days), each announced once, whatever its deadline; on
    # that day they are listed here only, not again under overdue or due soon.
    announced = DigestItem.objects.filter(organization_id=organization_id, kind=NotificationKind.NEW_PLAN)
    # Announced as new *today* (by an earlier run): not repeated under overdue or due soon until tomorrow.
    new_ids: set[int] = set(announced.filter(digest_date=today).exclude(plan_id=None)
                            .values_list("plan_id", flat=True))
    for p in (plans.filter(discovered_on__gte=add_days(today, -conf.digest_new_days()), discovered_on__lte=today)
              .exclude(pk__in=announced.values("plan_id")).values(*plan_fields).order_by("discovered_on", "id")
              .iterator(2000)):
        new_ids.add(p["id"])
        out.append(DigestEntry(
            f"plan:{p['id']}:new", NotificationKind.NEW_PLAN, organization_id,
            f"newly flagged, deadline {p['deadline']}: {label(p)} ({p['rule__code']})", plan_id=p["id"]))
    plans = plans.exclude(pk__in=sorted(new_ids)) if new_ids else plans
    for p in plans.overdue(today).values(*plan_fields).order_by("deadline", "id").iterator(2000):
        out.append(DigestEntry(
            f"plan:{p['id']}:overdue", NotificationKind.OVERDUE, organization_id,
            f"OVERDUE since {p['deadline']}: {label(p)} ({p['rule__code']})", plan_id=p["id"]))
    for p in plans.filter(RemediationPlanQuerySet.due_q(today, horizon)).values(*plan_fields) \
            .order_by("deadline", "id").iterator(2000):
        left = (p["deadline"] - today).days
        window = next(w for w in windows if left <= w)
        out.append(DigestEntry(
            f"plan:{p['id']}:due{window}", NotificationKind.DUE_SOON, organization_id,
            f"due within {window} days ({p['deadline']}, {left} days left): {label(p)} ({p['rule__code']})",
            plan_id=p["id"]))
    for n in _fact_notices_due(today=today, organization_id=organization_id).order_by("computed_at", "id") \
            .values("id", "title", "body"):
        out.append(DigestEntry(_fact_notice_key(n["id"]), NotificationKind.FACT_CHANGE, organization_id,
                               f"{n['title']}. {n['body']}"))
    waivers = Waiver.objects.filter(organization_id=organization_id)
    warn_until = add_days(today, conf.waiver_warning_days())
    for w in waivers.filter(status=WaiverStatus.APPROVED, expires_on__gte=today, expires_on__lte=warn_until) \
            .values("id", "plan_id", "expires_on"):
        out.append(DigestEntry(
            f"waiver:{w['id']}:expiring", NotificationKind.WAIVER_EXPIRING, organization_id,
            f"waiver #{w['id']} of plan #{w['plan_id']} expires on {w['expires_on']}", plan_id=w["plan_id"],
            waiver_id=w["id"]))
    day_start = dt.datetime.combine(today, dt.time.min, tzinfo=zoneinfo.ZoneInfo(conf.time_zone()))
    recent = Q(expired_at__gte=day_start, expires_on__lt=today) | Q(pk__in=list(expired_ids))
    for w in waivers.filter(recent, status=WaiverStatus.EXPIRED).values("id", "plan_id", "expires_on"):
        out.append(DigestEntry(
            f"waiver:{w['id']}:expired", NotificationKind.WAIVER_EXPIRED, organization_id,
            f"waiver #{w['id']} expired on {w['expires_on']}: plan #{w['plan_id']} is open again",
            plan_id=w["plan_id"], waiver_id=w["id"]))
    return out


SECTION_TITLES = [
    (NotificationKind.NEW_PLAN, "Newly flagged"),
    (NotificationKind.OVERDUE, "Overdue"),
    (NotificationKind.DUE_SOON, "Due soon"),
    (NotificationKind.WAIVER_EXPIRING, "Waivers expiring"),
    (NotificationKind.WAIVER_EXPIRED, "Waivers expired (plans reopened)"),
    (NotificationKind.FACT_CHANGE, "Shared vendor facts changed (accepted proposals)"),
]


def _digest_body(org: Organization, today: dt.date, entries: list[DigestEntry]) -> str:
    limit = conf.digest_max_listed()
    lines = [f"Remediation digest for {org.name}, {today.isoformat()}", ""]
    for kind, title in SECTION_TITLES:
        items = [e for e in entries if e.kind == kind]
        if not items:
            continue
        lines.append(f"{title}: {len(items)}")
        lines.extend(f"  - {e.text}" for e in items[:limit])
        if len(items) > limit:
            lines.append(f"  ... and {len(items) - limit} more (see the remediation board)")
        lines.append("")
    lines.append("This digest lists only items not announced earlier today.")
    return "\n".join(lines)


# What a mail backend raises when the server cannot be reached or refuses the message: smtplib.SMTPException,
# ConnectionRefusedError, socket timeouts and name resolution errors are all OSError. Caught per organisation so
# that one failing send does not stop the other organisations' digests, then raised again (the task retries).
DIGEST_SEND_ERRORS: tuple[type[BaseException], ...] = (OSError,)


def _digest_claim(*, organization_id: int, today: dt.date, now: dt.datetime) -> DigestDelivery | None:
    """Claim the organisation's digest for `today` (its own short transaction, committed before anything is
    sent). None when another run sent it, or holds a live claim on it. A failed claim, or one whose lease ran
    out (a run that died after claiming), is taken over, so a failure never silently swallows the day's
    digest. The unique (organisation, day) constraint makes two concurrent first claims one insert and one
    read of the winner's row."""
    with transaction.atomic():
        delivery, created = DigestDelivery.objects.get_or_create(
            organization_id=organization_id, day=today,
            defaults={"status": DigestDelivery.Status.SENDING, "claimed_at": now})
        if created:
            return delivery
        delivery = DigestDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status == DigestDelivery.Status.SENT:
            return None
        lease = dt.timedelta(seconds=conf.digest_claim_lease_seconds())
        if delivery.status == DigestDelivery.Status.SENDING and now < delivery.claimed_at + lease:
            return None
        logger.warning("digest of organisation %s for %s: taking over a %s claim (attempt %s, claimed %s)",
                       organization_id, today, delivery.status, delivery.attempts + 1, delivery.claimed_at)
        delivery.status, delivery.claimed_at, delivery.attempts = DigestDelivery.Status.SENDING, now, \
            delivery.attempts + 1
        delivery.save(update_fields=["status", "claimed_at", "attempts"])
        return delivery


def digest_send_for_org(*, organization_id: int, today: dt.date, entries: list[DigestEntry],
                        now: dt.datetime | None = None) -> Digest | None:
    """Send the organisation's digest for `today`, once: one e-mail per recipient (admins and officers with an
    address) and one in-app notification per member with a write role. At most one digest per organisation
    and day, however many runs (a second beat, a retried task, a concurrent run): the run first claims the
    day (`DigestDelivery`), then builds and sends under the organisation's row lock, and marks the claim sent
    in the same transaction as the digest's records. If sending fails, nothing but the claim's `failed`
    status is kept and the next run the same day sends it. Returns None when there is nothing to send or
    another run has it."""
    now = now or timezone.now()
    if not entries:
        return None
    delivery = _digest_claim(organization_id=organization_id, today=today, now=now)
    if delivery is None:
        return None
    try:
        return _digest_send_claimed(delivery=delivery, today=today, entries=entries, now=now)
    except Exception as exc:
        # Recorded, not swallowed: the claim says `failed` (so the next run takes it over) and the error goes up.
        DigestDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
            status=DigestDelivery.Status.FAILED, error=f"{exc.__class__.__name__}: {exc}"[:2000])
        raise


def _digest_send_claimed(*, delivery: DigestDelivery, today: dt.date, entries: list[DigestEntry],
                         now: dt.datetime) -> Digest | None:
    organization_id = delivery.organization_id
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=organization_id)
        current = DigestDelivery.objects.select_for_update().get(pk=delivery.pk)
        if current.status != DigestDelivery.Status.SENDING or current.attempts != delivery.attempts:
            return None  # our lease ran out and another run took the claim over
        sent = set(DigestItem.objects.filter(organization_id=organization_id, digest_date=today)
                   .values_list("item_key", flat=True))
        fresh, seen = [], set()
        for e in entries:
            if e.key not in sent and e.key not in seen:
                seen.add(e.key)
                fresh.append(e)
        if not fresh:
            current.delete()  # nothing new after all: no claim, a later run may send
            return None
        recipients = _org_members(organization_id, WRITE_ROLES)
        emails = sorted({u.email for u in recipients if u.email})
        counts = {title: sum(1 for e in fresh if e.kind == kind) for kind, title in SECTION_TITLES}
        subject = (f"[vendor-risk] {org.name}: " + ", ".join(f"{n} {t.lower()}" for t, n in counts.items() if n))[:200]
        body = _digest_body(org, today, fresh)
        digest = Digest.objects.create(organization=org, digest_date=today, sent_at=now, subject=subject, body=body,
                                       recipients=emails, item_count=len(fresh))
        DigestItem.objects.bulk_create([
            DigestItem(digest=digest, organization_id=organization_id, digest_date=today, item_key=e.key, kind=e.kind,
                       plan_id=e.plan_id, waiver_id=e.waiver_id) for e in fresh], batch_size=2000)
        _notify(organization_id=organization_id, users=recipients, kind=NotificationKind.DIGEST, title=subject,
                body=body, digest=digest, now=now)
        if emails:
            # Inside the transaction: if sending fails, the digest's records roll back and the claim is marked
            # failed (digest_send_for_org), so the next run sends it.
            connection = get_connection()
            connection.send_messages([EmailMessage(subject, body, to=[addr], connection=connection)
                                      for addr in emails])
            digest.email_sent = True
            digest.save(update_fields=["email_sent"])
        current.status, current.sent_at, current.digest, current.error = DigestDelivery.Status.SENT, now, digest, ""
        current.save(update_fields=["status", "sent_at", "digest", "error"])
        audit_record(action="remediation.digest", obj=digest, organization_id=organization_id,
                     changes={"items": len(fresh), "recipients": len(emails), "date": today.isoformat(),
                              "attempt": current.attempts})
        return digest


def _digest_try_send(*, organization_id: int, today: dt.date, now: dt.datetime, expired_ids: Iterable[int] = (),
                     when_failed: str) -> tuple[Digest | None, BaseException | None]:
    """Build and send one organisation's digest; a send error (DIGEST_SEND_ERRORS) is logged and returned, not
    raised, so the other organisations still get theirs."""
    entries = _digest_entries(organization_id=organization_id, today=today, expired_ids=expired_ids)
    try:
        return digest_send_for_org(organization_id=organization_id, today=today, entries=entries, now=now), None
    except DIGEST_SEND_ERRORS as exc:
        logger.warning("digest of organisation %s for %s not sent (%s: %s); %s", organization_id, today,
                       exc.__class__.__name__, exc, when_failed)
        return None, exc


def remediation_daily(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The daily beat job: expire waivers (reopening their plans), flag overdue plans, send each organisation
    a digest of overdue items, plans due within 30/60/90 days and waivers expiring. One digest per
    organisation and day, however many times or in how many processes it runs. A failed send does not stop
    the other organisations; it is raised at the end so the task retries (and the retry sends only it)."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    expired = waivers_expire(today=today, now=now)
    expiring = waivers_announce_expiring(today=today, now=now)
    newly_overdue, cleared = plans_mark_overdue(today=today, now=now)
    digests = []
    done = set(DigestDelivery.objects.filter(day=today, status=DigestDelivery.Status.SENT)
               .values_list("organization_id", flat=True))
    failures: list[BaseException] = []
    for org_id in _digest_organization_ids(today=today, expired_ids=expired):
        if org_id in done:
            continue
        digest, error = _digest_try_send(organization_id=org_id, today=today, now=now, expired_ids=expired,
                                         when_failed="the next run retries it")
        if error is not None:
            failures.append(error)
        elif digest:
            digests.append(digest.pk)
    # The per-item records only serve to not send an item twice; the Digest rows keep what was sent.
    DigestItem.objects.filter(digest_date__lt=add_days(today, -conf.digest_item_retention_days())).delete()
    summary = {"today": today.isoformat(), "waivers_expired": len(expired), "waivers_expiring": len(expiring),
               "newly_overdue": newly_overdue,
               "overdue_cleared": cleared, "digests": len(digests), "digests_failed": len(failures)}
    logger.info("remediation daily run: %s", summary)
    if failures:
        raise failures[0]
    return summary


def digests_retry_failed(*, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """Hourly: send today's digests whose send failed after the daily job's retries ran out (a mail server down
    for longer than the task's backoff), or whose run died holding the claim past its lease. Only those: an
    organisation the daily job has not reached yet is left to it, and a sent one is never sent again."""
    now = now or timezone.now()
    today = today or remediation_today(now)
    stale = now - dt.timedelta(seconds=conf.digest_claim_lease_seconds())
    org_ids = list(DigestDelivery.objects.filter(day=today)
                   .filter(Q(status=DigestDelivery.Status.FAILED)
                           | Q(status=DigestDelivery.Status.SENDING, claimed_at__lt=stale))
                   .order_by("organization_id").values_list("organization_id", flat=True))
    sent = failed = 0
    for org_id in org_ids:
        digest, error = _digest_try_send(organization_id=org_id, today=today, now=now,
                                         when_failed="failed again; the next hourly run retries it")
        failed += 1 if error is not None else 0
        sent += 1 if digest else 0
    return {"today": today.isoformat(), "pending": len(org_ids), "sent": sent, "failed": failed}


@transaction.atomic
def notification_mark_read(*, notification: Notification | int, user, now: dt.datetime | None = None) -> Notification:
    pk = notification if isinstance(notification, int) else notification.pk
    n = Notification.objects.filter(pk=pk, user=user).first()
    if n is None:
        raise ApplicationError("Not found.", code="not_found")
    if n.read_at is None:
        n.read_at = now or timezone.now()
        n.save(update_fields=["read_at"])
    return n
