from django.db import models


class AliasKind(models.TextChoices):
    TRADE_NAME = "trade_name", "Trade name"
    FORMER_NAME = "former_name", "Former name"
    TRANSLITERATION = "transliteration", "Transliteration"
    LOCAL_SCRIPT = "local_script", "Name in local script"
    ABBREVIATION = "abbreviation", "Abbreviation / acronym"
    OTHER = "other", "Other"


class IdentifierScheme(models.TextChoices):
    LEI = "lei", "LEI (ISO 17442)"
    UEI = "uei", "UEI (SAM.gov)"
    DUNS = "duns", "DUNS"
    USCC = "uscc", "Unified Social Credit Code (PRC)"
    REGISTRATION = "registration", "National registration number"


class OwnershipKind(models.TextChoices):
    SHAREHOLDING = "shareholding", "Shareholding"
    CONTROL = "control", "Control"
    JOINT_VENTURE = "joint_venture", "Joint venture"


class OemConfidence(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    LIKELY = "likely", "Likely"
    REPORTED = "reported", "Reported"


class ProposalKind(models.TextChoices):
    """What a change proposal changes in the shared vendor facts (apps.vendors.proposals)."""

    VENDOR_UPDATE = "vendor_update", "Vendor details (names, countries, website, description)"
    ALIAS_ADD = "alias_add", "Add an alias"
    ALIAS_REMOVE = "alias_remove", "Remove an alias"
    IDENTIFIER_ADD = "identifier_add", "Add an identifier"
    IDENTIFIER_REMOVE = "identifier_remove", "Remove an identifier"
    OWNERSHIP_ADD = "ownership_add", "Add an ownership link"
    OWNERSHIP_CHANGE = "ownership_change", "Change an ownership link (share, kind, dates)"
    OWNERSHIP_REMOVE = "ownership_remove", "Remove an ownership link"
    OEM_ADD = "oem_add", "Add an OEM relation"
    OEM_REMOVE = "oem_remove", "Remove an OEM relation"


# The kinds a proposing organisation may apply to its own view before a curator accepts them: ownership links and
# OEM relations, which screening's per-organisation derivation reads (apps.vendors.overlay). Names, aliases and
# identifiers feed matching, whose matches are shared by every view, so they take effect in screening only once
# accepted.
OWN_VIEW_KINDS = frozenset({ProposalKind.OWNERSHIP_ADD, ProposalKind.OWNERSHIP_CHANGE, ProposalKind.OWNERSHIP_REMOVE,
                            ProposalKind.OEM_ADD, ProposalKind.OEM_REMOVE})


class ProposalStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
