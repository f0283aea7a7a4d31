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
