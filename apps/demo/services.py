"""The demo registry: organisations, sites, vendors with real aliases and ownership, and equipment drawn
from the public record (ZPMC cranes at US ports, Hikvision/Dahua cameras in government buildings...).

Idempotent: every record is looked up by its natural key first, so loading twice changes nothing.
Every record is marked `is_demo`. Ownership shares that are not published are left unknown.
"""
from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.accounts.choices import LegalKind, OrganizationKind, Role
from apps.accounts.models import Membership, Organization, User
from apps.inventory.choices import LEGACY_CONNECTIVITY_FACTS, ComponentKind, Connectivity, Criticality, SiteKind
from apps.inventory.choices import EquipmentCategory as Cat
from apps.inventory.models import Component, Equipment, ProductModel, Site
from apps.inventory.services import component_add, equipment_create, product_model_create, site_create
from apps.remediation.services import organization_profile_update
from apps.vendors.choices import AliasKind, IdentifierScheme, OemConfidence, OwnershipKind, ProposalKind
from apps.vendors.models import ChangeProposal, OemRelation, Ownership, Vendor, VendorAlias, VendorIdentifier
from apps.vendors.proposals import proposal_submit
from apps.vendors.services import (
    oem_relation_create,
    ownership_create,
    vendor_alias_add,
    vendor_create,
    vendor_identifier_add,
)

ORGS = [
    ("harbor-port-authority", "Harbor Port Authority (demo)", OrganizationKind.PORT_AUTHORITY, "US"),
    ("metro-airport-authority", "Metro International Airport Authority (demo)",
     OrganizationKind.AIRPORT_OPERATOR, "US"),
    ("dept-administrative-services", "Department of Administrative Services (demo)", OrganizationKind.MINISTRY, "US"),
    ("au-dept-commonwealth-services", "Department of Commonwealth Services (demo)", OrganizationKind.MINISTRY, "AU"),
]

# Each organisation's profile (what binds it): org slug -> subdivision, legal kinds, own target in days.
PROFILES = {
    # A California port authority running MTSA-regulated terminals (a local public body that receives federal
    # Port Security Grant funds: 2 CFR 200.216 binds it as a grant recipient).
    "harbor-port-authority": ("CA", [LegalKind.MTSA_PORT_FACILITY, LegalKind.US_STATE_LOCAL,
                                     LegalKind.US_FEDERAL_CONTRACTOR], 365),
    "metro-airport-authority": ("", [LegalKind.US_STATE_LOCAL], None),
    # A federal executive agency (its depot is a defence site, but the agency is no DoD component).
    "dept-administrative-services": ("", [LegalKind.US_FEDERAL_EXECUTIVE], 180),
    # An Australian Commonwealth entity in Canberra.
    "au-dept-commonwealth-services": ("ACT", [LegalKind.AU_COMMONWEALTH_ENTITY], None),
}

SITES = [
    # org slug, code, name, kind, country, region, criticality, defence, operator, lat, lon
    ("harbor-port-authority", "PT-T1", "Pier T Container Terminal", SiteKind.SEAPORT, "US", "Long Beach, CA",
     Criticality.CRITICAL, False, "", "33.753000", "-118.233000"),
    ("harbor-port-authority", "MH-T2", "Middle Harbor Container Terminal", SiteKind.SEAPORT, "US", "Long Beach, CA",
     Criticality.CRITICAL, False, "", "33.760000", "-118.218000"),
    ("harbor-port-authority", "BAY-T3", "Bayside Container Terminal", SiteKind.SEAPORT, "US", "Oakland, CA",
     Criticality.HIGH, True, "", "37.797000", "-122.317000"),
    ("metro-airport-authority", "MIA-T1", "Metro International Airport, Terminal 1", SiteKind.AIRPORT, "US",
     "Metro City", Criticality.CRITICAL, False, "", None, None),
    ("metro-airport-authority", "MIA-CARGO", "Metro International Airport, Cargo Centre", SiteKind.AIRPORT, "US",
     "Metro City", Criticality.HIGH, False, "", None, None),
    ("dept-administrative-services", "FOB-1", "Federal Office Building 1", SiteKind.GOVERNMENT_OFFICE, "US",
     "Capital City", Criticality.HIGH, False, "Landmark Property Management (landlord)", None, None),
    ("dept-administrative-services", "REG-OFF", "Regional Records Office", SiteKind.GOVERNMENT_OFFICE, "US",
     "Riverside", Criticality.MEDIUM, False, "", None, None),
    ("dept-administrative-services", "DEPOT-7", "Joint Logistics Depot 7", SiteKind.MILITARY, "US", "Fort Example",
     Criticality.CRITICAL, True, "", None, None),
    ("au-dept-commonwealth-services", "CBR-1", "Commonwealth Offices, Barton", SiteKind.GOVERNMENT_OFFICE, "AU",
     "Canberra, ACT", Criticality.HIGH, False, "Example Property Trust (landlord)", None, None),
]

