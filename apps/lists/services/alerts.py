"""Freshness alerts: once per stale period, an audit event and a mail to the admins concerned."""
from __future__ import annotations

import datetime as dt

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import Membership
from apps.audit.services import audit_record
from apps.common import events

from ..models import ListSource
from ..selectors import list_source_freshness


def list_sources_stale_alert(*, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """Alert ONCE per stale period: set stale_alerted_at, record an audit event and e-mail the admins of the
    organisations concerned (all organisations for a public list, the owner for an in-house one). A source
    that is fresh again has its flag reset (also done by every good fetch)."""
    now = now or timezone.now()
    alerted, reset = [], []
    for source in ListSource.objects.filter(enabled=True).select_related("organization"):
        state = list_source_freshness(source, now=now)
        never_but_due = state == "never" and source.freshness_limit_hours and (
            now - source.created_at > dt.timedelta(hours=source.freshness_limit_hours))
        if state == "fresh" and source.stale_alerted_at is not None:
            ListSource.objects.filter(pk=source.pk).update(stale_alerted_at=None)
            reset.append(source.code)
            continue
        if (state == "stale" or never_but_due) and source.stale_alerted_at is None:
            with transaction.atomic():
                if not ListSource.objects.filter(pk=source.pk, stale_alerted_at__isnull=True).update(
                        stale_alerted_at=now):
                    continue  # another process alerted meanwhile
                audit_record(action="listsource.stale", obj=source, organization_id=source.organization_id,
                             changes={"last_success_at": source.last_success_at,
                                      "freshness_limit_hours": source.freshness_limit_hours})
                # webhooks, once per stale period like the mail (a public list: every organisation)
                events.publish(events.RegistryActivity(
                    type="list_version.stale", organization_id=source.organization_id, object_kind="list_source",
                    object_id=source.pk, status="stale"))
            _stale_mail(source, now)
            alerted.append(source.code)
    return {"alerted": alerted, "reset": reset}


def _stale_mail(source: ListSource, now: dt.datetime) -> None:
    members = Membership.objects.filter(role=Role.ADMIN, user__is_active=True).exclude(user__email="")
    if source.organization_id:
        members = members.filter(organization_id=source.organization_id)
    recipients = sorted(set(members.values_list("user__email", flat=True)))
    if not recipients:
        return
    last = f"{source.last_success_at:%Y-%m-%d %H:%M %Z}" if source.last_success_at else "never"
    send_mail(
        subject=f"[vendorrisk] List {source.code} is stale",
        message=(f"The list {source.name} ({source.code}) was last fetched successfully: {last}.\n"
                 f"Its freshness limit is {source.freshness_limit_hours} hours (checked {now:%Y-%m-%d %H:%M %Z}).\n"
                 "Screening results that depend on it may be out of date. See the list's runs in the admin."),
        from_email=None, recipient_list=recipients, fail_silently=True,
    )
