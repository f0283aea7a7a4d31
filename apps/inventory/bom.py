"""Bills of materials into the inventory: preview (dry run), commit (all or nothing), diff between versions.

One engine, several entry points: the web upload, the API and ``manage.py import_bom`` all call
``bom_preview`` then ``bom_commit`` on the same bytes. The document is read by ``bom_parse`` (the libraries);
here its supplier, manufacturer, publisher and author names are mapped to registry vendors the way every other
name typed into the registry is (``apps.vendors.selectors.vendor_ids_by_name``: legal name or alias, any case,
spaces collapsed), then by the screening's normalised form (``vendors_by_normalised_name``: legal forms,
punctuation, case and diacritics set aside; one vendor only). A name that matches no vendor is never created: the
preview shows it with suggestions (vendors of the same or a close normalised form, then ``vendor_names_like``, the
CSV import's suggestion), and the commit keeps it as the component's
``supplier_name`` with no vendor, unless the caller resolves it to an existing vendor (``resolutions``).

A BOM is for a product model as an organisation installs it (its parts apply to that organisation's units of the
model) or for one unit. Each import for the same target is the next version; the previous version's parts are
compared by their identity key (purl, else type/group/name) so the preview and the stored summary say what was
added, removed, or changed (version, supplier).
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q

from apps.accounts.policies import Action, authorize
from apps.audit.services import audit_record
from apps.audit.writes import row_lock, write_transaction
from apps.common import events
from apps.common.exceptions import ApplicationError
from apps.vendors.models import Vendor
from apps.vendors.selectors import vendor_ids_by_name, vendor_names_like, vendors_by_normalised_name

from .bom_parse import BomRejected, ParsedBom, bom_parse, parsed_dump, parsed_load
from .models import BomComponent, BomDocument, Equipment, ImportJob, ProductModel

logger = logging.getLogger(__name__)

# what the commit uses, not what people read
_DIFF_INTERNAL = ("changed_keys", "touched_vendor_ids", "touched_countries")
DIFF_EXAMPLES = 50  # changed parts listed by name in a preview and a stored summary (counts are complete)
SUGGEST_PER_NAME = 5  # suggestions shown per unknown name
SUGGEST_MAX = 100  # unknown names (most used first) that get close-name suggestions: two indexed queries each


@dataclass
class BomVendorName:
    """A name the document gives a supplier (or manufacturer, publisher, author), and what it maps to."""

    name: str
    components: int
    vendor_id: int | None = None
    vendor_name: str = ""
    suggestions: list[str] = field(default_factory=list)
    matched_by: str = ""  # "name" (legal name or alias), "resolution" (the caller's choice), "normalised_name"
    # the suggestions as vendors ({"id", "name"}: the vendor's legal name), what a reviewer may map the name to
    suggested_vendors: list[dict[str, Any]] = field(default_factory=list)
    # an unknown name a reviewer may map on the web (bom_upload_resolve): the SUGGEST_MAX most used ones
    mappable: bool = False

    @property
    def matched(self) -> bool:
        return self.vendor_id is not None


@dataclass
class BomPreview:
    """What a commit would store: the document, the target's next version, the vendor mapping, the diff."""

    parsed: ParsedBom
    organization_id: int
    target_label: str
    version: int
    vendors: list[BomVendorName]
    diff: dict[str, Any]
    product_model_id: int | None = None
    equipment_id: int | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def unmatched(self) -> list[BomVendorName]:
        return [v for v in self.vendors if not v.matched]

    @property
    def mappable(self) -> bool:
        """Whether a reviewer may map a name to a vendor (bom_upload_resolve)."""
        return any(v.mappable for v in self.vendors)

    def as_dict(self) -> dict[str, Any]:
        p = self.parsed
        return {
            "format": p.format, "spec_version": p.spec_version, "sha256": p.sha256, "size": p.size,
            "serial_number": p.serial_number, "subject": p.subject_name, "components": len(p.components),
            "target": self.target_label, "version": self.version,
            "vendors": [{**asdict(v), "matched": v.matched, "suggested_ids": [s["id"] for s in v.suggested_vendors]}
                        for v in self.vendors],
            "diff": {k: v for k, v in self.diff.items() if k not in _DIFF_INTERNAL},
            "warnings": p.warnings + self.warnings,
        }


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", (text or "").casefold())


