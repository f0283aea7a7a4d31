"""The organisation's profile (jurisdiction, legal kinds, own remediation target): what decides which rules bind
it. Lives here, not in accounts, because a change must re-evaluate the organisation's plans and be audited
(both above accounts in the layers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from apps.accounts.models import Organization
from apps.accounts.policies import Action, authorize
from apps.audit.writes import model_update_audited, write_transaction
from apps.common.exceptions import ApplicationError
from apps.security.enqueue import enqueue_on_commit

from .common import _validation_to_app

PROFILE_FIELDS = ("country", "subdivision", "legal_kinds", "remediation_target_days")


def organization_profile_update(*, organization: Organization, actor, **fields) -> Organization:
    """Change the profile (an admin of the organisation; `actor` None: the registry itself, e.g. the demo). The
    row's history (simple-history) and the audit chain keep before and after. When anything changed, the
    organisation's plans are re-evaluated after commit (the rules that bind it may differ now)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ApplicationError(f"Unknown or read-only profile field(s): {', '.join(sorted(unknown))}.",
                               code="validation_error")
    authorize(actor, Action.ADMINISTER, organization_id=organization.pk)
    with write_transaction():
        try:
            row, changes = model_update_audited(organization, fields, actor=actor, organization_id=organization.pk)
        except ValidationError as exc:
            raise _validation_to_app(exc) from exc
        if changes:
            enqueue_on_commit("apps.remediation.tasks.remediation_evaluate_organization_task",
                              kwargs={"organization_id": organization.pk})
    return row
