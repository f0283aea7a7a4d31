"""The point-in-time page: what was installed, flagged and waived at the end of a past day, and under which
list versions (the API summary's answer, in the browser)."""
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.inventory.services import equipment_create, equipment_update
from tests.factories import (
    FindingFactory,
    ListSourceFactory,
    ListVersionFactory,
    ProductModelFactory,
    VendorFactory,
)

pytestmark = pytest.mark.django_db


def test_a_past_day_shows_the_inventory_and_lists_of_then(client_for, auditor, site):
    listed = VendorFactory(name="Listed Brand")
    source = ListSourceFactory(code="fcc", name="FCC", publisher="FCC", regime="us_fcc")
    long_ago = timezone.now() - dt.timedelta(days=30)
    version = ListVersionFactory(source=source, active=True, fetched_at=long_ago, sha256="c" * 64, entry_count=3)
    FindingFactory(vendor=listed, key="fcc:1", source=source, path_text="listed", status="prohibited",
                   discovered_at=long_ago)
    unit = equipment_create(site=site, product_model=ProductModelFactory(brand=listed, category="camera"))
    today = timezone.now().date()
    c = client_for(auditor)  # a read-only role reads it
    now = c.get(reverse("web:as-of-report"))
    assert now.status_code == 200 and now.context["day"] is None
    assert now.context["report"]["equipment"]["by_status"]["prohibited"] == 1
    assert [v["version_id"] for v in now.context["report"]["list_versions"]] == [version.pk]

    # The unit's brand changes today; yesterday it did not exist, and today it is clean.
    equipment_update(equipment=unit, product_model=ProductModelFactory(brand=VendorFactory(), category="camera"))
    yesterday = c.get(reverse("web:as-of-report"), {"day": (today - dt.timedelta(days=1)).isoformat()})
    assert yesterday.context["report"]["equipment"]["equipment"] == 0
    assert b"No equipment installed then." in yesterday.content
    assert f"/lists/versions/{version.pk}/".encode() in yesterday.content
    after = c.get(reverse("web:as-of-report"), {"day": today.isoformat()})
    assert after.context["report"]["equipment"]["by_status"]["prohibited"] == 0  # as it was at the end of today

    future = c.get(reverse("web:as-of-report"), {"day": "2999-01-01"})
    assert future.status_code == 200 and "day" in future.context["form"].errors
