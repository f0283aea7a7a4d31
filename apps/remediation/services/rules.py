"""Policy rules: create and edit them (audited, versioned), seed the defaults."""

from __future__ import annotations

from django.db import transaction

from apps.accounts.policies import Action, require
from apps.audit.writes import model_save_audited
from apps.common.exceptions import ApplicationError

from ..defaults import DEFAULT_RULES
from ..models import PolicyRule
from .common import _save_audited

RULE_EDITABLE = {f.name for f in PolicyRule._meta.get_fields() if getattr(f, "editable", False)} - {
    "id", "version", "created_at", "updated_at", "code"}


def _reject_unknown_fields(fields: dict, what: str) -> None:
    unknown = set(fields) - RULE_EDITABLE
    if unknown:
        raise ApplicationError(f"{what}: {', '.join(sorted(unknown))}.", code="validation_error")


def _require_rule_editor(user, organization_id: int | None) -> None:
    """An organisation's rules: its admins; the registry-wide rules (no organisation): curators."""
    require(user, Action.ADMINISTER, organization_id=organization_id)


@transaction.atomic
def policy_rule_create(*, user, code: str, **fields) -> PolicyRule:
    _reject_unknown_fields(fields, "Unknown rule field(s)")
    org = fields.get("organization")
    _require_rule_editor(user, org.pk if org else None)
    return _save_audited(PolicyRule(code=code, **fields), actor=user, organization_id=org.pk if org else None)


@transaction.atomic
def policy_rule_update(*, rule: PolicyRule, user, **fields) -> PolicyRule:
    """Change a rule; the version goes up by one and the old version stays in the rule's history. Plans pick
    the change up at their next evaluation (daily, or `remediation_evaluate_all`)."""
    _reject_unknown_fields(fields, "Unknown or read-only rule field(s)")
    rule = PolicyRule.objects.select_for_update().get(pk=rule.pk)
    _require_rule_editor(user, rule.organization_id)
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.version += 1
    return _save_audited(rule, actor=user, organization_id=rule.organization_id)


def policy_rules_seed_defaults(*, only_missing: bool = True) -> tuple[int, int]:
    """Create the default rule set (apps.remediation.defaults) where a rule with that code is missing. Never
    overwrites an admin's edits. Returns (created, already present)."""
    created = present = 0
    with transaction.atomic():
        for data in DEFAULT_RULES:
            if PolicyRule.objects.filter(code=data["code"]).exists():
                present += 1
                continue
            model_save_audited(PolicyRule(**data))
            created += 1
    return created, present
