"""Admin decisions on quarantined versions: approve (activate) or reject, each with a reason."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from apps.accounts.policies import Action, authorize
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError

from ..choices import VersionStatus
from ..models import ListDiff, ListSource, ListVersion
from ..selectors import list_version_active
from .versions import _activate, _source_mark_good


@transaction.atomic
def list_version_approve(*, version: ListVersion, user, reason: str, now: dt.datetime | None = None) -> ListVersion:
    """Activate a quarantined version (the admin checked it is right, e.g. a program really was lifted). A
    public list's versions are decided by curators; an in-house list's by its organisation's admins."""
    now = now or timezone.now()
    version, reason = _quarantined_for_decision(version, reason, verb="approved", user=user)
    ListSource.objects.select_for_update().filter(pk=version.source_id).first()
    current = list_version_active(version.source_id)
    diff_previous = ListDiff.objects.filter(version=version).values_list("previous_id", flat=True).first()
    if current is not None and current.pk != diff_previous:
        raise ApplicationError(
            f"Version #{current.pk} became active after this one was quarantined; approving would roll the list "
            "back. Reject this version instead.", code="stale_version")
    _activate(version, current, when=now)
    version.decided_by = user if getattr(user, "is_authenticated", False) else None
    version.status_reason = f"{version.status_reason}\nApproved: {reason}".strip()
    version.save(update_fields=["decided_by", "status_reason", "updated_at"])
    _source_mark_good(version.source, now)
    audit_record(action="listversion.approve", actor=user, obj=version, organization_id=version.source.organization_id,
                 changes={"status": [VersionStatus.QUARANTINED, VersionStatus.ACTIVE], "reason": reason,
                          "superseded": current.pk if current else None})
    return version


@transaction.atomic
def list_version_reject(*, version: ListVersion, user, reason: str, now: dt.datetime | None = None) -> ListVersion:
    """Refuse a quarantined version for good; the active version stays. The same bytes are not stored again."""
    version, reason = _quarantined_for_decision(version, reason, verb="rejected", user=user)
    version.status = VersionStatus.REJECTED
    version.decided_by = user if getattr(user, "is_authenticated", False) else None
    version.status_reason = f"{version.status_reason}\nRejected: {reason}".strip()
    version.save(update_fields=["status", "decided_by", "status_reason", "updated_at"])
    audit_record(action="listversion.reject", actor=user, obj=version, organization_id=version.source.organization_id,
                 changes={"status": [VersionStatus.QUARANTINED, VersionStatus.REJECTED], "reason": reason})
    return version


def _quarantined_for_decision(version: ListVersion, reason: str, *, verb: str, user) -> tuple[ListVersion, str]:
    """The stripped reason (required) and the version locked for the decision, which must still be quarantined
    (another admin may have decided meanwhile). Public lists: curators; in-house lists: their admins."""
    authorize(user, Action.ADMINISTER, version.source)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(f"Say why the version is {verb}.", fields={"reason": ["Required."]})
    version = ListVersion.objects.select_for_update().select_related("source").get(pk=version.pk)
    if version.status != VersionStatus.QUARANTINED:
        raise ApplicationError(f"Only a quarantined version can be {verb} (this one is {version.status}).",
                               code="invalid_status")
    return version, reason
