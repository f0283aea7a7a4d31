"""Data calls for auditors, read-only (`/data-calls/`, `/data-call-responses/`, `/declared-findings/`), scoped to
the user's organisations, paged like every list, and `as_of=YYYY-MM-DD`: the calls sent by the end of that day
with their status then, the answers received by then, the findings opened by then (with their state then)."""
from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from apps.api.viewsets import ReadOnlyApiViewSet
from apps.outreach.filtersets import DataCallFilterSet, DataCallResponseFilterSet, DeclaredFindingFilterSet
from apps.outreach.models import DataCall, DataCallAnswer, DataCallResponse, DeclaredFinding

from .serializers import DataCallResponseSerializer, DataCallSerializer, DeclaredFindingSerializer


class _PointInTimeMixin:
    """`as_of` read from the rows' own timestamps (answers are append-only, a call's transitions are dated), so
    these viewsets never answer from simple-history (`answers_from_history` is False)."""

    supports_as_of = True

    def answers_from_history(self) -> bool:
        return False

    def read_as_of(self):
        return self.get_as_of() if self.action in ("list", "retrieve") else None

    def get_serializer_context(self):
        context = super().get_serializer_context()
        as_of = self.read_as_of()
        context["as_of"] = as_of
        context["day"] = timezone.localdate(as_of) if as_of else timezone.localdate()
        return context


class DataCallViewSet(_PointInTimeMixin, ReadOnlyApiViewSet):
    """Data calls of your organisations (questionnaires to suppliers and site managers, docs/integrations.md):
    what was asked, of whom, due when, the status (pending, overdue, answered, expired, cancelled) and the id of
    the signed answer. Created and followed up on the web (officers, admins)."""

    queryset = DataCall.objects.all()
    serializer_class = DataCallSerializer
    base_filterset_class = DataCallFilterSet
    ordering_fields = ["id", "sent_at", "due_date"]

    def get_queryset(self):
        as_of = self.read_as_of()
        day = timezone.localdate(as_of) if as_of else timezone.localdate()
        rows = (DataCall.objects.with_status(day).select_related("response")
                .prefetch_related("questions", "equipment"))
        if as_of is not None:
            rows = rows.filter(sent_at__lte=as_of)
        return self.scope(rows)


class DataCallResponseViewSet(_PointInTimeMixin, ReadOnlyApiViewSet):
    """Signed answers to data calls (append-only evidence, `sha256` as written to the audit chain)."""

    queryset = DataCallResponse.objects.all()
    serializer_class = DataCallResponseSerializer
    base_filterset_class = DataCallResponseFilterSet
    ordering_fields = ["id", "submitted_at"]

    def get_queryset(self):
        rows = DataCallResponse.objects.select_related("data_call").prefetch_related(
            Prefetch("answers", queryset=DataCallAnswer.objects.select_related("question")))
        as_of = self.read_as_of()
        if as_of is not None:
            rows = rows.filter(submitted_at__lte=as_of)
        return self.scope(rows)


class DeclaredFindingViewSet(_PointInTimeMixin, ReadOnlyApiViewSet):
    """Findings opened by a supplier's own "yes" on a covered-equipment question, on the units the call names."""

    queryset = DeclaredFinding.objects.all()
    serializer_class = DeclaredFindingSerializer
    base_filterset_class = DeclaredFindingFilterSet
    ordering_fields = ["id", "opened_at"]

    def get_queryset(self):
        rows = DeclaredFinding.objects.select_related("answer").prefetch_related("equipment")
        as_of = self.read_as_of()
        if as_of is not None:
            rows = rows.filter(opened_at__lte=as_of)
        return self.scope(rows)
