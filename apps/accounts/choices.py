from django.db import models


class Role(models.TextChoices):
    """What a member may do in an organisation; ordered from most to least powerful."""

    ADMIN = "admin", "Administrator"
    OFFICER = "officer", "Procurement officer"
    AUDITOR = "auditor", "Auditor (read-only)"
    VIEWER = "viewer", "Viewer"


WRITE_ROLES = frozenset({Role.ADMIN, Role.OFFICER})


class OrganizationKind(models.TextChoices):
    AGENCY = "agency", "Government agency"
    MINISTRY = "ministry", "Ministry / department"
    PORT_AUTHORITY = "port_authority", "Port authority"
    AIRPORT_OPERATOR = "airport_operator", "Airport operator"
    BUILDING_OPERATOR = "building_operator", "Building operator"
    DEFENCE = "defence", "Defence organisation"
    OTHER = "other", "Other"
