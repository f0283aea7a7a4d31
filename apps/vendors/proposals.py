"""Shared vendor facts by proposal (issue #15 item 2).

Vendor names, aliases, identifiers, ownership links (with their shares) and OEM relations are shared by every
organisation: a change changes every organisation's findings. So only a curator (with a verified second
factor) writes them; an organisation's officer or admin *proposes* a change, with its source, and a curator
other than the proposer accepts or rejects it (four eyes, also when the curator belongs to the proposing
organisation). Until it is decided, the proposing organisation may apply the proposal to its own view
(`proposal_apply_to_own_view`, read by apps.vendors.overlay, screened through OwnViewChanged); nobody else is
affected. Only ownership and OEM changes can be applied so (choices.OWN_VIEW_KINDS): names, aliases and
identifiers feed matching, which every view shares, so they take effect in screening once accepted.

Entry points:

* `shared_fact_write`: what the API and the web call for a write to a shared fact: a curator's (or the
  registry's own, actor None) write goes straight through `shared_fact_change`; anyone else's becomes a
  proposal of their organisation (`proposal_submit`).
* `shared_fact_change`: the one function that writes a shared fact, for curators' direct writes and accepted
  proposals alike; accepted facts carry their provenance (proposal id, source, accepted by and at).
* `proposal_submit`, `proposal_accept`, `proposal_reject`, `proposal_withdraw`, `proposal_apply_to_own_view`.

New vendors are not shared facts yet (no organisation's status depends on a vendor nobody has recorded), so
officers still create them directly (apps.vendors.services.vendor_create).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.policies import Action, authorize, may_curate, organization_ids, require
from apps.audit.writes import model_save_audited, model_update_audited, row_lock, write_transaction
from apps.common import events
from apps.common.exceptions import ApplicationError

from . import services
from .choices import OWN_VIEW_KINDS, ProposalKind, ProposalStatus
from .models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier
from .selectors import vendor_descendant_ids

# kind -> (model of the target or None for additions and vendor updates, the fields a proposal may set)
VENDOR_FIELDS = ("name", "country_of_incorporation", "country_of_headquarters", "website", "description")
ALIAS_FIELDS = ("name", "kind", "language")
IDENTIFIER_FIELDS = ("scheme", "value", "country")
OWNERSHIP_FIELDS = ("owner", "share_percent", "kind", "start_date", "end_date", "source", "evidence_note")
OWNERSHIP_CHANGE_FIELDS = ("share_percent", "kind", "start_date", "end_date", "source", "evidence_note")
OEM_FIELDS = ("manufacturer", "category", "confidence", "source", "notes")

TARGET_MODELS: dict[str, type] = {
    ProposalKind.ALIAS_REMOVE: VendorAlias,
    ProposalKind.IDENTIFIER_REMOVE: VendorIdentifier,
    ProposalKind.OWNERSHIP_CHANGE: Ownership,
    ProposalKind.OWNERSHIP_REMOVE: Ownership,
    ProposalKind.OEM_REMOVE: OemRelation,
}
# The field of a target that names the vendor the fact is about.
TARGET_VENDOR_FIELD = {VendorAlias: "vendor_id", VendorIdentifier: "vendor_id", Ownership: "owned_id",
                       OemRelation: "brand_id"}
PAYLOAD_FIELDS: dict[str, tuple[str, ...]] = {
    ProposalKind.VENDOR_UPDATE: VENDOR_FIELDS,
    ProposalKind.ALIAS_ADD: ALIAS_FIELDS,
    ProposalKind.IDENTIFIER_ADD: IDENTIFIER_FIELDS,
    ProposalKind.OWNERSHIP_ADD: OWNERSHIP_FIELDS,
    ProposalKind.OWNERSHIP_CHANGE: OWNERSHIP_CHANGE_FIELDS,
    ProposalKind.OEM_ADD: OEM_FIELDS,
}
# The snapshot of a target kept as the proposal's base (a change since makes the proposal stale).
BASE_FIELDS: dict[type, tuple[str, ...]] = {
    VendorAlias: ALIAS_FIELDS,
    VendorIdentifier: IDENTIFIER_FIELDS,
    Ownership: ("owner", "owned", *OWNERSHIP_CHANGE_FIELDS),
    OemRelation: ("brand", *OEM_FIELDS),
}
OWN_VIEW_REFUSED = ("Name, alias and identifier changes take effect in screening only once a curator accepts them; "
                    "only ownership and OEM changes can be applied to your own view before that.")
EVIDENCE_KINDS = {"pdf", "png", "jpeg", "csv", "txt", "docx", "xlsx"}
EVIDENCE_MAX_BYTES = 20 * 2**20


def _jsonable(value: Any) -> Any:
    """A field value as JSON: ids for relations, strings for decimals, dates and countries."""
    if isinstance(value, Vendor):
        return value.pk
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _snapshot(obj, fields: tuple[str, ...]) -> dict[str, Any]:
    out = {}
    for name in fields:
        field = obj._meta.get_field(name)
        out[name] = _jsonable(getattr(obj, field.attname))
    return out


def _model_fields(model: type, payload: dict[str, Any]) -> dict[str, Any]:
    """A payload (JSON) as model field values: vendors for relations, decimals and dates parsed."""
    out: dict[str, Any] = {}
    for name, value in payload.items():
        field = model._meta.get_field(name)
        if field.is_relation:
            if isinstance(value, Vendor):
                out[name] = value
                continue
            vendor = Vendor.objects.filter(pk=value).first() if value not in (None, "") else None
            if vendor is None:
                raise ValidationError({name: "No such vendor."})
            out[name] = vendor
        elif value in (None, "") and field.null:
            out[name] = None
        elif field.get_internal_type() == "DecimalField":
            out[name] = Decimal(str(value))
        elif field.get_internal_type() == "DateField":
            out[name] = dt.date.fromisoformat(value) if isinstance(value, str) else value
        else:
            out[name] = value
    return out


def _target_model(kind: str) -> type | None:
    return TARGET_MODELS.get(kind)


def _target(kind: str, target_id: int | None, *, lock: bool = False):
    model = _target_model(kind)
    if model is None:
        return None
    if lock:
        try:
            return row_lock(model, target_id)
        except model.DoesNotExist:
            return None
    return model.objects.filter(pk=target_id).first()


def _affected_vendor_ids(vendor_id: int) -> frozenset[int]:
    """The vendor a fact is about and everything it owns or brands: whose findings a change may move."""
    return frozenset({vendor_id} | vendor_descendant_ids({vendor_id}))


# --- the one writer of shared facts -----------------------------------------------------------------------
# Additions: kind -> (model whose fields the payload holds, the vendors service that writes it, its vendor argument).
_ADDITIONS = {
    ProposalKind.ALIAS_ADD: (VendorAlias, "vendor_alias_add", "vendor"),
    ProposalKind.IDENTIFIER_ADD: (VendorIdentifier, "vendor_identifier_add", "vendor"),
    ProposalKind.OWNERSHIP_ADD: (Ownership, "ownership_create", "owned"),
    ProposalKind.OEM_ADD: (OemRelation, "oem_relation_create", "brand"),
}


@write_transaction()
def shared_fact_change(*, kind: str, vendor: Vendor, target_id: int | None = None, payload: dict | None = None,
                       actor=None, provenance: dict | None = None):
    """Write one shared fact: a curator's direct write (actor a verified curator, or None for the registry
    itself) or an accepted proposal. Additions and changes carry `provenance`. Returns the written row (None
    for a removal). The vendor services below re-check the curator's right and re-screen on commit."""
    authorize(actor, Action.CURATE, organization_id=None)
    payload = dict(payload or {})
    prov = dict(provenance or {})
    if kind == ProposalKind.VENDOR_UPDATE:
        fields = _model_fields(Vendor, {k: v for k, v in payload.items() if k in VENDOR_FIELDS})
        if prov:
            fields["provenance"] = prov
        return services.vendor_update(vendor=vendor, actor=actor, **fields)
    if kind in _ADDITIONS:
        model, service, vendor_argument = _ADDITIONS[kind]
        return getattr(services, service)(**{vendor_argument: vendor}, actor=actor, provenance=prov,
                                          **_model_fields(model, payload))
    target = _target(kind, target_id)
    if target is None or getattr(target, TARGET_VENDOR_FIELD[type(target)]) != vendor.pk:
        raise ApplicationError("The fact this change is about no longer exists.", code="conflict")
    if kind == ProposalKind.OWNERSHIP_CHANGE:
        fields = _model_fields(Ownership, {k: v for k, v in payload.items() if k in OWNERSHIP_CHANGE_FIELDS})
        if prov:
            fields["provenance"] = prov
        return services.ownership_update(ownership=target, actor=actor, **fields)
    if kind == ProposalKind.OWNERSHIP_REMOVE:
        services.ownership_delete(ownership=target, actor=actor)
    elif kind == ProposalKind.OEM_REMOVE:
        services.oem_relation_delete(relation=target, actor=actor)
    elif kind == ProposalKind.ALIAS_REMOVE:
        services.vendor_alias_delete(alias=target, actor=actor)
    elif kind == ProposalKind.IDENTIFIER_REMOVE:
        services.vendor_identifier_delete(identifier=target, actor=actor)
    else:
        raise ValueError(f"Unknown proposal kind {kind!r}")  # a wiring error, never a silent no-op
    return None


