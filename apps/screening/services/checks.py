"""Pre-purchase checks: may I buy from them? A name (not necessarily a vendor) against the active lists and the
registry, kept as evidence on request."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.audit.services import audit_record
from apps.common.choices import RiskStatus, risk_worst
from apps.common.exceptions import ApplicationError
from apps.lists.models import ListSource
from apps.vendors.identifiers import identifier_canonical, identifier_scheme
from apps.vendors.models import Vendor

from .. import matching
from ..engine import policy_choose
from ..models import Finding, PrePurchaseCheck, VendorOrgStatus
from .base import _auto_confirm_strengths
from .derive import _policies
from .index import list_snapshot


def _identifiers_parse(identifiers: Iterable[dict | str | tuple]) -> list[tuple[str, str]]:
    out = []
    for item in identifiers or ():
        if isinstance(item, dict):
            scheme, value = item.get("scheme", ""), item.get("value", "")
        elif isinstance(item, str):
            scheme, _, value = item.partition(":")
        else:
            scheme, value = item[0], item[1]
        scheme, value = str(scheme).strip(), str(value).strip()
        if not scheme or not value:
            raise ApplicationError(f"An identifier needs a scheme and a value (scheme:value), got {item!r}.",
                                   code="invalid", fields={"identifiers": ["Use scheme:value, e.g. lei:5299..."]})
        out.append((scheme.lower(), value))
    return out


def screen_name(*, name: str, country: str = "", identifiers: Iterable = (), user=None, organization=None,
                save: bool = False, today: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """May I buy from them? Screen a name (not necessarily a vendor) against the active lists in the view of
    `organization` (public lists and its own private lists; public lists only without one).

    Returns one JSON-ready dict: query, verdict (clear|potential_match|restricted|prohibited), matches
    [{source, entry_id, entry_name, matched_name, score, explanation, ...}], versions (id + sha256),
    registry (vendors of the registry with exactly this name/alias/identifier, with their open findings,
    e.g. derived through ownership; they count in the verdict), and with save=True the id of the
    PrePurchaseCheck kept as evidence (who, when, organisation, answer).
    """
    now = now or timezone.now()
    day = today or timezone.localdate(now)
    name = " ".join((name or "").split())
    country = (country or "").strip().upper()
    if not name:
        raise ApplicationError("Give a company name to check.", code="invalid", fields={"name": ["Required."]})
    if len(name) > 300:
        raise ApplicationError("The name is too long (300 characters at most).", code="invalid",
                               fields={"name": ["Too long."]})
    if country and (len(country) != 2 or not country.isalpha()):
        raise ApplicationError("The country must be an ISO 3166 alpha-2 code such as CN.", code="invalid",
                               fields={"country": ["Two letters, e.g. CN."]})
    idents = _identifiers_parse(identifiers)
    organization_id = organization.pk if organization is not None else None
    snapshot = list_snapshot(organization_id=organization_id)
    results = snapshot.index.search([name], countries=[country] if country else [], identifiers=idents,
                                    min_score=matching.THRESHOLDS.get("potential"), limit=25)
    sources = {s.pk: s for s in ListSource.objects.filter(pk__in={snapshot.entries[r.key].source_id
                                                                  for r in results if r.key in snapshot.entries})}
    policies = _policies()
    matches, statuses = [], []
    for r in results:
        meta = snapshot.entries.get(r.key)
        if meta is None:
            continue
        source = sources[meta.source_id]
        policy = policy_choose(policies, regime=source.regime, source_code=source.code, sub_list=meta.sub_list,
                               programs=meta.programs, day=day)
        confirmed = r.strength in _auto_confirm_strengths()
        status = (policy.status if policy else RiskStatus.RESTRICTED) if confirmed else RiskStatus.POTENTIAL_MATCH
        statuses.append(status)
        matches.append({
            "source": source.code, "source_name": source.name, "entry_id": meta.external_id,
            "entry_pk": meta.id, "entry_name": meta.primary_name, "matched_name": r.entry_name or r.query_name,
            "query_name": r.query_name, "score": round(float(r.score), 4), "strength": r.strength,
            "status": status, "policy": policy.name if policy else "", "sub_list": meta.sub_list,
            "listed_on": meta.listed_on.isoformat() if meta.listed_on else None,
            "list_version_id": meta.version_id, "entry_content_hash": meta.content_hash,
            "features": {k: round(float(v), 4) for k, v in (r.features or {}).items()},
            "explanation": r.explanation,
        })
    registry = _registry_vendors_for(name=name, identifiers=idents, organization_id=organization_id)
    statuses += [f["status"] for v in registry for f in v["findings"]]
    result = {
        "query": {"name": name, "country": country, "identifiers": [{"scheme": s, "value": v} for s, v in idents]},
        "verdict": risk_worst(*statuses),
        "matches": matches,
        "registry": registry,
        "versions": snapshot.versions_used,
        "algorithm_version": matching.ALGORITHM_VERSION,
        "thresholds": dict(matching.THRESHOLDS),
        "checked_at": now.isoformat(),
    }
    if save:
        result["check_id"] = pre_purchase_check_save(result=result, user=user, organization=organization,
                                                     now=now).pk
    return result


def _registry_vendors_for(*, name: str, identifiers: list[tuple[str, str]], organization_id: int | None = None
                          ) -> list[dict]:
    """Registry vendors with exactly this name or alias (case-insensitive) or one of these identifiers, with
    their open findings and status in the view of `organization_id`: the registry may know who owns them (e.g.
    ZPMC, controlled by a listed company) when no list names them. Four queries."""
    cond = Q(name__iexact=name) | Q(aliases__name__iexact=name)
    for scheme, value in identifiers:
        canonical_scheme = identifier_scheme(scheme)  # "registration number" finds a stored "registration"
        cond |= Q(identifiers__scheme=canonical_scheme,
                  identifiers__value=identifier_canonical(canonical_scheme, value))
    vendors = list(Vendor.objects.filter(cond).distinct().order_by("name")[:5])
    statuses = {pk: status for pk, status in VendorOrgStatus.objects.filter(
        organization_id=organization_id, vendor__in=vendors).values_list("vendor_id", "risk_status")}
    findings: dict[int, list[dict]] = defaultdict(list)
    for f in Finding.objects.in_view(organization_id).filter(vendor__in=vendors, closed_at__isnull=True
                                                             ).select_related("source"):
        findings[f.vendor_id].append({"finding_id": f.pk, "kind": f.kind, "source": f.source.code,
                                      "status": f.status, "status_reason": f.status_reason,
                                      "path_text": f.path_text})
    return [{"vendor_id": v.pk, "vendor_name": v.name, "risk_status": statuses.get(v.pk, v.risk_status),
             "findings": findings.get(v.pk, [])} for v in vendors]


@transaction.atomic
def pre_purchase_check_save(*, result: dict, user=None, organization=None,
                            now: dt.datetime | None = None) -> PrePurchaseCheck:
    """Keep a screen_name answer as evidence (append-only), with an audit event."""
    payload = json.loads(json.dumps(result, cls=DjangoJSONEncoder))
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    check = PrePurchaseCheck.objects.create(
        created_at=now or timezone.now(), requested_by=user if getattr(user, "is_authenticated", False) else None,
        organization=organization, query_name=payload["query"]["name"][:300], query=payload["query"],
        verdict=payload["verdict"], list_versions=payload["versions"],
        algorithm_version=payload.get("algorithm_version", ""), result=payload, result_sha256=digest,
    )
    audit_record(action="screening.check.create", actor=user, obj=check,
                 organization_id=organization.pk if organization else None,
                 changes={"query": payload["query"], "verdict": payload["verdict"], "sha256": digest})
    return check
