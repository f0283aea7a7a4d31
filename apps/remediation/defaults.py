"""The default policy rule set: the obligations a public body, port or airport operator may be bound by on day
one, each scoped to whom it binds (jurisdiction, organisation kind) and with its own deadline model. Data only
(used by the data migrations and `manage.py remediation_seed_rules`); curators edit the rows afterwards, and
seeding never overwrites a rule that was edited. Sources, what binds whom and which facts were verified against
the primary source: docs/remediation.md ("Default rules").

`verified` (not a model field; the table in the docs shows it) lists the facts read from the primary source;
`requires_verification` is set where any date or scope was not.
"""
import datetime as dt

from apps.accounts.choices import LegalKind as K
from apps.inventory.choices import ConnectivityFact as Net
from apps.inventory.choices import Criticality
from apps.inventory.choices import EquipmentCategory as Cat

from .choices import FOREIGN_ADVERSARY_COUNTRIES, Action, CountryTest, DeadlineAnchor, DeadlineKind, Obligation
from .choices import RuleBasis as B

# "Covered telecommunications equipment" (NDAA s.889(f)(3)): telecom and video surveillance equipment (cameras,
# recorders, intercom/access control with video, network and radio gear).
VIDEO_TELECOM = [Cat.CAMERA, Cat.NVR_VMS, Cat.ACCESS_CONTROL, Cat.NETWORK, Cat.TELECOM_MODULE]
VIDEO_SURVEILLANCE = [Cat.CAMERA, Cat.NVR_VMS, Cat.ACCESS_CONTROL]
# The five companies s.889(f)(3) names (and, through the finding's path, their subsidiaries and affiliates).
S889_NAMED = ["Huawei", "ZTE", "Hytera", "Hikvision", "Dahua"]
PRC = ["CN", "HK", "MO"]
US_FEDERAL = [K.US_FEDERAL_EXECUTIVE, K.DOD_COMPONENT]

