"""factory_boy factories shared by the suite, one module per app; import them from here
(`from tests.factories import VendorFactory`).

Every concrete model of apps/*/models.py has a factory, except:
- audit.AuditEvent: append-only and hash-chained (each row carries the hash of the one before it); a row made
  by a factory would break apps.audit.services.audit_chain_verify. Record events with
  apps.audit.services.audit_record, or through the services that record them.
- inventory.SiteEquipmentCount: a tally derived from the equipment table (kept exact by apps.inventory.signals
  and equipment_counts_refresh); create Equipment instead.
- simple-history's Historical* models: written by simple-history on every save.

Factories write rows directly: no full_clean(), no audit event, no hook. Tests about those go through the
services.
"""
from .accounts import ApiTokenFactory, CuratorFactory, MembershipFactory, OrganizationFactory, UserFactory
from .integrations import WebhookDeliveryFactory, WebhookEndpointFactory
from .inventory import (
    BomComponentFactory,
    BomDocumentFactory,
    ComponentFactory,
    EquipmentFactory,
    ImportJobFactory,
    ProductModelFactory,
    SiteFactory,
)
from .lists import (
    FetchRunFactory,
    ListDiffFactory,
    ListEntryFactory,
    ListSourceFactory,
    ListVersionFactory,
    SourceRequirementFactory,
)
from .outreach import (
    DataCallAnswerFactory,
    DataCallFactory,
    DataCallQuestionFactory,
    DataCallResponseFactory,
    DataCallTokenFactory,
    DeclaredFindingFactory,
)
from .remediation import (
    DigestDeliveryFactory,
    DigestFactory,
    DigestItemFactory,
    EvidenceFactory,
    FactChangeNoticeFactory,
    NotificationFactory,
    PlanStepFactory,
    PolicyRuleFactory,
    ProjectionLineFactory,
    ProjectionReportFactory,
    RemediationPlanFactory,
    WaiverFactory,
)
from .screening import (
    FindingFactory,
    MatchFactory,
    PrePurchaseCheckFactory,
    PropagationRuleFactory,
    ReviewDecisionFactory,
    RiskPolicyFactory,
    ScreeningRunFactory,
    UnitDeclarationFactory,
    VendorOrgStatusFactory,
)
from .security import DenialWindowFactory, OutboxJobFactory, RateCounterFactory
from .vendors import (
    ChangeProposalFactory,
    OemRelationFactory,
    OwnershipFactory,
    VendorAliasFactory,
    VendorFactory,
    VendorIdentifierFactory,
)

__all__ = [
    "ChangeProposalFactory", "FactChangeNoticeFactory",
    "ApiTokenFactory", "BomComponentFactory", "BomDocumentFactory",
    "ComponentFactory", "CuratorFactory", "DataCallAnswerFactory", "DataCallFactory", "DataCallQuestionFactory",
    "DataCallResponseFactory", "DataCallTokenFactory", "DeclaredFindingFactory",
    "DigestDeliveryFactory", "DigestFactory",
    "DigestItemFactory",
    "EquipmentFactory",
    "DenialWindowFactory",
    "EvidenceFactory", "FetchRunFactory", "FindingFactory", "ImportJobFactory", "ListDiffFactory",
    "ListEntryFactory", "ListSourceFactory", "ListVersionFactory", "MatchFactory", "MembershipFactory",
    "NotificationFactory", "OemRelationFactory", "OrganizationFactory", "OutboxJobFactory", "OwnershipFactory",
    "PlanStepFactory", "PolicyRuleFactory", "PrePurchaseCheckFactory", "ProductModelFactory",
    "ProjectionLineFactory", "ProjectionReportFactory", "PropagationRuleFactory", "RateCounterFactory",
    "RemediationPlanFactory", "ReviewDecisionFactory", "RiskPolicyFactory", "ScreeningRunFactory", "SiteFactory",
    "SourceRequirementFactory",
    "UnitDeclarationFactory", "VendorOrgStatusFactory",
    "UserFactory", "VendorAliasFactory", "VendorFactory", "VendorIdentifierFactory", "WaiverFactory",
    "WebhookDeliveryFactory", "WebhookEndpointFactory",
]
