"""Which lists an organisation's members see, defined once on the list models' querysets (`visible_to`)."""
import datetime as dt

import pytest

from apps.lists.choices import Regime, RunStatus, RunTrigger, VersionStatus
from apps.lists.models import FetchRun, ListDiff, ListEntry, ListSource, ListVersion
from apps.lists.services import list_source_custom_create

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def _source_with_rows(source: ListSource) -> ListSource:
    version = ListVersion.objects.create(source=source, status=VersionStatus.ACTIVE, fetched_at=T0, sha256="0" * 64)
    ListEntry.objects.create(version=version, external_id=f"{source.code}-1", primary_name="Acme", content_hash="h")
    ListDiff.objects.create(version=version, added=1)
    FetchRun.objects.create(source=source, trigger=RunTrigger.IMPORT, status=RunStatus.ACTIVE, started_at=T0,
                            version=version)
    return source


@pytest.fixture
def three_lists(org, other_org):
    public = _source_with_rows(ListSource.objects.create(code="public", name="Public", publisher="Gov",
                                                         regime=Regime.US_OFAC, format="fake"))
    ours = _source_with_rows(list_source_custom_create(organization=org, name="Ours"))
    theirs = _source_with_rows(list_source_custom_create(organization=other_org, name="Theirs"))
    return public, ours, theirs


@pytest.mark.parametrize(("model", "to_source"), [
    (ListSource, lambda row: row),
    (ListVersion, lambda row: row.source),
    (ListEntry, lambda row: row.version.source),
    (ListDiff, lambda row: row.version.source),
    (FetchRun, lambda row: row.source),
])
def test_visible_to_shows_public_lists_and_the_organisations_own(three_lists, org, other_org, model, to_source):
    public, ours, theirs = three_lists
    assert {to_source(r) for r in model.objects.visible_to([org.pk])} == {public, ours}
    assert {to_source(r) for r in model.objects.visible_to([org.pk, other_org.pk])} == {public, ours, theirs}
    assert {to_source(r) for r in model.objects.visible_to([])} == {public}
    assert {to_source(r) for r in model.objects.filter(pk__gt=0).visible_to(iter([other_org.pk]))} == {
        public, theirs}  # chains after other filters; any iterable of ids
