"""Default public sources, an organisation's in-house list, and the offline demo load."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.text import slugify

from apps.accounts.models import Organization
from apps.accounts.policies import Action, authorize
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError

from ..choices import Propagation, Regime, RunTrigger
from ..defaults import BUNDLED_FILES, CUSTOM_FORMAT, DEFAULT_SOURCES
from ..models import ListSource
from .ingest import list_version_import

DAY_HOURS = 24


@transaction.atomic
def list_sources_setup() -> dict[str, int]:
    """Create the default public sources that are missing. Never overwrites an existing source's fields."""
    created = 0
    for spec in DEFAULT_SOURCES:
        _, was_created = ListSource.objects.get_or_create(code=spec["code"], defaults=dict(spec))
        created += int(was_created)
    return {"created": created, "present": len(DEFAULT_SOURCES) - created}


@transaction.atomic
def list_source_custom_create(*, organization: Organization, name: str, user=None) -> ListSource:
    """An organisation's own blocklist (custom CSV: name, aliases, country, identifiers, reason); created by
    the organisation's admins."""
    authorize(user, Action.ADMINISTER, organization_id=organization.pk)
    name = (name or "").strip()
    if not name:
        raise ApplicationError("A name is required.", fields={"name": ["Required."]})
    code = slugify(f"custom-{organization.slug}-{name}")[:64]
    if ListSource.objects.filter(code=code).exists():
        raise ApplicationError(f"A list with code {code} already exists.", code="duplicate")
    source = ListSource(
        code=code, name=name, publisher=organization.name, regime=Regime.CUSTOM, propagation=Propagation.NAMED_ONLY,
        format=CUSTOM_FORMAT, url="", refresh_interval_hours=DAY_HOURS, freshness_limit_hours=0,
        organization=organization,
    )
    source.full_clean()
    source.save()
    audit_record(action="listsource.create", actor=user, obj=source, organization_id=organization.pk,
                 changes={"code": [None, code], "format": [None, CUSTOM_FORMAT]})
    return source


def lists_demo_load(*, now: dt.datetime | None = None) -> dict[str, str]:
    """Create the default sources and import the bundled statutory lists offline (idempotent: same bytes ->
    unchanged). Called by the demo loader so a fresh demo has active lists without network access."""
    list_sources_setup()
    statuses = {}
    for code, path in BUNDLED_FILES.items():
        source = ListSource.objects.get(code=code)
        result = list_version_import(source=source, paths=[path], trigger=RunTrigger.IMPORT, now=now)
        statuses[code] = result.status
    return statuses