# --- the write entry point of the API and the web ----------------------------------------------------------
@dataclass
class FactWrite:
    """What `shared_fact_write` did: wrote the fact (`written`, None for a removal) or proposed it."""

    proposal: ChangeProposal | None = None
    written: Any = None

    @property
    def proposed(self) -> bool:
        return self.proposal is not None


def shared_fact_write(*, kind: str, vendor: Vendor, actor, target_id: int | None = None,
                      payload: dict | None = None, organization_id: int | None = None, source_url: str = "",
                      source_document: str = "", evidence=None, apply_to_own_view: bool = True) -> FactWrite:
    """A write to a shared fact from a person: straight through for a verified curator (and the registry
    itself, actor None), a pending proposal of the writer's organisation for anyone else (who must be an
    officer or admin there). A vendor update that changes nothing writes and proposes nothing."""
    if kind == ProposalKind.VENDOR_UPDATE and not payload:
        return FactWrite(written=vendor)
    if actor is None or may_curate(actor):
        provenance = {"source_url": source_url, "source_document": source_document} if (
            source_url or source_document) else {}
        if provenance and actor is not None:
            provenance |= {"written_by": actor.pk, "written_at": timezone.now().isoformat()}
        written = shared_fact_change(kind=kind, vendor=vendor, target_id=target_id, payload=payload, actor=actor,
                                     provenance=provenance)
        return FactWrite(written=written)
    proposal = proposal_submit(kind=kind, vendor=vendor, actor=actor, target_id=target_id, payload=payload,
                               organization_id=organization_id, source_url=source_url,
                               source_document=source_document, evidence=evidence,
                               apply_to_own_view=apply_to_own_view)
    return FactWrite(proposal=proposal)


