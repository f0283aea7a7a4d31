"""The public list sources the registry knows out of the box, as data.

`list_sources_setup()` (run by `manage.py setup_lists`) creates the missing ones and never overwrites a
field an admin may have edited (URL, intervals, enabled...). URLs are the publishers' official https
download addresses as of 2026; an admin corrects them in the admin when a publisher moves a file.

The three US statutory lists (DoD 1260H, FCC Covered List, NDAA s.889) are not published as data files;
the project maintains them as CSV files in apps/lists/data/ (each row cites its official source), and
"refreshing" such a source re-imports the bundled file.
"""
from __future__ import annotations

from pathlib import Path

from .choices import Propagation, Regime

DATA_DIR = Path(__file__).resolve().parent / "data"

# code -> bundled file (sources without a download URL whose data ships with the project)
BUNDLED_FILES: dict[str, Path] = {
    "ndaa_889": DATA_DIR / "ndaa_889.csv",
    "fcc_covered": DATA_DIR / "fcc_covered.csv",
    "dod_1260h": DATA_DIR / "dod_1260h.csv",
}

DAY = 24
DEFAULT_SOURCES: list[dict] = [
    {
        "code": "ofac_sdn",
        "name": "OFAC Specially Designated Nationals (SDN) list",
        "publisher": "U.S. Department of the Treasury, Office of Foreign Assets Control",
        "regime": Regime.US_OFAC,
        "propagation": Propagation.OFAC_50,
        "format": "ofac_enhanced_xml",
        "url": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/SDN_ENHANCED.XML",
        "refresh_interval_hours": 6,
        "freshness_limit_hours": 2 * DAY,
    },
    {
        "code": "ofac_cons",
        "name": "OFAC Consolidated (non-SDN) lists, incl. NS-CMIC",
        "publisher": "U.S. Department of the Treasury, Office of Foreign Assets Control",
        "regime": Regime.US_OFAC,
        "propagation": Propagation.NAMED_ONLY,  # the 50% rule does not extend NS-CMIC listings
        "format": "ofac_enhanced_xml",
        "url": "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports/CONS_ENHANCED.XML",
        "refresh_interval_hours": 6,
        "freshness_limit_hours": 2 * DAY,
    },
    {
        "code": "us_csl",
        "name": "US Consolidated Screening List (trade.gov)",
        "publisher": "U.S. International Trade Administration",
        "regime": Regime.US_TRADE_CSL,
        "propagation": Propagation.BIS_AFFILIATES_50,  # screening refines per sub-list (Entity List, SDN...)
        "format": "us_csl_csv",
        "url": "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.csv",
        "refresh_interval_hours": 12,
        "freshness_limit_hours": 3 * DAY,
    },
    {
        "code": "un_sc",
        "name": "UN Security Council Consolidated List",
        "publisher": "United Nations Security Council",
        "regime": Regime.UN,
        "propagation": Propagation.OWNED_OR_CONTROLLED,
        "format": "un_sc_xml",
        "url": "https://scsanctions.un.org/resources/xml/en/consolidated.xml",
        "refresh_interval_hours": 12,
        "freshness_limit_hours": 3 * DAY,
    },
    {
        "code": "uk_ofsi",
        "name": "UK consolidated list of financial sanctions targets",
        "publisher": "HM Treasury, Office of Financial Sanctions Implementation",
        "regime": Regime.UK,
        "propagation": Propagation.OWNED_OR_CONTROLLED,
        "format": "uk_ofsi_csv",
        "url": "https://ofsistorage.blob.core.windows.net/publishlive/ConList.csv",
        "refresh_interval_hours": 12,
        "freshness_limit_hours": 3 * DAY,
    },
    {
        "code": "eu_fsf",
        "name": "EU consolidated list of financial sanctions (FSF)",
        "publisher": "European Commission (DG FISMA)",
        "regime": Regime.EU,
        "propagation": Propagation.OWNED_OR_CONTROLLED,
        "format": "eu_fsf_xml",
        # The Commission's public token for the full XML 1.1 file (documented on the FSF download page).
        "url": "https://webgate.ec.europa.eu/fsd/fsf/public/files/xmlFullSanctionsList_1_1/content?token=dG9rZW4tMjAxNw",
        "refresh_interval_hours": 12,
        "freshness_limit_hours": 3 * DAY,
    },
    {
        "code": "dod_1260h",
        "name": "DoD Section 1260H list of Chinese military companies",
        "publisher": "U.S. Department of Defense (project-maintained transcription)",
        "regime": Regime.US_DOD,
        "propagation": Propagation.NAMED_ONLY,  # the list names the subsidiaries it covers
        "format": "dod_1260h_csv",
        "url": "",
        "refresh_interval_hours": DAY,
        "freshness_limit_hours": 7 * DAY,
    },
    {
        "code": "fcc_covered",
        "name": "FCC Covered List (47 CFR 1.50002)",
        "publisher": "Federal Communications Commission (project-maintained transcription)",
        "regime": Regime.US_FCC,
        "propagation": Propagation.SUBSIDIARY_AFFILIATE,
        "format": "fcc_covered_csv",
        "url": "",
        "refresh_interval_hours": DAY,
        "freshness_limit_hours": 7 * DAY,
    },
    {
        "code": "ndaa_889",
        "name": "NDAA FY2019 Section 889 named companies",
        "publisher": "U.S. Congress (project-maintained transcription)",
        "regime": Regime.US_NDAA,
        "propagation": Propagation.SUBSIDIARY_AFFILIATE,
        "format": "ndaa_csv",
        "url": "",
        "refresh_interval_hours": DAY,
        "freshness_limit_hours": 7 * DAY,
    },
    {
        "code": "opensanctions",
        "name": "OpenSanctions consolidated sanctions (FollowTheMoney)",
        "publisher": "OpenSanctions (CC BY-NC 4.0: non-commercial use only without a licence)",
        "regime": Regime.OPENSANCTIONS,
        "propagation": Propagation.NAMED_ONLY,
        "format": "opensanctions_ftm",
        "url": "https://data.opensanctions.org/datasets/latest/sanctions/entities.ftm.json",
        "refresh_interval_hours": DAY,
        "freshness_limit_hours": 3 * DAY,
        # Off by default: the licence forbids commercial use without an agreement; an admin enables it.
        "enabled": False,
    },
]

CUSTOM_FORMAT = "custom_csv"
