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


class LegalKind(models.TextChoices):
    """What an organisation is in law: decides which obligations bind it (apps.remediation rules'
    `organization_kinds`). Several may apply (a port authority that is also a federal contractor)."""

    US_FEDERAL_EXECUTIVE = "us_federal_executive", "US federal executive agency"
    DOD_COMPONENT = "dod_component", "US Department of Defense component"
    US_FEDERAL_CONTRACTOR = "us_federal_contractor", "US federal contractor or grant recipient (2 CFR 200.216)"
    US_STATE_LOCAL = "us_state_local", "US state or local government"
    MTSA_PORT_FACILITY = "mtsa_port_facility", "MTSA-regulated port facility (33 CFR 105)"
    AU_COMMONWEALTH_ENTITY = "au_commonwealth_entity", "Australian Commonwealth entity"
    UK_CENTRAL_GOVERNMENT = "uk_central_government", "UK central government"
    EU_MEMBER_STATE_BODY = "eu_member_state_body", "EU member-state public body"
    UK_PUBLIC_TELECOMS_PROVIDER = "uk_public_telecoms_provider", "UK public telecoms provider (Communications Act 2003)"
    PRIVATE_OPERATOR = "private_operator", "Private operator"
