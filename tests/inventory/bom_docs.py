"""Bills of materials built with the ecosystem's own libraries (cyclonedx-python-lib, spdx-tools, spdx-python-model),
for tests that
need documents the published examples do not give: a named supplier that is (or is owned by) a listed company,
nesting, a second version with one change."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Part:
    """A part of a test document: name, type (CycloneDX type value), supplier, version, children."""

    name: str
    type: str = "device"
    supplier: str = ""
    manufacturer: str = ""
    version: str = ""
    purl: str = ""
    country: str = ""
    children: list[Part] = field(default_factory=list)


def cyclonedx(parts: list[Part], *, subject: str = "PT-STS-01", fmt: str = "json", spec: str = "1.6",
              serial: str | None = None) -> bytes:
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalEntity, PostalAddress
    from cyclonedx.output import OutputFormat, make_outputter
    from cyclonedx.schema import SchemaVersion
    from packageurl import PackageURL

    def build(part: Part) -> Component:
        address = PostalAddress(country=part.country) if part.country else None
        comp = Component(
            name=part.name, type=ComponentType(part.type), version=part.version or None,
            supplier=OrganizationalEntity(name=part.supplier, address=address) if part.supplier else None,
            manufacturer=OrganizationalEntity(name=part.manufacturer) if part.manufacturer else None,
            purl=PackageURL.from_string(part.purl) if part.purl else None,
            bom_ref=f"ref-{part.name}-{part.version}".replace(" ", "-"),
        )
        for child in part.children:
            comp.components.add(build(child))
        return comp

    bom = Bom()
    if serial:
        from uuid import UUID

        bom.serial_number = UUID(serial)
    bom.metadata.component = Component(name=subject, type=ComponentType.DEVICE)
    for part in parts:
        bom.components.add(build(part))
    out = make_outputter(bom, OutputFormat.JSON if fmt == "json" else OutputFormat.XML,
                         SchemaVersion.from_version(spec))
    return out.output_as_string(indent=2).encode()


def spdx(parts: list[Part], *, subject: str = "PT-STS-01", fmt: str = "json") -> bytes:
    from spdx_tools.spdx.model import (
        Actor,
        ActorType,
        CreationInfo,
        Document,
        Package,
        PackagePurpose,
        Relationship,
        RelationshipType,
        SpdxNoAssertion,
    )

    info = CreationInfo(spdx_version="SPDX-2.3", spdx_id="SPDXRef-DOCUMENT", name=subject,
                        document_namespace="https://example.test/spdx/" + subject,
                        creators=[Actor(ActorType.TOOL, "tests")], created=dt.datetime(2026, 1, 1))
    doc = Document(creation_info=info)
    purposes = {"device": PackagePurpose.DEVICE, "firmware": PackagePurpose.FIRMWARE,
                "application": PackagePurpose.APPLICATION, "library": PackagePurpose.LIBRARY}
    counter = iter(range(1, 10**6))

    def add(part: Part, parent: str | None) -> None:
        sid = f"SPDXRef-Package-{next(counter)}"
        doc.packages.append(Package(
            spdx_id=sid, name=part.name, download_location=SpdxNoAssertion(), version=part.version or None,
            supplier=Actor(ActorType.ORGANIZATION, part.supplier) if part.supplier else None,
            files_analyzed=False, primary_package_purpose=purposes.get(part.type, PackagePurpose.OTHER)))
        if parent is None:
            doc.relationships.append(Relationship("SPDXRef-DOCUMENT", RelationshipType.DESCRIBES, sid))
        else:
            doc.relationships.append(Relationship(parent, RelationshipType.CONTAINS, sid))
        for child in part.children:
            add(child, sid)

    add(Part(subject, "device", children=parts), None)  # the described product contains the parts
    stream = io.StringIO()
    if fmt == "json":
        from spdx_tools.spdx.writer.json.json_writer import write_document_to_stream
    else:
        from spdx_tools.spdx.writer.tagvalue.tagvalue_writer import write_document_to_stream
    write_document_to_stream(doc, stream, validate=True)
    return stream.getvalue().encode()


def spdx3(parts: list[Part], *, subject: str = "PT-STS-01", originators: bool = False) -> bytes:
    """SPDX 3.0.1 JSON-LD written by the SPDX project's bindings: an SpdxDocument whose SBOM's root is the subject
    package, which ``contains`` the parts (children nested the same way). Suppliers are Organization agents named
    by ``suppliedBy`` (``originatedBy`` when `originators`)."""
    import json

    from spdx_python_model import v3_0_1 as m

    objset = m.SHACLObjectSet()
    info = m.CreationInfo(specVersion="3.0.1", created=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), createdBy=[])
    person = objset.add(m.Person(_id="urn:example-test:person", name="Test Author", creationInfo=info))
    info.createdBy.append(person)
    purposes = {"device": "device", "firmware": "firmware", "application": "application", "library": "library"}
    agents: dict[str, Any] = {}
    counter = iter(range(1, 10**6))

    def agent(name: str) -> Any:
        if name not in agents:
            agents[name] = objset.add(m.Organization(_id=f"urn:example-test:org-{len(agents) + 1}", name=name,
                                                     creationInfo=info))
        return agents[name]

    def add(part: Part) -> Any:
        package = objset.add(m.software_Package(
            _id=f"urn:example-test:package-{next(counter)}", name=part.name, creationInfo=info,
            software_primaryPurpose=getattr(m.software_SoftwarePurpose, purposes.get(part.type, "other"))))
        if part.version:
            package.software_packageVersion = part.version
        if part.purl:
            package.software_packageUrl = part.purl
        supplier = part.supplier or part.manufacturer
        if supplier and originators:
            package.originatedBy.append(agent(supplier))
        elif supplier:
            package.suppliedBy = agent(supplier)
        kids = [add(child) for child in part.children]
        if kids:
            objset.add(m.Relationship(_id=f"urn:example-test:rel-{next(counter)}", creationInfo=info,
                                      from_=package, to=kids, relationshipType=m.RelationshipType.contains))
        return package

    root = add(Part(subject, "device", children=parts))
    sbom = objset.add(m.software_Sbom(_id="urn:example-test:sbom", creationInfo=info, rootElement=[root],
                                      element=[root]))
    objset.add(m.SpdxDocument(_id="urn:example-test:doc-" + subject, name=subject, creationInfo=info,
                              rootElement=[sbom]))
    return json.dumps(m.JSONLDSerializer().serialize_data(objset), indent=1).encode()


def crane_parts(*, agent_supplier: str = "Remote Care GmbH", agent_version: str = "4.2") -> list[Part]:
    """A crane: a PLC with firmware, a cellular modem, control software with a remote-maintenance agent."""
    return [
        Part("S7-1500 PLC", "device", supplier="Siemens AG", country="DE", children=[
            Part("PLC firmware", "firmware", supplier="Siemens AG", version="2.9")]),
        Part("LTE modem", "device", manufacturer="Quectel Wireless Solutions Co., Ltd.", version="EG25"),
        Part("Crane control software", "application", supplier="ZPMC Software", version="7.1", children=[
            Part("Remote maintenance agent", "application", supplier=agent_supplier, version=agent_version)]),
    ]
