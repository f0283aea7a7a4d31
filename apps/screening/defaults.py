"""Default risk policies and propagation rules, seeded by migration 0002 and by `screening_defaults_ensure`.

These are data: admins edit them in the admin afterwards and re-seeding never overwrites an existing row
(looked up by name / propagation key). Sources are cited; "verify" marks facts not read from a primary text.
"""
from __future__ import annotations

import datetime as dt

# Telecommunications and video-surveillance equipment: what NDAA s.889(f)(3) covers for Huawei, ZTE, Hytera,
# Hikvision and Dahua. The FCC Covered List is a separate basis whose entries each state their own scope and date
# (ListEntry.scope_categories): where an entry states one, it replaces these categories for that entry's findings.
# Drones are covered by the FCC's December 2025 UAS entry (a product category, not a named entity).
NDAA_889_CATEGORIES = ["camera", "nvr_vms", "network", "telecom_module"]
FCC_COVERED_CATEGORIES = [*NDAA_889_CATEGORIES, "drone"]

# (name, regime, source_code, sub_list_pattern, status, categories, other_status, propagation, priority,
#  effective_from, effective_until, citation)
DEFAULT_POLICIES: list[tuple] = [
    ("FCC Covered List: covered equipment prohibited", "us_fcc", "", "", "prohibited", FCC_COVERED_CATEGORIES,
     "restricted", "", 10, dt.date(2021, 3, 12), None,
     "47 CFR 1.50002; FCC Covered List (fcc.gov/supplychain/coveredlist); no new authorisations since 2023-02-06"),
    ("NDAA FY2019 s.889: covered telecom/video equipment prohibited", "us_ndaa", "", r"889", "prohibited",
     NDAA_889_CATEGORIES, "restricted", "", 20, dt.date(2019, 8, 13), None,
     "Pub. L. 115-232 s.889; FAR 52.204-24/-25/-26"),
    ("NDAA named companies (other sections): restricted", "us_ndaa", "", "", "restricted", [], "", "", 10, None,
     None, "NDAA FY2023 s.5949, FY2024 s.154 (procurement restrictions with their own dates; verify)"),
    # The list names the subsidiaries it covers; the FY2024 NDAA s.805 contracting ban also reaches entities a
    # listed company controls (verify), so controlled/majority-owned subsidiaries are derived, as a red flag.
    ("DoD 1260H Chinese military companies: restricted", "us_dod", "", "", "restricted", [], "",
     "subsidiary_affiliate", 10, None, None,
     "NDAA FY2021 s.1260H; NDAA FY2024 s.805: DoD contracting bans from June 2026 / June 2027, incl. entities "
     "controlled by a listed company (verify)"),
    ("BIS Entity List: restricted", "us_bis", "", "", "restricted", [], "", "", 10, None, None,
     "15 CFR 744 Supp. 4"),
    ("OFAC Consolidated (non-SDN) lists: restricted", "us_ofac", "ofac_cons", "", "restricted", [], "", "", 5, None,
     None, "OFAC Consolidated Sanctions List (non-SDN)"),
    ("OFAC SDN: prohibited (blocked)", "us_ofac", "", "", "prohibited", [], "", "", 0, None, None,
     "31 CFR Chapter V; OFAC 50 Percent Rule (FAQs 398-401)"),
    ("OFAC NS-CMIC / CMIC: restricted (securities)", "us_ofac", "", r"CMIC|CCMC|EO13959|EO14032", "restricted", [],
     "", "named_only", 20, None, None, "EO 13959 as amended by EO 14032"),
    ("OFAC non-SDN sectoral and menu-based lists: restricted", "us_ofac", "",
     r"\bSSI\b|\bPLC\b|NS-MBS|\bFSE\b|CAPTA|\bCAP\b", "restricted", [], "", "named_only", 15, None, None,
     "OFAC non-SDN lists"),
    ("CSL: SDN entries prohibited (blocked)", "us_csl", "", r"(?<!non-)\bSDN\b|specially designated nationals",
     "prohibited", [], "", "ofac_50", 30, None, None, "US Consolidated Screening List, SDN sub-list"),
    ("CSL: NS-CMIC entries restricted", "us_csl", "", r"CMIC", "restricted", [], "", "named_only", 35, None, None,
     "US Consolidated Screening List, CMIC sub-list"),
    ("CSL: Entity List restricted (Affiliates Rule)", "us_csl", "", r"entity list|\(EL\)|^EL$", "restricted", [], "",
     "bis_affiliates_50", 30, None, None, "US Consolidated Screening List, BIS Entity List; 15 CFR 744"),
    ("CSL: other sub-lists restricted", "us_csl", "", "", "restricted", [], "", "named_only", 0, None, None,
     "US Consolidated Screening List (MEU, DPL, UVL, ISN, DTC, SSI, FSE, CAP, NS-MBS, PLC)"),
    ("EU financial sanctions: prohibited (asset freeze)", "eu", "", "", "prohibited", [], "", "", 0, None, None,
     "EU consolidated financial sanctions list; 'owned or controlled'"),
    ("UK sanctions: prohibited (asset freeze)", "uk", "", "", "prohibited", [], "", "", 0, None, None,
     "UK sanctions list / OFSI consolidated list; 'owned or controlled'"),
    ("UN Security Council sanctions: prohibited", "un", "", "", "prohibited", [], "", "", 0, None, None,
     "UN Security Council consolidated list"),
    ("OpenSanctions: restricted", "opensanctions", "", "", "restricted", [], "", "", 0, None, None,
     "OpenSanctions data (CC BY-NC)"),
    ("In-house list: restricted", "custom", "", "", "restricted", [], "", "", 0, None, None,
     "The organisation's own list"),
    ("Any other list: restricted", "", "", "", "restricted", [], "", "", -100, None, None, "Fallback"),
]

