"""`manage.py screen` (pre-purchase check) and `manage.py rescreen`."""
import io
import json

import pytest
from django.core.management import CommandError, call_command

from apps.screening.models import PrePurchaseCheck, ScreeningRun
from apps.vendors.services import vendor_create
from tests.screening.conftest import listed_entry, make_version

pytestmark = pytest.mark.django_db


def screen(*args) -> dict:
    out = io.StringIO()
    call_command("screen", *args, "--json", stdout=out)
    text = out.getvalue().strip()
    assert text.count("\n") == 0  # one JSON object, one line
    return json.loads(text)


def test_screen_prints_one_json_object_with_the_contract_shape(sdn):
    version = make_version(sdn, [listed_entry("Zorblax Holdings Co., Ltd.", "A-1", aliases=["Zorblax"])])
    result = screen("Zorblax Holdings", "--country", "cn")
    assert set(result) >= {"query", "verdict", "matches", "versions"}
    assert result["query"] == {"name": "Zorblax Holdings", "country": "CN", "identifiers": []}
    assert result["verdict"] == "prohibited"
    (match,) = result["matches"]
    assert set(match) >= {"source", "entry_id", "entry_name", "matched_name", "score", "explanation"}
    assert (match["source"], match["entry_id"]) == ("test_sdn", "A-1")
    assert match["entry_name"] == "Zorblax Holdings Co., Ltd."
    assert 0 <= match["score"] <= 1 and match["explanation"]
    assert result["versions"][0]["version_id"] == version.pk
    assert result["versions"][0]["sha256"] == version.sha256


def test_screen_clear_name(sdn):
    make_version(sdn, [listed_entry("Zorblax Holdings", "A-1")])
    result = screen("Konecranes Plc")
    assert result["verdict"] == "clear" and result["matches"] == []


def test_screen_with_identifier(sdn):
    make_version(sdn, [listed_entry("Totally Different Name Ltd", "A-9",
                                    identifiers=[{"scheme": "lei", "value": "529900T8BM49AURSDO55"}])])
    result = screen("Some Trading Name", "--identifier", "lei:529900T8BM49AURSDO55")
    assert result["verdict"] == "prohibited"
    assert result["matches"][0]["strength"] == "identifier"


def test_screen_save_keeps_evidence(sdn, officer, org):
    make_version(sdn, [listed_entry("Zorblax Holdings", "A-1")])
    out = io.StringIO()
    call_command("screen", "Zorblax Holdings", "--json", "--save", "--user", officer.username, "--org", org.slug,
                 stdout=out)
    result = json.loads(out.getvalue())
    check = PrePurchaseCheck.objects.get(pk=result["check_id"])
    assert (check.requested_by, check.organization, check.verdict) == (officer, org, "prohibited")
    assert check.list_versions == result["versions"] and len(check.result_sha256) == 64
    with pytest.raises(RuntimeError):
        check.save()  # evidence is append-only


@pytest.mark.parametrize("args", [["", "--json"], ["Acme", "--country", "China", "--json"],
                                  ["Acme", "--identifier", "nocolon", "--json"]])
def test_screen_refuses_bad_input(db, args):
    with pytest.raises(CommandError):
        call_command("screen", *args, stdout=io.StringIO())
    assert not PrePurchaseCheck.objects.exists()


def test_screen_human_output(sdn):
    make_version(sdn, [listed_entry("Zorblax Holdings", "A-1")])
    out = io.StringIO()
    call_command("screen", "Zorblax Holdings", stdout=out)
    assert out.getvalue().startswith("Zorblax Holdings: PROHIBITED")


def test_rescreen_runs_a_full_run_and_prints_json(sdn):
    make_version(sdn, [listed_entry("Zorblax Holdings", "A-1")])
    vendor = vendor_create(name="Zorblax Holdings")
    out = io.StringIO()
    call_command("rescreen", stdout=out)
    result = json.loads(out.getvalue())
    assert result["status"] == "succeeded" and result["vendors"] == 1
    assert ScreeningRun.objects.get(pk=result["run"]).trigger == "manual"
    vendor.refresh_from_db()
    assert vendor.risk_status == "prohibited"
    out = io.StringIO()
    call_command("rescreen", "--vendor", str(vendor.pk), stdout=out)
    assert json.loads(out.getvalue())["vendors"] == 1


def test_screen_reports_registry_findings_through_ownership(sdn):
    from apps.screening.services import screening_run_full
    from apps.vendors.services import ownership_create, vendor_alias_add

    make_version(sdn, [listed_entry("Zorblax Holdings", "A-1")])
    parent = vendor_create(name="Zorblax Holdings")
    child = vendor_create(name="Childworth Ports Ltd")
    vendor_alias_add(vendor=child, name="CWP")
    ownership_create(owner=parent, owned=child, share_percent=100)
    screening_run_full()
    result = screen("cwp")
    assert result["matches"] == []  # no list names it...
    (known,) = result["registry"]
    assert known["vendor_name"] == "Childworth Ports Ltd" and known["risk_status"] == "prohibited"
    assert known["findings"][0]["path_text"].startswith("Childworth Ports Ltd <- owned by Zorblax Holdings (100%)")
    assert result["verdict"] == "prohibited"  # ...but the registry knows who owns it


def test_screen_json_says_why_beside_the_score_and_explanation(sdn):
    make_version(sdn, [listed_entry("Zorblax Holdings Co., Ltd.", "A-1")])
    (match,) = screen("Zorblax Holding")["matches"]
    assert match["why"] == ("Legal forms set aside ('Co., Ltd.'); 'Holding' is another spelling of the listed "
                            "'Holdings'.")
    assert match["reasons"] and all("code" in r for r in match["reasons"])
    assert match["explanation"] and "score" in match
    out = io.StringIO()
    call_command("screen", "Zorblax Holding", stdout=out)
    assert f"why: {match['why']}" in out.getvalue() and "detail: Vendor name" in out.getvalue()
