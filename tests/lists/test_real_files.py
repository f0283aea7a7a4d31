"""The engine on the real published files in ../shared/data/lists (skipped where they are absent)."""
import io
import json

import pytest
from django.core.management import call_command

from apps.lists.choices import VersionStatus
from apps.lists.models import ListEntry
from apps.lists.services import list_sources_setup

pytestmark = [pytest.mark.django_db, pytest.mark.conformance]


def _import(*args) -> dict:
    out = io.StringIO()
    call_command("import_list", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def defaults(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    list_sources_setup()


def test_ofac_legacy_set_and_csl_import_with_known_entries(defaults, shared_lists):
    sdn = shared_lists / "ofac_sdn"
    data = _import("ofac_sdn", *(str(sdn / n) for n in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")),
                   "--format", "ofac_legacy_csv")
    assert data["status"] == "active" and data["entries"] == 8976
    cons = shared_lists / "ofac_consolidated"
    data = _import("ofac_cons", str(cons / "cons_enhanced.xml"))
    assert data["status"] == "active" and data["entries"] > 400
    hik = ListEntry.objects.filter(version__source__code="ofac_cons", version__status=VersionStatus.ACTIVE,
                                   primary_name__icontains="hikvision")
    assert hik.exists()
    data = _import("us_csl", str(shared_lists / "us_csl" / "consolidated.csv"))
    assert data["status"] == "active" and data["entries"] > 14000
    active = ListEntry.objects.filter(version__source__code="us_csl", version__status=VersionStatus.ACTIVE)
    assert active.filter(primary_name__icontains="Hikvision", sub_list__icontains="Entity List").exists()


def test_opensanctions_full_file_then_its_delta(defaults, shared_lists):
    folder = shared_lists / "opensanctions_ftm"
    full = _import("opensanctions", str(folder / "entities.ftm.json"))
    assert full["status"] == "active" and full["entries"] >= 1
    delta = _import("opensanctions", str(folder / "entities.delta.json"))
    assert delta["delta"] is True and delta["status"] in ("active", "quarantined")
    assert delta["added"] + delta["changed"] + delta["removed"] >= 1
    assert ListEntry.objects.filter(version_id=delta["version"], primary_name="AL-QAIDA IN IRAQ").exists()
