"""Pre-purchase checks: may I buy from them? A name (not necessarily a vendor) against the active lists and the
registry, kept as evidence on request."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Case, FloatField, Q, Value, When
from django.db.models.functions import Length
from django.utils import timezone

from apps.audit.services import audit_record
from apps.common.choices import RISK_ORDER, RiskStatus, risk_worst
from apps.common.exceptions import ApplicationError
from apps.lists.models import ListSource
from apps.lists.selectors import list_coverage
from apps.vendors.identifiers import identifier_canonical, identifier_scheme
from apps.vendors.models import Vendor, VendorAlias
from apps.vendors.name_text import GENERIC_TOKENS, GEO_TOKENS, name_variants
from apps.vendors.overlay import organization_overlay
from apps.vendors.selectors import oem_rows_in_view, ownership_links_above, vendor_ownership_chain

from .. import matching
from ..choices import CheckVerdict, ReviewState
from ..engine import policy_choose
from ..models import Finding, PrePurchaseCheck, VendorOrgStatus
from ..parties import listed_on_label, match_party_ids
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


CHECK_MAX_CANDIDATES = matching.CHECK_MAX_CANDIDATES
# Registry vendors sharing a distinctive word with the query that are scored against it; beyond: truncated.
REGISTRY_MAX_CANDIDATES = 200
PAGE_SIZE = 25


def screen_name(*, name: str, country: str = "", identifiers: Iterable = (), user=None, organization=None,
                save: bool = False, today: dt.date | None = None, now: dt.datetime | None = None,
                limit: int | None = PAGE_SIZE, offset: int = 0) -> dict:
    """May I buy from them? Screen a name (not necessarily a vendor) against the active lists in the view of
    `organization` (public lists and its own private lists; public lists only without one) and the registry.

    The verdict is computed from EVERY list match at or above the potential threshold and every recorded vendor
    the name resolves to; `limit`/`offset` only page what is shown (exact and identifier matches first, then
    entry coverage, then score). Returns one JSON-ready dict:

    - verdict: clear | not_cleared | potential_match | restricted | prohibited, and verdict_reason. "clear" only
      when nothing matched, every required list was searched and fresh, and no candidate was cut;
      otherwise a check that matched nothing is "not_cleared" ("not cleared: 4 of 10 lists loaded; ...").
    - matches (the page), matches_total, page, match_counts, verdict_basis (every match, compact),
      truncated (None, or {cap, dropped} when candidate names were not scored).
    - coverage: searched versions (source, version id, sha256, activated at, stale, required) and the enabled
      sources with no active version (apps.lists.selectors.list_coverage); versions (the searched ones).
    - registry: recorded vendors the name resolves to (name or alias, same normalisation and scores as the
      matcher, or identifier), with their open findings in this view, ownership paths and OEM makers. The names
      of a vendor resolved with confidence are searched in the lists too (matches with `via_vendor`).
    - with save=True the id of the PrePurchaseCheck kept as evidence (who, when, organisation, answer).
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
    if (limit is not None and limit < 1) or offset < 0:
        raise ApplicationError("The page needs a positive limit and an offset of 0 or more.", code="invalid",
                               fields={"limit": ["1 or more."]})
    idents = _identifiers_parse(identifiers)
    organization_id = organization.pk if organization is not None else None
    snapshot = list_snapshot(organization_id=organization_id)
    countries = [country] if country else []
    registry, registry_truncated = _registry_vendors_for(
        name=name, identifiers=idents, organization_id=organization_id, index=snapshot.index, countries=countries,
        day=day)
    search = partial(snapshot.index.search_complete, countries=countries,
                     min_score=matching.THRESHOLDS.get("potential"), max_candidates=CHECK_MAX_CANDIDATES)
    outcome = search([name], identifiers=idents)
    policies = _policies()
    sources = {s.pk: s for s in ListSource.objects.filter(pk__in={v.source_id for v in snapshot.versions})}
    matches = _list_matches(outcome.matches, snapshot, day=day, policies=policies, sources=sources)
    truncated = outcome.truncated
    # The names the registry knows for the company (a confirmed resolution only: identifier, same name or a strong
    # name match) are searched too: "Hikvision" is recorded as "Hangzhou Hikvision Digital Technology Co., Ltd.",
    # the name the FCC Covered List uses.
    known = {n: v for v in registry if v["confirmed"] for n in v["names"]}
    if known:
        direct = {m["entry_pk"] for m in matches}
        via = search(list(known))
        matches += _via_vendor_matches(
            _list_matches([r for r in via.matches if r.key not in direct], snapshot, day=day, policies=policies,
                          sources=sources), known,
            organization_id=organization_id)
        if via.truncated:
            truncated = {"cap": CHECK_MAX_CANDIDATES,
                         "dropped": (truncated or {}).get("dropped", 0) + via.truncated["dropped"]}
    coverage = list_coverage(versions=snapshot.versions, organization_id=organization_id, now=now)
    if registry_truncated:
        truncated = {**(truncated or {}), "registry_cap": REGISTRY_MAX_CANDIDATES,
                     "registry_dropped": registry_truncated}
    verdict, reason = _verdict(matches, registry, coverage, truncated)
    matches.sort(key=_display_rank)
    parties = check_parties(matches, sources)
    page = matches[offset:] if limit is None else matches[offset:offset + limit]
    counts: dict[str, int] = defaultdict(int)
    for m in matches:
        counts[m["status"]] += 1
    result = {
        "query": {"name": name, "country": country, "identifiers": [{"scheme": s, "value": v} for s, v in idents]},
        "verdict": verdict,
        "verdict_reason": reason,
        "cleared": verdict == CheckVerdict.CLEAR,
        "matches": page,
        "matches_total": len(matches),
        "page": {"offset": offset, "limit": limit, "total": len(matches)},
        "match_counts": dict(counts),
        "verdict_basis": [{"source": m["source"], "entry_id": m["entry_id"], "status": m["status"],
                           "strength": m["strength"], "score": m["score"]} for m in matches],
        "parties": parties,
        "parties_total": len(parties),
        "parties_related": sum(1 for p in parties if p["related"]),
        "truncated": truncated,
        "registry": registry,
        "coverage": coverage,
        "versions": snapshot.versions_used,
        "algorithm_version": matching.ALGORITHM_VERSION,
        "thresholds": dict(matching.THRESHOLDS),
        "checked_at": now.isoformat(),
    }
    if save:
        result["check_id"] = pre_purchase_check_save(result=result, user=user, organization=organization,
                                                     now=now).pk
    return result