def _target(*, organization, product_model: ProductModel | None, equipment: Equipment | None
            ) -> tuple[dict[str, Any], str, ProductModel]:
    if (product_model is None) == (equipment is None):
        raise ApplicationError("Import a BOM for a product model or for one unit (exactly one).", code="invalid",
                               fields={"target": ["Choose a product model or a unit."]})
    if equipment is not None:
        if equipment.site.organization_id != organization.pk:
            raise ApplicationError("No such unit in your organisation.", code="not_found")
        return {"equipment": equipment}, f"unit {equipment}", equipment.product_model
    return {"product_model": product_model}, f"product model {product_model}", product_model


def _check_subject(parsed: ParsedBom, model: ProductModel, equipment: Equipment | None) -> list[str]:
    """Refuse a document that describes another product (a mix-up of files); a document that names no subject
    is accepted with a warning."""
    subject = _squash(parsed.subject_name)
    if not subject:
        return ["The document does not say which product it describes; check it is the right one."]
    names = [_squash(model.model_number), _squash(model.name)]
    if equipment is not None:
        names += [_squash(equipment.serial_number), _squash(equipment.asset_tag)]
    if any(n and (n in subject or subject in n) for n in names):
        return []
    raise BomRejected(f"The document describes \u201c{parsed.subject_name}\u201d, not {model} "
                      f"(model number \u201c{model.model_number}\u201d): import it for the product it describes.")


def _vendor_map(parsed: ParsedBom, resolutions: dict[str, int] | None) -> list[BomVendorName]:
    """Each supplier name with its vendor: the same legal name or alias (any case), else the caller's resolution,
    else the one vendor whose name or alias normalises to the same comparison form (vendor_ids_by_normalised_name,
    the screening's normalisation). Unknown names stay unmapped, with close names as suggestions."""
    counts = Counter(c.supplier_name for c in parsed.components if c.supplier_name)
    found = vendor_ids_by_name(set(counts))
    resolved = {k.lower(): v for k, v in (resolutions or {}).items()}
    valid = set(Vendor.objects.filter(pk__in=set(resolved.values())).values_list("pk", flat=True))
    if set(resolved.values()) - valid:
        raise ApplicationError("A resolution names a vendor that does not exist.", code="invalid",
                               fields={"resolutions": ["Pick an existing vendor for each name."]})
    rest = {name for name in counts if name.lower() not in found and name.lower() not in resolved}
    normalised = vendors_by_normalised_name(rest) if rest else {}
    mapped = []
    for name, n in counts.most_common():
        by_form = normalised.get(name)
        if name.lower() in found:
            mapped.append(BomVendorName(name, n, found[name.lower()], matched_by="name"))
        elif name.lower() in resolved:
            mapped.append(BomVendorName(name, n, resolved[name.lower()], matched_by="resolution"))
        elif by_form is not None and by_form.vendor_id is not None:
            mapped.append(BomVendorName(name, n, by_form.vendor_id, matched_by="normalised_name"))
        else:
            mapped.append(BomVendorName(name, n))
    # suggestions: the vendors of the same or a close normalised form first (several: a reviewer picks), then
    # the close spellings (a typo)
    near = {m.name: sorted(by_form.same | by_form.close)[:SUGGEST_PER_NAME] for m in mapped
            if not m.vendor_id and (by_form := normalised.get(m.name)) is not None}
    ids = {m.vendor_id for m in mapped if m.vendor_id} | {vid for vids in near.values() for vid in vids}
    suggested = 0
    like: dict[str, list[str]] = {}
    for m in mapped:
        if m.matched_by in ("", "resolution") and suggested < SUGGEST_MAX:
            like[m.name] = vendor_names_like(m.name)
            suggested += 1
    like_ids = vendor_ids_by_name({n for found_names in like.values() for n in found_names})
    names = dict(Vendor.objects.filter(pk__in=ids | set(like_ids.values())).values_list("pk", "name")) \
        if ids or like_ids else {}
    for m in mapped:
        if m.vendor_id:
            m.vendor_name = names[m.vendor_id]
        if m.name in like:
            m.mappable = True
            suggestions = [names[vid] for vid in near.get(m.name, ())]
            suggestions += [n for n in like[m.name] if n not in suggestions]
            m.suggestions = suggestions[:SUGGEST_PER_NAME]
            vendor_ids = [*near.get(m.name, ()), *(like_ids[n.lower()] for n in like[m.name] if n.lower() in like_ids)]
            m.suggested_vendors = [{"id": vid, "name": names[vid]} for vid in dict.fromkeys(vendor_ids)
                                   ][:SUGGEST_PER_NAME]
    return mapped


