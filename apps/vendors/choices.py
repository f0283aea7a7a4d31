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