def _list_matches(results: list[matching.MatchResult], snapshot, *, day: dt.date, policies: list | None = None,
                  sources: dict[int, ListSource] | None = None) -> list[dict]:
    """Every list match as the answer shows it, with the status its policy gives (a potential-strength match:
    potential_match, to review)."""
    if sources is None:
        sources = {s.pk: s for s in ListSource.objects.filter(pk__in={
            snapshot.entries[r.key].source_id for r in results if r.key in snapshot.entries})}
    policies = _policies() if policies is None else policies
    auto = _auto_confirm_strengths()
    matches = []
    for r in results:
        meta = snapshot.entries.get(r.key)
        if meta is None:
            continue
        source = sources[meta.source_id]
        policy = policy_choose(policies, regime=source.regime, source_code=source.code, sub_list=meta.sub_list,
                               programs=meta.programs, day=day)
        confirmed = r.strength in auto
        status = (policy.status if policy else RiskStatus.RESTRICTED) if confirmed else RiskStatus.POTENTIAL_MATCH
        features = {k: round(float(v), 4) for k, v in (r.features or {}).items()}
        matches.append({
            "source": source.code, "source_name": source.name, "entry_id": meta.external_id,
            "entry_pk": meta.id, "entry_name": meta.primary_name, "matched_name": r.entry_name or r.query_name,
            "query_name": r.query_name, "score": round(float(r.score), 4), "strength": r.strength,
            "exact": _is_exact(r.strength, features),
            "status": status, "policy": policy.name if policy else "",
            "policy_status": policy.status if policy else RiskStatus.RESTRICTED, "sub_list": meta.sub_list,
            "listed_on": meta.listed_on.isoformat() if meta.listed_on else None,
            "list_version_id": meta.version_id, "entry_content_hash": meta.content_hash,
            "features": features, "why": r.why, "reasons": r.reasons, "explanation": r.explanation,
            "via_vendor": None,
        })
    return matches