def proposal_organization_id(actor, organization_id: int | None) -> int:
    """The organisation a proposal is made for: the one named (the actor must write there) or, when not named,
    the first of the actor's organisations where it writes."""
    writable = organization_ids(actor, Action.WRITE)
    if organization_id is None:
        if not writable:
            require(actor, Action.WRITE, organization_id=None)  # raises with the policy's reason
            raise ApplicationError("Your role does not allow this.", code="forbidden")
        return writable[0]
    require(actor, Action.WRITE, organization_id=organization_id)
    return organization_id


def _evidence_attach(proposal: ChangeProposal, evidence) -> None:
    from apps.security.uploads import upload_check

    kind = upload_check(evidence, allowed=EVIDENCE_KINDS, max_bytes=EVIDENCE_MAX_BYTES)
    evidence.seek(0)
    digest = hashlib.sha256()
    for chunk in evidence.chunks() if hasattr(evidence, "chunks") else [evidence.read()]:
        digest.update(chunk)
    evidence.seek(0)
    proposal.evidence_name = (getattr(evidence, "name", "") or "evidence")[-255:]
    proposal.evidence_extension = {"jpeg": "jpg", "txt": "txt"}.get(kind, kind)
    proposal.evidence_sha256 = digest.hexdigest()
    proposal.evidence.save(proposal_evidence_name(proposal), evidence, save=False)


def proposal_evidence_name(proposal: ChangeProposal) -> str:
    return f"evidence.{proposal.evidence_extension or 'bin'}"


