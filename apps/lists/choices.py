from django.db import models


class Regime(models.TextChoices):
    """The legal regime a list belongs to; decides how listing propagates through ownership."""

    US_OFAC = "us_ofac", "US Treasury OFAC"
    US_BIS = "us_bis", "US Commerce BIS"
    US_TRADE_CSL = "us_csl", "US Consolidated Screening List"
    US_FCC = "us_fcc", "US FCC Covered List"
    US_NDAA = "us_ndaa", "US NDAA named companies"
    US_DOD = "us_dod", "US DoD 1260H"
    EU = "eu", "European Union"
    UK = "uk", "United Kingdom"
    UN = "un", "United Nations Security Council"
    OPENSANCTIONS = "opensanctions", "OpenSanctions"
    CUSTOM = "custom", "In-house list"


class Propagation(models.TextChoices):
    """How a listing reaches entities the listed party owns or controls."""

    OFAC_50 = "ofac_50", "OFAC 50% rule (ownership, aggregate, not control)"
    OWNED_OR_CONTROLLED = "owned_or_controlled", "EU/UK owned or controlled"
    SUBSIDIARY_AFFILIATE = "subsidiary_affiliate", "Subsidiaries and affiliates (NDAA 889, FCC)"
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
