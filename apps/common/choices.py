"""Vocabulary shared by every layer (the bottom of the layer contract in docs/architecture.md): a unit's and a
vendor's risk status is stored by inventory and vendors, computed by screening, read by remediation, the API and
the web. One definition here instead of string copies in each app."""
from django.db import models


class RiskStatus(models.TextChoices):
    """Status of a vendor or an equipment item, from best to worst (see RISK_ORDER)."""

    CLEAR = "clear", "Clear"
    POTENTIAL_MATCH = "potential_match", "Potential match (review)"
    RESTRICTED = "restricted", "Restricted"
    PROHIBITED = "prohibited", "Prohibited"


# Severity rank; the worst status wins when several findings apply.
RISK_ORDER: dict[str, int] = {
    RiskStatus.CLEAR: 0,
    RiskStatus.POTENTIAL_MATCH: 1,
    RiskStatus.RESTRICTED: 2,
    RiskStatus.PROHIBITED: 3,
}

# Worst first, as pages and reports list them.
RISK_STATUSES_WORST_FIRST: tuple[str, ...] = (
    RiskStatus.PROHIBITED, RiskStatus.RESTRICTED, RiskStatus.POTENTIAL_MATCH, RiskStatus.CLEAR,
)
# The statuses that flag a unit or a vendor (a finding exists), worst first.
FLAGGED_STATUSES: tuple[str, ...] = RISK_STATUSES_WORST_FIRST[:3]


def risk_worst(*statuses: str) -> str:
    """The most severe of the given statuses ("clear" when none)."""
    best = RiskStatus.CLEAR.value
    for status in statuses:
        if status and RISK_ORDER.get(status, 0) > RISK_ORDER[best]:
            best = str(status)
    return best


class EquipmentCategory(models.TextChoices):
    """What an installed unit is: inventory records it, vendors' OEM relations and remediation rules are scoped by
    it."""

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


def equipment_category_labels(values) -> list[str]:
    """Display labels of EquipmentCategory values, in the order given (an unknown value is shown as is); every
    category at once reads "every category"."""
    values = list(values or [])
    if values and set(values) >= set(EquipmentCategory.values):
        return ["every category"]
    labels = dict(EquipmentCategory.choices)
    return [str(labels.get(v, v)) for v in values]
