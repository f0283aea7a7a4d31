"""Bills of materials (CycloneDX JSON/XML, SPDX 2.x JSON/tag-value, SPDX 3.0 JSON-LD) read into one neutral
structure.

The ecosystem's libraries parse and validate (cyclonedx-python-lib against the CycloneDX JSON/XML schemas,
spdx-tools against the SPDX 2.x rules, the SPDX project's spdx-python-model against the SPDX 3.0.1 model); this
module only guards the door before them and maps their models:

* size (INVENTORY_BOM_MAX_BYTES), nesting depth (INVENTORY_BOM_MAX_DEPTH), component count
  (INVENTORY_BOM_MAX_COMPONENTS) and, for SPDX 3, the number of elements of any type (INVENTORY_BOM_MAX_ELEMENTS)
  are checked before the library builds its objects;
* XML with a DTD or an entity declaration is refused (defusedxml) before anything else reads it;
* unsupported spec versions are refused by name (CycloneDX before 1.2, SPDX before 2.2, SPDX 3 other than the
  3.0.1 JSON-LD serialisation the SPDX bindings know).

Every refusal is a ``BomRejected`` (an ApplicationError on the ``file`` field) with a reason a person can act on.
No ORM here: ``apps.inventory.bom`` maps vendors and stores.
"""
from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.common.exceptions import ApplicationError

from .choices import BomComponentType, BomFormat, BomSupplierRole

CYCLONEDX_VERSIONS = ("1.2", "1.3", "1.4", "1.5", "1.6")
SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")
SPDX3_CONTEXT = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"  # the one spdx-python-model 0.0.6 reads
_CDX_NS = re.compile(r"^\{http://cyclonedx\.org/schema/bom/(\d+\.\d+)\}bom$")

_CDX_TYPES = {
    "application": BomComponentType.APPLICATION, "framework": BomComponentType.FRAMEWORK,
    "library": BomComponentType.LIBRARY, "container": BomComponentType.CONTAINER,
    "operating-system": BomComponentType.OPERATING_SYSTEM, "device": BomComponentType.DEVICE,
    "firmware": BomComponentType.FIRMWARE, "file": BomComponentType.FILE,
}
_SPDX_PURPOSES = {
    "APPLICATION": BomComponentType.APPLICATION, "FRAMEWORK": BomComponentType.FRAMEWORK,
    "LIBRARY": BomComponentType.LIBRARY, "CONTAINER": BomComponentType.CONTAINER,
    "OPERATING_SYSTEM": BomComponentType.OPERATING_SYSTEM, "DEVICE": BomComponentType.DEVICE,
    "FIRMWARE": BomComponentType.FIRMWARE, "FILE": BomComponentType.FILE,
}


class BomRejected(ApplicationError):
    """A document the registry will not import, with the reason (nothing is stored)."""

    def __init__(self, message: str):
        super().__init__(message, code="bom_rejected", fields={"file": [message]})


@dataclass
class ParsedComponent:
    """One part, in document order with every parent before its children (`parent` indexes this list)."""

    name: str
    type: str
    version: str = ""
    group: str = ""
    supplier_name: str = ""
    supplier_role: str = ""
    country: str = ""
    purl: str = ""
    cpe: str = ""
    bom_ref: str = ""
    parent: int | None = None
    depth: int = 0

    @property
    def key(self) -> str:
        """The part's identity across versions of a document: its purl without version and qualifiers, else its
        type, group and name (lower case). Hashed to a fixed width for the index."""
        if self.purl:
            ident = "purl:" + re.split(r"[@?#]", self.purl, maxsplit=1)[0].lower()
        else:
            ident = f"name:{self.type}/{self.group.lower()}/{self.name.lower()}"
        return hashlib.sha256(ident.encode()).hexdigest()


@dataclass
class ParsedBom:
    """A document as the registry reads it, whatever its format."""

    format: str
    spec_version: str
    sha256: str
    size: int
    serial_number: str = ""
    name: str = ""
    subject_name: str = ""  # what the document describes (CycloneDX metadata.component, SPDX DESCRIBES)
    subject_version: str = ""
    subject_supplier: str = ""
    components: list[ParsedComponent] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_PART_FIELDS = ("name", "type", "version", "group", "supplier_name", "supplier_role", "country", "purl", "cpe",
                "bom_ref", "parent", "depth")
PARSED_FORMAT = 1  # the layout of parsed_dump's JSON; a stored result of another layout is not read


