"""Filter pieces shared by the FilterSets of several apps (vendors and equipment both carry a risk status)."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from simple_history.models import HistoricalChanges

from .choices import RiskStatus

RISK_STATUS_CHOICES = RiskStatus.choices


def risk_status_filter(queryset, value):
    """The stored status; past statuses are not stored (history answers compute them from findings)."""
    if not value:
        return queryset
    if issubclass(queryset.model, HistoricalChanges):  # an as_of answer reads the row history: no status there
        raise ValidationError({"risk_status": ["Cannot be combined with as_of: the status then is computed from "
                                               "the findings open then; read it in the answer."]})
    return queryset.filter(risk_status__in=value)