# One mechanism, three separate bases, each cited on its own (the label names the mechanism, not a regime).
SUBSIDIARY_AFFILIATE_CITATION = (
    "Per basis: NDAA FY2019 s.889(f)(3) ('any subsidiary or affiliate of such entities'); FCC Covered List: as "
    "each entry words it (47 CFR 1.50002; e.g. Kaspersky's 'predecessors, successors, parents, subsidiaries, or "
    "affiliates'); DoD 1260H: NDAA FY2024 s.805, entities controlled by a listed company (verify); FAR 2.101 "
    "affiliates"
)

# (propagation, threshold, inclusive, control_counts, effective_from, suspended_from, suspended_until,
#  needs_verification, citation, notes)
DEFAULT_PROPAGATION_RULES: list[tuple] = [
    ("ofac_50", "50", True, False, None, None, None, False,
     "OFAC FAQs 398-401 (50 Percent Rule, 2014 guidance)",
     "Aggregate of blocked owners, direct or through entities themselves 50%+ owned by blocked persons; "
     "ownership only, not control; percentages are not multiplied along the path."),
    ("owned_or_controlled", "50", False, True, None, None, None, False,
     "EU Best Practices for the implementation of restrictive measures (owned: more than 50%; control); "
     "UK OFSI guidance on ownership and control",
     "More than 50% ownership, or control (e.g. control links) counts."),
    ("subsidiary_affiliate", "50", False, True, None, None, None, True,
     SUBSIDIARY_AFFILIATE_CITATION,
     "Majority-owned or controlled subsidiaries inherit the listing. Sister companies under common control "
     "are not derived automatically (record them as their own entries or ownership links)."),
    ("bis_affiliates_50", "50", True, False, dt.date(2025, 9, 29), dt.date(2025, 11, 10), dt.date(2026, 11, 9), True,
     "BIS Affiliates Rule (90 FR, 2025-09-29), suspended 2025-11-10 to 2026-11-09 (verify)",
     "Entities 50%+ owned (aggregate) by Entity List parties. Ownership unknown is a red flag, not a pass."),
    ("named_only", "50", True, False, None, None, None, False, "", "The listing reaches only the named entity."),
]
