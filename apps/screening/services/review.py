"""Review decisions: a reviewer confirms or dismisses a match; the decision follows the (vendor identity, entry
content hash) pair on every re-screen, and the findings it changes are re-derived at once."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.policies import Action, organization_ids, require
from apps.audit.services import audit_record
from apps.common.exceptions import ApplicationError
from apps.vendors.selectors import vendor_descendant_ids

from ..choices import Decision, ReviewState, RunTrigger
from ..models import Match, ReviewDecision
from .base import _lock, _screening_changed
from .derive import _derive_phase
from .equipment import equipment_risk_refresh
from .index import vendor_profiles
from .runs import screening_run_recorded


def _deciding_organization(*, user, match: Match, organization_id: int | None, registry_wide: bool) -> int | None:
    """Whose view the decision is for (None: registry-wide), after the policy's check. A private list's matches
    are decided by its own organisation's writers only; a registry-wide decision needs a curator."""
    source_org = match.source.organization_id
    if registry_wide:
        if source_org is not None:
            raise ApplicationError("A private list's matches are decided by its own organisation only.",
                                   code="invalid", fields={"registry_wide": ["Not for a private list."]})
        require(user, Action.CURATE)
        return None
    if source_org is not None:
        if organization_id not in (None, source_org):
            raise ApplicationError("No such match in your organisations.", code="not_found")
        organization_id = source_org
    if organization_id is None:
        writable = organization_ids(user, Action.WRITE)
        if len(writable) != 1:
            raise ApplicationError("Say for which of your organisations you decide.", code="invalid",
                                   fields={"organization": ["Give an organisation where you are officer or admin."]})
        organization_id = writable[0]
    require(user, Action.WRITE, organization_id=organization_id)
    return organization_id


def _party_copies(match: Match, requested: list[int] | None) -> list[Match]:
    """The open matches of the match's vendor that name the same listed party (apps.screening.parties), on lists
    of the same standing (public with public; a private list's copies on its own organisation's lists only, so
    one decision never crosses the private-list rule). `requested`: the caller's list of copies, each of which
    must be one (fail closed); else every copy. The match itself first, then by id. Locked for update."""
    from ..parties import MATCH_PARTY_FIELDS, match_party_ids

    candidates = Match.objects.filter(vendor_id=match.vendor_id, closed_at__isnull=True,
                                      source__organization_id=match.source.organization_id)
    parties = match_party_ids(candidates.values_list(*MATCH_PARTY_FIELDS))
    party = parties.get(match.pk)
    copies = {pk for pk, p in parties.items() if p == party and pk != match.pk}
    if requested is not None:
        unknown = sorted(set(requested) - copies - {match.pk})
        if unknown:
            raise ApplicationError("Some of the matches given are not open copies of the same party for this vendor.",
                                   code="invalid", fields={"matches": [f"Not a copy: {', '.join(map(str, unknown))}."]})
        copies &= set(requested)
    others = list(Match.objects.select_for_update().select_related("vendor", "source")
                  .filter(pk__in=copies).order_by("pk"))
    return [match, *others]


