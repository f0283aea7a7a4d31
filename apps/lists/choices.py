from django.db import models


class Regime(models.TextChoices):
    """The legal regime a list belongs to; decides how listing propagates through ownership.

    Each is its own legal basis: the FCC Covered List (Secure and Trusted Communications Networks Act, 47 CFR
    1.50002; per-entry scope and date) is not NDAA s.889 (companies named by statute, FY2019 NDAA s.889(f)(3)),
    even where both name the same five companies; DoD 1260H is a third."""

    US_OFAC = "us_ofac", "US Treasury OFAC"
    US_BIS = "us_bis", "US Commerce BIS"
    US_TRADE_CSL = "us_csl", "US Consolidated Screening List"
    US_FCC = "us_fcc", "US FCC Covered List (Secure Networks Act)"
    US_NDAA = "us_ndaa", "US NDAA named companies (s.889, s.5949, s.154)"
    US_DOD = "us_dod", "US DoD 1260H Chinese military companies"
    EU = "eu", "European Union"
    UK = "uk", "United Kingdom"
    UN = "un", "United Nations Security Council"
    OPENSANCTIONS = "opensanctions", "OpenSanctions"
    CUSTOM = "custom", "In-house list"


class Propagation(models.TextChoices):
    """How a listing reaches entities the listed party owns or controls. The labels name the mechanism, not a
    regime: several regimes share one (NDAA s.889, the FCC Covered List and DoD 1260H all use "subsidiaries and
    affiliates"); a finding names its regime next to the mechanism (apps.screening.engine.finding_derived)."""

    OFAC_50 = "ofac_50", "OFAC 50% rule (ownership, aggregate, not control)"
    OWNED_OR_CONTROLLED = "owned_or_controlled", "EU/UK owned or controlled"
    SUBSIDIARY_AFFILIATE = "subsidiary_affiliate", "Subsidiaries and affiliates (majority-owned or controlled)"
    BIS_AFFILIATES_50 = "bis_affiliates_50", "BIS Affiliates Rule (50%, dated)"
    NAMED_ONLY = "named_only", "Named entities only"


class VersionStatus(models.TextChoices):
    LOADING = "loading", "Loading"
    ACTIVE = "active", "Active"
    SUPERSEDED = "superseded", "Superseded"
    QUARANTINED = "quarantined", "Quarantined"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    ACTIVE = "active", "New version active"
    UNCHANGED = "unchanged", "Unchanged"
    QUARANTINED = "quarantined", "Quarantined"
    FAILED = "failed", "Failed"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "Schedule"
    MANUAL = "manual", "Refresh now"
    IMPORT = "import", "Offline import"


class EntryType(models.TextChoices):
    ENTITY = "entity", "Entity"
    INDIVIDUAL = "individual", "Individual"
    VESSEL = "vessel", "Vessel"
    AIRCRAFT = "aircraft", "Aircraft"
    OTHER = "other", "Other / unknown"