def check_parties(matches: list[dict], sources: dict[int, ListSource]) -> list[dict]:
    """The matches grouped by listed party (apps.screening.parties): one row per party with where it is listed
    ("DoD 1260H (2025, 2026), OFAC SDN, CSL"), its strictest status and its copies. `matches` in display order;
    the parties follow it (a party ranks where its best copy does). When some party holds an exact match, the
    others are `related` (a broad name hits every subsidiary): the page shows the exact parties and folds the
    rest. Reads the matched entries in one query; the verdict does not depend on it."""
    if not matches:
        return []
    by_code = {s.code: s for s in sources.values()}
    ids = match_party_ids((i, m["source"], by_code[m["source"]].format if m["source"] in by_code else "",
                           m["entry_id"], m["entry_name"], m["sub_list"], m["entry_pk"])
                          for i, m in enumerate(matches))
    groups: dict[str, list[dict]] = {}
    for i, m in enumerate(matches):  # display order: a party's first copy is its best
        groups.setdefault(ids[i], []).append(m)
    parties = []
    for party_id, members in groups.items():
        best = members[0]
        per_source: dict[str, dict] = {}
        for m in members:
            row = per_source.setdefault(m["source"], {"source": m["source"], "status": m["status"], "years": set(),
                                                      "entry_ids": []})
            row["status"] = risk_worst(row["status"], m["status"])
            if m["listed_on"]:
                row["years"].add(int(m["listed_on"][:4]))
            if m["entry_id"] not in row["entry_ids"]:
                row["entry_ids"].append(m["entry_id"])
        listed = []
        for code, row in sorted(per_source.items(), key=lambda kv: (-RISK_ORDER.get(kv[1]["status"], 0), kv[0])):
            source = by_code.get(code)
            listed.append({"source": code, "label": listed_on_label(
                source_code=code, source_name=source.name if source else code,
                source_format=source.format if source else "", years=row["years"]),
                "status": row["status"], "entry_ids": row["entry_ids"]})
        parties.append({
            "party_id": party_id, "name": best["entry_name"], "status": risk_worst(*(m["status"] for m in members)),
            "exact": any(m["exact"] for m in members), "score": max(m["score"] for m in members),
            "strength": best["strength"], "listed_on": listed,
            "listed_on_text": ", ".join(x["label"] for x in listed), "copies": len(members),
            "entries": [{"source": m["source"], "entry_id": m["entry_id"], "status": m["status"]} for m in members],
            "via_vendor": best["via_vendor"], "related": False,
        })
    if any(p["exact"] for p in parties):
        for p in parties:
            p["related"] = not p["exact"]
        parties.sort(key=lambda p: p["related"])  # stable: the display order otherwise
    return parties


def _via_vendor_matches(matches: list[dict], known: dict[str, dict], *, organization_id: int | None) -> list[dict]:
    """List matches of a resolved vendor's recorded names, with the review decision in force in this view on
    that vendor's own match of the entry: dismissed (not that company) drops it, confirmed makes a potential
    match count with its policy's status. One query."""
    from ..selectors import matches_in_view  # here: the selectors import services.derive, so this package

    out = [{**m, "via_vendor": {"vendor_id": known[m["query_name"]]["vendor_id"],
                                "vendor_name": known[m["query_name"]]["vendor_name"]}} for m in matches]
    if not out:
        return out
    reviewed = {(vendor_id, code, ext): state for vendor_id, code, ext, state in matches_in_view(organization_id)
                .filter(vendor_id__in={m["via_vendor"]["vendor_id"] for m in out}, closed_at__isnull=True,
                        external_id__in={m["entry_id"] for m in out})
                .values_list("vendor_id", "source__code", "external_id", "view_review_state")}
    kept = []
    for m in out:
        state = reviewed.get((m["via_vendor"]["vendor_id"], m["source"], m["entry_id"]))
        if state == ReviewState.DISMISSED:
            continue
        if state == ReviewState.CONFIRMED and m["status"] == RiskStatus.POTENTIAL_MATCH and m["policy_status"]:
            m["status"] = m["policy_status"]
        m["review_state"] = state or ""
        kept.append(m)
    return kept