# name, country of incorporation, HQ, website, aliases [(name, kind)], identifiers [(scheme, value, country)]
VENDORS = [
    ("China Communications Construction Group (Limited)", "CN", "CN", "https://www.cccg.com.cn",
     [("CCCG", AliasKind.ABBREVIATION), ("中国交通建设集团有限公司", AliasKind.LOCAL_SCRIPT)], []),
    ("China Communications Construction Company Limited", "CN", "CN", "https://en.ccccltd.cn",
     [("CCCC", AliasKind.ABBREVIATION), ("中国交通建设股份有限公司", AliasKind.LOCAL_SCRIPT)], []),
    ("Shanghai Zhenhua Heavy Industries Co., Ltd.", "CN", "CN", "https://www.zpmc.com",
     [("ZPMC", AliasKind.ABBREVIATION), ("Shanghai Zhenhua Port Machinery Co., Ltd.", AliasKind.FORMER_NAME),
      ("上海振华重工(集团)股份有限公司", AliasKind.LOCAL_SCRIPT)], []),
    ("ZPMC North America, Inc.", "US", "US", "", [], []),
    ("Konecranes Plc", "FI", "FI", "https://www.konecranes.com", [("Konecranes", AliasKind.TRADE_NAME)], []),
    ("Liebherr-International AG", "CH", "CH", "https://www.liebherr.com", [("Liebherr", AliasKind.TRADE_NAME)], []),
    ("Liebherr Container Cranes Ltd.", "IE", "IE", "", [], []),
    ("Kalmar Corporation", "FI", "FI", "https://www.kalmarglobal.com", [("Kalmar", AliasKind.TRADE_NAME)], []),
    ("China Electronics Technology Group Corporation", "CN", "CN", "",
     [("CETC", AliasKind.ABBREVIATION), ("中国电子科技集团有限公司", AliasKind.LOCAL_SCRIPT)], []),
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", "CN", "CN", "https://www.hikvision.com",
     [("Hikvision", AliasKind.TRADE_NAME), ("海康威视", AliasKind.LOCAL_SCRIPT),
      ("Hangzhou Haikang Weishi Shuzi Jishu", AliasKind.TRANSLITERATION)],
     [(IdentifierScheme.USCC, "91330000733796106P", "CN")]),
    ("EZVIZ Network Co., Ltd.", "CN", "CN", "", [("EZVIZ", AliasKind.TRADE_NAME)], []),
    ("Zhejiang Dahua Technology Co., Ltd.", "CN", "CN", "https://www.dahuasecurity.com",
     [("Dahua Technology", AliasKind.TRADE_NAME), ("Dahua", AliasKind.TRADE_NAME),
      ("大华股份", AliasKind.LOCAL_SCRIPT)], []),
    ("LT Security Inc.", "US", "US", "", [("LTS", AliasKind.TRADE_NAME)], []),
    ("Axis Communications AB", "SE", "SE", "https://www.axis.com", [("Axis", AliasKind.TRADE_NAME)], []),
    ("Canon Inc.", "JP", "JP", "https://global.canon", [], []),
    ("Bosch Security Systems B.V.", "NL", "DE", "https://www.boschsecurity.com", [], []),
    ("Robert Bosch GmbH", "DE", "DE", "https://www.bosch.com", [("Bosch", AliasKind.TRADE_NAME)], []),
    ("Hanwha Vision Co., Ltd.", "KR", "KR", "https://www.hanwhavision.com",
     [("Hanwha Techwin", AliasKind.FORMER_NAME), ("Samsung Techwin", AliasKind.FORMER_NAME)], []),
    ("Nuctech Company Limited", "CN", "CN", "https://www.nuctech.com",
     [("Tongfang NucTech Technology Ltd.", AliasKind.FORMER_NAME), ("NucTech", AliasKind.TRADE_NAME),
      ("同方威视技术股份有限公司", AliasKind.LOCAL_SCRIPT)], []),
    ("Smiths Detection Group Ltd", "GB", "GB", "https://www.smithsdetection.com", [], []),
    ("Vanderlande Industries B.V.", "NL", "NL", "https://www.vanderlande.com", [("Vanderlande", AliasKind.TRADE_NAME)],
     []),
    ("Toyota Industries Corporation", "JP", "JP", "", [], []),
    ("Siemens Logistics GmbH", "DE", "DE", "https://www.siemens-logistics.com", [], []),
    ("Huawei Investment & Holding Co., Ltd.", "CN", "CN", "", [("Huawei Holding", AliasKind.TRADE_NAME)], []),
    ("Huawei Technologies Co., Ltd.", "CN", "CN", "https://www.huawei.com",
     [("Huawei", AliasKind.TRADE_NAME), ("华为技术有限公司", AliasKind.LOCAL_SCRIPT)], []),
    ("Cisco Systems, Inc.", "US", "US", "https://www.cisco.com", [("Cisco", AliasKind.TRADE_NAME)], []),
]

