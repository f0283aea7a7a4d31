"""POST /api/v1/screenings/ (issue #17): the answer states its coverage and pages its matches; the verdict counts
every match; the saved evidence keeps the coverage."""
import pytest

from apps.screening.models import PrePurchaseCheck
from tests.api.conftest import token_client
from tests.factories import SourceRequirementFactory
from tests.screening.conftest import bis, listed_entry, make_source, make_version, own_view_owner  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(db):
    make_version(make_source("gen_eu", regime="eu", name="EU list"), [listed_entry("Quorvex Telecom", "EU-1")])
    make_version(make_source("gen_bis", regime="us_bis", name="BIS list"),
                 [listed_entry(f"Quorvex Telecom Co., Ltd. {p}", f"B-{i}")
                  for i, p in enumerate(["Beijing", "Shenzhen", "Wuhan", "Hangzhou"] * 3)])
    return make_source("gen_uk", regime="uk", name="UK list")  # enabled, never loaded


def test_the_answer_states_its_coverage_and_pages_its_matches(world, lists):
    client = token_client(world["users"]["officer"])
    response = client.post("/api/v1/screenings/", {"name": "Quorvex Telecom Company", "limit": 2}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "prohibited" and body["matches_total"] == 13 and len(body["matches"]) == 2
    assert body["matches"][0]["source"] == "gen_eu" and body["matches"][0]["exact"]
    assert len(body["verdict_basis"]) == 13 and body["page"] == {"offset": 0, "limit": 2, "total": 13}
    coverage = body["coverage"]
    assert {"gen_bis", "gen_eu"} <= {v["source"] for v in coverage["searched"]}
    assert all(set(v) >= {"version_id", "sha256", "activated_at", "stale"} for v in coverage["searched"])
    assert coverage["required_missing"] == ["gen_uk"] and not coverage["complete"]
    check = PrePurchaseCheck.objects.get(pk=body["check_id"])
    assert check.result["coverage"] == coverage and check.verdict == "prohibited"


def test_a_clean_name_with_a_required_list_missing_is_not_cleared(world, lists):
    client = token_client(world["users"]["officer"])
    body = client.post("/api/v1/screenings/", {"name": "Konecranes Plc"}, format="json").json()
    assert body["verdict"] == "not_cleared" and body["cleared"] is False
    loaded = len(body["coverage"]["searched"])
    assert body["verdict_reason"] == (f"not cleared: {loaded} of {loaded + 1} lists loaded; "
                                      "required but not loaded: gen_uk")
    assert PrePurchaseCheck.objects.get(pk=body["check_id"]).verdict == "not_cleared"
    SourceRequirementFactory(organization=world["org"], source=lists, required=False)
    body = client.post("/api/v1/screenings/", {"name": "Konecranes Plc"}, format="json").json()
    assert body["verdict"] == "clear" and body["coverage"]["missing"][0]["required"] is False
    listed = client.get("/api/v1/screenings/", {"verdict": "not_cleared"}).json()["results"]
    assert len(listed) == 1


@pytest.mark.parametrize("bad", [{"limit": 0}, {"offset": -1}, {"limit": 501}])
def test_bad_paging_is_refused(world, lists, bad):
    client = token_client(world["users"]["officer"])
    response = client.post("/api/v1/screenings/", {"name": "Quorvex", **bad}, format="json")
    assert response.status_code == 400 and set(response.json()["error"]["fields"]) == set(bad)


def test_the_answer_is_in_the_callers_view_with_the_path_its_organisation_applies(own_view_owner):  # noqa: F811
    """A pending ownership proposal applied to the organisation's own view: the check of its members shows the
    subsidiary restricted with the path through the proposed owner; another organisation's, the public answer."""
    body = token_client(own_view_owner["officer"]).post(
        "/api/v1/screenings/", {"name": "Plainfield Cranes Inc"}, format="json").json()
    assert body["verdict"] == "restricted"
    (vendor,) = body["registry"]
    assert vendor["vendor_id"] == own_view_owner["sub"].pk and vendor["status"] == "restricted"
    (path,) = vendor["ownership_paths"]
    assert [s["owner_id"] for s in path["steps"]] == [own_view_owner["parent"].pk]
    assert path["steps"][0]["owner_status"] == "restricted" and path["steps"][0]["owner_findings"]
    assert path["proposed"] is True and path["steps"][0]["proposed"] is True  # rests on its pending proposal
    assert PrePurchaseCheck.objects.get(pk=body["check_id"]).result["registry"][0]["ownership_paths"] == [path]

    other = token_client(own_view_owner["other_officer"]).post(
        "/api/v1/screenings/", {"name": "Plainfield Cranes Inc"}, format="json").json()
    assert other["verdict"] == "clear"
    (vendor,) = other["registry"]
    assert vendor["status"] == "clear" and vendor["findings"] == [] and vendor["ownership_paths"] == []
