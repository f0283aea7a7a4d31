from django.db import models


class EquipmentCategory(models.TextChoices):
    STS_CRANE = "sts_crane", "Ship-to-shore crane"
    YARD_CRANE = "yard_crane", "RTG/RMG crane"
    STRADDLE_CARRIER = "straddle_carrier", "Straddle carrier"
    CAMERA = "camera", "Surveillance camera"
    NVR_VMS = "nvr_vms", "NVR / VMS"
    BAGGAGE_HANDLING = "baggage_handling", "Baggage handling system"
    SCANNER = "scanner", "X-ray / CT scanner"
    ACCESS_CONTROL = "access_control", "Access control"
    NETWORK = "network", "Network equipment"
    TELECOM_MODULE = "telecom_module", "Telecom module"
    DRONE = "drone", "Drone"
    IOT_SENSOR = "iot_sensor", "IoT sensor"
    OTHER = "other", "Other"


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
