"""Reads of data calls: the organisation's list (with the status on a given day), the due list of the dashboard,
one supplier's calls and their answers side by side over time."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet
from django_countries import countries

from apps.accounts.policies import Action, organization_ids
from apps.inventory.models import ProductModel
from apps.vendors.models import Vendor
from apps.vendors.selectors import vendor_ids_by_name

from . import conf
from .choices import DataCallState, DataCallStatus, DataCallTemplate
from .models import DataCall, DataCallAnswer, DeclaredFinding
from .question_sets import PRODUCT_MODEL_FACTS, PRODUCT_MODEL_FACTS_SHOWN


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


@dataclass
class DeclaredFact:
    """One fact of a component declaration beside what the registry records for the call's product model.
    `value` is what applying would write (a country code, a Vendor, a bool); `note` says why it cannot be
    applied when `applicable` is False."""

    code: str
    question: str
    declared: str
    recorded: str
    model_field: str = ""
    value: object = None
    differs: bool = False
    applicable: bool = False
    note: str = ""


def _declared_value(field_name: str, raw) -> tuple[object, str, str]:
    """(value to write, its display, why not) for an answer of a product-model fact."""
    if field_name == "country_of_manufacture":
        text = str(raw).strip()
        code = countries.alpha2(text) or countries.by_name(text)
        return (code, f"{countries.name(code)} ({code})", "") if code else (None, "", "Not a country the registry "
                                                                              "knows: record it by hand.")
    if field_name == "software_supplier":
        name = str(raw).strip()
        vid = vendor_ids_by_name({name}).get(name.lower()) if name else None
        vendor = Vendor.objects.filter(pk=vid).first() if vid else None
        if vendor is None:
            return None, "", "No vendor of the registry has this name or alias: add the vendor first."
        return vendor, vendor.name, ""
    if field_name == "remote_access_capable":
        return bool(raw), "yes" if raw else "no", ""
    raise KeyError(field_name)  # a fact mapped in question_sets without a reader here: a wiring error


def _recorded(pm, field_name: str) -> tuple[object, str]:
    if field_name == "country_of_manufacture":
        code = pm.country_of_manufacture.code or ""
        return code, f"{pm.country_of_manufacture.name} ({code})" if code else "not recorded"
    if field_name == "software_supplier":
        return pm.software_supplier_id, pm.software_supplier.name if pm.software_supplier_id else "not recorded"
    return pm.remote_access_capable, "yes" if pm.remote_access_capable else "no"


def data_call_declared_facts(call: DataCall) -> list[DeclaredFact]:
    """For an answered component declaration: each product-model fact as declared and as recorded, whether they
    differ and whether the declared one can be applied (question_sets.PRODUCT_MODEL_FACTS). Empty for another
    template or an unanswered call."""
    if call.template != DataCallTemplate.COMPONENT_DECLARATION or call.product_model_id is None:
        return []
    response = getattr(call, "response", None) if call.state == DataCallState.ANSWERED else None
    if response is None:
        return []
    pm = ProductModel.objects.select_related("software_supplier").get(pk=call.product_model_id)
    answers = {a.question.code: a for a in response.answers.select_related("question")}
    out = []
    for code in PRODUCT_MODEL_FACTS_SHOWN:
        answer = answers.get(code)
        if answer is None:
            continue
        declared_raw = answer.value
        field_name = PRODUCT_MODEL_FACTS.get(code, "")
        if not field_name:
            out.append(DeclaredFact(code, answer.question.text, str(declared_raw), "not recorded by the registry",
                                    note="The registry has no field for this fact; the answer keeps it."))
            continue
        value, shown, why = _declared_value(field_name, declared_raw)
        current, recorded = _recorded(pm, field_name)
        compare = value.pk if isinstance(value, Vendor) else value
        differs = value is not None and compare != current
        out.append(DeclaredFact(code, answer.question.text, shown or str(declared_raw), recorded, field_name, value,
                                differs=differs, applicable=differs and not why,
                                note=why or ("" if differs else "Already recorded.")))
    return out