def parsed_dump(parsed: ParsedBom) -> bytes:
    """The normalised result of a read (document facts, parts with their nesting, warnings) as JSON, kept with a
    pending web upload so its preview, mapping and commit do not read the document again. Parts are rows in
    `_PART_FIELDS` order (a 50,000-part result is a few MiB, written and read in well under a second)."""
    facts = {k: getattr(parsed, k) for k in ("format", "spec_version", "sha256", "size", "serial_number", "name",
                                              "subject_name", "subject_version", "subject_supplier", "warnings")}
    rows = [[getattr(c, f) for f in _PART_FIELDS] for c in parsed.components]
    return json.dumps({"layout": PARSED_FORMAT, **facts, "components": rows}, separators=(",", ":")).encode()


def parsed_load(data: bytes) -> ParsedBom:
    """The inverse of parsed_dump. A result of another layout raises ValueError (the caller asks for a new
    upload)."""
    doc = json.loads(data)
    if doc.pop("layout", None) != PARSED_FORMAT:
        raise ValueError("stored BOM read of another layout")
    rows = doc.pop("components")
    return ParsedBom(**doc, components=[ParsedComponent(**dict(zip(_PART_FIELDS, row, strict=True)))
                                        for row in rows])


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def bom_limits() -> dict[str, int]:
    return {"bytes": _limit("INVENTORY_BOM_MAX_BYTES", 50 * 2**20),
            "depth": _limit("INVENTORY_BOM_MAX_DEPTH", 32),
            "components": _limit("INVENTORY_BOM_MAX_COMPONENTS", 100_000),
            "elements": _limit("INVENTORY_BOM_MAX_ELEMENTS", 300_000)}


def _text(value: Any, limit: int = 300) -> str:
    return " ".join(str(value or "").split())[:limit]