def _is_exact(strength: str, features: dict) -> bool:
    """An identifier match, or every word of both names matched (legal forms aside)."""
    return strength == "identifier" or (features.get("query_coverage") == 1.0
                                        and features.get("entry_coverage") == 1.0)


def _display_rank(m: dict) -> tuple:
    """Exact and identifier matches first, then the share of the entry's name matched, then the score; the worse
    status first among equals, then a stable order (source, entry)."""
    coverage = 1.0 if m["strength"] == "identifier" else m["features"].get("entry_coverage", 0.0)
    return (not m["exact"], -coverage, -m["score"], -RISK_ORDER.get(m["status"], 0), m["source"], m["entry_id"])


def _verdict(matches: list[dict], registry: list[dict], coverage: dict, truncated: dict | None) -> tuple[str, str]:
    """The worst status of every list match and every resolved registry vendor; a check with no finding says
    clear only when it is complete (fail closed)."""
    statuses = [m["status"] for m in matches] + [v["status"] for v in registry]
    worst = risk_worst(*statuses)
    gaps = []
    if not coverage["complete"]:
        gaps.append(coverage["summary"] if coverage["loaded"] else "no list loaded")
    if truncated:
        gaps.append("candidates cut by the cap (" + ", ".join(f"{k} {v}" for k, v in truncated.items()) + ")")
    if worst == RiskStatus.CLEAR:
        if gaps:
            return CheckVerdict.NOT_CLEARED.value, "not cleared: " + "; ".join(gaps)
        return worst, (f"clear: no entry of the {coverage['loaded']} lists searched matches and no recorded vendor "
                       "with a finding")
    listed = sum(1 for m in matches if m["status"] == worst)
    recorded = sum(1 for v in registry if v["status"] == worst)
    why = f"{worst}: {listed} list match(es) and {recorded} recorded vendor(s) at this status"
    return worst, why + (f"; also incomplete: {'; '.join(gaps)}" if gaps else "")


def _registry_candidates(name: str, identifiers: list[tuple[str, str]], index: matching.CandidateIndex
                         ) -> tuple[dict[int, matching.IndexRecord], set[int], set[int], int]:
    """Vendors that may be this name, as records to score: the same name or alias (case-insensitive), one of the
    identifiers, or a name or alias holding a distinctive word of the name (scored by the matcher afterwards).

    Beyond REGISTRY_MAX_CANDIDATES names, the cut is by an upper bound of the score, never by id: the names
    holding the heaviest query words first (the matcher's word weights), then the shortest. When the names cut
    hold too little of the query to reach the potential threshold whatever they are (CandidateIndex.score_bound),
    nothing that could resolve was dropped; otherwise the cut is reported. Returns vendor id -> record (the names
    found), the ids found by identifier, those with exactly this name or alias, and how many names were cut where
    it mattered. Two queries, three with identifiers; more only beyond the cap."""
    by_ident: set[int] = set()
    if identifiers:
        cond = Q(pk__in=[])
        for scheme, value in identifiers:
            canonical_scheme = identifier_scheme(scheme)  # "registration number" finds a stored "registration"
            cond |= Q(identifiers__scheme=canonical_scheme,
                      identifiers__value=identifier_canonical(canonical_scheme, value))
        by_ident = set(Vendor.objects.filter(cond).values_list("pk", flat=True))
    words = sorted({p for v in name_variants(name) for t, p in zip(v.tokens, v.plain or v.tokens, strict=False)
                    if len(p) >= 3 and t not in GENERIC_TOKENS and t not in GEO_TOKENS})
    weights = index.word_weights(name)
    cond = Q(name__iexact=name)
    for word in words:
        cond |= Q(name__icontains=word)
    # the weight of the query's words a name holds: the candidates' upper bound of the score rises with it
    held = sum((Case(When(name__icontains=w, then=Value(round(weights.get(w, 0.0), 6))), default=Value(0.0),
                     output_field=FloatField()) for w in words), Value(0.0, output_field=FloatField()))
    threshold = matching.THRESHOLDS["potential"]
    # names holding too little of the query to match whatever their other words are not read (the bound's inverse)
    low, high = 0.0, weights[""]
    for _ in range(30):
        mid = (low + high) / 2
        low, high = (low, mid) if index.score_bound(mid, weights[""]) >= threshold else (mid, high)
    enough = Q(held__gte=low) | Q(name__iexact=name)
    own = Vendor.objects.filter(cond).annotate(held=held).filter(enough).order_by(
        "-held", Length("name"), "pk").values_list(
        "pk", "name", "country_of_incorporation", "country_of_headquarters", "held")
    aliases = VendorAlias.objects.filter(cond).annotate(held=held).filter(enough).order_by(
        "-held", Length("name"), "pk").values_list(
        "vendor_id", "name", "vendor__country_of_incorporation", "vendor__country_of_headquarters", "held")
    names: dict[int, list[str]] = defaultdict(list)
    vendor_countries: dict[int, tuple[str, ...]] = {}
    dropped = 0
    cut = False
    for qs in (own, aliases):
        rows = list(qs[:REGISTRY_MAX_CANDIDATES + 1])
        if len(rows) > REGISTRY_MAX_CANDIDATES:
            cut = True
            rows = rows[:REGISTRY_MAX_CANDIDATES]
            if index.score_bound(rows[-1][4], weights[""]) >= threshold:
                dropped += qs.count() - REGISTRY_MAX_CANDIDATES
        for pk, vendor_name, inc, hq, weight in rows:
            if index.score_bound(weight, weights[""]) < threshold and vendor_name.casefold() != name.casefold():
                continue  # holds too little of the query to match whatever its other words
            names[pk].append(vendor_name)
            vendor_countries[pk] = tuple(str(c) for c in (inc, hq) if c)
    folded = name.casefold()
    exact = {pk for pk, found in names.items() if any(n.casefold() == folded for n in found)}
    if cut:  # the very same name always counts, even beyond the cap
        exact |= set(Vendor.objects.filter(Q(name__iexact=name) | Q(aliases__name__iexact=name))
                     .values_list("pk", flat=True))
    for pk in exact - set(names):
        names[pk].append(name)
    records = {pk: matching.IndexRecord(key=pk, names=tuple(found), countries=vendor_countries.get(pk, ()))
               for pk, found in names.items()}
    return records, by_ident, exact, dropped


