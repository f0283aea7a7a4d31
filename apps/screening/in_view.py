"""Which matches an organisation sees and which review decision is in force in its view: the one rule, read by
the selectors (review queue, match API) and by the derivation of findings (apps.screening.services.derive).

An organisation's view = public lists' matches + its own private lists' matches; the decision in force for a match
is the organisation's own current decision on its (vendor identity, entry content) key, else the registry-wide
one (Match.decision / Match.review_state), else none."""
from __future__ import annotations

from django.db.models import BigIntegerField, Case, CharField, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from .choices import Decision, ReviewState
from .models import Match, ReviewDecision


def matches_visible(organization_id: int | None = None) -> QuerySet[Match]:
    """Matches in one view: against public lists, and against the organisation's own private lists."""
    return Match.objects.filter(Q(source__organization__isnull=True) | Q(source__organization_id=organization_id))


def _own_decision(organization_id: int | None, field: str = "decision"):
    return Subquery(ReviewDecision.objects.filter(
        organization_id=organization_id, superseded_at__isnull=True, vendor_identity=OuterRef("vendor_identity"),
        entry_content_hash=OuterRef("entry_content_hash")).values(field)[:1])


def matches_in_view(organization_id: int | None = None) -> QuerySet[Match]:
    """Matches in one view (matches_visible), each annotated with the decision in force there:

    * `view_decision_id`, `view_review_state`: the organisation's own decision when it made one, else the
      registry-wide decision (Match.decision, Match.review_state), else none (auto-confirmed or awaiting review);
    * `decision_in_force`: "own" (the organisation's own, or its decision on its own private list),
      "registry" (a curator's registry-wide decision) or "" (none).
    """
    qs = matches_visible(organization_id)
    if organization_id is None:
        own = Value(None, output_field=CharField())
        own_id = Value(None, output_field=BigIntegerField())
    else:
        own, own_id = _own_decision(organization_id), _own_decision(organization_id, "pk")
    return qs.annotate(
        own_decision=own,
        view_decision_id=Coalesce(own_id, "decision_id", output_field=BigIntegerField()),
        view_review_state=Case(
            When(own_decision=Decision.CONFIRM, then=Value(ReviewState.CONFIRMED.value)),
            When(own_decision=Decision.DISMISS, then=Value(ReviewState.DISMISSED.value)),
            default=F("review_state"), output_field=CharField()),
        decision_in_force=Case(
            When(own_decision__isnull=False, then=Value("own")),
            When(decision__isnull=True, then=Value("")),
            When(source__organization__isnull=False, then=Value("own")),
            default=Value("registry"), output_field=CharField()),
    )