def _json_depth(data: Any) -> int:
    """Nesting depth of decoded JSON, iteratively (a deep document cannot exhaust the stack here)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, dict | list))
    return deepest


def _check_shape(*, depth: int, components: int, limits: dict[str, int]) -> None:
    # JSON nests about three levels per component level ({components: [ {...} ]}); the limit is on components.
    if depth > limits["depth"]:
        raise BomRejected(f"The document nests {depth} levels deep; the limit is {limits['depth']} "
                          "(INVENTORY_BOM_MAX_DEPTH).")
    if components > limits["components"]:
        raise BomRejected(f"The document lists {components} components; the limit is {limits['components']} "
                          "(INVENTORY_BOM_MAX_COMPONENTS).")


def _sniff(data: bytes) -> str:
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return BomFormat.CYCLONEDX_XML
    if head.startswith((b"{", b"[")):
        return "json"
    if re.search(rb"^SPDXVersion:", data[:65536], re.MULTILINE):
        return BomFormat.SPDX_TAG_VALUE
    raise BomRejected("Not a bill of materials this registry reads: expected CycloneDX (JSON or XML) or SPDX "
                      "(JSON or tag-value).")


def bom_parse(data: bytes) -> ParsedBom:
    """Read a CycloneDX or SPDX document (the format is recognised from the content). Raises BomRejected."""
    limits = bom_limits()
    if len(data) > limits["bytes"]:
        raise BomRejected(f"The file is {len(data)} bytes; the limit is {limits['bytes']} (INVENTORY_BOM_MAX_BYTES).")
    if not data.strip():
        raise BomRejected("The file is empty.")
    base = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    kind = _sniff(data)
    if kind == BomFormat.CYCLONEDX_XML:
        return _cyclonedx_xml(data, limits, base)
    if kind == BomFormat.SPDX_TAG_VALUE:
        return _spdx_tag_value(data, limits, base)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BomRejected(f"Not valid JSON: {str(exc)[:200]}.") from exc
    if not isinstance(doc, dict):
        raise BomRejected("Not a bill of materials: the JSON document is not an object.")
    _check_shape(depth=_json_depth(doc) // 3, components=0, limits=limits)
    if doc.get("bomFormat") == "CycloneDX":
        return _cyclonedx_json(data, doc, limits, base)
    if "spdxVersion" in doc:
        return _spdx_json(doc, limits, base)
    if "@context" in doc and "spdx" in json.dumps(doc.get("@context"))[:500].lower():
        return _spdx3_jsonld(doc, limits, base)
    raise BomRejected("Not a bill of materials this registry reads: a JSON document without CycloneDX's "
                      "bomFormat or SPDX's spdxVersion.")


# --- CycloneDX -----------------------------------------------------------------------------------------------


def _cdx_version(spec: str) -> Any:
    from cyclonedx.schema import SchemaVersion

    if spec not in CYCLONEDX_VERSIONS:
        raise BomRejected(f"CycloneDX {spec or '(no specVersion)'} is not supported; the registry reads CycloneDX "
                          f"{', '.join(CYCLONEDX_VERSIONS)}.")
    return SchemaVersion.from_version(spec)


def _cdx_count_json(components: Any) -> int:
    count, stack = 0, [components]
    while stack:
        items = stack.pop()
        if isinstance(items, list):
            for item in items:
                count += 1
                if isinstance(item, dict):
                    stack.append(item.get("components"))
    return count


@functools.cache
def _cdx_json_validator(spec: str) -> Any:
    """The official CycloneDX JSON schema of `spec` (strict: no unknown properties), as shipped with
    cyclonedx-python-lib, compiled by jsonschema-rs. The library's own JsonStrictValidator runs the same schema
    through the pure-Python jsonschema package: 17 s for 50,000 components against 0.2 s here."""
    import jsonschema_rs
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema._res import BOM_JSON_STRICT

    path = Path(BOM_JSON_STRICT[SchemaVersion.from_version(spec)])
    refs = {f"http://cyclonedx.org/schema/{name}": path.parent / name for name in (
        "spdx.SNAPSHOT.schema.json", "cryptography-defs.SNAPSHOT.schema.json", "jsf-0.82.SNAPSHOT.schema.json")}

    def retrieve(uri: str) -> Any:
        if uri not in refs:  # never fetch anything from the network
            raise ValueError(f"unknown schema {uri}")
        return json.loads(refs[uri].read_text())

    return jsonschema_rs.validator_for(json.loads(path.read_text()), retriever=retrieve, validate_formats=True)


def _cyclonedx_json(data: bytes, doc: dict, limits: dict[str, int], base: dict) -> ParsedBom:
    """CycloneDX JSON: validated against the official JSON schema of its spec version (the one shipped with
    cyclonedx-python-lib), then mapped from the validated document. (The library's object model, Bom.from_json,
    builds sorted sets of every component and takes minutes on 50,000 parts; the schema already guarantees every
    field read here.)"""
    spec = str(doc.get("specVersion") or "")
    _cdx_version(spec)
    _check_shape(depth=0, components=_cdx_count_json(doc.get("components")), limits=limits)
    error = next(iter(_cdx_json_validator(spec).iter_errors(doc)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.instance_path)
        raise BomRejected(f"Not a valid CycloneDX {spec} document: "
                          + _text(f"{error.message} (at {where or 'the top'})", 400))
    parsed = ParsedBom(format=BomFormat.CYCLONEDX_JSON, spec_version=spec,
                       serial_number=_text(doc.get("serialNumber"), 200), **base)
    subject = (doc.get("metadata") or {}).get("component")
    if subject:
        parsed.subject_name, parsed.subject_version = _text(subject.get("name")), _text(subject.get("version"), 120)
        parsed.subject_supplier = _cdx_party_json(subject)[0]
        parsed.name = _text(" ".join(str(subject[k]) for k in ("group", "name", "version") if subject.get(k)))
    services = doc.get("services") or []
    if services:
        parsed.warnings.append(f"{len(services)} service(s) ignored: a services BOM describes no equipment parts.")
    stack = [(c, None, 0) for c in reversed(doc.get("components") or [])]
    while stack:
        comp, parent, depth = stack.pop()
        if depth >= limits["depth"]:
            raise BomRejected(f"Components nest deeper than {limits['depth']} levels (INVENTORY_BOM_MAX_DEPTH).")
        supplier, role, country = _cdx_party_json(comp)
        parsed.components.append(ParsedComponent(
            name=_text(comp.get("name")) or "(unnamed)",
            type=_CDX_TYPES.get(comp.get("type", ""), BomComponentType.OTHER).value,
            version=_text(comp.get("version"), 120), group=_text(comp.get("group")), supplier_name=supplier,
            supplier_role=role, country=country, purl=_text(comp.get("purl"), 1000), cpe=_text(comp.get("cpe"), 500),
            bom_ref=_text(comp.get("bom-ref"), 255), parent=parent, depth=depth))
        index = len(parsed.components) - 1
        stack.extend((child, index, depth + 1) for child in reversed(comp.get("components") or []))
    if not parsed.components:
        raise BomRejected("The document lists no components: nothing to import"
                          + (" (a services BOM describes no equipment parts)." if services else "."))
    return parsed


def _cdx_party_json(component: dict) -> tuple[str, str, str]:
    """_cdx_party on a validated JSON component (same order: supplier, manufacturer, publisher, author(s))."""
    for role, key in ((BomSupplierRole.SUPPLIER, "supplier"), (BomSupplierRole.MANUFACTURER, "manufacturer")):
        entity = component.get(key) or {}
        if entity.get("name"):
            country = (entity.get("address") or {}).get("country", "")
            return _text(entity["name"]), role.value, _text(country, 2).upper()
    if component.get("publisher"):
        return _text(component["publisher"]), BomSupplierRole.PUBLISHER.value, ""
    authors = [a.get("name") for a in component.get("authors") or [] if a.get("name")]
    author = component.get("author") or (authors[0] if authors else "")
    if author:
        return _text(author), BomSupplierRole.AUTHOR.value, ""
    return "", "", ""


def _cyclonedx_xml(data: bytes, limits: dict[str, int], base: dict) -> ParsedBom:
    from cyclonedx.model.bom import Bom
    from cyclonedx.validation.xml import XmlValidator

    from apps.security.uploads import UploadRejected, xml_parse

    try:
        tree = xml_parse(data, forbid_dtd=True)  # no DTD, no entity, before any other parser sees the bytes
    except UploadRejected as exc:
        raise BomRejected(exc.message) from exc
    root = tree.getroot()
    match = _CDX_NS.match(root.tag)
    if not match:
        raise BomRejected("Not a CycloneDX XML document (the root element is not a CycloneDX <bom>).")
    spec = match.group(1)
    schema = _cdx_version(spec)
    depth, components, stack = 0, 0, [(root, 1)]
    while stack:
        node, d = stack.pop()
        depth = max(depth, d)
        for child in node:
            if child.tag.endswith("}component"):
                components += 1
            stack.append((child, d + 1))
    _check_shape(depth=depth // 2, components=components, limits=limits)
    error = XmlValidator(schema).validate_str(data.decode("utf-8-sig"))
    if error is not None:
        raise BomRejected(f"Not a valid CycloneDX {spec} document: {_validation_text(error)}")
    try:
        bom = Bom.from_xml(root)
    except Exception as exc:  # the library raises assorted errors on documents the schema let through
        raise BomRejected(f"CycloneDX {spec} could not be read: {str(exc)[:300]}") from exc
    return _cyclonedx_map(bom, spec, base, limits)


def _validation_text(error: Any) -> str:
    inner = getattr(error, "data", None)
    message = getattr(inner, "message", None) or str(inner or error)
    path = getattr(inner, "json_path", None) or getattr(inner, "path", None)
    text = f"{message} (at {path})" if path else str(message)
    return _text(text, 400)


def _cdx_party(component: Any) -> tuple[str, str, str]:
    """(name, role, country) of the first of supplier, manufacturer, publisher, author the component states."""
    for role, entity in ((BomSupplierRole.SUPPLIER, component.supplier),
                         (BomSupplierRole.MANUFACTURER, getattr(component, "manufacturer", None))):
        if entity is not None and entity.name:
            address = getattr(entity, "address", None)
            return _text(entity.name), role.value, _text(getattr(address, "country", ""), 2).upper()
    if component.publisher:
        return _text(component.publisher), BomSupplierRole.PUBLISHER.value, ""
    authors = [a.name for a in (getattr(component, "authors", None) or []) if getattr(a, "name", None)]
    author = component.author or (authors[0] if authors else "")
    if author:
        return _text(author), BomSupplierRole.AUTHOR.value, ""
    return "", "", ""


def _cyclonedx_map(bom: Any, spec: str, base: dict, limits: dict[str, int]) -> ParsedBom:
    """CycloneDX XML, read by cyclonedx-python-lib (Bom.from_xml) after schema validation."""
    parsed = ParsedBom(format=BomFormat.CYCLONEDX_XML, spec_version=spec,
                       serial_number=_text(bom.serial_number, 200), **base)
    subject = bom.metadata.component if bom.metadata else None
    if subject is not None:
        parsed.subject_name, parsed.subject_version = _text(subject.name), _text(subject.version, 120)
        parsed.subject_supplier = _cdx_party(subject)[0]
        parsed.name = _text(" ".join(p for p in (subject.group, subject.name, subject.version) if p))
    if bom.services:
        parsed.warnings.append(f"{len(bom.services)} service(s) ignored: a services BOM describes no equipment parts.")
    stack = [(c, None, 0) for c in reversed(list(bom.components))]
    while stack:
        comp, parent, depth = stack.pop()
        if depth >= limits["depth"]:
            raise BomRejected(f"Components nest deeper than {limits['depth']} levels (INVENTORY_BOM_MAX_DEPTH).")
        supplier, role, country = _cdx_party(comp)
        ctype = comp.type.value if comp.type is not None else ""
        parsed.components.append(ParsedComponent(
            name=_text(comp.name) or "(unnamed)", type=_CDX_TYPES.get(ctype, BomComponentType.OTHER).value,
            version=_text(comp.version, 120), group=_text(comp.group), supplier_name=supplier, supplier_role=role,
            country=country, purl=_text(comp.purl.to_string() if comp.purl else "", 1000),
            cpe=_text(comp.cpe, 500), bom_ref=_text(comp.bom_ref.value if comp.bom_ref else "", 255),
            parent=parent, depth=depth))
        index = len(parsed.components) - 1
        stack.extend((child, index, depth + 1) for child in reversed(list(comp.components)))
    if not parsed.components:
        raise BomRejected("The document lists no components: nothing to import"
                          + (" (a services BOM describes no equipment parts)." if bom.services else "."))
    return parsed


# --- SPDX 2.x ------------------------------------------------------------------------------------------------


def _spdx_json(doc: dict, limits: dict[str, int], base: dict) -> ParsedBom:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    _spdx_version(str(doc.get("spdxVersion") or ""))
    packages = doc.get("packages")
    _check_shape(depth=0, components=len(packages) if isinstance(packages, list) else 0, limits=limits)
    try:
        document = JsonLikeDictParser().parse(doc)
    except SPDXParsingError as exc:
        raise BomRejected("Not a valid SPDX document: " + _text("; ".join(exc.get_messages()), 400)) from exc
    return _spdx_map(document, BomFormat.SPDX_JSON, base, limits)


def _spdx_tag_value(data: bytes, limits: dict[str, int], base: dict) -> ParsedBom:
    from spdx_tools.spdx.parser.error import SPDXParsingError
    from spdx_tools.spdx.parser.tagvalue.parser import Parser

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BomRejected("An SPDX tag-value document must be UTF-8 text.") from exc
    version = re.search(r"^SPDXVersion:\s*(\S+)", text, re.MULTILINE)
    _spdx_version(version.group(1) if version else "")
    _check_shape(depth=0, components=len(re.findall(r"^PackageName:", text, re.MULTILINE)), limits=limits)
    try:
        document = Parser().parse(text)
    except SPDXParsingError as exc:
        raise BomRejected("Not a valid SPDX document: " + _text("; ".join(exc.get_messages()), 400)) from exc
    return _spdx_map(document, BomFormat.SPDX_TAG_VALUE, base, limits)


def _spdx_version(version: str) -> None:
    if version not in SPDX_VERSIONS:
        raise BomRejected(f"{version or 'SPDX without an spdxVersion'} is not supported; the registry reads "
                          f"{', '.join(SPDX_VERSIONS)} (JSON or tag-value) and CycloneDX.")


# Checks of spdx-tools about licence fields only: the registry reads no licence, so they warn, not refuse.
_SPDX_LICENSE_ONLY = re.compile(r"^license_\w+ must be", re.IGNORECASE)


def _spdx_actor(actor: Any) -> str:
    return _text(getattr(actor, "name", "")) if actor is not None and hasattr(actor, "actor_type") else ""


def _spdx_map(document: Any, fmt: str, base: dict, limits: dict[str, int]) -> ParsedBom:
    from spdx_tools.spdx.model import RelationshipType
    from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

    info = document.creation_info
    messages = validate_full_spdx_document(document, info.spdx_version)
    errors = [m.validation_message for m in messages if not _SPDX_LICENSE_ONLY.match(m.validation_message)]
    if errors:
        raise BomRejected(f"Not a valid {info.spdx_version} document: " + _text("; ".join(errors[:3]), 400))
    parsed = ParsedBom(format=fmt, spec_version=info.spdx_version.removeprefix("SPDX-"),
                       serial_number=_text(info.document_namespace, 200), name=_text(info.name), **base)
    parsed.warnings += [f"Licence data not checked: {_text(m.validation_message, 200)}" for m in messages
                        if _SPDX_LICENSE_ONLY.match(m.validation_message)]
    packages = {p.spdx_id: p for p in document.packages}
    parent_of: dict[str, str] = {}
    described: list[str] = []
    for rel in document.relationships:
        a, b = rel.spdx_element_id, str(rel.related_spdx_element_id)
        if rel.relationship_type == RelationshipType.DESCRIBES and b in packages:
            described.append(b)
        elif rel.relationship_type == RelationshipType.CONTAINS and a in packages and b in packages:
            parent_of.setdefault(b, a)
        elif rel.relationship_type == RelationshipType.CONTAINED_BY and a in packages and b in packages:
            parent_of.setdefault(a, b)
    if described:
        subject = packages[described[0]]
        parsed.subject_name, parsed.subject_version = _text(subject.name), _text(subject.version, 120)
        parsed.subject_supplier = _spdx_actor(subject.supplier) or _spdx_actor(subject.originator)
    if document.files:
        parsed.warnings.append(f"{len(document.files)} file(s) ignored: only packages are parts.")
    for sid, parent, depth in _nesting_order(packages, parent_of, limits["depth"]):
        package = packages[sid]
        supplier, role = _spdx_actor(package.supplier), BomSupplierRole.SUPPLIER.value
        if not supplier:
            supplier, role = _spdx_actor(package.originator), BomSupplierRole.ORIGINATOR.value
        refs = {r.reference_type: r.locator for r in package.external_references}
        cpe = refs.get("cpe23Type") or refs.get("cpe22Type") or ""
        purpose = package.primary_package_purpose.name if package.primary_package_purpose else ""
        parsed.components.append(ParsedComponent(
            name=_text(package.name) or "(unnamed)", type=_SPDX_PURPOSES.get(purpose, BomComponentType.OTHER).value,
            version=_text(package.version, 120), supplier_name=supplier, supplier_role=role if supplier else "",
            purl=_text(refs.get("purl", ""), 1000), cpe=_text(cpe, 500), bom_ref=_text(sid, 255),
            parent=parent, depth=depth))
    if len(parsed.components) != len(packages):
        raise BomRejected("The packages' CONTAINS relationships form a cycle: no package can be placed.")
    if not parsed.components:
        raise BomRejected("The document lists no packages: nothing to import.")
    return parsed


def _nesting_order(ids: Iterable[str], parent_of: dict[str, str], max_depth: int
                   ) -> Iterator[tuple[str, int | None, int]]:
    """The packages of an SPDX document, depth first in document order: (id, index of its parent among those
    yielded before, depth). The caller places exactly one part per id yielded. A package under a cycle is never
    reached (the caller compares counts); nesting at `max_depth` is refused."""
    children: dict[str | None, list[str]] = {}
    for spdx_id in ids:  # document order
        children.setdefault(parent_of.get(spdx_id), []).append(spdx_id)
    stack: list[tuple[str, int | None, int]] = [(sid, None, 0) for sid in reversed(children.get(None, []))]
    placed = 0
    while stack:
        sid, parent, depth = stack.pop()
        if depth >= max_depth:
            raise BomRejected(f"Packages nest deeper than {max_depth} levels (INVENTORY_BOM_MAX_DEPTH).")
        yield sid, parent, depth
        stack.extend((child, placed, depth + 1) for child in reversed(children.get(sid, [])))
        placed += 1


# --- SPDX 3.0 (JSON-LD) ----------------------------------------------------------------------------------------

_SPDX3_PURPOSES = {**_SPDX_PURPOSES, "OPERATINGSYSTEM": BomComponentType.OPERATING_SYSTEM}
_SPDX3_NESTING = ("contains", "dependsOn")  # relationship types that place a package under another


def _spdx3_last(iri: Any) -> str:
    """The last segment of a named individual's IRI (".../SoftwarePurpose/library" -> "library")."""
    return str(iri or "").rsplit("/", 1)[-1]