def _proposal_validate(kind: str, vendor: Vendor, target, payload: dict) -> None:
    """Refuse at once (400) what could never be accepted: the change checked as the model checks it."""
    if kind == ProposalKind.VENDOR_UPDATE:
        probe = Vendor.objects.get(pk=vendor.pk)
        for name, value in _model_fields(Vendor, payload).items():
            setattr(probe, name, value)
        probe.full_clean()
    elif kind == ProposalKind.ALIAS_ADD:
        VendorAlias(vendor=vendor, **_model_fields(VendorAlias, payload)).full_clean()
    elif kind == ProposalKind.IDENTIFIER_ADD:
        VendorIdentifier(vendor=vendor, **_model_fields(VendorIdentifier, payload)).full_clean()
    elif kind == ProposalKind.OWNERSHIP_ADD:
        Ownership(owned=vendor, **_model_fields(Ownership, payload)).full_clean()
    elif kind == ProposalKind.OEM_ADD:
        OemRelation(brand=vendor, **_model_fields(OemRelation, payload)).full_clean()
    elif kind == ProposalKind.OWNERSHIP_CHANGE:
        probe = Ownership.objects.get(pk=target.pk)
        for name, value in _model_fields(Ownership, payload).items():
            setattr(probe, name, value)
        probe.full_clean()


@write_transaction()
def proposal_submit(*, kind: str, vendor: Vendor, actor, target_id: int | None = None, payload: dict | None = None,
                    organization_id: int | None = None, source_url: str = "", source_document: str = "",
                    evidence=None, apply_to_own_view: bool = True) -> ChangeProposal:
    """Propose a change to a shared fact for the actor's organisation (officer or admin there). Nothing shared
    changes; the proposal waits for a curator."""
    if kind not in ProposalKind.values:
        raise ApplicationError(f"Unknown proposal kind {kind!r}.", fields={"kind": ["Unknown kind."]})
    org_id = proposal_organization_id(actor, organization_id)
    allowed_fields = PAYLOAD_FIELDS.get(kind, ())
    payload = {k: _jsonable(v) for k, v in (payload or {}).items() if k in allowed_fields}
    target = None
    base: dict[str, Any] = {}
    model = _target_model(kind)
    if model is not None:
        target = model.objects.filter(pk=target_id).first()
        if target is None or getattr(target, TARGET_VENDOR_FIELD[model]) != vendor.pk:
            raise ApplicationError("No such fact of this vendor.", code="not_found")
        base = _snapshot(target, BASE_FIELDS[model])
    elif kind == ProposalKind.VENDOR_UPDATE:
        if not payload:
            raise ApplicationError("Nothing to change.", fields={"non_field_errors": ["Nothing to change."]})
        base = _snapshot(vendor, tuple(payload))
    elif not payload:
        raise ApplicationError("Nothing to add.", fields={"non_field_errors": ["Nothing to add."]})
    _proposal_validate(kind, vendor, target, payload)
    proposal = ChangeProposal(
        organization_id=org_id, proposed_by=actor, kind=kind, vendor=vendor,
        target_id=target.pk if target is not None else None, payload=payload, base=base, source_url=source_url,
        source_document=source_document, applies_to_own_view=bool(apply_to_own_view) and kind in OWN_VIEW_KINDS,
    )
    if evidence is not None:
        _evidence_attach(proposal, evidence)
    proposal = model_save_audited(proposal, actor=actor, organization_id=org_id)
    _own_view_changed(proposal)
    return proposal


class Denied4Eyes(ApplicationError):
    """The proposer tried to decide their own proposal (403 in the API and on pages)."""

    def __init__(self):
        super().__init__("Four eyes: the proposer cannot decide their own proposal; another curator must.",
                         code="forbidden")


def _pending_locked(proposal: ChangeProposal) -> ChangeProposal:
    locked = row_lock(ChangeProposal, proposal.pk)
    if locked.status != ProposalStatus.PENDING:
        raise ApplicationError(f"This proposal is already {locked.get_status_display().lower()}.", code="conflict")
    return locked


def proposal_is_stale(proposal: ChangeProposal) -> bool:
    """True when the fact the proposal was made against changed (or went) since."""
    model = _target_model(proposal.kind)
    if model is not None:
        target = model.objects.filter(pk=proposal.target_id).first()
        return target is None or _snapshot(target, BASE_FIELDS[model]) != proposal.base
    if proposal.kind == ProposalKind.VENDOR_UPDATE:
        current = Vendor.objects.filter(pk=proposal.vendor_id).first()
        return current is None or _snapshot(current, tuple(proposal.base)) != proposal.base
    return False


def _own_view_changed(proposal: ChangeProposal) -> None:
    """Re-screen the proposing organisation's view after commit, when the proposal is (or was) applied there."""
    if proposal.applies_to_own_view and proposal.may_apply_to_own_view:
        events.publish(events.OwnViewChanged(organization_id=proposal.organization_id,
                                             vendor_ids=frozenset({proposal.vendor_id})))