def _previous(organization_id: int, target: dict[str, Any]) -> BomDocument | None:
    return BomDocument.objects.filter(**_target_filter(organization_id, target.get("product_model"),
                                                       target.get("equipment"))).order_by("-version").first()


def _diff(previous: BomDocument | None, parsed: ParsedBom, vendor_of: dict[str, int | None]) -> dict[str, Any]:
    """Parts added, removed, or changed (version, supplier, the supplier's country) against the previous version, by
    identity key. `touched_vendor_ids` and `touched_countries`: the registry vendors and stated countries of the
    changed parts (before or after), what screening and remediation's country facts read."""
    if previous is None:
        return {"previous_version": None, "added": len(parsed.components), "removed": 0, "changed": 0,
                "changed_keys": sorted({c.key for c in parsed.components}), "examples": [],
                "touched_vendor_ids": sorted({v for v in vendor_of.values() if v}),
                "touched_countries": sorted({c.country for c in parsed.components if c.country})}
    old: dict[str, list[tuple]] = {}
    for key, name, version, supplier_name, supplier_id, country in previous.components.values_list(
            "key", "name", "version", "supplier_name", "supplier_id", "country").order_by("pk").iterator(
            chunk_size=5000):
        old.setdefault(key, []).append((name, version, supplier_name, supplier_id, country))
    new: dict[str, list[tuple]] = {}
    for c in parsed.components:
        new.setdefault(c.key, []).append((c.name, c.version, c.supplier_name, vendor_of.get(c.supplier_name),
                                          c.country))
    added = removed = changed = 0
    examples: list[dict[str, str]] = []
    changed_keys: list[str] = []
    touched: set[int] = set()
    countries: set[str] = set()

    def note(kind: str, name: str, detail: str = "") -> None:
        if len(examples) < DIFF_EXAMPLES:
            examples.append({"change": kind, "name": name, "detail": detail})

    for key in sorted(set(old) | set(new), key=lambda k: (new.get(k) or old.get(k))[0][0].lower()):
        before, after = sorted(old.get(key, [])), sorted(new.get(key, []))
        if before == after:
            continue
        changed_keys.append(key)
        touched.update(row[3] for row in before + after if row[3])
        countries.update(row[4] for row in before + after if row[4])
        if not before:
            added += len(after)
            note("added", after[0][0], f"{after[0][1]} by {after[0][2] or 'unknown supplier'}".strip())
        elif not after:
            removed += len(before)
            note("removed", before[0][0], before[0][1])
        else:
            changed += max(len(before), len(after))
            b, a = before[0], after[0]
            details = []
            if b[1] != a[1]:
                details.append(f"version {b[1] or '?'} \u2192 {a[1] or '?'}")
            if (b[2], b[3]) != (a[2], a[3]):
                details.append(f"supplier {b[2] or '?'} \u2192 {a[2] or '?'}")
            if b[4] != a[4]:
                details.append(f"supplier country {b[4] or '?'} \u2192 {a[4] or '?'}")
            if len(before) != len(after):
                details.append(f"{len(before)} \u2192 {len(after)} occurrences")
            note("changed", a[0], "; ".join(details))
    return {"previous_version": previous.version, "added": added, "removed": removed, "changed": changed,
            "changed_keys": changed_keys, "examples": examples, "touched_vendor_ids": sorted(touched),
            "touched_countries": sorted(countries)}