def _spdx3_packages_declared(doc: dict) -> int:
    """Packages the document declares at the top of its @graph, counted before the library builds anything."""
    graph = doc.get("@graph")
    if not isinstance(graph, list):
        return 0
    return sum(1 for item in graph if isinstance(item, dict) and str(item.get("type", "")).endswith("Package"))


def _spdx3_jsonld(doc: dict, limits: dict[str, int], base: dict) -> ParsedBom:
    """SPDX 3.0 JSON-LD, read by the SPDX project's bindings (spdx-python-model): its loader picks the model by the
    @context (3.0.1), its deserializer refuses unknown types, properties and values, its index resolves references,
    and its encoder's required-property checks (spdx3_check_required, without serialising) refuse missing ones.
    Packages (software, AI and dataset packages; SPDX 3.0 has no hardware profile: devices and firmware are packages
    by purpose) are the parts, nested by ``contains``/``dependsOn``; ``suppliedBy``, else the first ``originatedBy``
    agent, is the supplier."""
    import spdx_python_model

    graph = doc.get("@graph")
    elements = len(graph) if isinstance(graph, list) else 0
    if elements > limits["elements"]:
        # files, snippets, relationships, annotations...: each one an object of the bindings, whatever its type
        raise BomRejected(f"The document holds {elements} elements; the limit is {limits['elements']} "
                          "(INVENTORY_BOM_MAX_ELEMENTS).")
    _check_shape(depth=0, components=_spdx3_packages_declared(doc), limits=limits)
    try:
        model, objset = spdx_python_model.load_data(doc)
    except spdx_python_model.LoadError as exc:
        raise BomRejected(f"This SPDX 3 document is not supported ({_text(exc, 200)}); the registry reads SPDX 3.0.1 "
                          f"JSON-LD (@context {SPDX3_CONTEXT}), SPDX 2.2/2.3 and CycloneDX.") from exc
    except Exception as exc:  # the generated deserializer raises KeyError/TypeError/ValueError on what it refuses
        raise BomRejected("Not a valid SPDX 3.0 document: " + _text(f"{type(exc).__name__}: {exc}", 400)) from exc
    missing: set[str] = set()

    def resolve(ref: Any) -> Any:
        """A referenced element: decoded in place, or by its id through the set's index (the deserializer indexes
        every element it reads; ``SHACLObjectSet.link`` would rebuild that index and rewrite every reference, a
        third of the time on 50,000 packages)."""
        if ref is None or isinstance(ref, model.SHACLObject):
            return ref
        found = objset.find_by_id(str(ref))
        if found is None:
            missing.add(str(ref))
        return found

    try:
        spdx3_check_required(model, objset)
    except ValueError as exc:
        raise BomRejected("Not a valid SPDX 3.0 document: " + _text(exc, 400)) from exc
    order = {item.get("spdxId"): i for i, item in enumerate(doc["@graph"]) if isinstance(item, dict)}

    def in_document_order(objects: Any) -> list[Any]:
        return sorted(objects, key=lambda o: (order.get(o._id, len(order)), o._id or ""))

    infos = list(objset.foreach_type(model.CreationInfo))
    spec = str(infos[0].specVersion) if infos else ""
    if not spec.startswith("3.0"):
        raise BomRejected(f"SPDX {spec or '(no specVersion)'} is not supported; the registry reads SPDX 3.0 JSON-LD, "
                          "SPDX 2.2/2.3 and CycloneDX.")
    documents = in_document_order(objset.foreach_type(model.SpdxDocument))
    packages = {p._id: p for p in in_document_order(objset.foreach_type(model.software_Package))}
    _check_shape(depth=0, components=len(packages), limits=limits)
    parsed = ParsedBom(format=BomFormat.SPDX3_JSONLD, spec_version=spec,
                       serial_number=_text(documents[0]._id if documents else "", 200),
                       name=_text(documents[0].name if documents else ""), **base)
    parent_of: dict[str, str] = {}
    described: list[str] = []
    for rel in in_document_order(objset.foreach_type(model.Relationship)):
        kind = _spdx3_last(rel.relationshipType)
        source = rel.from_._id if isinstance(rel.from_, model.SHACLObject) else str(rel.from_ or "")
        targets = [t._id if isinstance(t, model.SHACLObject) else str(t) for t in rel.to]  # ids: no lookup needed
        if kind in _SPDX3_NESTING and source in packages:
            for target in targets:
                if target in packages and target != source:
                    parent_of.setdefault(target, source)
        elif kind == "describes":
            described += [t for t in targets if t in packages]
    # What the document describes: the packages among its root elements (through an SBOM's own root elements).
    roots = [e for d in documents for e in d.rootElement]
    seen: set[int] = set()
    while roots and not described:
        element = resolve(roots.pop(0))
        if element is None or id(element) in seen:
            continue
        seen.add(id(element))
        if element._id in packages:
            described.append(element._id)
        elif isinstance(element, model.ElementCollection):
            roots.extend(element.rootElement)
    if described:
        subject = packages[described[0]]
        parsed.subject_name = _text(subject.name)
        parsed.subject_version = _text(subject.software_packageVersion, 120)
        parsed.subject_supplier = _spdx3_party(subject, model, resolve)[0]
    files = sum(1 for _ in objset.foreach_type(model.software_File)) + sum(
        1 for _ in objset.foreach_type(model.software_Snippet))
    if files:
        parsed.warnings.append(f"{files} file(s) or snippet(s) ignored: only packages are parts.")
    for sid, parent, depth in _nesting_order(packages, parent_of, limits["depth"]):
        package = packages[sid]
        supplier, role = _spdx3_party(package, model, resolve)
        refs: dict[str, str] = {}
        for ident in package.externalIdentifier:
            refs.setdefault(_spdx3_last(ident.externalIdentifierType), str(ident.identifier or ""))
        purpose = _spdx3_last(package.software_primaryPurpose).upper()
        parsed.components.append(ParsedComponent(
            name=_text(package.name) or "(unnamed)", type=_SPDX3_PURPOSES.get(purpose, BomComponentType.OTHER).value,
            version=_text(package.software_packageVersion, 120), supplier_name=supplier, supplier_role=role,
            purl=_text(package.software_packageUrl or refs.get("packageUrl", ""), 1000),
            cpe=_text(refs.get("cpe23") or refs.get("cpe22") or "", 500), bom_ref=_text(sid, 255),
            parent=parent, depth=depth))
    if len(parsed.components) != len(packages):
        raise BomRejected("The packages' contains/dependsOn relationships form a cycle: no package can be placed.")
    if missing:
        parsed.warnings.append(f"{len(missing)} element(s) referenced but not in the document (e.g. "
                               f"{_text(sorted(missing)[0], 120)}): a supplier defined elsewhere is not read.")
    if not parsed.components:
        raise BomRejected("The document lists no packages: nothing to import.")
    return parsed