def _decide(proposal: ChangeProposal, *, actor, status: str, reason: str) -> ChangeProposal:
    proposal, _ = model_update_audited(proposal, {"status": status, "decided_by": actor,
                                                  "decided_at": timezone.now(), "reason": reason},
                                       actor=actor, organization_id=proposal.organization_id)
    return proposal


@write_transaction()
def proposal_accept(*, proposal: ChangeProposal, actor, reason: str = "") -> ChangeProposal:
    """A curator (verified second factor), never the proposer, accepts: the fact is written through
    `shared_fact_change` with its provenance, and ProposalAccepted tells remediation to notify every
    organisation whose units' status changes. A proposal whose target changed since answers 409 (stale)."""
    require(actor, Action.CURATE, organization_id=None)
    proposal = _pending_locked(proposal)
    if proposal.proposed_by_id == actor.pk:
        raise Denied4Eyes()
    if proposal_is_stale(proposal):
        raise ApplicationError("The fact changed since this proposal was made; it must be proposed again "
                               "against the current values.", code="conflict")
    now = timezone.now()
    provenance = {"proposal": proposal.pk, "organization": proposal.organization_id,
                  "source_url": proposal.source_url, "source_document": proposal.source_document,
                  "proposed_by": proposal.proposed_by_id, "accepted_by": actor.pk, "accepted_at": now.isoformat()}
    events.publish(events.ProposalAccepted(proposal_id=proposal.pk,
                                           vendor_ids=_affected_vendor_ids(proposal.vendor_id)))
    try:
        with transaction.atomic():
            shared_fact_change(kind=proposal.kind, vendor=proposal.vendor, target_id=proposal.target_id,
                               payload=proposal.payload, actor=actor, provenance=provenance)
    except ValidationError as exc:
        raise ApplicationError("The change no longer fits the recorded facts: " + "; ".join(exc.messages),
                               code="conflict") from exc
    return _decide(proposal, actor=actor, status=ProposalStatus.ACCEPTED, reason=reason)


@write_transaction()
def proposal_reject(*, proposal: ChangeProposal, actor, reason: str) -> ChangeProposal:
    """A curator (verified second factor), never the proposer, rejects, saying why."""
    require(actor, Action.CURATE, organization_id=None)
    proposal = _pending_locked(proposal)
    if proposal.proposed_by_id == actor.pk:
        raise Denied4Eyes()
    if not (reason or "").strip():
        raise ApplicationError("Say why the proposal is rejected.", fields={"reason": ["Required."]})
    proposal = _decide(proposal, actor=actor, status=ProposalStatus.REJECTED, reason=reason.strip())
    _own_view_changed(proposal)
    return proposal


@write_transaction()
def proposal_withdraw(*, proposal: ChangeProposal, actor, reason: str = "") -> ChangeProposal:
    """The proposing organisation (an officer or admin there) withdraws its pending proposal."""
    require(actor, Action.WRITE, proposal)
    proposal = _pending_locked(proposal)
    proposal = _decide(proposal, actor=actor, status=ProposalStatus.WITHDRAWN, reason=reason)
    _own_view_changed(proposal)
    return proposal


@write_transaction()
def proposal_apply_to_own_view(*, proposal: ChangeProposal, actor, apply: bool) -> ChangeProposal:
    """Whether the proposing organisation sees its pending proposal in its own view (apps.vendors.overlay); its
    view is re-screened after commit. Name, alias and identifier changes cannot be applied (they take effect in
    screening once accepted): asking to apply one is refused, never stored as if it worked."""
    require(actor, Action.WRITE, proposal)
    proposal = _pending_locked(proposal)
    if apply and not proposal.may_apply_to_own_view:
        raise ApplicationError(OWN_VIEW_REFUSED, fields={"apply": [OWN_VIEW_REFUSED]})
    was = proposal.applies_to_own_view
    proposal, _ = model_update_audited(proposal, {"applies_to_own_view": bool(apply)}, actor=actor,
                                       organization_id=proposal.organization_id)
    if was != proposal.applies_to_own_view:
        events.publish(events.OwnViewChanged(organization_id=proposal.organization_id,
                                             vendor_ids=frozenset({proposal.vendor_id})))
    return proposal