# owner, owned, share (None = unknown), kind, source
OWNERSHIP = [
    ("China Communications Construction Group (Limited)", "China Communications Construction Company Limited", None,
     OwnershipKind.CONTROL, "CCCC annual report: controlling shareholder (share not recorded here; verify)"),
    ("China Communications Construction Company Limited", "Shanghai Zhenhua Heavy Industries Co., Ltd.", None,
     OwnershipKind.CONTROL, "ZPMC filings: CCCC is the controlling shareholder (share not recorded here; verify)"),
    ("Shanghai Zhenhua Heavy Industries Co., Ltd.", "ZPMC North America, Inc.", None, OwnershipKind.SHAREHOLDING,
     "DoD 1260H list (2026) names ZPMC North America as a CCCG subsidiary"),
    ("China Electronics Technology Group Corporation", "Hangzhou Hikvision Digital Technology Co., Ltd.", None,
     OwnershipKind.CONTROL, "DoD 1260H list names CETC as Hikvision's parent (share not recorded here; verify)"),
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", "EZVIZ Network Co., Ltd.", None, OwnershipKind.SHAREHOLDING,
     "Hikvision annual report: EZVIZ is a subsidiary (share not recorded here; verify)"),
    ("Liebherr-International AG", "Liebherr Container Cranes Ltd.", Decimal("100"), OwnershipKind.SHAREHOLDING,
     "Liebherr group structure"),
    ("Canon Inc.", "Axis Communications AB", None, OwnershipKind.SHAREHOLDING, "Canon acquisition of Axis, 2015"),
    ("Robert Bosch GmbH", "Bosch Security Systems B.V.", Decimal("100"), OwnershipKind.SHAREHOLDING,
     "Bosch group structure"),
    ("Toyota Industries Corporation", "Vanderlande Industries B.V.", Decimal("100"), OwnershipKind.SHAREHOLDING,
     "Toyota Industries acquisition of Vanderlande, 2017"),
    ("Huawei Investment & Holding Co., Ltd.", "Huawei Technologies Co., Ltd.", Decimal("100"),
     OwnershipKind.SHAREHOLDING, "Huawei annual report: sole shareholder"),
]

# The demo's pending change proposal (a shared fact an officer proposes; a curator decides it): the port
# authority's officer proposes that CCCC controls ZPMC North America directly (share unknown). Until the curator
# accepts it, only the port authority's view applies it. (proposer, organisation, owner, owned, source)
DEMO_PROPOSAL = ("officer", "harbor-port-authority", "China Communications Construction Company Limited",
                 "ZPMC North America, Inc.", "DoD 1260H list (2026) names ZPMC North America as a CCCG subsidiary; "
                 "the direct holder is to be verified by a curator")

OEM = [("LT Security Inc.", "Hangzhou Hikvision Digital Technology Co., Ltd.", Cat.CAMERA, OemConfidence.LIKELY,
        "Press reporting (IPVM) that LTS resells Hikvision-made cameras")]

# brand, model, name, category, manufacturer, software supplier, country of manufacture, fcc id, remote access
PRODUCTS = [
    ("Shanghai Zhenhua Heavy Industries Co., Ltd.", "ZPMC STS-65", "Ship-to-shore container crane", Cat.STS_CRANE,
     None, "Shanghai Zhenhua Heavy Industries Co., Ltd.", "CN", "", True),
    ("Konecranes Plc", "Konecranes RTG 16-wheel", "Rubber-tyred gantry crane", Cat.YARD_CRANE, None, None, "FI", "",
     True),
    ("Liebherr Container Cranes Ltd.", "Liebherr STS Post-Panamax", "Ship-to-shore container crane", Cat.STS_CRANE,
     None, None, "IE", "", True),
    ("Kalmar Corporation", "Kalmar ESC 4-high", "Straddle carrier", Cat.STRADDLE_CARRIER, None, None, "FI", "", False),
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-2CD2143G2-I", "4 MP AcuSense dome camera", Cat.CAMERA,
     None, None, "CN", "2ADTD-DS2CD2143G2", True),
    ("Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-7608NI-K2", "8-channel NVR", Cat.NVR_VMS, None, None,
     "CN", "", True),
    ("Zhejiang Dahua Technology Co., Ltd.", "IPC-HFW2431S-S-S2", "4 MP bullet camera", Cat.CAMERA, None, None, "CN",
     "SVN-IPCHFW2431S", True),
    ("LT Security Inc.", "CMIP3142W-28", "4 MP turret camera (LTS brand)", Cat.CAMERA,
     "Hangzhou Hikvision Digital Technology Co., Ltd.", None, "CN", "", True),
    ("Axis Communications AB", "P3265-LVE", "Dome camera", Cat.CAMERA, None, None, "SE", "", False),
    ("Bosch Security Systems B.V.", "FLEXIDOME IP 5100i", "Dome camera", Cat.CAMERA, None, None, "PT", "", False),
    ("Hanwha Vision Co., Ltd.", "XNV-8080R", "5 MP dome camera", Cat.CAMERA, None, None, "VN", "", False),
    ("Nuctech Company Limited", "MT1213DE", "Cargo and vehicle X-ray inspection system", Cat.SCANNER, None, None, "CN",
     "", True),
    ("Nuctech Company Limited", "CX150180", "Checkpoint X-ray baggage scanner", Cat.SCANNER, None, None, "CN", "",
     False),
    ("Smiths Detection Group Ltd", "HI-SCAN 6040 CTiX", "CT cabin baggage scanner", Cat.SCANNER, None, None, "DE", "",
     False),
    ("Vanderlande Industries B.V.", "BAGTRAX", "Baggage handling system", Cat.BAGGAGE_HANDLING, None,
     "Vanderlande Industries B.V.", "NL", "", True),
    ("Siemens Logistics GmbH", "VarioTray", "Baggage handling system", Cat.BAGGAGE_HANDLING, None, None, "DE", "",
     True),
    ("Huawei Technologies Co., Ltd.", "CloudEngine S5735-L", "Access switch", Cat.NETWORK, None, None, "CN", "", True),
    ("Huawei Technologies Co., Ltd.", "ME909s-120", "LTE module", Cat.TELECOM_MODULE, None, None, "CN", "QIS-ME909S120",
     False),
    ("Cisco Systems, Inc.", "Catalyst 9300", "Access switch", Cat.NETWORK, None, None, "MX", "", False),
]