@transaction.atomic
def review_decide(*, match: Match | int, decision: str, reason: str, user, organization_id: int | None = None,
                  registry_wide: bool = False, group: bool = False, matches: list[int] | None = None,
                  now: dt.datetime | None = None, today: dt.date | None = None) -> ReviewDecision:
    """Confirm or dismiss a match, with a reason, for one organisation's view (`organization_id`; by default the
    user's only organisation where they write) or, by a curator, registry-wide (`registry_wide`). The decision
    is keyed to (vendor identity, entry content hash): it applies to every open match with that key now and on
    every re-screen, until either side changes. An organisation's own decision applies to its view only and
    wins over a registry-wide one; a registry-wide decision applies to every organisation without its own.
    A private list's matches are decided by that list's organisation only. Findings and statuses of the vendor
    and of everything it owns or brands follow at once, in the views the decision touches.

    `group` (or `matches`, the ids of the copies to cover): the decision covers the other open matches of the same
    vendor that name the same listed party (another year of the DoD 1260H list, the CSL copy of an SDN entry ...,
    apps.screening.parties), on lists of the same standing: one ReviewDecision per (vendor identity, entry content
    hash) key, each audited with the group, in this one transaction, and one re-derivation. Returns the decision
    on `match`; `decision.group_decisions` lists every decision written (itself first),
    `decision.group_match_ids` the matches decided (`match` first)."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    errors = {}
    if decision not in Decision.values:
        errors["decision"] = [f"Choose one of: {', '.join(Decision.values)}."]
    if not reason:
        errors["reason"] = ["Say why (it is kept as evidence)."]
    if not getattr(user, "is_authenticated", False):
        errors["user"] = ["A decision needs a signed-in reviewer."]
    if errors:
        raise ApplicationError("The decision is incomplete.", code="invalid", fields=errors)
    match_id = match if isinstance(match, int) else match.pk
    _lock()
    match = Match.objects.select_for_update().select_related("vendor", "source").filter(pk=match_id).first()
    if match is None:
        raise ApplicationError("No such match.", code="not_found", fields={"match": ["Not found."]})
    if match.closed_at is not None:
        raise ApplicationError("This match is closed; decide on an open one.", code="closed",
                               fields={"match": ["Closed."]})
    organization_id = _deciding_organization(user=user, match=match, organization_id=organization_id,
                                              registry_wide=registry_wide)
    members = _party_copies(match, list(matches) if matches is not None else None) if group or matches is not None \
        else [match]
    profile = vendor_profiles([match.vendor_id])[match.vendor_id]
    records: list[ReviewDecision] = []
    affected: list[Match] = []
    by_hash: dict[str, list[Match]] = {}
    for m in members:  # one decision per key: copies with the same content hash share it
        by_hash.setdefault(m.entry_content_hash, []).append(m)
    group_ids = [m.pk for m in members] if len(members) > 1 or group else None
    for copies in by_hash.values():
        record, touched = _decide_key(copies, decision=decision, reason=reason, user=user, profile=profile,
                                      organization_id=organization_id, now=now, group_ids=group_ids)
        records.append(record)
        affected += touched
    vendor_ids = {m.vendor_id for m in affected}
    # The findings and statuses this changes: a run of its own (trigger "review"), inside this transaction.
    record = records[0]
    scope = {"vendor_ids": sorted(vendor_ids), "decision_id": record.pk, "organization_id": organization_id}
    if group_ids is not None:
        scope["decision_ids"] = [r.pk for r in records]
    # A registry-wide decision changes the public view and every organisation's that follows it; an
    # organisation's own decision (or one on its private list) changes its view only.
    views = {"public": organization_id is None}
    if organization_id is not None:
        views["organizations"] = {organization_id}
    with (screening_run_recorded(RunTrigger.REVIEW, scope=scope, user=user, now=now) as recorder,
          recorder.writing()):
        targets = vendor_ids | vendor_descendant_ids(vendor_ids)
        changed = recorder.timed("propagate", _derive_phase, run=recorder.run, targets=targets, now=now,
                                 day=today or timezone.localdate(now), counts=recorder.counts, **views)
        if changed:  # an organisation's own decision changes its own units only
            recorder.counts["equipment_updated"] += recorder.timed("equipment", equipment_risk_refresh,
                                                                   organization_id=organization_id,
                                                                   vendor_ids=changed)
        _screening_changed(changed | vendor_ids)
    record.group_decisions = records
    record.group_match_ids = [m.pk for m in members]
    return record


def _decide_key(copies: list[Match], *, decision: str, reason: str, user, profile, organization_id: int | None,
                now: dt.datetime, group_ids: list[int] | None) -> tuple[ReviewDecision, list[Match]]:
    """Write the decision for one (vendor identity, entry content hash) key (superseding the one in force for the
    same view), update the matches whose stored state follows it, audit it. `copies`: the decided matches with
    that content hash (the first is recorded as the decided one). Returns the decision and the open matches with
    the key."""
    match = copies[0]
    private = match.source.organization_id is not None
    previous = ReviewDecision.objects.select_for_update().filter(
        vendor_identity=profile.identity, entry_content_hash=match.entry_content_hash, superseded_at__isnull=True,
        organization_id=organization_id,
    ).first()
    if previous is not None:
        previous.superseded_at = now
        previous.save(update_fields=["superseded_at"])
    record = ReviewDecision.objects.create(
        vendor_identity=profile.identity, entry_content_hash=match.entry_content_hash, source=match.source,
        organization_id=organization_id, external_id=match.external_id, vendor=match.vendor, match=match,
        decision=decision, reason=reason,
        decided_by=user, decided_at=now, entry_name=match.entry_name[:1000],
        vendor_snapshot={"names": profile.names, "identifiers": [list(i) for i in profile.identifiers]},
    )
    if previous is not None:
        previous.superseded_by = record
        previous.save(update_fields=["superseded_by"])
    state = ReviewState.CONFIRMED if decision == Decision.CONFIRM else ReviewState.DISMISSED
    # Every open match with the same key (the same vendor identity may exist as several vendor rows).
    # (The decided matches themselves too: a stored identity may predate a rename not yet re-screened.)
    # Match.review_state is the state in the list's own view: registry-wide for public lists, the owner's for a
    # private one. An organisation's own decision on a public list leaves it alone (read per view instead).
    affected = list(Match.objects.filter(
        Q(vendor_identity=profile.identity, entry_content_hash=match.entry_content_hash)
        | Q(pk__in=[c.pk for c in copies]),
        closed_at__isnull=True, source__organization_id=match.source.organization_id))
    if private or organization_id is None:
        for m in affected:
            m.review_state, m.decision, m.vendor_identity = state, record, profile.identity
        Match.objects.bulk_update(affected, ["review_state", "decision", "vendor_identity"])
    changes = {"review_state": [match.review_state, state], "reason": reason,
               "entry": match.entry_name, "source": match.source.code,
               "entry_content_hash": match.entry_content_hash, "vendor_identity": profile.identity,
               "superseded_decision": previous.pk if previous else None,
               "organization": organization_id, "registry_wide": organization_id is None}
    if group_ids is not None:  # one decision for a party's copies: the audit names them all
        changes["group_matches"] = group_ids
    audit_record(action=f"screening.match.{decision}", actor=user, obj=match, changes=changes)
    return record, affected