def bom_preview(*, organization, data: bytes | None = None, parsed: ParsedBom | None = None,
                product_model: ProductModel | None = None, equipment: Equipment | None = None,
                resolutions: dict[str, int] | None = None, actor=None) -> BomPreview:
    """The dry run: read and validate the document (`data`), or take the result of an earlier read (`parsed`,
    a web upload's stored read), check it describes the target, map its vendors, compare with the target's
    current version. Writes nothing. Raises BomRejected / ApplicationError."""
    if (data is None) == (parsed is None):
        raise ValueError("bom_preview takes the document's bytes or its read, exactly one")
    target, label, model = _target(organization=organization, product_model=product_model, equipment=equipment)
    if equipment is not None:
        authorize(actor, Action.WRITE, equipment)
    else:
        authorize(actor, Action.WRITE, organization_id=organization.pk)
    if parsed is None:
        parsed = bom_parse(data)
    warnings = _check_subject(parsed, model, equipment)
    vendors = _vendor_map(parsed, resolutions)
    previous = _previous(organization.pk, target)
    diff = _diff(previous, parsed, {v.name: v.vendor_id for v in vendors})
    if previous is not None and previous.sha256 == parsed.sha256:
        warnings.append(f"This is the same file as version {previous.version}.")
    return BomPreview(parsed=parsed, organization_id=organization.pk, target_label=label,
                      version=(previous.version + 1) if previous else 1, vendors=vendors, diff=diff,
                      product_model_id=product_model.pk if product_model else None,
                      equipment_id=equipment.pk if equipment else None, warnings=warnings)


@write_transaction()
def bom_commit(*, organization, data: bytes, filename: str = "", product_model: ProductModel | None = None,
               equipment: Equipment | None = None, resolutions: dict[str, int] | None = None,
               actor=None, parsed: ParsedBom | None = None) -> BomDocument:
    """Store the document (unchanged, as evidence) as the target's next version with all its components, or
    nothing: one transaction, the file removed again if the transaction fails. The preview runs again under a
    lock on the target, so two imports for one target cannot take the same version. `parsed`: the result of an
    earlier read of exactly these bytes (a web upload's); bytes of another hash or size are refused."""
    if parsed is not None and (parsed.size != len(data) or parsed.sha256 != hashlib.sha256(data).hexdigest()):
        raise BomRejected("The uploaded file changed since it was read; upload it again.")
    if equipment is not None:
        row_lock(Equipment, equipment.pk)
    else:
        row_lock(ProductModel, product_model.pk)
    preview = bom_preview(organization=organization, data=None if parsed else data, parsed=parsed,
                          product_model=product_model, equipment=equipment, resolutions=resolutions, actor=actor)
    parsed = preview.parsed
    vendor_of = {v.name: v.vendor_id for v in preview.vendors}
    summary = {k: v for k, v in preview.as_dict().items() if k not in ("vendors",)}
    summary["unmatched_vendors"] = [v.name for v in preview.unmatched][:200]
    document = BomDocument(
        organization=organization, product_model=product_model, equipment=equipment, version=preview.version,
        format=parsed.format, spec_version=parsed.spec_version, serial_number=parsed.serial_number,
        document_name=parsed.name or parsed.subject_name, sha256=parsed.sha256, size=parsed.size,
        filename=(filename or "")[:255], component_count=len(parsed.components), summary=summary,
        imported_by=actor if getattr(actor, "is_authenticated", False) else None)
    document.file.save("bom", ContentFile(data), save=False)
    try:
        superseded = BomDocument.objects.filter(is_current=True, **_target_filter(organization.pk, product_model,
                                                                                  equipment))
        superseded.update(is_current=False)
        document.save()
        _components_store(document, parsed, vendor_of)
        audit_record(action="inventory.bom.import", actor=actor, obj=document, organization_id=organization.pk,
                     changes={"version": document.version, "sha256": document.sha256, "format": document.format,
                              "components": document.component_count, "target": preview.target_label,
                              "added": preview.diff["added"], "removed": preview.diff["removed"],
                              "changed": preview.diff["changed"],
                              "unmatched_vendors": summary["unmatched_vendors"][:20]})
    except BaseException:
        document.file.delete(save=False)
        raise
    if preview.diff["touched_vendor_ids"] or preview.diff["touched_countries"]:
        # Only a change to a part with a registry vendor (screening, remediation) or a stated supplier country
        # (remediation's country facts) can change what a unit is: then the units the BOM applies to are
        # re-derived (screening and remediation subscribe, in this transaction). Parts that did not change, and
        # parts of unknown suppliers with no country, cause no work.
        if equipment is not None:
            units = {equipment.pk}
        else:
            units = set(Equipment.objects.filter(product_model=product_model, site__organization=organization)
                        .values_list("pk", flat=True))
        if units:
            events.publish(events.EquipmentChanged(equipment_ids=frozenset(units)))
    return document