# site code, brand, model, asset tag, quantity, connectivity (as facts: LEGACY_CONNECTIVITY_FACTS; vendor remote
# access is held by the brand), collects data, installed, serial
EQUIPMENT = [
    ("PT-T1", "Shanghai Zhenhua Heavy Industries Co., Ltd.", "ZPMC STS-65", "PT-STS-01", 1, Connectivity.VENDOR_REMOTE,
     True, "2016-04-12", "ZP2016-0412-01"),
    ("PT-T1", "Shanghai Zhenhua Heavy Industries Co., Ltd.", "ZPMC STS-65", "PT-STS-02", 1, Connectivity.VENDOR_REMOTE,
     True, "2016-04-12", "ZP2016-0412-02"),
    ("PT-T1", "Shanghai Zhenhua Heavy Industries Co., Ltd.", "ZPMC STS-65", "PT-STS-03", 1, Connectivity.SITE_NETWORK,
     True, "2019-09-30", "ZP2019-0930-01"),
    ("MH-T2", "Shanghai Zhenhua Heavy Industries Co., Ltd.", "ZPMC STS-65", "MH-STS-01", 1, Connectivity.VENDOR_REMOTE,
     True, "2020-02-01", "ZP2020-0201-01"),
    ("MH-T2", "Liebherr Container Cranes Ltd.", "Liebherr STS Post-Panamax", "MH-STS-02", 1, Connectivity.SITE_NETWORK,
     True, "2021-06-15", "LCC-21-0615"),
    ("MH-T2", "Konecranes Plc", "Konecranes RTG 16-wheel", "MH-RTG-01", 4, Connectivity.SITE_NETWORK, False,
     "2018-03-01", ""),
    ("BAY-T3", "Kalmar Corporation", "Kalmar ESC 4-high", "BAY-SC-01", 6, Connectivity.SITE_NETWORK, False,
     "2017-11-20", ""),
    ("BAY-T3", "Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-2CD2143G2-I", "BAY-CAM-01", 12,
     Connectivity.INTERNET, True, "2019-05-10", ""),
    ("FOB-1", "Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-2CD2143G2-I", "FOB-CAM-01", 24,
     Connectivity.SITE_NETWORK, True, "2018-08-01", ""),
    ("FOB-1", "Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-7608NI-K2", "FOB-NVR-01", 3,
     Connectivity.SITE_NETWORK, True, "2018-08-01", "J12345678"),
    ("FOB-1", "LT Security Inc.", "CMIP3142W-28", "FOB-CAM-02", 10, Connectivity.SITE_NETWORK, True, "2020-01-15", ""),
    ("REG-OFF", "Zhejiang Dahua Technology Co., Ltd.", "IPC-HFW2431S-S-S2", "REG-CAM-01", 8, Connectivity.INTERNET,
     True, "2019-02-20", ""),
    ("REG-OFF", "Axis Communications AB", "P3265-LVE", "REG-CAM-02", 6, Connectivity.SITE_NETWORK, True, "2022-03-01",
     ""),
    ("DEPOT-7", "Zhejiang Dahua Technology Co., Ltd.", "IPC-HFW2431S-S-S2", "D7-CAM-01", 4, Connectivity.SITE_NETWORK,
     True, "2018-10-05", ""),
    ("DEPOT-7", "Hanwha Vision Co., Ltd.", "XNV-8080R", "D7-CAM-02", 16, Connectivity.ISOLATED, True, "2023-07-01", ""),
    ("DEPOT-7", "Huawei Technologies Co., Ltd.", "CloudEngine S5735-L", "D7-NET-01", 2, Connectivity.SITE_NETWORK,
     False, "2019-01-10", ""),
    ("MIA-T1", "Nuctech Company Limited", "CX150180", "T1-XR-01", 4, Connectivity.SITE_NETWORK, True, "2017-06-01", ""),
    ("MIA-T1", "Smiths Detection Group Ltd", "HI-SCAN 6040 CTiX", "T1-CT-01", 6, Connectivity.SITE_NETWORK, True,
     "2023-02-01", ""),
    ("MIA-T1", "Vanderlande Industries B.V.", "BAGTRAX", "T1-BHS-01", 1, Connectivity.VENDOR_REMOTE, False,
     "2015-09-01", "VI-BAGTRAX-0915"),
    ("MIA-T1", "Bosch Security Systems B.V.", "FLEXIDOME IP 5100i", "T1-CAM-01", 40, Connectivity.SITE_NETWORK, True,
     "2021-04-01", ""),
    ("MIA-T1", "Cisco Systems, Inc.", "Catalyst 9300", "T1-NET-01", 12, Connectivity.SITE_NETWORK, False, "2020-10-01",
     ""),
    ("MIA-CARGO", "Nuctech Company Limited", "MT1213DE", "CG-XR-01", 1, Connectivity.VENDOR_REMOTE, True, "2018-05-01",
     "NT-MT1213-0518"),
    ("MIA-CARGO", "Siemens Logistics GmbH", "VarioTray", "CG-BHS-01", 1, Connectivity.SITE_NETWORK, False,
     "2019-11-01", ""),
    ("CBR-1", "Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-2CD2143G2-I", "CBR-CAM-01", 14,
     Connectivity.SITE_NETWORK, True, "2017-09-01", ""),
    ("CBR-1", "Zhejiang Dahua Technology Co., Ltd.", "IPC-HFW2431S-S-S2", "CBR-CAM-02", 6, Connectivity.SITE_NETWORK,
     True, "2019-04-01", ""),
    ("MIA-CARGO", "Hangzhou Hikvision Digital Technology Co., Ltd.", "DS-2CD2143G2-I", "CG-CAM-01", 18,
     Connectivity.SITE_NETWORK, True, "2019-03-01", ""),
]