def spdx3_check_required(model: Any, objset: Any) -> None:
    """The SPDX bindings' required-property checks without serialising: the checks their JSON-LD encoder runs on
    every object it writes (`SHACLObject.encode`/`_encode_properties`: an IRI node needs its IRI, a property with a
    minimum count is required, list counts within their bounds), run with the bindings' own property predicates
    (`elide`, `check_min_count`, `check_max_count`) over every object and child object (`SHACLObjectSet.foreach`).
    Serialising only to run them (`JSONLDSerializer().serialize_data`) took 9.6 s on 50,000 packages; this takes
    1.5 s. Raises ValueError with the encoder's wording."""
    iri_node = model.NodeKind.IRI
    for obj in objset.foreach():
        kind = obj.__class__.__name__
        if not obj._id and iri_node == obj.NODE_KIND:
            raise ValueError(f"{kind} must have an IRI for property '{obj.ID_ALIAS or '@id'}'")
        for p in obj._OBJ_PY_PROPS.values():
            value = getattr(obj, p.pyname)
            if p.prop.elide(value):
                if p.min_count:
                    raise ValueError(f"Property '{p.pyname}' in {kind} ({obj._id or 'a blank node'}) is required")
                continue
            if p.min_count is not None and not p.prop.check_min_count(value, p.min_count):
                raise ValueError(f"Property '{p.pyname}' in {kind} ({obj._id or 'a blank node'}) requires a "
                                 f"minimum of {p.min_count} elements")
            if p.max_count is not None and not p.prop.check_max_count(value, p.max_count):
                raise ValueError(f"Property '{p.pyname}' in {kind} ({obj._id or 'a blank node'}) requires a "
                                 f"maximum of {p.max_count} elements")


def _spdx3_party(package: Any, model: Any, resolve: Any) -> tuple[str, str]:
    """(name, role) of the package's suppliedBy agent, else its first originatedBy agent with a name. An agent
    referenced but not defined in the document has no name here (`resolve` notes it as missing)."""
    agents = [(package.suppliedBy, BomSupplierRole.SUPPLIER)] + [
        (agent, BomSupplierRole.ORIGINATOR) for agent in package.originatedBy]
    for ref, role in agents:
        agent = resolve(ref)
        if isinstance(agent, model.Agent) and agent.name:
            return _text(agent.name), role.value
    return "", ""
