"""Writes of the remediation programme, one module per responsibility:

- `rules`: policy rule edits and the default rule set;
- `profile`: the organisation's profile (jurisdiction, legal kinds, own target), which decides the rules that bind it;
- `evaluation`: `remediation_evaluate` (plans follow rules and findings) and the screening subscriber;
- `plans`: a plan's transitions, owner, cost, deadline, steps and evidence;
- `waivers`: request, decision, expiry;
- `digest`: the daily run (overdue flags, one digest per organisation and day) and notifications;
- `projections`: projection reports computed in the background;
- `notices`: notices of accepted changes to shared vendor facts (before and after, per organisation);
- `common`: what they share (today, membership checks, locked rows, notifications).

Every service takes keyword arguments, runs in one transaction, checks the user's role in the plan's
organisation (members of another organisation get the same "not found" as for a missing plan), and records
an audit event. Time is injected: `today` (a calendar date in REMEDIATION_TIME_ZONE) and `now`.

Callers import from `apps.remediation.services`; this package re-exports the names they use. A test that
replaces a collaborator (`screening_findings`, `get_connection`, `audit_record`...) patches it in the module
that looks it up (e.g. `apps.remediation.services.digest`), not here.
"""
from .common import remediation_today
from .digest import (
    DIGEST_SEND_ERRORS,
    SECTION_TITLES,
    DigestEntry,
    _digest_entries,
    digest_send_for_org,
    digests_retry_failed,
    notification_mark_read,
    plans_mark_overdue,
    remediation_daily,
)
from .evaluation import (
    PLAN_SYNC_FIELDS,
    PLAN_UPDATE_FIELDS,
    EvaluationResult,
    on_equipment_changed,
    on_equipment_imported,
    on_screening_changed,
    remediation_daily_finish,
    remediation_daily_in_workers,
    remediation_equipment_ids_for_vendors,
    remediation_evaluate,
    remediation_evaluate_all,
    remediation_evaluate_in_workers,
    remediation_evaluate_organization,
    remediation_evaluate_range,
    remediation_evaluate_vendors,
    remediation_evaluation_totals,
)
from .notices import (
    fact_change_notices_compute,
    fact_change_notices_prepare,
    on_proposal_accepted,
    on_proposal_accepted_before,
    units_by_status,
)
from .plans import (
    EQUIPMENT_STATUS_FOR_OUTCOME,
    OUTCOMES_FOR_ACTION,
    evidence_upload,
    plan_assign,
    plan_change_deadline,
    plan_set_cost,
    plan_step_add,
    plan_step_complete,
    plan_transition,
)
from .profile import PROFILE_FIELDS, organization_profile_update
from .projections import (
    PROJECTION_MAX_DAYS,
    PROJECTION_MAX_YEARS,
    PROJECTION_REPORTS_KEPT,
    projection_failed,
    projection_finish,
    projection_reports_prune,
    projection_request,
    projection_run,
    projection_run_in_workers,
    projection_run_range,
)
from .rules import RULE_EDITABLE, policy_rule_create, policy_rule_update, policy_rules_seed_defaults
from .waivers import waiver_approve, waiver_reject, waiver_request, waivers_announce_expiring, waivers_expire

__all__ = [
    "fact_change_notices_compute",
    "fact_change_notices_prepare",
    "on_proposal_accepted",
    "on_proposal_accepted_before",
    "units_by_status",
    "DIGEST_SEND_ERRORS",
    "EQUIPMENT_STATUS_FOR_OUTCOME",
    "OUTCOMES_FOR_ACTION",
    "PLAN_SYNC_FIELDS",
    "PLAN_UPDATE_FIELDS",
    "PROFILE_FIELDS",
    "PROJECTION_MAX_DAYS",
    "PROJECTION_MAX_YEARS",
    "PROJECTION_REPORTS_KEPT",
    "RULE_EDITABLE",
    "SECTION_TITLES",
    "DigestEntry",
    "EvaluationResult",
    "_digest_entries",
    "digest_send_for_org",
    "digests_retry_failed",
    "evidence_upload",
    "notification_mark_read",
    "on_equipment_changed",
    "on_equipment_imported",
    "on_screening_changed",
    "organization_profile_update",
    "plan_assign",
    "plan_change_deadline",
    "plan_set_cost",
    "plan_step_add",
    "plan_step_complete",
    "plan_transition",
    "plans_mark_overdue",
    "policy_rule_create",
    "policy_rule_update",
    "policy_rules_seed_defaults",
    "projection_reports_prune",
    "projection_failed",
    "projection_finish",
    "projection_request",
    "projection_run",
    "projection_run_in_workers",
    "projection_run_range",
    "remediation_daily",
    "remediation_equipment_ids_for_vendors",
    "remediation_evaluate",
    "remediation_evaluate_all",
    "remediation_daily_finish",
    "remediation_daily_in_workers",
    "remediation_evaluate_in_workers",
    "remediation_evaluate_organization",
    "remediation_evaluate_range",
    "remediation_evaluate_vendors",
    "remediation_evaluation_totals",
    "remediation_today",
    "waiver_approve",
    "waiver_reject",
    "waiver_request",
    "waivers_announce_expiring",
    "waivers_expire",
]
