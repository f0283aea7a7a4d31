"""FCC Covered List entries keep their own scope: the wording, the equipment categories it names, the purpose
limitation and the date added; on the real files (../shared/data/lists), the bundled file and small fixtures."""
import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from apps.common.choices import EquipmentCategory
from apps.lists.sources import fcc_covered_csv
from apps.lists.sources.base import ParsedEntry, ParseError
from apps.lists.sources.fcc_covered_csv import scope_categories_of

BUNDLED = Path(__file__).resolve().parents[2] / "apps" / "lists" / "data" / "fcc_covered.csv"
VIDEO_TELECOM = ["camera", "nvr_vms", "network", "telecom_module"]
EVERY = list(EquipmentCategory.values)


def by_id(entries):
    return {e.external_id: e for e in entries}


@pytest.mark.parametrize(("scope", "expected"), [
    ("Telecommunications equipment produced by Huawei Technologies Company, including telecommunications or video "
     "surveillance services provided by such entity or using such equipment.", ["network", "telecom_module"]),
    ("Video surveillance and telecommunications equipment produced by Dahua Technology Company, to the extent it "
     "is used for the purpose of public safety", VIDEO_TELECOM),
    ("Information security products, solutions, and services supplied, directly or indirectly, by AO Kaspersky Lab",
     EVERY),
    ("Cybersecurity and anti-virus software produced or provided by Kaspersky Lab, Inc.", EVERY),
    ("International telecommunications services provided by China Mobile International USA Inc. subject to section "
     "214 of the Communications Act of 1934.", []),
    ("Uncrewed aircraft systems (UAS) and UAS critical components produced in a foreign country", ["drone"]),
    ("Something the parser has never seen", None),
])
def test_scope_categories_from_the_entry_wording(scope, expected):
    assert scope_categories_of(scope) == expected


@pytest.mark.conformance
@pytest.mark.parametrize("name", ["table.csv", "covered_list_entities_transcribed.csv"])
def test_real_fcc_files_give_each_entry_its_own_scope_and_date(shared_lists, name):
    entries = by_id(fcc_covered_csv.parse([shared_lists / "fcc_covered_list" / name]))
    kaspersky = entries["ao-kaspersky-lab"]
    assert kaspersky.listed_on == dt.date(2022, 3, 25) and kaspersky.scope_categories == EVERY
    assert kaspersky.scope.startswith("Information security products")
    assert entries["huawei-technologies-company"].scope_categories == ["network", "telecom_module"]
    assert entries["zte-corporation"].scope_categories == ["network", "telecom_module"]
    for slug in ("hangzhou-hikvision-digital-technology-company", "dahua-technology-company",
                 "hytera-communications-corporation"):
        assert entries[slug].scope_categories == VIDEO_TELECOM and entries[slug].listed_on == dt.date(2021, 3, 12)
    assert entries["china-mobile-international-usa-inc"].scope_categories == []
    assert entries["kaspersky-lab-inc"].listed_on == dt.date(2024, 7, 23)


@pytest.mark.conformance
def test_real_fcc_table_keeps_the_purpose_limitation(shared_lists):
    entries = by_id(fcc_covered_csv.parse([shared_lists / "fcc_covered_list" / "table.csv"]))
    assert entries["hangzhou-hikvision-digital-technology-company"].extra["scope_limitation"] == (
        "public safety, security of government facilities, physical security surveillance of critical "
        "infrastructure, and other national security purposes")
    assert "scope_limitation" not in entries["huawei-technologies-company"].extra


def test_bundled_fcc_file_has_a_scope_for_every_entry():
    entries = list(fcc_covered_csv.parse([BUNDLED]))
    assert len(entries) == 13 and all(e.scope_categories is not None and e.listed_on for e in entries)


def test_equipment_categories_column_wins_and_is_checked(tmp_path):
    path = tmp_path / "fcc.csv"
    path.write_text("entity,equipment_or_service,date_added,equipment_categories\n"
                    "Example Corp,Telecommunications equipment produced by Example Corp,2021-03-12,camera;drone\n"
                    "Services Corp,Telecommunications equipment,2021-03-12,\n", encoding="utf-8")
    entries = by_id(fcc_covered_csv.parse([path]))
    assert entries["example-corp"].scope_categories == ["camera", "drone"]
    assert entries["services-corp"].scope_categories == []
    path.write_text("entity,equipment_or_service,date_added,equipment_categories\n"
                    "Example Corp,Anything,2021-03-12,cameras\n", encoding="utf-8")
    with pytest.raises(ParseError, match="unknown equipment categories cameras"):
        list(fcc_covered_csv.parse([path]))


def test_content_hash_of_an_entry_without_scope_categories_is_unchanged():
    """Lists with no per-entry scope keep their hashes (review decisions are keyed by them)."""
    entry = ParsedEntry(external_id="1", primary_name="Zorblax Holdings", listed_on=dt.date(2021, 6, 3))
    data = {"external_id": "1", "primary_name": "Zorblax Holdings", "entry_type": "entity", "aliases": [],
            "sub_list": "", "programs": [], "countries": [], "addresses": [], "identifiers": [],
            "listed_on": "2021-06-03", "end_date": None, "remarks": "", "source_url": "", "parent_name": "",
            "scope": "", "extra": {}}
    assert entry.content_hash() == hashlib.sha256(
        json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    scoped = ParsedEntry(external_id="1", primary_name="Zorblax Holdings", listed_on=dt.date(2021, 6, 3),
                         scope_categories=[])
    assert scoped.content_hash() != entry.content_hash()


@pytest.mark.django_db
def test_import_stores_the_scope_on_each_entry_and_other_lists_keep_null(settings, tmp_path, shared_lists):
    import io

    from django.core.management import call_command

    from apps.lists.models import ListEntry
    from apps.lists.services import list_sources_setup

    settings.MEDIA_ROOT = str(tmp_path)
    list_sources_setup()
    for code, path in (("fcc_covered", BUNDLED), ("ndaa_889", shared_lists / "us_ndaa" / "section_889.csv")):
        call_command("import_list", code, str(path), "--json", stdout=io.StringIO())
    fcc = ListEntry.objects.filter(version__source__code="fcc_covered", version__status="active")
    kaspersky = fcc.get(external_id="ao-kaspersky-lab")
    assert kaspersky.scope_categories == EVERY and kaspersky.listed_on == dt.date(2022, 3, 25)
    assert fcc.get(external_id="china-telecom-americas-corp").scope_categories == []
    assert fcc.get(external_id="dahua-technology-company").scope_categories == VIDEO_TELECOM
    ndaa = ListEntry.objects.filter(version__source__code="ndaa_889", version__status="active")
    assert ndaa.count() == 5 and all(e.scope_categories is None for e in ndaa)