# equipment asset tag, site code, kind, vendor, name
COMPONENTS = [
    ("MH-RTG-01", "MH-T2", ComponentKind.COMMS_MODULE, "Huawei Technologies Co., Ltd.", "ME909s-120 LTE module"),
    ("MH-STS-02", "MH-T2", ComponentKind.CONTROL_SOFTWARE, "Liebherr-International AG", "LiCCS crane control"),
    ("PT-STS-01", "PT-T1", ComponentKind.CONTROL_SOFTWARE, "Shanghai Zhenhua Heavy Industries Co., Ltd.",
     "ZPMC GPMS remote monitoring"),
]

# A bill of materials for one crane (issue #21): Liebherr's control software carries a remote-maintenance agent
# supplied by ZPMC North America, a subsidiary of the 1260H-listed CCCC group, so the otherwise clean crane shows
# the path "component <- owned by <- listed". (equipment asset tag, site code, [(part, type, supplier, version,
# children)]) - an illustrative document, not a real vendor's BOM.
DEMO_BOM = ("MH-STS-02", "MH-T2", [
    ("LiCCS crane control", "application", "Liebherr-International AG", "5.4", [
        ("Remote maintenance agent", "application", "ZPMC North America, Inc.", "2.1", []),
    ]),
    ("Hoist drive controller", "device", "Liebherr Container Cranes Ltd.", "HD-900", [
        ("Drive firmware", "firmware", "Liebherr Container Cranes Ltd.", "3.2", []),
    ]),
    ("LTE router", "device", "Sierra Wireless", "RV55", []),
])

DEMO_USERS = [
    ("admin", "Ada", "Administrator", True, {slug: Role.ADMIN for slug, *_ in ORGS}),
    ("admin2", "Alan", "Second-Admin", False, {"harbor-port-authority": Role.ADMIN,
                                                "metro-airport-authority": Role.ADMIN}),
    ("officer", "Olivia", "Officer", False, {"harbor-port-authority": Role.OFFICER,
                                            "metro-airport-authority": Role.OFFICER}),
    ("auditor", "Arthur", "Auditor", False, {slug: Role.AUDITOR for slug, *_ in ORGS}),
    ("viewer", "Victor", "Viewer", False, {"dept-administrative-services": Role.VIEWER}),
    # The registry's curator (shared data: public list decisions, registry-wide rules): a viewer in every
    # organisation, curator powers once the second factor is verified (demo_curator_ensure).
    ("curator", "Carla", "Curator", False, {slug: Role.VIEWER for slug, *_ in ORGS}),
]
CURATOR_USERNAME = "curator"