def _target_filter(organization_id: int, product_model: ProductModel | None, equipment: Equipment | None
                   ) -> dict[str, Any]:
    if equipment is not None:
        return {"equipment": equipment}
    return {"product_model": product_model, "organization_id": organization_id}


def _components_store(document: BomDocument, parsed: ParsedBom, vendor_of: dict[str, int | None]) -> None:
    """Insert the parts level by level (parents first, so each child gets its parent's id), in batches."""
    ids: list[int | None] = [None] * len(parsed.components)
    levels: dict[int, list[int]] = {}
    for i, c in enumerate(parsed.components):
        levels.setdefault(c.depth, []).append(i)
    for depth in sorted(levels):
        indexes = levels[depth]
        rows = []
        for i in indexes:
            c = parsed.components[i]
            rows.append(BomComponent(
                document=document, parent_id=ids[c.parent] if c.parent is not None else None, depth=c.depth,
                key=c.key, bom_ref=c.bom_ref, type=c.type, name=c.name, group=c.group, version=c.version,
                supplier_id=vendor_of.get(c.supplier_name) if c.supplier_name else None,
                supplier_name=c.supplier_name, supplier_role=c.supplier_role, country=c.country, purl=c.purl,
                cpe=c.cpe))
        created = BomComponent.objects.bulk_create(rows, batch_size=5000)
        for i, row in zip(indexes, created, strict=True):
            ids[i] = row.pk


def bom_latest(*, organization_id: int, product_model_id: int | None = None,
               equipment_id: int | None = None) -> BomDocument | None:
    """The version in force for a target (the latest)."""
    target = {"equipment_id": equipment_id} if equipment_id else {"product_model_id": product_model_id,
                                                                   "organization_id": organization_id}
    return BomDocument.objects.filter(is_current=True, **target).first()


def bom_upload_store(*, organization, user, upload, equipment: Equipment, for_model: bool) -> ImportJob:
    """The web's two-step import: keep the uploaded BOM (size-capped, outside the served media, under a random
    token) between the preview and the commit, for this unit or for its product model in this organisation, and
    read it once (bom_upload_start): the preview, the mapping and the commit use that read."""
    from .import_jobs import import_job_store

    authorize(user, Action.WRITE, equipment)
    limit = int(settings.INVENTORY_BOM_MAX_BYTES)
    if (upload.size or 0) > limit:
        raise BomRejected(f"The file is {upload.size} bytes; the limit is {limit} (INVENTORY_BOM_MAX_BYTES).")
    job = ImportJob(organization=organization, user=user, kind="bom", fmt="bom",
                    filename=Path(upload.name or "bom").name[:200], size=upload.size or 0, path="",
                    status=ImportJob.Status.VALIDATING,
                    report={"equipment": equipment.pk, "for_model": bool(for_model)})
    job = import_job_store(job, upload, suffix="bom")
    return bom_upload_start(job)


