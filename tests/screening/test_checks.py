"""Pre-purchase checks an officer can sign (issue #17 items 1, 2, 4): the verdict counts every match whatever the
page size, every answer says which lists it searched and which it could not, a check that missed a required
list is never clear, and the registry's own knowledge (vendors, owners, findings) is part of the answer."""
import datetime as dt
import io
import json
import random
from decimal import Decimal

import pytest
from django.core.management import call_command

from apps.lists.models import ListEntry, ListSource
from apps.screening import matching
from apps.screening.models import PrePurchaseCheck
from apps.screening.services import screen_name, screening_run_full
from apps.vendors.services import ownership_create, vendor_alias_add, vendor_create
from tests.factories import ListSourceFactory, SourceRequirementFactory
from tests.screening.conftest import listed_entry, make_source, make_version

pytestmark = pytest.mark.django_db

LIMITS = (5, 25, None)
SYLLABLES = ["ka", "ro", "vi", "tel", "mar", "no", "sen", "dra", "lo", "qui", "ber", "tan", "zen", "fa", "lu",
             "gor", "vel", "tri", "son", "mex", "pra", "dio", "hal", "ven", "cor", "ast", "rin"]
TRADES = ["Technologies", "Systems", "Electronics", "Logistics", "Marine", "Cranes", "Vision", "Digital"]
LEGAL = ["Co., Ltd.", "Inc.", "GmbH", "LLC", "Limited", ""]
PLACES = ["Beijing", "Shenzhen", "Hamburg", "Houston", ""]