def demo_curator_ensure(user) -> str:
    """The demo curator's role and authenticator (a TOTP device); returns the device's otpauth:// URL, for an
    authenticator app (printed by load_demo), so the second-factor step can be tried."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.accounts.models import Curator

    Curator.objects.get_or_create(user=user, defaults={"note": "Demo registry curator"})
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Demo authenticator", confirmed=True)
    return device.config_url


def demo_password_get() -> tuple[str, bool]:
    """DEMO_PASSWORD if set; otherwise the one generated before (var/demo-password.txt) or a new one."""
    if settings.DEMO_PASSWORD:
        return settings.DEMO_PASSWORD, False
    path = settings.VAR_DIR / "demo-password.txt"
    if path.exists():
        return path.read_text().strip(), False
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password, True


@transaction.atomic
def demo_load(*, today: dt.date | None = None) -> dict[str, int]:
    """Load the demo registry; returns how many records of each kind were created this time."""
    created = {"organizations": 0, "users": 0, "sites": 0, "vendors": 0, "products": 0, "equipment": 0}
    orgs: dict[str, Organization] = {}
    for slug, name, kind, country in ORGS:
        subdivision, kinds, target = PROFILES[slug]
        profile = {"country": country, "subdivision": subdivision, "legal_kinds": sorted(str(k) for k in kinds),
                   "remediation_target_days": target}
        org, new = Organization.objects.get_or_create(
            slug=slug, defaults={"name": name, "kind": kind, "is_demo": True, **profile}
        )
        if not new and not org.legal_kinds:  # a demo loaded before profiles existed: fill it, never overwrite
            org = organization_profile_update(organization=org, actor=None, **profile)
        orgs[slug] = org
        created["organizations"] += new

    password, _ = demo_password_get()
    for username, first, last, superuser, roles in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username, email=f"{username}@demo.invalid", password=password, first_name=first, last_name=last,
                is_staff=superuser, is_superuser=superuser,
            )
            created["users"] += 1
        for slug, role in roles.items():
            Membership.objects.get_or_create(user=user, organization=orgs[slug], defaults={"role": role})
        if username == CURATOR_USERNAME:
            demo_curator_ensure(user)

    sites: dict[str, Site] = {}
    for slug, code, name, kind, country, region, crit, defence, operator, lat, lon in SITES:
        site = Site.objects.filter(organization=orgs[slug], code=code).first()
        if site is None:
            site = site_create(
                organization=orgs[slug], code=code, name=name, kind=kind, country=country, region=region,
                criticality=crit, is_defence=defence, operator_name=operator,
                latitude=Decimal(lat) if lat else None, longitude=Decimal(lon) if lon else None, is_demo=True,
            )
            created["sites"] += 1
        sites[code] = site

    vendors: dict[str, Vendor] = {}
    for name, inc, hq, web, aliases, idents in VENDORS:
        vendor = Vendor.objects.filter(name=name).first()
        if vendor is None:
            vendor = vendor_create(name=name, country_of_incorporation=inc, country_of_headquarters=hq, website=web,
                                   is_demo=True)
            created["vendors"] += 1
        for alias, kind in aliases:
            if not VendorAlias.objects.filter(vendor=vendor, name=alias).exists():
                vendor_alias_add(vendor=vendor, name=alias, kind=kind)
        for scheme, value, country in idents:
            if not VendorIdentifier.objects.filter(vendor=vendor, scheme=scheme, value=value).exists():
                vendor_identifier_add(vendor=vendor, scheme=scheme, value=value, country=country)
        vendors[name] = vendor

    for owner, owned, share, kind, source in OWNERSHIP:
        if not Ownership.objects.filter(owner=vendors[owner], owned=vendors[owned]).exists():
            ownership_create(owner=vendors[owner], owned=vendors[owned], share_percent=share, kind=kind,
                             source=source)
    for brand, maker, category, confidence, source in OEM:
        if not OemRelation.objects.filter(brand=vendors[brand], manufacturer=vendors[maker]).exists():
            oem_relation_create(brand=vendors[brand], manufacturer=vendors[maker], category=category,
                                confidence=confidence, source=source)
    demo_proposal_ensure(orgs, vendors)

    products: dict[tuple[str, str], ProductModel] = {}
    for brand, model, pname, cat, maker, software, made_in, fcc_id, remote in PRODUCTS:
        product = ProductModel.objects.filter(brand=vendors[brand], model_number=model).first()
        if product is None:
            product = product_model_create(
                brand=vendors[brand], model_number=model, name=pname, category=cat,
                manufacturer=vendors[maker] if maker else None,
                software_supplier=vendors[software] if software else None,
                country_of_manufacture=made_in, fcc_id=fcc_id, remote_access_capable=remote, is_demo=True,
            )
            created["products"] += 1
        products[(brand, model)] = product

    for code, brand, model, tag, qty, conn, collects, installed, serial in EQUIPMENT:
        if not Equipment.objects.filter(site=sites[code], asset_tag=tag).exists():
            equipment_create(
                site=sites[code], product_model=products[(brand, model)], asset_tag=tag, quantity=qty,
                **{fact: True for fact in LEGACY_CONNECTIVITY_FACTS[conn]},
                remote_access_vendor=(vendors[brand] if conn == Connectivity.VENDOR_REMOTE else None),
                collects_data=collects, installed_date=dt.date.fromisoformat(installed),
                serial_number=serial, is_demo=True,
            )
            created["equipment"] += 1
    for tag, code, kind, vendor, cname in COMPONENTS:
        equipment = Equipment.objects.get(site=sites[code], asset_tag=tag)
        if not Component.objects.filter(equipment=equipment, vendor=vendors[vendor], kind=kind).exists():
            component_add(equipment=equipment, vendor=vendors[vendor], kind=kind, name=cname)
    created["boms"] = demo_bom_ensure(sites)
    return created


def demo_bom_document(model_number: str, parts: list) -> bytes:
    """DEMO_BOM's parts as a CycloneDX 1.6 JSON document, written with cyclonedx-python-lib."""
    import warnings

    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component as CdxComponent
    from cyclonedx.model.component import ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.output.json import JsonV1Dot6

    def build(name: str, ctype: str, supplier: str, version: str, children: list) -> CdxComponent:
        comp = CdxComponent(name=name, type=ComponentType(ctype), version=version,
                            supplier=OrganizationalEntity(name=supplier), bom_ref=f"demo-{name}".replace(" ", "-"))
        for child in children:
            comp.components.add(build(*child))
        return comp

    bom = Bom()
    bom.metadata.component = CdxComponent(name=model_number, type=ComponentType.DEVICE)
    for part in parts:
        bom.components.add(build(*part))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "no dependency graph": the demo's parts nest, they do not depend
        return JsonV1Dot6(bom).output_as_string(indent=2).encode()