def bom_upload_start(job: ImportJob) -> ImportJob:
    """Read a stored upload inside the request when it is small (IMPORT_INLINE_MAX_BYTES, as the CSV import),
    else in the worker (task `bom_upload_read`, after this transaction commits; the preview page polls)."""
    from apps.security.enqueue import enqueue_on_commit

    if job.size <= settings.IMPORT_INLINE_MAX_BYTES:
        return bom_upload_read(job=job)
    enqueue_on_commit("apps.inventory.tasks.bom_upload_read", job.pk)
    return job


def bom_upload_parsed_path(job: ImportJob) -> Path:
    """Where the read of a stored upload is kept: beside the upload (import_files_purge deletes both)."""
    from .import_jobs import PARSED_SUFFIX

    return Path(job.path + PARSED_SUFFIX)


def bom_upload_read(*, job: ImportJob) -> ImportJob:
    """Read (parse and validate) a stored upload once and keep the normalised result beside it. A refused document
    leaves the job INVALID with the reason (the upload is deleted: nothing of it is kept). Idempotent: only a job
    still being read is read."""
    if job.status != ImportJob.Status.VALIDATING or not job.path:
        return job
    try:
        parsed = bom_parse(Path(job.path).read_bytes())
    except ApplicationError as exc:
        error = exc.message
    except Exception:  # a bug or a document no reader anticipated: logged in full, the user gets no internals
        logger.exception("BOM upload %s: the read failed", job.token)
        error = "The document could not be read; upload it again, and if it still fails give the administrator " \
                "this import's link."
    else:
        bom_upload_parsed_path(job).write_bytes(parsed_dump(parsed))
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.VALIDATING).update(
            status=ImportJob.Status.VALID, total_rows=len(parsed.components),
            processed_rows=len(parsed.components))
        job.refresh_from_db()
        return job
    Path(job.path).unlink(missing_ok=True)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.INVALID, error=error, path="")
    job.refresh_from_db()
    return job


def bom_upload_parsed(job: ImportJob) -> ParsedBom:
    """The stored read of an upload that is ready to import. An upload imported, refused, expired (purged) or
    still being read is refused with the reason."""
    if job.status == ImportJob.Status.INVALID:
        raise BomRejected(job.error or "The document was refused.")
    if job.status == ImportJob.Status.VALIDATING:
        raise ApplicationError("The document is still being read; wait for the preview.", code="import_state")
    if job.status != ImportJob.Status.VALID or not job.path:
        raise ApplicationError("This upload was already imported or has expired; upload the file again.",
                               code="invalid")
    try:
        return parsed_load(bom_upload_parsed_path(job).read_bytes())
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise ApplicationError("This upload has expired; upload the file again.", code="import_expired") from exc


def bom_upload_target(job: ImportJob) -> dict[str, Any]:
    """The target of a stored upload: {"equipment": unit} or {"product_model": its model}."""
    equipment = Equipment.objects.select_related("site", "product_model__brand").get(
        pk=job.report["equipment"], site__organization_id=job.organization_id)
    return {"product_model": equipment.product_model} if job.report.get("for_model") else {"equipment": equipment}


def bom_upload_resolutions(job: ImportJob) -> dict[str, int]:
    """The supplier names a reviewer mapped to vendors on the web preview of a stored upload."""
    return {str(k): int(v) for k, v in (job.report.get("resolutions") or {}).items()}


def bom_upload_preview(*, job: ImportJob, actor) -> BomPreview:
    """The preview of a stored upload from its stored read (the document is not read again), with the reviewer's
    mapping."""
    return bom_preview(organization=job.organization, parsed=bom_upload_parsed(job), actor=actor,
                       resolutions=bom_upload_resolutions(job), **bom_upload_target(job))