DEFAULT_RULES: list[dict] = [
    {
        "code": "ndaa889-a-procurement",
        "name": "NDAA s.889(a)(1)(A): do not procure covered equipment (since 13 Aug 2019)",
        "description": "Executive agencies may not procure or obtain, or extend or renew a contract to procure or "
                       "obtain, equipment, systems or services that use covered telecommunications equipment (of "
                       "Huawei, ZTE, Hytera, Hikvision, Dahua and their subsidiaries and affiliates) as a substantial "
                       "or essential component; contractors may not provide it (FAR 52.204-25). It sets no date by "
                       "which installed units must go: the plan's date is the organisation's own target.",
        "citation": "John S. McCain NDAA FY2019 (P.L. 115-232) s.889(a)(1)(A), (c)(1); FAR 52.204-25",
        "citation_url": "https://www.congress.gov/115/plaws/publ232/PLAW-115publ232.pdf",
        "verified": "statute text: prohibition, named companies, in force 1 year after enactment (2018-08-13)",
        "basis": B.FINDING, "regimes": ["us_ndaa", "us_fcc"], "names_any": S889_NAMED, "categories": VIDEO_TELECOM,
        "jurisdictions": ["US"], "organization_kinds": [*US_FEDERAL, K.US_FEDERAL_CONTRACTOR],
        "obligation": Obligation.DO_NOT_PROCURE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2019, 8, 13),
        "guidance": "Buy no more of it; plan the replacement at the end of life or by your own target; report "
                    "covered equipment found in a contract's performance under FAR 52.204-25(d).",
    },
    {
        "code": "ndaa889-b-use",
        "name": "NDAA s.889(a)(1)(B): contractors using covered equipment (since 13 Aug 2020)",
        "description": "Executive agencies may not contract with an entity that uses covered telecommunications "
                       "equipment as a substantial or essential component of any system (FAR 52.204-24/-26 "
                       "representations). Binds the contractor in practice: replace the units to stay eligible. No "
                       "statutory removal date.",
        "citation": "NDAA FY2019 (P.L. 115-232) s.889(a)(1)(B), (c)(2); FAR 52.204-24, 52.204-26",
        "citation_url": "https://www.congress.gov/115/plaws/publ232/PLAW-115publ232.pdf",
        "verified": "statute text: prohibition, in force 2 years after enactment",
        "basis": B.FINDING, "regimes": ["us_ndaa", "us_fcc"], "names_any": S889_NAMED, "categories": VIDEO_TELECOM,
        "jurisdictions": ["US"], "organization_kinds": [K.US_FEDERAL_CONTRACTOR],
        "obligation": Obligation.REMOVE_OR_REPLACE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2020, 8, 13),
        "guidance": "Replace with equipment from a vendor that is not covered; keep the removal evidence for the "
                    "FAR 52.204-24/-26 representation.",
    },
    {
        "code": "cfr200-216-grants",
        "name": "2 CFR 200.216: no covered equipment bought with federal grant or loan funds",
        "description": "Recipients and subrecipients of federal grants and loans may not use the funds to procure "
                       "or obtain covered telecommunications equipment or services (s.889 named companies). A "
                       "procurement ban: no removal date.",
        "citation": "2 CFR 200.216 (OMB revision of 2 CFR 200, Aug 2020)",
        "citation_url": "https://www.ecfr.gov/current/title-2/subtitle-A/chapter-II/part-200/subpart-C/"
                        "section-200.216",
        "verified": "prohibition text; effective date not read from the Federal Register notice (verify)",
        "requires_verification": True,
        "basis": B.FINDING, "regimes": ["us_ndaa", "us_fcc"], "names_any": S889_NAMED, "categories": VIDEO_TELECOM,
        "jurisdictions": ["US"], "organization_kinds": [K.US_FEDERAL_CONTRACTOR],
        "obligation": Obligation.DO_NOT_PROCURE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2020, 8, 13),
    },
    {
        "code": "fcc-covered-list-authorization",
        "name": "FCC Covered List: no new equipment authorisations for covered equipment (since 6 Feb 2023)",
        "description": "Equipment on the FCC Covered List (per entry: its own scope and date of addition) can no "
                       "longer be authorised for import or marketing in the US. Binds makers and sellers; for an "
                       "operator it means: buy no more of it (the entry's scope decides which units). No removal "
                       "date for operators outside the Reimbursement Program.",
        "citation": "47 CFR 1.50002 (Covered List); FCC 22-84, Report and Order (equipment authorisation), "
                    "effective 6 Feb 2023",
        "citation_url": "https://www.fcc.gov/supplychain/coveredlist",
        "verified": "Covered List entries and dates (fcc.gov); effective date of FCC 22-84 as published in the "
                    "Federal Register",
        "basis": B.FINDING, "regimes": ["us_fcc"], "respect_entry_scope": True, "jurisdictions": ["US"],
        "obligation": Obligation.DO_NOT_PROCURE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2023, 2, 6),
    },
    {
        "code": "dod1260h-contracting",
        "name": "FY2024 NDAA s.805: DoD may not contract with 1260H companies (from 30 Jun 2026)",
        "description": "The Department of Defense may not enter into contracts with entities on the s.1260H list "
                       "from 30 June 2026. Binds DoD components only. For installed units: no new service or "
                       "maintenance contracts with the listed company. Dates: verify.",
        "citation": "NDAA FY2021 s.1260H (list); NDAA FY2024 (P.L. 118-31) s.805",
        "citation_url": "https://www.congress.gov/118/plaws/publ31/PLAW-118publ31.pdf",
        "verified": "", "requires_verification": True,
        "basis": B.FINDING, "regimes": ["us_dod"], "jurisdictions": ["US"], "organization_kinds": [K.DOD_COMPONENT],
        "obligation": Obligation.DO_NOT_PROCURE, "action": Action.MITIGATE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2026, 6, 30),
        "guidance": "Do not renew or novate service contracts with the listed company; cut its remote access.",
    },
    {
        "code": "dod1260h-products",
        "name": "FY2024 NDAA s.805: DoD may not buy goods containing 1260H companies' goods (from 30 Jun 2027)",
        "description": "From 30 June 2027 DoD may not procure goods or services that include goods of an entity on "
                       "the s.1260H list (directly or as a component). Binds DoD components only. Dates: verify.",
        "citation": "NDAA FY2024 (P.L. 118-31) s.805",
        "citation_url": "https://www.congress.gov/118/plaws/publ31/PLAW-118publ31.pdf",
        "verified": "", "requires_verification": True,
        "basis": B.FINDING, "regimes": ["us_dod"], "jurisdictions": ["US"], "organization_kinds": [K.DOD_COMPONENT],
        "obligation": Obligation.DO_NOT_PROCURE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2027, 6, 30),
        "guidance": "Budget and schedule the replacement; buy no goods containing the listed company's goods.",
    },
    {
        "code": "marsec-105-4-sts-cranes",
        "name": "USCG MARSEC Directive 105-4: cyber risk management for PRC-manufactured STS cranes",
        "description": "Owners and operators of ship-to-shore cranes manufactured by PRC companies at MTSA-regulated "
                       "facilities must take cyber risk-management actions (issued with EO 14116, Feb 2024). The "
                       "directive is security-sensitive information: its actions and timelines are not public, so "
                       "the plan's date is the organisation's own target. Obtain the directive from the Coast Guard "
                       "Captain of the Port.",
        "citation": "USCG MARSEC Directive 105-4 (Feb 2024), under 33 CFR 6 as amended by EO 14116 (21 Feb 2024)",
        "citation_url": "https://www.federalregister.gov/presidential-documents/executive-orders",
        "verified": "EO 14116 date; the directive's existence and subject (Coast Guard announcement); its content "
                    "is SSI",
        "requires_verification": True,
        "basis": B.COUNTRY, "countries": PRC,
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.ULTIMATE_OWNER],
        "categories": [Cat.STS_CRANE], "jurisdictions": ["US"], "organization_kinds": [K.MTSA_PORT_FACILITY],
        "obligation": Obligation.MITIGATE, "action": Action.MITIGATE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2024, 2, 21),
        "guidance": "Follow the directive (from the Captain of the Port): inventory the crane's connections, "
                    "disconnect or control vendor remote access, segment its network.",
    },
    {
        "code": "marsec-105-5-sts-cranes",
        "name": "USCG MARSEC Directive 105-5: PRC-manufactured STS cranes with remote access",
        "description": "A further Coast Guard directive on the cyber risk of PRC-manufactured STS cranes (reported "
                       "Nov 2024). Security-sensitive information: date, scope and actions not verified; recorded "
                       "here for cranes reachable from outside (vendor remote access, cellular modem, internet).",
        "citation": "USCG MARSEC Directive 105-5 (reported Nov 2024; verify)",
        "citation_url": "https://www.dco.uscg.mil/Our-Organization/Assistant-Commandant-for-Prevention-Policy-CG-5P/"
                        "Inspections-Compliance-CG-5PC-/Office-of-Port-Facility-Compliance/",
        "verified": "", "requires_verification": True,
        "basis": B.COUNTRY, "countries": PRC,
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.ULTIMATE_OWNER],
        "categories": [Cat.STS_CRANE], "jurisdictions": ["US"], "organization_kinds": [K.MTSA_PORT_FACILITY],
        "connectivity_any": [Net.VENDOR_REMOTE_ACCESS, Net.CELLULAR_MODEM, Net.INTERNET_CONNECTED],
        "obligation": Obligation.MITIGATE, "action": Action.MITIGATE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2024, 11, 1),
        "guidance": "Disconnect the vendor's remote access (modems, VPN accounts) unless the directive allows it.",
    },
    {
        "code": "bis-entity-list",
        "name": "BIS Entity List vendor: replace within a year (registry policy)",
        "description": "The vendor (or its OEM maker) is on the Commerce Entity List (15 CFR 744 Supp. 4): exports "
                       "to it need a licence, so support, spares and updates are at risk. Registry policy, not a "
                       "legal deadline: replace within 365 days of listing or discovery, whichever is later.",
        "citation": "15 CFR Part 744, Supplement No. 4 (Entity List)",
        "citation_url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-C/part-744/"
                        "appendix-Supplement%20No.%204%20to%20Part%20744",
        "verified": "list and its legal effect (licence requirement)",
        "basis": B.FINDING, "regimes": ["us_bis"], "finding_kinds": ["direct", "oem"],
        "obligation": Obligation.REMOVE_OR_REPLACE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.RELATIVE,
        "deadline_days": 365, "deadline_anchor": DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY,
    },
    {
        "code": "csl-entity-list",
        "name": "Entity List (through the Consolidated Screening List): replace within a year (registry policy)",
        "description": "As bis-entity-list, for findings on the Entity List sub-list of the US Consolidated "
                       "Screening List.",
        "citation": "15 CFR Part 744, Supplement No. 4 (Entity List), via the trade.gov Consolidated Screening List",
        "citation_url": "https://www.trade.gov/consolidated-screening-list",
        "verified": "list and its legal effect",
        "basis": B.FINDING, "regimes": ["us_csl"], "sub_list_contains": "Entity List",
        "finding_kinds": ["direct", "oem"],
        "obligation": Obligation.REMOVE_OR_REPLACE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.RELATIVE,
        "deadline_days": 365, "deadline_anchor": DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY,
    },
    {
        "code": "bis-affiliates-rule",
        "name": "BIS Affiliates Rule: 50%-owned affiliates of Entity List / MEU parties (suspended to 9 Nov 2026)",
        "description": "Entities owned 50% or more, individually or in aggregate, directly or indirectly, by parties "
                       "on the Entity List or the Military End-User List (and certain SDN-listed parties subject to "
                       "15 CFR 744.8) are subject to the same licence requirements. In force 29 Sep 2025, suspended "
                       "10 Nov 2025 to 9 Nov 2026. Ownership unknown is a red flag, not a pass. Registry policy: "
                       "replace within a year. Dates: verify. SDN parties under 744.8 are not told apart by the "
                       "lists here; review OFAC ownership findings by hand.",
        "citation": "15 CFR 734.9/744.11 as amended by BIS interim final rule 'Expansion of End-User Controls To "
                    "Cover Affiliates of Certain Listed Entities' (29 Sep 2025); suspension (10 Nov 2025)",
        "citation_url": "https://www.bis.gov/",
        "verified": "", "requires_verification": True,
        "basis": B.FINDING, "regimes": ["us_bis", "us_csl"], "finding_kinds": ["ownership"],
        "obligation": Obligation.REMOVE_OR_REPLACE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.RELATIVE,
        "deadline_days": 365, "deadline_anchor": DeadlineAnchor.LATER_OF_LISTING_OR_DISCOVERY,
        "effective_from": dt.date(2025, 9, 29),
        "suspended_from": dt.date(2025, 11, 10), "suspended_until": dt.date(2026, 11, 9),
    },
    {
        "code": "sanctions-blocked-party",
        "name": "Blocked party (SDN, EU/UK/UN asset freeze): stop all dealings within 30 days (registry policy)",
        "description": "The vendor or an owner is a blocked person (OFAC SDN and the 50 Percent Rule; EU, UK "
                       "'owned or controlled'; UN). Payments, service and support contracts are prohibited at once; "
                       "the 30 days are the registry's period to cut access and stop them.",
        "citation": "31 CFR Part 501 and program regulations (OFAC); Council Reg. (EU) 269/2014 and others; "
                    "UK Sanctions and Anti-Money Laundering Act 2018; UN Security Council resolutions",
        "citation_url": "https://ofac.treasury.gov/specially-designated-nationals-and-blocked-persons-list-sdn-"
                        "human-readable-lists",
        "verified": "blocking effect of the lists",
        "basis": B.FINDING, "regimes": ["us_ofac", "eu", "uk", "un"], "finding_statuses": ["prohibited"],
        "obligation": Obligation.MITIGATE, "action": Action.MITIGATE, "deadline_kind": DeadlineKind.RELATIVE,
        "deadline_days": 30, "deadline_anchor": DeadlineAnchor.DISCOVERY,
    },
    {
        "code": "coc-vendor-remote-access",
        "name": "Country of concern with vendor remote access: disconnect / segment within 90 days (registry policy)",
        "description": "The manufacturer, software supplier, an owner (at any level up the chain) or the place "
                       "of manufacture is in a foreign-adversary country of 15 CFR 791.4, and the unit is "
                       "reachable by its vendor. Flags e.g. PRC-made ship-to-shore cranes with vendor remote "
                       "access even when no list names their maker. Venezuela: the rule names the Maduro regime.",
        "citation": "15 CFR 791.4 (foreign adversaries); EO 14116 (21 Feb 2024)",
        "citation_url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-E/part-791/"
                        "subpart-A/section-791.4",
        "verified": "the list of foreign adversaries in 15 CFR 791.4",
        "basis": B.COUNTRY, "countries": list(FOREIGN_ADVERSARY_COUNTRIES),
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.SOFTWARE_SUPPLIER, CountryTest.COMPONENT,
                          CountryTest.ULTIMATE_OWNER, CountryTest.PLACE_OF_MANUFACTURE],
        "jurisdictions": ["US"], "connectivity_any": [Net.VENDOR_REMOTE_ACCESS],
        "obligation": Obligation.MITIGATE, "action": Action.MITIGATE, "deadline_kind": DeadlineKind.RELATIVE,
        "deadline_days": 90, "deadline_anchor": DeadlineAnchor.DISCOVERY,
        "guidance": "Disconnect the vendor's remote access (modems, VPN accounts), segment the unit's network, "
                    "log and review any remote session that remains necessary.",
    },
    {
        "code": "coc-critical-site-review",
        "name": "Country of concern at a high or critical site: risk review within a year (registry policy)",
        "description": "The manufacturer, software supplier or an owner is in a foreign-adversary country of 15 "
                       "CFR 791.4 and the unit is at a high- or critical-criticality site: document a risk "
                       "assessment and the unit's network exposure.",
        "citation": "15 CFR 791.4 (foreign adversaries); EO 13873 (ICTS supply chain)",
        "citation_url": "https://www.ecfr.gov/current/title-15/subtitle-B/chapter-VII/subchapter-E/part-791/"
                        "subpart-A/section-791.4",
        "verified": "the list of foreign adversaries in 15 CFR 791.4",
        "basis": B.COUNTRY, "countries": list(FOREIGN_ADVERSARY_COUNTRIES),
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.SOFTWARE_SUPPLIER, CountryTest.ULTIMATE_OWNER],
        "site_criticalities": [Criticality.HIGH, Criticality.CRITICAL], "jurisdictions": ["US"],
        "obligation": Obligation.REPORT, "action": Action.MONITOR, "deadline_kind": DeadlineKind.RELATIVE,
        "deadline_days": 365, "deadline_anchor": DeadlineAnchor.DISCOVERY,
    },
    {
        "code": "au-covered-surveillance-2023",
        "name": "Australia 2023: remove Hikvision/Dahua surveillance equipment from Commonwealth sites",
        "description": "After the Feb 2023 audit (913 cameras, NVRs and intercoms at more than 250 Commonwealth "
                       "sites) the Government directed their removal; some were replaced at once, and 'by April' "
                       "set for the rest. Staged quota: the date applies until the stage's count of units is done. "
                       "The direction's instrument, exact dates and scope were not read from a primary source: "
                       "verify before relying on them.",
        "citation": "Australian Government, direction on covered surveillance equipment at Commonwealth sites "
                    "(2023; instrument and dates to verify); Senate Hansard 9 Feb 2023",
        "citation_url": "https://www.protectivesecurity.gov.au/",
        "verified": "", "requires_verification": True,
        "basis": B.FINDING, "names_any": ["Hikvision", "Dahua"], "categories": VIDEO_SURVEILLANCE,
        "jurisdictions": ["AU"], "organization_kinds": [K.AU_COMMONWEALTH_ENTITY],
        "obligation": Obligation.REMOVE_OR_REPLACE, "action": Action.REPLACE, "deadline_kind": DeadlineKind.STAGED,
        "staged_deadlines": [{"date": "2023-04-30", "count": 40, "note": "'by April' for 40 more (verify)"}],
        "effective_from": dt.date(2023, 2, 9),
        "guidance": "Replace the units; where a landlord runs them, raise it with the landlord.",
    },
    {
        "code": "uk-surveillance-sensitive-sites-2022",
        "name": "UK 2022: no PRC surveillance systems deployed onto sensitive government sites",
        "description": "Departments must cease deploying visual surveillance systems produced by companies subject "
                       "to the PRC's National Intelligence Law onto sensitive sites, not connect such equipment to "
                       "core departmental networks, and consider removing it before scheduled upgrades. No "
                       "removal date. 'Sensitive sites' are approximated by high and critical sites.",
        "citation": "Chancellor of the Duchy of Lancaster, written ministerial statement 'Security Update to "
                    "Government Surveillance Systems' (24 Nov 2022)",
        "citation_url": "https://questions-statements.parliament.uk/written-statements",
        "verified": "date and content of the statement (from memory of the statement; re-read it)",
        "requires_verification": True,
        "basis": B.COUNTRY, "countries": PRC,
        "country_tests": [CountryTest.MANUFACTURER, CountryTest.BRAND, CountryTest.ULTIMATE_OWNER],
        "categories": VIDEO_SURVEILLANCE, "site_criticalities": [Criticality.HIGH, Criticality.CRITICAL],
        "jurisdictions": ["GB"], "organization_kinds": [K.UK_CENTRAL_GOVERNMENT],
        "obligation": Obligation.DO_NOT_PROCURE, "action": Action.MITIGATE, "deadline_kind": DeadlineKind.NONE,
        "effective_from": dt.date(2022, 11, 24),
        "guidance": "Deploy no more; keep the units off core networks; consider removal before the next upgrade.",
    },
    {
        "code": "uk-tsa-huawei-5g",
        "name": "UK Telecommunications (Security) Act: Huawei designated vendor direction (out of 5G by end 2027)",
        "description": "Directions of 13 Oct 2022 to 35 public communications providers: no new Huawei equipment in "
                       "5G; out of sites critical to national security by 28 Jan 2023; out of network cores by 31 "
                       "Dec 2023; capped at 35% of the full-fibre and 5G access network by 31 Oct 2023; out of 5G "
                       "networks by 31 Dec 2027 (the date used here). Interim milestones are per network function, "
                       "not unit counts: track them on the plan.",
        "citation": "Communications Act 2003 s.105Z1 (Telecommunications (Security) Act 2021); Huawei designation "
                    "notice and designated vendor directions (13 Oct 2022)",
        "citation_url": "https://www.gov.uk/government/publications/designation-notice-and-designated-vendor-"
                        "directions-huawei",
        "verified": "final date 31 Dec 2027 (GOV.UK response to consultation); interim dates from a copy of the "
                    "GOV.UK notice (verify)",
        "requires_verification": True,
        "basis": B.FINDING, "names_any": ["Huawei"], "categories": [Cat.NETWORK, Cat.TELECOM_MODULE],
        "jurisdictions": ["GB"], "organization_kinds": [K.UK_PUBLIC_TELECOMS_PROVIDER],
        "obligation": Obligation.REMOVE_OR_REPLACE, "action": Action.REMOVE, "deadline_kind": DeadlineKind.FIXED,
        "deadline_date": dt.date(2027, 12, 31), "effective_from": dt.date(2022, 10, 13),
    },
]

# Facts that stay out of the rows (the docs table shows them).
DEFAULT_RULE_NOTES = {r["code"]: r.pop("verified") for r in DEFAULT_RULES}

_LIST_KEYS = ("categories", "country_tests", "connectivities", "site_criticalities", "organization_kinds",
              "connectivity_any", "connectivity_none")
for _rule in DEFAULT_RULES:  # store plain strings in JSON fields
    for _key in _LIST_KEYS:
        if _key in _rule:
            _rule[_key] = [str(v) for v in _rule[_key]]
    for _key in ("basis", "action", "deadline_anchor", "obligation", "deadline_kind"):
        if _key in _rule:
            _rule[_key] = str(_rule[_key])
