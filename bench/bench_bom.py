"""Bill-of-materials import: a 50,000-component CycloneDX 1.6 JSON document (or SPDX 3.0.1 JSON-LD with
--format spdx3) for a product model installed as 200 units, then a re-import with one changed part, then a
re-import with one changed part of an unknown supplier.

    .venv/bin/python bench/bench_bom.py
    .venv/bin/python bench/bench_bom.py --components 50000 --units 200
    .venv/bin/python bench/bench_bom.py --format spdx3
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vr_bench_bom .venv/bin/python bench/bench_bom.py

Set-up (not timed): an organisation, a site, a product model and its units; 2,000 vendors, one of them restricted
through its listed owner (an open ownership finding); a document whose parts are nested three deep (assemblies of
boards of parts), nine in ten naming one of those vendors as supplier, one part from the flagged one. Timed: the
commit of the whole document (read + schema validation by cyclonedx-python-lib, vendor mapping, storage, screening
of the units), the re-import with one part's version changed (the diff finds one change; the units are re-derived
because that part's supplier is a registry vendor), and one with a part of an unknown supplier changed (nothing to
re-derive: no equipment event). Prints seconds, the diff counts and the units re-derived.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsupport import setup_django  # noqa: E402


def document(n: int, vendors: list[str], flagged: str, *, changed: int | None = None,
             unknown_changed: bool = False) -> bytes:
    """A CycloneDX 1.6 JSON document of `n` parts: assemblies (1 in 100) > boards (1 in 10) > parts."""
    comps: list[dict] = []
    assembly = board = None
    for i in range(n):
        supplier = vendors[i % len(vendors)] if i % 10 else f"Unknown Supplier {i % 500}"
        if i == 7:
            supplier = flagged
        version = "2.0" if i == changed else "1.0"
        if unknown_changed and i == 10:
            version = "9.9"
        part = {"type": "device" if i % 3 else "firmware", "name": f"part-{i}", "version": version,
                "bom-ref": f"p{i}", "supplier": {"name": supplier}, "purl": f"pkg:generic/bench/part-{i}@{version}"}
        if i % 100 == 0:
            assembly = part
            comps.append(part)
        elif i % 10 == 0:
            board = part
            assembly.setdefault("components", []).append(part)
        else:
            board.setdefault("components", []).append(part) if board is not None else comps.append(part)
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "serialNumber": f"urn:uuid:{uuid.uuid4()}", "version": 1,
           "metadata": {"component": {"type": "device", "name": "PT-BENCH-01", "bom-ref": "root"}},
           "components": comps}
    return json.dumps(doc).encode()


def document_spdx3(n: int, vendors: list[str], flagged: str, *, changed: int | None = None,
                   unknown_changed: bool = False) -> bytes:
    """The same parts as `document`, as SPDX 3.0.1 JSON-LD: packages supplied by Organization agents, nested by one
    `contains` relationship per assembly and per board."""
    info = "_:creationinfo"
    graph: list[dict] = [{"type": "CreationInfo", "@id": info, "specVersion": "3.0.1",
                          "createdBy": ["urn:bench:tool"], "created": "2026-01-01T00:00:00Z"},
                         {"type": "Organization", "spdxId": "urn:bench:tool", "creationInfo": info, "name": "bench"}]
    agents: dict[str, str] = {}

    def agent(name: str) -> str:
        if name not in agents:
            agents[name] = f"urn:bench:org-{len(agents)}"
            graph.append({"type": "Organization", "spdxId": agents[name], "creationInfo": info, "name": name})
        return agents[name]

    root = "urn:bench:root"
    graph.append({"type": "software_Package", "spdxId": root, "creationInfo": info, "name": "PT-BENCH-01",
                  "software_primaryPurpose": "device"})
    children: dict[str, list[str]] = {root: []}
    assembly = board = root
    for i in range(n):
        supplier = vendors[i % len(vendors)] if i % 10 else f"Unknown Supplier {i % 500}"
        if i == 7:
            supplier = flagged
        version = "2.0" if i == changed else "1.0"
        if unknown_changed and i == 10:
            version = "9.9"
        sid = f"urn:bench:p{i}"
        graph.append({"type": "software_Package", "spdxId": sid, "creationInfo": info, "name": f"part-{i}",
                      "software_packageVersion": version, "suppliedBy": agent(supplier),
                      "software_primaryPurpose": "device" if i % 3 else "firmware",
                      "software_packageUrl": f"pkg:generic/bench/part-{i}@{version}"})
        if i % 100 == 0:
            assembly = sid
            children[root].append(sid)
        elif i % 10 == 0:
            board = sid
            children.setdefault(assembly, []).append(sid)
        else:
            children.setdefault(board, []).append(sid)
    for k, (parent, kids) in enumerate(children.items()):
        graph.append({"type": "Relationship", "spdxId": f"urn:bench:rel-{k}", "creationInfo": info, "from": parent,
                      "to": kids, "relationshipType": "contains"})
    graph.append({"type": "SpdxDocument", "spdxId": f"urn:bench:doc-{uuid.uuid4()}", "creationInfo": info,
                  "rootElement": [root]})
    return json.dumps({"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": graph}).encode()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=50_000)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--format", choices=("cyclonedx", "spdx3"), default="cyclonedx")
    args = parser.parse_args()
    build = document_spdx3 if args.format == "spdx3" else document
    label = setup_django("bom", INVENTORY_BOM_MAX_COMPONENTS=str(max(args.components, 100_000)))
    import tempfile

    from django.conf import settings
    from django.utils import timezone

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-bom-media-")
    from apps.accounts.models import Organization
    from apps.common import events
    from apps.inventory.bom import bom_commit
    from apps.inventory.models import BomComponent, Equipment, ProductModel, Site
    from apps.lists.models import ListSource
    from apps.screening.models import Finding
    from apps.vendors.models import Vendor

    run = uuid.uuid4().hex[:6]
    org = Organization.objects.create(name=f"Bench BOM {run}", slug=f"bench-bom-{run}")
    site = Site.objects.create(organization=org, name="Bench terminal", code=f"B{run}", kind="seaport", country="US")
    names = [f"Bench Vendor {run} {i} GmbH" for i in range(2000)]
    Vendor.objects.bulk_create([Vendor(name=n, country_of_incorporation="DE") for n in names])
    brand = Vendor.objects.get(name=names[0])
    flagged = Vendor.objects.get(name=names[1])
    source, _ = ListSource.objects.get_or_create(code="bench_1260h", defaults={
        "name": "DoD Section 1260H list (bench)", "publisher": "Bench", "regime": "us_dod_1260h",
        "format": "custom_csv"})
    Finding.objects.create(vendor=flagged, source=source, regime=source.regime, kind="ownership",
                           key=f"bench:{run}", status="restricted", discovered_at=timezone.now(),
                           last_seen_at=timezone.now(),
                           path_text=f"{flagged.name} <- controlled by Listed Heavy Industries (100%) <- listed: "
                                     "DoD Section 1260H list")
    model = ProductModel.objects.create(brand=brand, model_number="PT-BENCH-01", category="sts_crane")
    Equipment.objects.bulk_create([Equipment(site=site, product_model=model, category="sts_crane")
                                   for _ in range(args.units)])
    seen: list = []
    events.subscribe(events.EquipmentChanged, seen.append, phase=events.IN_TRANSACTION)

    print(f"BOM import on {label}: {args.components:,} components ({args.format}), {args.units} units of the "
          "product model")
    rows = []
    for title, data in [
        ("first import", build(args.components, names[2:], flagged.name)),
        ("re-import, one part of a registry vendor changed", build(args.components, names[2:], flagged.name,
                                                                   changed=123)),
        ("re-import, one part of an unknown supplier changed", build(args.components, names[2:], flagged.name,
                                                                     changed=123, unknown_changed=True)),
    ]:
        seen.clear()
        start = time.perf_counter()
        doc = bom_commit(organization=org, data=data, product_model=model)
        elapsed = time.perf_counter() - start
        diff = doc.summary["diff"]
        rederived = sum(len(e.equipment_ids) for e in seen)
        rows.append((title, elapsed, diff, rederived))
        print(f"  {title}: {elapsed:6.2f} s  ({len(data) / 2**20:.1f} MiB; added {diff['added']}, removed "
              f"{diff['removed']}, changed {diff['changed']}; units re-derived {rederived})", flush=True)
    restricted = Equipment.objects.filter(product_model=model, risk_status="restricted").count()
    print(f"  units restricted through the BOM: {restricted}/{args.units}; stored parts "
          f"{BomComponent.objects.filter(document__product_model=model).count():,} over 3 versions")
    example = Equipment.objects.filter(product_model=model).values_list("risk_reason", flat=True).first()
    print(f"  reason: {example}")
    ok = rows[0][1] < 30 and rows[1][2]["changed"] == 1 and rows[2][3] == 0 and restricted == args.units
    print("  target (< 30 s, one change found, no re-derivation for an unknown supplier's part):",
          "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