def bom_upload_resolve(*, job: ImportJob, choices: dict[str, str], actor,
                       typed: dict[str, str] | None = None) -> BomPreview:
    """Map unknown supplier names of a stored upload to vendors (the web preview's choice per name), then the
    preview with them. `choices`: supplier name -> a suggested vendor's id, or "" to leave the name unmapped;
    `typed`: supplier name -> any registry vendor's legal name or alias as the reviewer typed it (the unit forms'
    vendor field: `vendor_named`, any case; it wins over the choice), never a new vendor: a name the registry does
    not hold is refused with close names. Only for a name of this document that the registry does not already
    match (and that the preview offers: the SUGGEST_MAX most used), and a chosen id only among the name's
    suggestions; anything else is refused and nothing is kept. The chosen ids pass the same check as the API's and
    the command's `resolutions` (bom_preview) before they are stored on the upload; the commit applies them."""
    from apps.vendors.selectors import vendor_named

    parsed = bom_upload_parsed(job)
    target = bom_upload_target(job)
    base = bom_preview(organization=job.organization, parsed=parsed, actor=actor, **target)
    offered = {v.name: {s["id"] for s in v.suggested_vendors} for v in base.vendors if v.mappable}
    resolutions: dict[str, int] = {}
    typed = {name: text.strip() for name, text in (typed or {}).items() if (text or "").strip()}
    for name in set(choices) | set(typed):
        if name not in offered:
            raise ApplicationError(f"“{name}” is not an unmatched supplier of this document.",
                                   code="invalid", fields={"resolutions": ["Map only the names listed."]})
        if name in typed:
            try:
                resolutions[name] = vendor_named(typed[name], field="resolutions").pk
            except ApplicationError as exc:
                raise ApplicationError(f"For “{name}”: {exc.fields['resolutions'][0]}", code="invalid",
                                       fields=exc.fields) from exc
            continue
        raw = (choices[name] or "").strip()
        if not raw:
            continue
        if not raw.isdigit() or int(raw) not in offered[name]:
            raise ApplicationError(f"Pick one of the suggested vendors for “{name}”, or leave it unmapped.",
                                   code="invalid", fields={"resolutions": ["Pick a suggested vendor."]})
        resolutions[name] = int(raw)
    preview = bom_preview(organization=job.organization, parsed=parsed, actor=actor, resolutions=resolutions,
                          **target)
    ImportJob.objects.filter(pk=job.pk).update(report={**job.report, "resolutions": resolutions})
    job.report = {**job.report, "resolutions": resolutions}
    return preview


def bom_upload_commit(*, job: ImportJob, actor) -> BomDocument:
    """Commit a stored upload from its stored read, then delete the pending files (the stored document keeps its
    own copy). The upload's bytes are read for the evidence copy and must be the ones that were read (hash and
    size, bom_commit); an expired or used upload is refused."""
    parsed = bom_upload_parsed(job)
    try:
        data = Path(job.path).read_bytes()
    except OSError as exc:
        raise ApplicationError("This upload has expired; upload the file again.", code="import_expired") from exc
    document = bom_commit(organization=job.organization, data=data, filename=job.filename, actor=actor,
                          resolutions=bom_upload_resolutions(job), parsed=parsed, **bom_upload_target(job))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.COMMITTED, path="")
    Path(job.path).unlink(missing_ok=True)
    bom_upload_parsed_path(job).unlink(missing_ok=True)
    return document


def bom_documents_for_unit(equipment: Equipment) -> list[BomDocument]:
    """The BOM versions in force for a unit: its own, and its organisation's for its product model."""
    return list(BomDocument.objects.filter(is_current=True).filter(
        Q(equipment=equipment) | Q(product_model_id=equipment.product_model_id,
                                   organization_id=equipment.site.organization_id)).order_by("pk"))


def bom_unit_ids_for_vendors(vendor_ids: set[int]) -> set[int]:
    """Units that a part of a BOM in force from one of the vendors reaches: through the unit's own BOM, or its
    organisation's BOM of its product model. Two queries."""
    from django.db.models import Exists, OuterRef

    parts = BomComponent.objects.filter(document__is_current=True, supplier_id__in=list(vendor_ids))
    own = set(parts.exclude(document__equipment__isnull=True).values_list("document__equipment_id", flat=True))
    by_model = Equipment.objects.filter(Exists(parts.filter(
        document__product_model_id=OuterRef("product_model_id"),
        document__organization_id=OuterRef("site__organization_id"))))
    return own | set(by_model.values_list("pk", flat=True))