def _registry_vendors_for(*, name: str, identifiers: list[tuple[str, str]], organization_id: int | None = None,
                          index: matching.CandidateIndex | None = None, countries: list[str] | None = None,
                          day: dt.date | None = None) -> tuple[list[dict], int]:
    """Registry vendors this name resolves to: by identifier, or by name or alias scored by the matcher (same
    normalisation, weights and thresholds as the list matches: "ZPMC" finds the vendor whose alias is ZPMC,
    "Shanghai Zhenhua Heavy Industries Company" the one recorded as "... Co., Ltd."). Each with its open
    findings in the view of `organization_id`, its ownership paths up to its ultimate parents in that view (the
    links its pending proposals apply to its own view count there, apps.vendors.overlay; with the owners' open
    findings) and its OEM makers: the registry may know who owns a company when no list names it.

    A vendor resolved by identifier or a strong name match counts with the worst of its findings; one resolved
    by a potential name match only as potential_match (a reviewer must say whether it is the same company).
    Returns (vendors, candidates left out beyond REGISTRY_MAX_CANDIDATES)."""
    index = index if index is not None else matching.CandidateIndex([])
    day = day or timezone.localdate()
    candidates, by_ident, exact, dropped = _registry_candidates(name, identifiers, index)
    hits = index.compare_many([name], candidates.values(), countries=countries or ())
    resolved_ids = set(hits) | by_ident | exact
    if not resolved_ids:
        return [], dropped
    resolved = [(vendor, hits.get(vendor.pk))
                for vendor in Vendor.objects.filter(pk__in=resolved_ids).prefetch_related("aliases")]
    vendor_ids = [v.pk for v, _ in resolved]
    # The links of this view (its overlay's proposed links too), one query per level for every resolved vendor:
    # the paths shown are those the view's findings were derived from.
    overlay = organization_overlay(organization_id) if organization_id is not None else None
    links = ownership_links_above(set(vendor_ids), as_of=day, overlay=overlay)
    chains = {pk: vendor_ownership_chain(pk, as_of=day, links_by_owned=links) for pk in vendor_ids}
    owner_ids = {pk for chain in chains.values() for pk in chain.ancestor_ids}
    oem_rows = oem_rows_in_view(set(vendor_ids), overlay=overlay)  # in this view, as the findings were derived
    maker_ids = {r.manufacturer_id for r in oem_rows}
    statuses = {} if organization_id is None else dict(VendorOrgStatus.objects.filter(
        organization_id=organization_id, vendor_id__in={*vendor_ids, *owner_ids, *maker_ids}).values_list(
        "vendor_id", "risk_status"))
    findings: dict[int, list[dict]] = defaultdict(list)
    for f in Finding.objects.in_view(organization_id).filter(vendor_id__in={*vendor_ids, *owner_ids},
                                                             closed_at__isnull=True).select_related("source"):
        findings[f.vendor_id].append({"finding_id": f.pk, "kind": f.kind, "source": f.source.code,
                                      "status": f.status, "status_reason": f.status_reason,
                                      "path_text": f.path_text})
    owner_status = {pk: statuses.get(pk, status) for pk, status in
                    Vendor.objects.filter(pk__in=owner_ids).values_list("pk", "risk_status")} if owner_ids else {}
    oem: dict[int, list[dict]] = defaultdict(list)
    makers = Vendor.objects.in_bulk(maker_ids) if maker_ids else {}
    for rel in oem_rows:
        maker = makers[rel.manufacturer_id]
        oem[rel.brand_id].append({"manufacturer_id": rel.manufacturer_id, "manufacturer_name": maker.name,
                                  "category": rel.category, "confidence": rel.confidence, "proposed": rel.pk is None,
                                  "status": statuses.get(rel.manufacturer_id, maker.risk_status)})
    auto = _auto_confirm_strengths()
    out = []
    for vendor, hit in resolved:
        own = findings.get(vendor.pk, [])
        worst = risk_worst(*(f["status"] for f in own))
        if vendor.pk in by_ident:
            how, score, strength = "identifier", 1.0, "identifier"
        elif hit is not None:
            how, score, strength = "name", hit.score, hit.strength
        else:  # the very same name or alias, which the matcher cannot score (e.g. only generic words)
            how, score, strength = "same_name", 1.0, "strong"
        confirmed = strength in auto or how == "same_name"
        status = worst if confirmed or worst == RiskStatus.CLEAR else RiskStatus.POTENTIAL_MATCH
        chain = chains[vendor.pk]
        out.append({
            "vendor_id": vendor.pk, "vendor_name": vendor.name,
            "risk_status": statuses.get(vendor.pk, vendor.risk_status),
            "names": [vendor.name, *(a.name for a in vendor.aliases.all())], "confirmed": confirmed,
            "status": status, "resolved_by": how, "strength": strength, "score": round(float(score), 4),
            "matched_name": hit.entry_name if hit else "", "why": hit.why if hit else "",
            "reasons": hit.reasons if hit else [], "explanation": hit.explanation if hit else "",
            "findings": own,
            # `proposed`: a link or relation in this view by the organisation's pending proposal (its overlay),
            # not a shared fact: the answer says which of its reasons nobody has confirmed yet.
            "ownership_paths": [{
                "path_text": " <- ".join([vendor.name, *(_step_text(s) for s in path.steps)]),
                "path_share_percent": str(path.path_share_percent) if path.path_share_percent is not None else None,
                "proposed": any(s.proposed for s in path.steps),
                "steps": [{"owner_id": s.owner_id, "owner_name": s.owner_name, "kind": s.kind,
                           "share_percent": str(s.share_percent) if s.share_percent is not None else None,
                           "proposed": s.proposed,
                           "owner_status": owner_status.get(s.owner_id, RiskStatus.CLEAR),
                           "owner_findings": findings.get(s.owner_id, [])} for s in path.steps],
            } for path in chain.paths],
            "ownership_truncated": chain.truncated,
            "oem_manufacturers": oem.get(vendor.pk, []),
        })
    out.sort(key=lambda v: (v["resolved_by"] != "identifier", -v["score"], -RISK_ORDER.get(v["status"], 0),
                            v["vendor_name"]))
    return out, dropped


def _step_text(step) -> str:
    share = f"{step.share_percent}%" if step.share_percent is not None else "share unknown"
    return f"{step.owner_name} ({step.kind}, {share})"


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
