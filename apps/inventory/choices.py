from django.db import models

from apps.common.choices import EquipmentCategory  # noqa: F401 - shared vocabulary, imported from here too


class SiteKind(models.TextChoices):
    SEAPORT = "seaport", "Seaport / container terminal"
    AIRPORT = "airport", "Airport"
    GOVERNMENT_OFFICE = "government_office", "Government office"
    MILITARY = "military", "Military installation"
    BORDER_CROSSING = "border_crossing", "Border crossing"
    DATA_CENTRE = "data_centre", "Data centre"
    OTHER = "other", "Other"


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class EquipmentStatus(models.TextChoices):
    IN_SERVICE = "in_service", "In service"
    DISCONNECTED = "disconnected", "Disconnected"
    REMOVED = "removed", "Removed"
    REPLACED = "replaced", "Replaced"
    DISPOSED = "disposed", "Disposed"


# Units in these states are no longer installed; they keep their history but count as gone.
RETIRED_STATUSES = frozenset({EquipmentStatus.REMOVED, EquipmentStatus.REPLACED, EquipmentStatus.DISPOSED})


class Connectivity(models.TextChoices):
    """A unit's exposure as one level, derived from its connectivity facts (`connectivity_level`): what the risk
    score and the summaries show, and what older imports and rules gave as a single value."""

    ISOLATED = "isolated", "Isolated (air-gapped)"
    SITE_NETWORK = "site_network", "Site network"
    INTERNET = "internet", "Internet"
    VENDOR_REMOTE = "vendor_remote", "Vendor remote access"


class ComponentKind(models.TextChoices):
    CONTROL_SOFTWARE = "control_software", "Control software"
    FIRMWARE = "firmware", "Firmware"
    COMMS_MODULE = "comms_module", "Communications module"
    SOC = "soc", "System on chip"
    SENSOR = "sensor", "Sensor"
    OTHER = "other", "Other"


class ConnectivityFact(models.TextChoices):
    """Separate facts about how a unit is reachable (several may hold at once); rules test them with
    `connectivity_any` / `connectivity_none` (apps.remediation)."""

    INTERNET_CONNECTED = "internet_connected", "Internet-connected"
    VENDOR_REMOTE_ACCESS = "vendor_remote_access", "Vendor remote access"
    CELLULAR_MODEM = "cellular_modem", "Cellular modem"
    ISOLATED_SEGMENT = "isolated_segment", "Isolated network segment"


CONNECTIVITY_FACT_FIELDS = tuple(ConnectivityFact.values)  # the Equipment boolean fields, same names

# The older single value as facts (migration inventory/0008, imports with a `connectivity` column).
LEGACY_CONNECTIVITY_FACTS: dict[str, frozenset[str]] = {
    Connectivity.ISOLATED: frozenset({ConnectivityFact.ISOLATED_SEGMENT}),
    Connectivity.SITE_NETWORK: frozenset(),
    Connectivity.INTERNET: frozenset({ConnectivityFact.INTERNET_CONNECTED}),
    Connectivity.VENDOR_REMOTE: frozenset({ConnectivityFact.VENDOR_REMOTE_ACCESS}),
}


def connectivity_level(facts) -> str:
    """The strongest exposure among the facts: vendor remote access > internet or a cellular modem > site
    network > isolated segment (a unit with no fact is on the site network)."""
    facts = set(facts)
    if ConnectivityFact.VENDOR_REMOTE_ACCESS in facts:
        return Connectivity.VENDOR_REMOTE.value
    if facts & {ConnectivityFact.INTERNET_CONNECTED, ConnectivityFact.CELLULAR_MODEM}:
        return Connectivity.INTERNET.value
    if ConnectivityFact.ISOLATED_SEGMENT in facts:
        return Connectivity.ISOLATED.value
    return Connectivity.SITE_NETWORK.value


class BomFormat(models.TextChoices):
    """The encodings of a bill of materials the registry imports (apps.inventory.bom)."""

    CYCLONEDX_JSON = "cyclonedx-json", "CycloneDX JSON"
    CYCLONEDX_XML = "cyclonedx-xml", "CycloneDX XML"
    SPDX_JSON = "spdx-json", "SPDX 2.x JSON"
    SPDX_TAG_VALUE = "spdx-tv", "SPDX 2.x tag-value"
    SPDX3_JSONLD = "spdx3-jsonld", "SPDX 3.0 JSON-LD"


class BomComponentType(models.TextChoices):
    """What a part of a bill of materials is; CycloneDX component types and SPDX purposes map onto these."""

    HARDWARE = "hardware", "Hardware"
    DEVICE = "device", "Device"
    FIRMWARE = "firmware", "Firmware"
    OPERATING_SYSTEM = "operating_system", "Operating system"
    APPLICATION = "application", "Application"
    LIBRARY = "library", "Library"
    FRAMEWORK = "framework", "Framework"
    CONTAINER = "container", "Container"
    FILE = "file", "File"
    OTHER = "other", "Other"


class BomSupplierRole(models.TextChoices):
    """Which field of the document named a component's vendor (the first present, in this order)."""

    SUPPLIER = "supplier", "Supplier"
    MANUFACTURER = "manufacturer", "Manufacturer"
    PUBLISHER = "publisher", "Publisher"
    AUTHOR = "author", "Author"
    ORIGINATOR = "originator", "Originator"