def demo_bom_ensure(sites: dict[str, Site]) -> int:
    """Import DEMO_BOM for its crane through the same service as the web and the API, once."""
    from apps.inventory.bom import bom_commit

    tag, code, parts = DEMO_BOM
    equipment = Equipment.objects.select_related("product_model", "site").get(site=sites[code], asset_tag=tag)
    if equipment.boms.exists():
        return 0
    data = demo_bom_document(equipment.product_model.model_number, parts)
    bom_commit(organization=equipment.site.organization, data=data, filename="liebherr-sts-mh-sts-02.cdx.json",
               equipment=equipment)
    return 1


def demo_proposal_ensure(orgs: dict[str, Organization], vendors: dict[str, Vendor]) -> ChangeProposal:
    """The demo's one pending change proposal (DEMO_PROPOSAL), made through apps.vendors.proposals like any
    officer's; once decided it is not proposed again."""
    username, slug, owner, owned, source = DEMO_PROPOSAL
    existing = ChangeProposal.objects.filter(kind=ProposalKind.OWNERSHIP_ADD, vendor=vendors[owned],
                                             organization=orgs[slug]).first()
    if existing is not None:
        return existing
    return proposal_submit(
        kind=ProposalKind.OWNERSHIP_ADD, vendor=vendors[owned], actor=User.objects.get(username=username),
        organization_id=orgs[slug].pk, source_document=source,
        payload={"owner": vendors[owner].pk, "share_percent": None, "kind": OwnershipKind.CONTROL, "source": source},
    )


def demo_load_full(*, today: dt.date | None = None) -> dict[str, object]:
    """The whole demo: registry records, the bundled statutory lists (imported offline), a full screening
    run and the remediation plans the default rules derive from it. Idempotent like each of its parts."""
    # Imported here: the demo's registry part must not depend on the later pipeline stages.
    from apps.lists.services import lists_demo_load
    from apps.remediation.services import remediation_evaluate_all
    from apps.screening.services import screening_run_full

    created = demo_load(today=today)
    lists = lists_demo_load()
    run = screening_run_full(trigger="manual", today=today)
    evaluation = remediation_evaluate_all(today=today)
    webhook = demo_webhook_ensure()
    data_calls = demo_data_calls_ensure()
    return {"created": created, "lists": lists, "screening_run": run.pk, "remediation": evaluation,
            "webhook": webhook, "data_calls": data_calls}


# (title, template, supplier, asset tags of the harbour's units the call is about, answers or None: pending)
DEMO_DATA_CALLS = [
    ("Covered list question: ZPMC cranes at Terminal 1", "covered_list", "Shanghai Zhenhua Heavy Industries Co., Ltd.",
     ["PT-STS-01", "PT-STS-02"], None),
    ("FAR 52.204-24/-26 representation 2026", "far_889", "Konecranes Plc", [],
     {"part_a_provides": "no", "part_b_uses": "no", "sam_annual": "yes"}),
]


def demo_data_calls_ensure(*, now: dt.datetime | None = None) -> list[int]:
    """The harbour's two demo data calls (DEMO_DATA_CALLS), sent by the demo officer through
    apps.outreach.services like any officer's, without mail (the recipients are fictional): one pending, one
    answered and signed by the supplier (its answer on the audit chain). Idempotent (by title)."""
    from apps.outreach.models import DataCall
    from apps.outreach.services import data_call_answer, data_call_create

    org = Organization.objects.filter(slug=ORGS[0][0]).first()
    officer = User.objects.filter(username="officer").first()
    if org is None or officer is None:
        return []
    now = now or timezone.now()
    ids = []
    for title, template, supplier, tags, answers in DEMO_DATA_CALLS:
        existing = DataCall.objects.filter(organization=org, title=title).first()
        if existing is not None:
            ids.append(existing.pk)
            continue
        units = Equipment.objects.filter(site__organization=org, asset_tag__in=tags).values_list("pk", flat=True)
        call = data_call_create(
            user=officer, organization_id=org.pk, template=template, recipient_kind="vendor",
            vendor=Vendor.objects.get(name=supplier), recipient_name="Compliance desk",
            recipient_email="compliance@supplier.example", title=title, equipment_ids=list(units),
            due_date=timezone.localdate(now) + dt.timedelta(days=14), notify=False, now=now)
        if answers is not None:
            data_call_answer(token=call.answer_link.rstrip("/").rsplit("/", 1)[-1], answers=answers,
                             signer_name="Demo Signer", signer_title="Head of trade compliance",
                             signed_on=timezone.localdate(now), now=now)
        ids.append(call.pk)
    return ids


DEMO_WEBHOOK_URL = "https://localhost:8443/vendorrisk-webhook"  # the receiver of docs/integrations.md, run locally


