"""Reads of data calls: the organisation's list (with the status on a given day), the due list of the dashboard,
one supplier's calls and their answers side by side over time."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from apps.accounts.policies import Action, organization_ids

from . import conf
from .choices import DataCallState, DataCallStatus
from .models import DataCall, DataCallAnswer, DeclaredFinding


def data_calls_visible(user, *, day: dt.date) -> QuerySet[DataCall]:
    """The calls of the user's organisations (any member reads), with `status_on` for `day`."""
    return (DataCall.objects.filter(organization_id__in=organization_ids(user, Action.VIEW)).with_status(day)
            .select_related("vendor", "site", "product_model", "organization"))


def data_calls_due(organization_ids_: list[int], *, day: dt.date, limit: int = 20) -> list[DataCall]:
    """The dashboard's due list: calls overdue or due within OUTREACH_DUE_SOON_DAYS, and answered
    representations expiring within OUTREACH_RENEW_DAYS_BEFORE (not re-requested yet); soonest first."""
    soon = day + dt.timedelta(days=conf.due_soon_days())
    renew = day + dt.timedelta(days=conf.renew_days_before())
    rows = (DataCall.objects.filter(organization_id__in=organization_ids_)
            .filter(Q(state=DataCallState.SENT, due_date__lte=soon)
                    | Q(state=DataCallState.ANSWERED, valid_until__lte=renew, renewals__isnull=True))
            .with_status(day).select_related("vendor", "site").order_by("due_date", "id")[:limit])
    return list(rows)


@dataclass
class SupplierCalls:
    """One supplier's calls in one organisation: counts per status, and the answers as a table: one row per
    question (template and code), one column per answered call, oldest first."""

    counts: dict[str, int]
    calls: list[DataCall]
    columns: list[DataCall] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)


def supplier_calls(*, organization_id: int, vendor_id: int, day: dt.date) -> SupplierCalls:
    """Three queries whatever the number of calls: the calls, their questions, their answers."""
    calls = list(DataCall.objects.filter(organization_id=organization_id, vendor_id=vendor_id).with_status(day)
                 .select_related("response").prefetch_related(
                     "questions", Prefetch("response__answers", queryset=DataCallAnswer.objects.all()))
                 .order_by("sent_at", "id"))
    counts = Counter(c.status_on for c in calls)
    counts["sent"] = len(calls)
    answered = [c for c in calls if c.state == DataCallState.ANSWERED]
    rows: dict[tuple[str, str], dict] = {}
    for col, call in enumerate(answered):
        values = {a.question_id: a for a in call.response.answers.all()}
        for q in call.questions.all():
            row = rows.setdefault((call.template, q.code), {"template": call.template, "code": q.code,
                                                            "text": q.text, "cells": [None] * len(answered)})
            row["cells"][col] = values.get(q.pk)
    return SupplierCalls(counts={s: counts.get(s, 0) for s in ["sent", *DataCallStatus.values]}, calls=calls,
                         columns=answered, rows=list(rows.values()))


def declared_findings_open(organization_ids_: list[int]) -> QuerySet[DeclaredFinding]:
    return (DeclaredFinding.objects.filter(organization_id__in=organization_ids_, status="open")
            .select_related("data_call", "vendor").prefetch_related("equipment"))
