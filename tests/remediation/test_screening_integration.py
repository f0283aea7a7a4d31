"""Against the real screening selector (apps.screening.selectors.equipment_findings): a finding row turns into
a plan; closing the finding (entry removed / dismissed) closes the plan as not_required."""
import datetime as dt

import pytest
from django.utils import timezone

from apps.remediation.models import RemediationPlan
from apps.remediation.services import remediation_evaluate
from tests.factories import FindingFactory, ListSourceFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)

screening_models = pytest.importorskip("apps.screening.models")


@pytest.fixture
def ndaa_source():
    return ListSourceFactory(code="ndaa_889", name="NDAA s.889", publisher="US Congress", regime="us_ndaa",
                             format="ndaa_csv")


def _finding(vendor, source, **kw):
    return FindingFactory(vendor=vendor, source=source, **{"key": f"{source.code}:1", **kw})


def test_real_findings_create_and_close_plans(camera, ndaa_source, make_rule):
    make_rule(code="ndaa889-b-use", regimes=["us_ndaa"], categories=["camera"], action="replace",
              deadline_date=dt.date(2020, 8, 13), deadline_days=None)
    finding = _finding(camera.product_model.brand, ndaa_source)
    assert remediation_evaluate(today=TODAY).created == 1
    plan = RemediationPlan.objects.get()
    assert plan.basis["finding_id"] == finding.pk and plan.basis["source_code"] == "ndaa_889"
    assert "listed: NDAA" in plan.basis["path"]
    assert remediation_evaluate(today=TODAY).created == 0
    finding.closed_at = timezone.now()
    finding.close_reason = "entry removed"
    finding.save()
    assert remediation_evaluate(today=TODAY).closed == 1
    plan.refresh_from_db()
    assert plan.status == "not_required"


def test_finding_limited_to_other_categories_creates_no_plan(camera, ndaa_source, make_rule):
    make_rule(regimes=["us_ndaa"])
    _finding(camera.product_model.brand, ndaa_source, categories=["network"], other_status="clear")
    assert remediation_evaluate(today=TODAY).created == 0