def demo_webhook_ensure() -> int | None:
    """The harbour's webhook endpoint to a local receiver, with a few delivery log rows about its plans (made
    here, not sent: the demo needs no network). New events are sent for real once WEBHOOK_ALLOWED_HOSTS
    includes localhost and the receiver runs; otherwise they fail as refused (loopback). Idempotent."""
    from apps.audit.services import audit_record, audited_transaction
    from apps.common import events
    from apps.integrations.models import WebhookDelivery, WebhookEndpoint
    from apps.integrations.services import webhook_payload, webhook_secret_generate
    from apps.remediation.models import RemediationPlan

    org = Organization.objects.filter(slug=ORGS[0][0]).first()
    if org is None:
        return None
    existing = WebhookEndpoint.objects.filter(organization=org, url=DEMO_WEBHOOK_URL).first()
    if existing is not None:
        return existing.pk
    now = timezone.now()
    with audited_transaction():
        endpoint = WebhookEndpoint.objects.create(
            organization=org, url=DEMO_WEBHOOK_URL, description="Demo SIEM receiver (local)",
            event_types=["plan.created", "plan.closed", "plan.overdue", "waiver.requested", "waiver.decided",
                         "list_version.activated"], secret=webhook_secret_generate())
        audit_record(action="webhookendpoint.create", obj=endpoint, organization_id=org.pk,
                     changes={"url": [None, endpoint.url], "event_types": [None, endpoint.event_types]})
        plans = list(RemediationPlan.objects.filter(organization=org).order_by("id")[:3])
        outcomes = [("delivered", 204, 38, ""), ("failed", 500, 112, "HTTP 500"), ("delivered", 204, 41, "")]
        rows = []
        for i, (plan, (status, code, ms, error)) in enumerate(zip(plans, outcomes, strict=False)):
            event = events.RegistryActivity(type="plan.created", organization_id=org.pk, object_kind="plan",
                                            object_id=plan.pk, site_id=plan.site_id, category=plan.category,
                                            status=str(plan.status))
            rows.append(WebhookDelivery(
                endpoint=endpoint, organization=org, event_type="plan.created", message_id=f"msg_demo{i}",
                payload=webhook_payload(event, organization_id=org.pk, timestamp=now), status=status,
                attempts=1 if status == "delivered" else 5, response_code=code, duration_ms=ms, error=error,
                response_excerpt="" if code == 204 else "Internal Server Error", last_attempt_at=now,
                delivered_at=now if status == "delivered" else None))
        WebhookDelivery.objects.bulk_create(rows)
    return endpoint.pk


def demo_welcome(base_url: str) -> list[str]:
    """What `make run` prints once the server answers: where to go, who to sign in as (each demo user's
    organisations and roles, the one the web opens first: the first by name, as apps.web.access selects it),
    the password, and which list sources have no version yet and why."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from apps.lists.choices import VersionStatus
    from apps.lists.models import ListSource, ListVersion

    lines = [f"The registry is up: {base_url}/  (admin site: {base_url}/admin/, API docs: {base_url}/api/v1/docs/)"]
    memberships: dict[int, list[Membership]] = {}
    for m in Membership.objects.select_related("organization").order_by("organization__name"):
        memberships.setdefault(m.user_id, []).append(m)
    users = {u.username: u for u in User.objects.filter(username__in=[row[0] for row in DEMO_USERS])}
    if not users:
        return lines + ["No demo users: run `manage.py load_demo`."]
    organizations = Organization.objects.count()
    password, _generated = demo_password_get()
    lines.append(f"Sign in as one of these users, password {password}:")
    for username, *_rest in DEMO_USERS:
        user = users.get(username)
        if user is None:
            continue
        rows = memberships.get(user.pk, [])
        by_role: dict[str, list[str]] = {}
        for m in rows:
            by_role.setdefault(m.get_role_display().lower(), []).append(m.organization.name)
        roles = "; ".join(
            f"{role} of all {len(names)} organisations" if len(names) == organizations > 1 else
            f"{role} of {' and '.join(names)}" for role, names in by_role.items())
        first = f" (opens in {rows[0].organization.name}; switch in the header)" if len(rows) > 1 else ""
        extra = " Staff: the admin site." if user.is_staff else ""
        if username == CURATOR_USERNAME:
            extra += " Registry curator once its second factor is verified (Account, Verify)."
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is not None:
                extra += f" Its authenticator: {device.config_url}"
        lines.append(f"  {username:<8} {roles}{first}.{extra}")
    active = ListVersion.objects.filter(source=OuterRef("pk"), status=VersionStatus.ACTIVE)
    never = list(ListSource.objects.filter(enabled=True, organization__isnull=True).exclude(Exists(active))
                 .order_by("code").values_list("code", flat=True))
    if never:
        lines.append(f"List sources with no version yet ({', '.join(never)}): the demo imports bundled copies of "
                     "the statutory lists offline; these download on their schedule when the machine is online, or "
                     "an admin runs `manage.py import_list`. Until then a clean name checks as \"not cleared\".")
    lines.append("Worker and beat logs: var/log/worker.log, var/log/beat.log. Ctrl-C stops everything.")
    return lines