def _coined(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _generated_lists(rng: random.Random) -> list[str]:
    """Two lists that share many names: an EU list (prohibited) and a BIS-like list (restricted) holding, for
    some coined names, dozens of subsidiaries that score 1.0 too (the name plus a place word)."""
    eu, bis = make_source("gen_eu", regime="eu"), make_source("gen_bis", regime="us_bis")
    eu_rows, bis_rows, names = [], [], []
    for i in range(120):
        name = f"{_coined(rng)} {rng.choice(TRADES)}"
        names.append(name)
        eu_rows.append(listed_entry(f"{name} {rng.choice(LEGAL)}".strip(), f"EU-{i}"))
        for j in range(rng.choice([0, 0, 1, 3, 30])):
            bis_rows.append(listed_entry(f"{name} {rng.choice(LEGAL)} {rng.choice(PLACES)}".strip(), f"B-{i}-{j}"))
    make_version(eu, eu_rows)
    make_version(bis, bis_rows)
    return names


def _queries(rng: random.Random, names: list[str]) -> list[str]:
    out = []
    for name in rng.sample(names, 40):
        out += [name, name.upper(), f"{name} Company", name.replace(name.split()[0], name.split()[0][:-1] + "x")]
    return out + [f"{_coined(rng)} {rng.choice(TRADES)}" for _ in range(20)]


def _assert_same_verdicts(queries: list[str], **kwargs) -> int:
    """Every query's verdict, reason and full match set are the same at page sizes 5, 25 and unlimited, and the
    page is the head of the one ranking. Returns how many queries had more matches than the smallest page."""
    overflowing = 0
    for query in queries:
        answers = [screen_name(name=query, limit=limit, **kwargs) for limit in LIMITS]
        verdicts = {(a["verdict"], a["verdict_reason"]) for a in answers}
        assert len(verdicts) == 1, (query, verdicts)
        assert len({json.dumps(a["verdict_basis"], sort_keys=True) for a in answers}) == 1, query
        full = answers[-1]["matches"]
        assert len(full) == answers[-1]["matches_total"]
        for a, limit in zip(answers, LIMITS, strict=True):
            assert a["matches"] == full[:limit], (query, limit)
        overflowing += len(full) > LIMITS[0]
    return overflowing


def test_verdicts_do_not_change_with_the_page_size_generated_lists():
    rng = random.Random(17)
    names = _generated_lists(rng)
    assert _assert_same_verdicts(_queries(rng, names)) > 0  # some queries overflow the small pages


def test_the_exact_entry_of_the_worse_list_is_first_and_decides_even_when_35_subsidiaries_score_1():
    eu, bis = make_source("gen_eu", regime="eu"), make_source("gen_bis", regime="us_bis")
    make_version(bis, [listed_entry(f"Quorvex Telecom Co., Ltd. {place}", f"B-{i}")
                       for i, place in enumerate(["Beijing", "Shenzhen", "Shanghai", "Hangzhou", "Wuhan"] * 7)])
    make_version(eu, [listed_entry("Quorvex Telecom", "EU-1")])
    for limit in LIMITS:
        result = screen_name(name="Quorvex Telecom Company", limit=limit)
        assert result["verdict"] == "prohibited" and result["matches_total"] == 36
        assert (result["matches"][0]["source"], result["matches"][0]["exact"]) == ("gen_eu", True)
        assert result["match_counts"] == {"prohibited": 1, "restricted": 35}
    page = screen_name(name="Quorvex Telecom Company", limit=10, offset=30)
    assert len(page["matches"]) == 6 and page["page"] == {"offset": 30, "limit": 10, "total": 36}


def test_real_lists_verdicts_do_not_change_with_the_page_size(shared_lists):
    """The real lists (../shared/data/lists; skipped with its reason where absent) and the bundled statutory
    lists: Huawei's exact FCC Covered List and s.889 entries decide its verdict whatever the page size."""
    from apps.lists.defaults import BUNDLED_FILES
    from apps.lists.services import list_sources_setup, list_version_import

    list_sources_setup()
    files = {"ofac_cons": [shared_lists / "ofac_consolidated" / "cons_enhanced.xml"],
             "us_csl": [shared_lists / "us_csl" / "consolidated.csv"],
             **{code: [path] for code, path in BUNDLED_FILES.items()}}
    for code, paths in files.items():
        assert list_version_import(source=ListSource.objects.get(code=code), paths=paths).status == "active"
    huawei = screen_name(name="Huawei Technologies Company", limit=25)
    assert huawei["verdict"] == "prohibited" and huawei["matches_total"] > 25
    assert {"fcc_covered", "ndaa_889"} <= {m["source"] for m in huawei["matches"] if m["exact"]}
    rng = random.Random(889)
    entity_names = list(ListEntry.objects.filter(entry_type="entity").order_by("pk")
                        .values_list("primary_name", flat=True))
    queries = ["Huawei Technologies Company", "Huawei", "Hikvision", "ZTE Corporation", "Dahua Technology",
               "China Mobile", "Konecranes Plc", *rng.sample(entity_names, 60)]
    assert _assert_same_verdicts(queries) > 0


def test_the_candidate_cap_cuts_by_score_never_by_id_and_says_so():
    # the lowest ids hold the query word among two others, the next ones among one other, the last the word alone
    rng = random.Random(5)
    records = [matching.IndexRecord(key=i, names=(f"Zorbexa {_coined(rng)} {_coined(rng)}x",)) for i in range(24)]
    records += [matching.IndexRecord(key=i, names=(f"Zorbexa {_coined(rng)}y",)) for i in range(24, 30)]
    records.append(matching.IndexRecord(key=99, names=("Zorbexa",)))
    index = matching.CandidateIndex(records)
    outcome = index.search_complete(["Zorbexa"], min_score=0.0, max_candidates=5)
    # the cap is 5, the 6 names tied at the 5th best bound are all kept: 7 scored, the 24 longest dropped
    assert outcome.truncated == {"cap": 5, "dropped": 24}
    assert {m.key for m in outcome.matches} == {99, *range(24, 30)} and outcome.matches[0].key == 99
    assert index.search_complete(["Zorbexa"], min_score=0.0, max_candidates=None).truncated is None


def test_ties_at_the_cap_are_all_kept():
    records = [matching.IndexRecord(key=i, names=(f"Zorbexa {w}",)) for i, w in enumerate(["Alpha", "Alpha"] * 10)]
    outcome = matching.CandidateIndex(records).search_complete(["Zorbexa"], min_score=0.0, max_candidates=3)
    assert outcome.truncated is None and len(outcome.matches) == 20


def test_a_capped_answer_is_never_clear(monkeypatch):
    make_version(make_source("gen_eu", regime="eu"), [listed_entry("Somebody Else", "EU-1")])
    monkeypatch.setattr(matching.CandidateIndex, "search_complete",
                        lambda self, *a, **k: matching.SearchOutcome([], {"cap": 1, "dropped": 3}))
    result = screen_name(name="Konecranes Plc")
    assert result["verdict"] == "not_cleared" and result["truncated"] == {"cap": 1, "dropped": 3}
    assert "cap" in result["verdict_reason"]


# -- coverage ---------------------------------------------------------------------------------------------------


@pytest.fixture
def two_lists(db):
    """One list loaded, one enabled but never loaded, one disabled."""
    loaded = make_source("gen_eu", regime="eu", name="EU list")
    version = make_version(loaded, [listed_entry("Somebody Else", "EU-1")])
    missing = make_source("gen_uk", regime="uk", name="UK list")
    ListSourceFactory(code="gen_off", enabled=False)
    return {"loaded": loaded, "version": version, "missing": missing}


def test_a_check_says_what_it_searched_and_what_it_could_not(two_lists):
    result = screen_name(name="Konecranes Plc")
    assert result["verdict"] == "not_cleared" and not result["cleared"]
    assert result["verdict_reason"] == "not cleared: 1 of 2 lists loaded; required but not loaded: gen_uk"
    (searched,) = result["coverage"]["searched"]
    version = two_lists["version"]
    assert searched["source"] == "gen_eu" and searched["version_id"] == version.pk
    assert searched["sha256"] == version.sha256 and searched["activated_at"] == version.activated_at.isoformat()
    assert (searched["stale"], searched["required"]) == (False, True)
    assert result["coverage"]["missing"] == [{"source": "gen_uk", "source_name": "UK list", "required": True,
                                              "in_house": False}]


def test_an_optional_list_missing_still_allows_clear_and_an_organisation_decides_for_itself(two_lists, org):
    SourceRequirementFactory(organization=org, source=two_lists["missing"], required=False)
    assert screen_name(name="Konecranes Plc", organization=org)["verdict"] == "clear"
    assert screen_name(name="Konecranes Plc")["verdict"] == "not_cleared"  # the public view keeps the default
    ListSource.objects.filter(pk=two_lists["missing"].pk).update(required=False)
    result = screen_name(name="Konecranes Plc")
    assert result["verdict"] == "clear" and result["coverage"]["missing"][0]["required"] is False
    SourceRequirementFactory(organization=org, source=two_lists["loaded"], required=True)
    assert screen_name(name="Konecranes Plc", organization=org)["verdict"] == "clear"


def test_a_stale_required_list_is_never_clear(two_lists):
    ListSource.objects.filter(pk=two_lists["missing"].pk).update(required=False)
    ListSource.objects.filter(pk=two_lists["loaded"].pk).update(freshness_limit_hours=24)
    later = two_lists["version"].activated_at + dt.timedelta(hours=30)
    result = screen_name(name="Konecranes Plc", now=later)
    assert result["verdict"] == "not_cleared" and result["coverage"]["searched"][0]["stale"]
    assert result["verdict_reason"].endswith("required but stale: gen_eu")
    ListSource.objects.filter(pk=two_lists["loaded"].pk).update(last_success_at=later)  # confirmed unchanged
    assert screen_name(name="Konecranes Plc", now=later)["verdict"] == "clear"


def test_a_match_is_reported_even_when_lists_are_missing(two_lists):
    result = screen_name(name="Somebody Else")
    assert result["verdict"] == "prohibited" and "also incomplete" in result["verdict_reason"]


def test_no_list_at_all_is_not_cleared(db):
    result = screen_name(name="Konecranes Plc")
    assert (result["verdict"], result["verdict_reason"]) == ("not_cleared", "not cleared: no list loaded")


def test_saved_evidence_keeps_the_coverage_and_the_verdict(two_lists, officer, org):
    result = screen_name(name="Konecranes Plc", user=officer, organization=org, save=True)
    check = PrePurchaseCheck.objects.get(pk=result["check_id"])
    assert check.verdict == "not_cleared"
    assert check.result["coverage"] == json.loads(json.dumps(result["coverage"]))
    assert check.result["verdict_reason"].startswith("not cleared: 1 of 2 lists loaded")


def test_the_cli_json_has_the_coverage_and_the_human_output_says_it(two_lists):
    out = io.StringIO()
    call_command("screen", "Konecranes Plc", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["verdict"] == "not_cleared" and result["coverage"]["required_missing"] == ["gen_uk"]
    out = io.StringIO()
    call_command("screen", "Konecranes Plc", stdout=out)
    text = out.getvalue()
    assert "NOT_CLEARED (not cleared: 1 of 2 lists loaded" in text and "not loaded gen_uk (required)" in text


# -- the registry -----------------------------------------------------------------------------------------------


@pytest.fixture
def recorded(db, today):
    """A vendor no list names, controlled by a listed parent (EU: owned or controlled), screened."""
    eu = make_source("gen_eu", regime="eu", propagation="owned_or_controlled", name="EU list")
    make_version(eu, [listed_entry("Parentco Maritime Holdings", "EU-7")])
    parent = vendor_create(name="Parentco Maritime Holdings")
    crane = vendor_create(name="Quorvex Heavy Industries Co., Ltd.")
    vendor_alias_add(vendor=crane, name="QHI")
    ownership_create(owner=parent, owned=crane, share_percent=Decimal("60"))
    screening_run_full(today=today)
    return {"parent": parent, "crane": crane}


@pytest.mark.parametrize("query", ["QHI", "qhi", "Quorvex Heavy Industries Company", "QUORVEX HEAVY INDUSTRIES"])
def test_a_check_resolves_recorded_vendors_as_the_matcher_does(recorded, query, today):
    result = screen_name(name=query, today=today)
    assert result["matches"] == []  # no list names it...
    (vendor,) = [v for v in result["registry"] if v["vendor_id"] == recorded["crane"].pk]
    assert vendor["findings"] and vendor["status"] == "prohibited"  # ...but its controlling owner is listed
    assert result["verdict"] == "prohibited"
    (path,) = vendor["ownership_paths"]
    assert path["steps"][0]["owner_name"] == "Parentco Maritime Holdings" and path["steps"][0]["share_percent"]
    assert "Parentco Maritime Holdings" in path["path_text"]
    assert path["steps"][0]["owner_findings"][0]["source"] == "gen_eu"


def test_the_lists_are_searched_with_the_names_the_registry_knows(recorded, today):
    make_version(make_source("gen_bis", regime="us_bis"), [listed_entry("Quorvex Heavy Industries Company", "B-1")])
    result = screen_name(name="QHI", today=today)
    (match,) = result["matches"]
    assert match["source"] == "gen_bis" and match["via_vendor"] == {"vendor_id": recorded["crane"].pk,
                                                                    "vendor_name": recorded["crane"].name}
    assert screen_name(name="Quorvex Heavy Industries", today=today)["matches"][0]["via_vendor"] is None


def test_a_dismissed_match_of_the_recorded_vendor_stays_dismissed_in_a_check(recorded, today, officer, org):
    from apps.screening.models import Match
    from apps.screening.services import review_decide

    make_version(make_source("gen_bis", regime="us_bis"), [listed_entry("Quorvex Heavy Industrial", "B-1")])
    screening_run_full(today=today)
    match = Match.objects.get(vendor=recorded["crane"], source__code="gen_bis", closed_at__isnull=True)
    before = screen_name(name="QHI", organization=org, today=today)
    assert [(m["source"], m["status"], m["review_state"]) for m in before["matches"]] == [
        ("gen_bis", "restricted", "auto_confirmed")]
    review_decide(match=match, decision="dismiss", reason="Another Quorvex.", user=officer)
    assert screen_name(name="QHI", organization=org, today=today)["matches"] == []
    assert screen_name(name="QHI", today=today)["matches"] != []  # the organisation's decision, its view only


def test_a_different_company_sharing_a_word_is_not_resolved(recorded, today):
    result = screen_name(name="Quorvex Bakery Supplies", today=today)
    assert [v["vendor_name"] for v in result["registry"]] == []


def test_a_check_resolves_a_vendor_by_identifier(recorded, today):
    from apps.vendors.services import vendor_identifier_add

    vendor_identifier_add(vendor=recorded["crane"], scheme="lei", value="529900T8BM49AURSDO55")
    result = screen_name(name="Totally Other Name", identifiers=["lei:529900T8BM49AURSDO55"], today=today)
    assert [(v["vendor_id"], v["resolved_by"]) for v in result["registry"]] == [(recorded["crane"].pk,
                                                                                 "identifier")]


def test_the_registry_shows_the_oem_maker(db, today):
    from apps.vendors.models import OemRelation

    maker = vendor_create(name="Hangzhou Quorvision Digital Technology Co., Ltd.")
    brand = vendor_create(name="Brightlume Security Inc.")
    OemRelation.objects.create(brand=brand, manufacturer=maker, category="camera")
    result = screen_name(name="Brightlume Security", today=today)
    (vendor,) = result["registry"]
    assert vendor["oem_manufacturers"][0]["manufacturer_name"] == maker.name



def test_the_registry_cut_keeps_the_best_names_and_reports_only_a_cut_that_matters(monkeypatch, db, today):
    from apps.screening.services import checks

    monkeypatch.setattr(checks, "REGISTRY_MAX_CANDIDATES", 5)
    make_version(make_source("gen_eu", regime="eu"), [listed_entry("Somebody Else", "EU-1")])
    for i in range(12):  # a word many vendors share, each with a rare word of its own
        vendor_create(name=f"Zorbexa {_coined(random.Random(i))}q{i} Marine")
    target = vendor_create(name="Quillion Zorbexa Marine")  # created last: the highest id
    result = screen_name(name="Quillion Zorbexa Marine", today=today)
    assert [v["vendor_id"] for v in result["registry"]] == [target.pk]
    assert result["truncated"] is None and result["verdict"] == "clear"
    for i in range(12):  # now many names hold every word of the query: the cut may drop a match, and says so
        vendor_create(name=f"Quillion Zorbexa Marine {_coined(random.Random(100 + i))}q{i}")
    result = screen_name(name="Quillion Zorbexa Marine", today=today)
    assert target.pk in [v["vendor_id"] for v in result["registry"]]
    assert result["truncated"]["registry_cap"] == 5 and result["verdict"] == "not_cleared"
