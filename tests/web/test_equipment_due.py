"""The equipment list's "Due" column (issue #18 item 1): the unit's earliest running plan deadline, sortable
(units without one last in both directions), filtered by "due on or before" and "only overdue", in the CSV and
XLSX exports as on the page, with the order said in words and a query count that does not grow."""
import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.remediation.choices import Outcome, PlanStatus
from apps.web.filtersets import sort_in_words
from tests.factories import EquipmentFactory, PolicyRuleFactory, ProductModelFactory, RemediationPlanFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def units(site):
    """LATE: overdue by 10 days; SOON: due in 5 days (and a done plan due earlier, which does not count); NONE:
    no plan; WAIVED: its only plan is waived (its clock stopped: no due date)."""
    today = timezone.localdate()
    rule = PolicyRuleFactory()
    late = EquipmentFactory(site=site, asset_tag="LATE")
    soon = EquipmentFactory(site=site, asset_tag="SOON")
    none = EquipmentFactory(site=site, asset_tag="NONE")
    waived = EquipmentFactory(site=site, asset_tag="WAIVED")
    RemediationPlanFactory(equipment=late, rule=rule, deadline=today - dt.timedelta(days=10))
    RemediationPlanFactory(equipment=soon, rule=rule, deadline=today + dt.timedelta(days=5))
    RemediationPlanFactory(equipment=soon, rule=rule, deadline=today - dt.timedelta(days=50), status=PlanStatus.DONE,
                           outcome=Outcome.REPLACED)
    RemediationPlanFactory(equipment=waived, rule=rule, deadline=today - dt.timedelta(days=3),
                           status=PlanStatus.WAIVED)
    return {"late": late, "soon": soon, "none": none, "waived": waived, "today": today}


def _tags(response) -> list[str]:
    return [e.asset_tag for e, *_ in response.context["rows"]]


def test_due_column_shows_the_running_plans_deadline(client_for, officer, units):
    response = client_for(officer).get(reverse("web:equipment-list"), {"sort": "due"})
    due = {e.asset_tag: (e.due_on, overdue) for e, _findings, overdue in response.context["rows"]}
    today = units["today"]
    assert due == {"LATE": (today - dt.timedelta(days=10), True), "SOON": (today + dt.timedelta(days=5), False),
                   "NONE": (None, False), "WAIVED": (None, False)}
    text = response.content.decode()
    assert (today - dt.timedelta(days=10)).isoformat() in text and "sorted by remediation deadline" in text


def test_sort_by_due_puts_units_without_a_deadline_last_both_ways(client_for, officer, units):
    c = client_for(officer)
    assert _tags(c.get(reverse("web:equipment-list"), {"sort": "due"}))[:2] == ["LATE", "SOON"]
    assert _tags(c.get(reverse("web:equipment-list"), {"sort": "-due"}))[:2] == ["SOON", "LATE"]
    assert set(_tags(c.get(reverse("web:equipment-list"), {"sort": "-due"}))[2:]) == {"NONE", "WAIVED"}


def test_due_before_and_overdue_filters(client_for, officer, units):
    c = client_for(officer)
    today = units["today"]
    assert set(_tags(c.get(reverse("web:equipment-list"), {"due_before": today.isoformat()}))) == {"LATE"}
    week = (today + dt.timedelta(days=7)).isoformat()
    assert set(_tags(c.get(reverse("web:equipment-list"), {"due_before": week}))) == {"LATE", "SOON"}
    assert set(_tags(c.get(reverse("web:equipment-list"), {"overdue": "true"}))) == {"LATE"}
    page = c.get(reverse("web:equipment-list")).content.decode()
    assert 'name="due_before"' in page and 'type="date"' in page


def test_exports_carry_due_and_follow_the_filter_and_sort(client_for, officer, units):
    c = client_for(officer)
    week = (units["today"] + dt.timedelta(days=7)).isoformat()
    response = c.get(reverse("web:equipment-export"), {"format": "csv", "due_before": week, "sort": "-due"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert [(r["asset_tag"], r["due_on"]) for r in rows] == [
        ("SOON", (units["today"] + dt.timedelta(days=5)).isoformat()),
        ("LATE", (units["today"] - dt.timedelta(days=10)).isoformat())]

    from openpyxl import load_workbook

    xlsx = c.get(reverse("web:equipment-export"), {"format": "xlsx", "overdue": "true"})
    sheet = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).active.iter_rows(values_only=True))
    header = list(sheet[0])
    assert "due_on" in header and len(sheet) == 2
    assert sheet[1][header.index("asset_tag")] == "LATE"


@pytest.mark.parametrize(("key", "words"), [
    (None, "record, newest first"), ("-id", "record, newest first"), ("site", "site, A to Z"),
    ("-installed", "installation date, latest first"), ("due", "remediation deadline, soonest first, units "
                                                               "without one last"), ("bogus", "record, newest first")])
def test_sort_in_words(key, words):
    assert sort_in_words(key) == words


def test_caption_says_the_order_in_words(client_for, officer, units):
    text = client_for(officer).get(reverse("web:equipment-list")).content.decode()
    assert "Equipment, sorted by record, newest first" in text and "sorted by -id" not in text


def test_query_count_is_constant_when_sorting_and_filtering_by_due(client_for, officer, site, units):
    c = client_for(officer)
    params = {"sort": "due", "due_before": (units["today"] + dt.timedelta(days=400)).isoformat()}
    c.get(reverse("web:equipment-list"), params)
    with CaptureQueriesContext(connection) as few:
        assert c.get(reverse("web:equipment-list"), params).status_code == 200
    rule = PolicyRuleFactory()
    for i in range(20):
        unit = EquipmentFactory(site=site, product_model=ProductModelFactory(), asset_tag=f"MORE-{i}")
        RemediationPlanFactory(equipment=unit, rule=rule, deadline=units["today"] + dt.timedelta(days=i))
    c.get(reverse("web:equipment-list"), params)
    with CaptureQueriesContext(connection) as many:
        assert c.get(reverse("web:equipment-list"), params).status_code == 200
    assert len(many) == len(few)
