"""The default policy rule set: what a public-sector or port/airport operator in the US would expect on day
one. Data only (used by the data migration and `manage.py remediation_seed_rules`); admins edit the rows
afterwards, and seeding never overwrites a rule that exists. Sources and caveats: docs/remediation.md.
"""
import datetime as dt

from apps.inventory.choices import Connectivity, Criticality
from apps.inventory.choices import EquipmentCategory as Cat

from .choices import FOREIGN_ADVERSARY_COUNTRIES, Action, CountryTest, DeadlineAnchor, RuleBasis

# "Covered telecommunications equipment" of NDAA s.889(f)(3) / FCC Covered List: telecom and video
# surveillance equipment (cameras, recorders, intercom/access-control with video, network and radio gear).
VIDEO_TELECOM = [Cat.CAMERA, Cat.NVR_VMS, Cat.ACCESS_CONTROL, Cat.NETWORK, Cat.TELECOM_MODULE]

DEFAULT_RULES: list[dict] = [
    {
        "code": "ndaa889-a-procurement",
        "name": "NDAA s.889 Part A: covered equipment procured after 13 Aug 2019",
        "description": "Agencies may not procure or obtain covered telecommunications or video surveillance "
                       "equipment of Huawei, ZTE, Hytera, Hikvision, Dahua or their subsidiaries and affiliates "
                       "(also as a substantial or essential component). Units installed on or after the "
                       "prohibition date should never have been bought: remove them.",
        "citation": "John S. McCain NDAA FY2019 (P.L. 115-232) s.889(a)(1)(A); FAR 52.204-25",
        "citation_url": "https://www.congress.gov/115/plaws/publ232/PLAW-115publ232.pdf",
        "basis": RuleBasis.FINDING, "regimes": ["us_ndaa", "us_fcc"], "categories": VIDEO_TELECOM,
        "action": Action.REMOVE, "deadline_date": dt.date(2019, 8, 13),
        "grandfathered_before": dt.date(2019, 8, 13),
        "guidance": "Take the units out of service, record their disposal, and report under FAR 52.204-25(d).",
    },
    {
        "code": "ndaa889-b-use",
        "name": "NDAA s.889 Part B / FCC Covered List: covered equipment in use",
        "description": "From 13 Aug 2020 agencies may not contract with entities that use covered "
                       "telecommunications or video surveillance equipment; the FCC Covered List (47 CFR "
                       "1.50002) names the same companies and their subsidiaries and affiliates (video "
                       "surveillance of Hikvision, Dahua, Hytera to the extent used for public safety, "
                       "government facilities and critical infrastructure; all telecom equipment of Huawei and "
                       "ZTE). Replace units in use, whatever their installation date.",
        "citation": "NDAA FY2019 s.889(a)(1)(B); FAR 52.204-24/-25/-26; 47 CFR 1.50002 (FCC Covered List, "
                    "first entries 2021-03-12)",
        "citation_url": "https://www.fcc.gov/supplychain/coveredlist",
        "basis": RuleBasis.FINDING, "regimes": ["us_ndaa", "us_fcc"], "categories": VIDEO_TELECOM,
        "action": Action.REPLACE, "deadline_date": dt.date(2020, 8, 13),
        "guidance": "Replace with equipment from a vendor that is not covered; keep the removal evidence.",
    },
    {
        "code": "dod1260h-contracting",
        "name": "DoD 1260H: no direct contracts with listed Chinese military companies (from 30 Jun 2026)",
        "description": "DoD may not contract directly with entities on the s.1260H list from 30 June 2026. "
                       "For installed equipment: end service, maintenance and remote-support agreements with the "
                       "listed company and cut its remote access. Dates: verify.",
        "citation": "NDAA FY2021 s.1260H (list); NDAA FY2024 (P.L. 118-31) s.805 (prohibition dates; verify)",
        "citation_url": "https://www.congress.gov/118/plaws/publ31/PLAW-118publ31.pdf",
        "requires_verification": True,
        "basis": RuleBasis.FINDING, "regimes": ["us_dod"],
        "action": Action.MITIGATE, "deadline_date": dt.date(2026, 6, 30),
        "guidance": "Terminate or novate service contracts with the listed company; disconnect its remote access.",
    },
    {
        "code": "dod1260h-products",
        "name": "DoD 1260H: no products containing listed companies' goods (from 30 Jun 2027)",
        "description": "From 30 June 2027 DoD may not procure goods or services that include goods of an entity "
                       "on the s.1260H list (directly or through a component). Replace affected units by then. "
                       "Dates: verify.",
        "citation": "NDAA FY2024 (P.L. 118-31) s.805 (indirect prohibition from 2027-06-30; verify)",
        "citation_url": "https://www.congress.gov/118/plaws/publ31/PLAW-118publ31.pdf",
        "requires_verification": True,
        "basis": RuleBasis.FINDING, "regimes": ["us_dod"],
        "action": Action.REPLACE, "deadline_date": dt.date(2027, 6, 30),
        "guidance": "Budget and schedule the replacement before the statutory date.",
    },
    {
        "code": "bis-entity-list",
        "name": "BIS Entity List vendor: replace within a year",
        "description": "The vendor (or its owner) is on the Commerce Entity List (15 CFR 744 Supp. 4): exports "
                       "to it need a licence, so support, spares and updates are at risk, and the listing marks "
                       "a national-security concern. Registry policy (not a statutory deadline): replace within "
                       "365 days of listing or discovery, whichever is later.",
        "citation": "15 CFR Part 744, Supplement No. 4 (Entity List)",
        "citation_url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-744/"
                        "appendix-Supplement%20No.%204%20to%20Part%20744",
        "basis": RuleBasis.FINDING, "regimes": ["us_bis"],
        "action": Action.REPLACE, "deadline_days": 365,
        "deadline_anchor": DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY,
    },
    {
        "code": "csl-entity-list",
        "name": "Entity List (through the Consolidated Screening List): replace within a year",
        "description": "As bis-entity-list, for findings on the Entity List sub-list of the US Consolidated "
                       "Screening List.",
        "citation": "15 CFR Part 744, Supplement No. 4 (Entity List), via the trade.gov Consolidated Screening List",
        "citation_url": "https://www.trade.gov/consolidated-screening-list",
        "basis": RuleBasis.FINDING, "regimes": ["us_csl"], "sub_list_contains": "Entity List",
        "action": Action.REPLACE, "deadline_days": 365,
        "deadline_anchor": DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY,
    },
    {
        "code": "sanctions-blocked-party",
        "name": "Blocked party (SDN, EU/UK/UN asset freeze): stop all dealings within 30 days",
        "description": "The vendor or an owner is a blocked person (OFAC SDN and the 50 Percent Rule; EU, UK "
                       "'owned or controlled'; UN). Payments, service and support contracts are prohibited: "
                       "stop them and cut the vendor's access; plan the replacement.",
        "citation": "31 CFR Part 501 and program regulations (OFAC); Council Reg. (EU) 269/2014 and others; "
                    "UK Sanctions and Anti-Money Laundering Act 2018; UN Security Council resolutions",
        "citation_url": "https://ofac.treasury.gov/specially-designated-nationals-and-blocked-persons-list-sdn-"
                        "human-readable-lists",
        "basis": RuleBasis.FINDING, "regimes": ["us_ofac", "eu", "uk", "un"], "finding_statuses": ["prohibited"],
        "action": Action.MITIGATE, "deadline_days": 30, "deadline_anchor": DeadlineAnchor.DISCOVERY,
    },
    {
        "code": "coc-vendor-remote-access",
        "name": "Country of concern with vendor remote access: disconnect / segment within 90 days",
        "description": "The manufacturer, software supplier, an owner (at any level up the chain) or the place "
                       "of manufacture is in a foreign-adversary country of 15 CFR 791.4, and the unit is "
                       "reachable by its vendor. Flags e.g. PRC-made ship-to-shore cranes with vendor remote "
                       "access even when no list names their maker. Disconnect vendor remote access, segment the "
                       "network, monitor. Venezuela: the rule names the Maduro regime, so review VE cases.",
        "citation": "15 CFR 791.4 (foreign adversaries); EO 14116 (2024-02-21); USCG MARSEC Directive 105-4 "
                    "(cyber risk management for PRC-manufactured STS cranes)",
        "citation_url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-E/part-791/"
                        "subpart-A/section-791.4",
        "basis": RuleBasis.COUNTRY, "countries": list(FOREIGN_ADVERSARY_COUNTRIES),
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.SOFTWARE_SUPPLIER, CountryTest.COMPONENT,
                          CountryTest.ULTIMATE_OWNER, CountryTest.PLACE_OF_MANUFACTURE],
        "connectivities": [Connectivity.VENDOR_REMOTE],
        "action": Action.MITIGATE, "deadline_days": 90, "deadline_anchor": DeadlineAnchor.DISCOVERY,
        "guidance": "Disconnect the vendor's remote access (modems, VPN accounts), segment the unit's network, "
                    "log and review any remote session that remains necessary.",
    },
    {
        "code": "coc-critical-site-review",
        "name": "Country of concern at a high or critical site: risk review within a year",
        "description": "The manufacturer, software supplier or an owner is in a foreign-adversary country of 15 "
                       "CFR 791.4 and the unit is at a high- or critical-criticality site. Monitor: document a "
                       "risk assessment and the unit's network exposure.",
        "citation": "15 CFR 791.4 (foreign adversaries); EO 13873 (ICTS supply chain)",
        "citation_url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-E/part-791/"
                        "subpart-A/section-791.4",
        "basis": RuleBasis.COUNTRY, "countries": list(FOREIGN_ADVERSARY_COUNTRIES),
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.SOFTWARE_SUPPLIER, CountryTest.ULTIMATE_OWNER],
        "site_criticalities": [Criticality.HIGH, Criticality.CRITICAL],
        "action": Action.MONITOR, "deadline_days": 365, "deadline_anchor": DeadlineAnchor.DISCOVERY,
    },
]

for _rule in DEFAULT_RULES:  # store plain strings in JSON fields
    for _key in ("categories", "country_tests", "connectivities", "site_criticalities"):
        if _key in _rule:
            _rule[_key] = [str(v) for v in _rule[_key]]
    for _key in ("basis", "action", "deadline_anchor"):
        if _key in _rule:
            _rule[_key] = str(_rule[_key])
