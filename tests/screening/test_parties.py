"""One row per listed party: the grouping (apps.screening.parties), the parties of a pre-purchase check, and one
review decision covering a party's copies (services.review_decide with `group` / `matches`)."""
import datetime as dt

import pytest

from apps.audit.models import AuditEvent
from apps.common.exceptions import ApplicationError
from apps.lists.sources import get_parser
from apps.screening.models import Match, ReviewDecision
from apps.screening.parties import PartyEntry, party_entry, party_ids
from apps.screening.selectors import match_party_copies, matches_in_view, review_queue_groups
from apps.screening.services import checks, review_decide, screen_name, screening_run_full
from apps.vendors.services import vendor_create
from tests.factories import ListSourceFactory
from tests.screening.conftest import listed_entry, make_version

SDN_LABEL = "Specially Designated Nationals (SDN) - Treasury Department"


def pe(key, code, fmt, ext, name, **kw) -> PartyEntry:
    return party_entry(key=key, source_code=code, source_format=fmt, external_id=ext, primary_name=name, **kw)


# ---------------------------------------------------------------------------------------------------------------
# The grouping, pure


def test_party_ids_group_the_1260h_tranches_of_one_company():
    ids = party_ids([
        pe(1, "dod_1260h", "dod_1260h_csv", "zorblax-dynamics-co-ltd@2025-01-07", "Zorblax Dynamics Co., Ltd."),
        pe(2, "dod_1260h", "dod_1260h_csv", "zorblax-dynamics-co-ltd@2026-06-08", "ZORBLAX DYNAMICS CO LTD"),
        pe(3, "dod_1260h", "dod_1260h_csv", "zorblax-aero@2026-06-08", "Zorblax Aerospace Institute",
           extra={"previous_names": ["Zorblax Aero Research"]}),
        pe(4, "dod_1260h", "dod_1260h_csv", "zorblax-aero-research@2025-01-07", "Zorblax Aero Research"),
    ])
    assert ids[1] == ids[2] == "dod_1260h:zorblax-dynamics-co-ltd@2025-01-07"
    assert ids[3] == ids[4] != ids[1]  # renamed: the previous name joins; the parent stays apart


def test_party_ids_join_an_sdn_entry_and_its_csl_copies_by_ofac_uid():
    ids = party_ids([
        pe("sdn", "ofac_sdn", "ofac_legacy_csv", "9001", "ZORBLAX DYNAMICS CO., LTD."),
        pe("csl", "us_csl", "us_csl_csv", "SDN:9001", "ZORBLAX DYNAMICS CO., LTD.", sub_list="SDN",
           extra={"csl_id": "9001", "source": SDN_LABEL}),
        pe("cmic", "us_csl", "us_csl_csv", "CMIC:9001", "ZORBLAX DYNAMICS", sub_list="CMIC"),
        pe("other", "ofac_sdn", "ofac_legacy_csv", "9002", "ZORBLAX DYNAMICS CO., LTD."),  # a namesake
        pe("el", "us_csl", "us_csl_csv", "EL:9001", "Zorblax Dynamics Co., Ltd.", sub_list="Entity List"),
    ])
    assert ids["sdn"] == ids["csl"] == ids["cmic"]
    assert len({ids["sdn"], ids["other"], ids["el"]}) == 3  # names never join SDN rows; BIS ids are no UID


def test_party_ids_join_entries_sharing_an_identifier_only_of_a_party_scheme():
    uscc = [{"scheme": "Unified Social Credit Code (USCC)", "value": "91330000MA27U0G20X"}]
    ids = party_ids([
        pe(1, "us_csl", "us_csl_csv", "EL:aa", "Quuxor Trading Co.", identifiers=uscc),
        pe(2, "eu_fsf", "eu_fsf_xml", "EU.1", "Quuxor Trading Company Limited",
           identifiers=[{"scheme": "uscc", "value": "91330000ma27u0g20x"}]),
        pe(3, "eu_fsf", "eu_fsf_xml", "EU.2", "Quuxor Bank", identifiers=[{"scheme": "bic", "value": "QUUXCNSH"}]),
        pe(4, "uk_ofsi", "uk_ofsi_csv", "UK.9", "Quuxor Bank Branch", identifiers=[{"scheme": "bic",
                                                                                      "value": "QUUXCNSH"}]),
    ])
    assert ids[1] == ids[2]
    assert ids[3] != ids[4]  # a bank code is shared by branches: not a party's identifier


def test_party_ids_are_deterministic_whatever_the_order():
    entries = [
        pe(1, "ofac_sdn", "ofac_legacy_csv", "9001", "A"),
        pe(2, "us_csl", "us_csl_csv", "SDN:9001", "A", sub_list="SDN"),
        pe(3, "us_csl", "us_csl_csv", "SSI:9001", "A", sub_list="SSI"),
    ]
    assert party_ids(entries) == party_ids(entries[::-1])
    assert set(party_ids(entries).values()) == {"ofac_sdn:9001"}


# ---------------------------------------------------------------------------------------------------------------
# In the database: three lists naming one party five times


@pytest.fixture
def copies(db):
    dod = ListSourceFactory(code="dod_1260h", name="DoD Section 1260H list", format="dod_1260h_csv",
                            regime="us_dod")
    sdn = ListSourceFactory(code="ofac_sdn", name="OFAC SDN list", format="ofac_legacy_csv", regime="us_ofac")
    csl = ListSourceFactory(code="us_csl", name="Consolidated Screening List", format="us_csl_csv", regime="us_csl")
    make_version(dod, [
        listed_entry("Zorblax Dynamics Co., Ltd.", "zorblax-dynamics-co-ltd@2025-01-07",
                     listed_on=dt.date(2025, 1, 7), extra={"entity_key": "zorblax-dynamics-co-ltd"}),
        listed_entry("Zorblax Dynamics Co., Ltd.", "zorblax-dynamics-co-ltd@2026-06-08",
                     listed_on=dt.date(2026, 6, 8), extra={"entity_key": "zorblax-dynamics-co-ltd"}),
        listed_entry("Zorblax Dynamics Electronics Co., Ltd.", "zorblax-dynamics-electronics-co-ltd@2026-06-08",
                     listed_on=dt.date(2026, 6, 8)),
    ])
    make_version(sdn, [listed_entry("ZORBLAX DYNAMICS CO., LTD.", "9001", sub_list="SDN")])
    make_version(csl, [listed_entry("ZORBLAX DYNAMICS CO., LTD.", "SDN:9001", sub_list="SDN",
                                    extra={"csl_id": "9001", "source": SDN_LABEL})])
    return {"dod": dod, "sdn": sdn, "csl": csl}


def test_check_answer_lists_one_row_per_party_and_folds_the_related_ones(copies):
    result = screen_name(name="Zorblax Dynamics Co., Ltd.")
    # Names never join different lists (a namesake is not the party): the 1260H company and the SDN entry with
    # its CSL copy are two exact parties; the subsidiary the broad name also hits is folded.
    exact = [p for p in result["parties"] if not p["related"]]
    assert result["parties"][:2] == exact
    assert sorted((p["listed_on_text"], p["copies"]) for p in exact) == [
        ("DoD 1260H (2025, 2026)", 2), ("OFAC SDN, CSL", 2)]
    basis = {(m["source"], m["entry_id"]): m["status"] for m in result["verdict_basis"]}
    for party in exact:
        statuses = [basis[(e["source"], e["entry_id"])] for e in party["entries"]]
        assert party["status"] == max(statuses, key=lambda s: checks.RISK_ORDER.get(s, 0))
    related = [p for p in result["parties"] if p["related"]]
    assert [p["name"] for p in related] == ["Zorblax Dynamics Electronics Co., Ltd."]
    assert result["parties_related"] == 1 and result["parties_total"] == 3
    assert sum(p["copies"] for p in result["parties"]) == result["matches_total"]


def test_check_parties_leave_the_verdict_and_the_matches_unchanged(copies, monkeypatch):
    with_parties = screen_name(name="Zorblax Dynamics Co., Ltd.", now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    monkeypatch.setattr(checks, "check_parties", lambda matches, sources: [])
    without = screen_name(name="Zorblax Dynamics Co., Ltd.", now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    for key in ("verdict", "verdict_reason", "verdict_basis", "matches", "matches_total", "match_counts"):
        assert with_parties[key] == without[key], key
    assert len(with_parties["verdict_basis"]) == 5


# ---------------------------------------------------------------------------------------------------------------
# One decision for a party's copies


@pytest.fixture
def screened(copies, no_auto_confirm):
    vendor = vendor_create(name="Zorblax Dynamics Co., Ltd.")
    namesake = vendor_create(name="Zorblax Dynamics Company Ltd")  # another vendor row: its own identity
    screening_run_full()
    return vendor, namesake


def vendor_match(vendor, source_code, ext) -> Match:
    return Match.objects.get(vendor=vendor, source__code=source_code, external_id=ext, closed_at__isnull=True)


def test_review_queue_groups_one_row_per_vendor_and_party(screened, org):
    vendor, namesake = screened
    groups = review_queue_groups(org.pk)
    mine = [g for g in groups if g.vendor_id == vendor.pk]
    assert sorted(g.copies for g in mine) == [1, 2, 2]
    assert len(groups) == len({(g.vendor_id, g.party_id) for g in groups})
    assert sum(g.copies for g in groups) == matches_in_view(org.pk).filter(view_review_state="unreviewed").count()


def test_a_group_decision_covers_every_copy_and_nothing_else(screened, officer, org, other_org):
    vendor, namesake = screened
    first = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-co-ltd@2025-01-07")
    assert [m.pk for m in match_party_copies(first, org.pk)][0] == first.pk
    decision = review_decide(match=first, decision="dismiss", reason="A different company (address, products).",
                             user=officer, group=True)
    covered = {(m.source.code, m.external_id) for m in Match.objects.filter(pk__in=decision.group_match_ids)}
    assert covered == {("dod_1260h", "zorblax-dynamics-co-ltd@2025-01-07"),
                       ("dod_1260h", "zorblax-dynamics-co-ltd@2026-06-08")}
    assert len(decision.group_decisions) == 2
    assert ReviewDecision.objects.filter(organization=org, superseded_at__isnull=True).count() == 2
    states = {(m.vendor_id, m.source.code, m.external_id): m.view_review_state
              for m in matches_in_view(org.pk).filter(closed_at__isnull=True).select_related("source")}
    assert all(states[(vendor.pk, *key)] == "dismissed" for key in covered)
    assert states[(vendor.pk, "dod_1260h", "zorblax-dynamics-electronics-co-ltd@2026-06-08")] == "unreviewed"
    assert states[(vendor.pk, "ofac_sdn", "9001")] == "unreviewed"  # another party (names never join lists)
    # another vendor's matches of the same entries, and another organisation's view: untouched
    assert {s for (v, *_k), s in states.items() if v == namesake.pk} == {"unreviewed"}
    assert set(matches_in_view(other_org.pk).filter(closed_at__isnull=True)
               .values_list("view_review_state", flat=True)) == {"unreviewed"}
    events = AuditEvent.objects.filter(action="screening.match.dismiss")
    assert events.count() == 2 and all(sorted(e.changes["group_matches"]) == sorted(decision.group_match_ids)
                                       for e in events)


def test_a_group_decision_refuses_a_match_that_is_not_a_copy(screened, officer):
    vendor, namesake = screened
    first = vendor_match(vendor, "ofac_sdn", "9001")
    stranger = vendor_match(vendor, "dod_1260h", "zorblax-dynamics-electronics-co-ltd@2026-06-08")
    other_vendor = vendor_match(namesake, "us_csl", "SDN:9001")
    for wrong in (stranger, other_vendor):
        with pytest.raises(ApplicationError) as info:
            review_decide(match=first, decision="confirm", reason="Same company.", user=officer,
                          matches=[wrong.pk])
        assert "matches" in info.value.fields
    assert not ReviewDecision.objects.exists()
    chosen = vendor_match(vendor, "us_csl", "SDN:9001")
    decision = review_decide(match=first, decision="confirm", reason="Same company.", user=officer,
                             matches=[chosen.pk])
    assert sorted(decision.group_match_ids) == sorted([first.pk, chosen.pk])


def test_a_registry_wide_group_decision_sets_the_public_state_of_every_copy(screened, verified_curator):
    vendor, namesake = screened
    first = vendor_match(vendor, "us_csl", "SDN:9001")
    decision = review_decide(match=first, decision="confirm", reason="Same company.", user=verified_curator,
                             registry_wide=True, group=True)
    assert {d.organization_id for d in decision.group_decisions} == {None}
    states = dict(Match.objects.filter(pk__in=decision.group_match_ids).values_list("pk", "review_state"))
    assert set(states.values()) == {"confirmed"} and len(states) == 2
    assert set(Match.objects.filter(vendor=namesake).values_list("review_state", flat=True)) == {"unreviewed"}


# ---------------------------------------------------------------------------------------------------------------
# Conformance: the real files


@pytest.mark.conformance
def test_real_lists_group_known_parties(shared_lists):
    def parsed(fmt, paths, keep):
        return [e for e in get_parser(fmt).parse(paths) if keep(e)]

    dod = parsed("dod_1260h_csv", [shared_lists / "dod_1260h" / "sanctions.csv"],
                 lambda e: "hikvision" in e.primary_name.lower())
    sdn_dir = shared_lists / "ofac_sdn"
    sdn = parsed("ofac_legacy_csv", [sdn_dir / n for n in ("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv")],
                 lambda e: e.external_id == "306")
    csl = parsed("us_csl_csv", [shared_lists / "us_csl" / "consolidated.csv"],
                 lambda e: e.external_id == "SDN:306" or "hikvision" in e.primary_name.lower())
    assert len(dod) >= 3 and len(sdn) == 1 and any(e.external_id == "SDN:306" for e in csl)

    def as_party(code, fmt, e):
        return party_entry(key=(code, e.external_id), source_code=code, source_format=fmt,
                           external_id=e.external_id, primary_name=e.primary_name, sub_list=e.sub_list,
                           identifiers=e.identifiers, extra=e.extra)

    ids = party_ids([*(as_party("dod_1260h", "dod_1260h_csv", e) for e in dod),
                     *(as_party("ofac_sdn", "ofac_legacy_csv", e) for e in sdn),
                     *(as_party("us_csl", "us_csl_csv", e) for e in csl)])
    hik_1260h = {p for (code, ext), p in ids.items() if code == "dod_1260h"
                 and ext.startswith("hangzhou-hikvision-digital-technology-co-ltd@")}
    assert len(hik_1260h) == 1  # 2021, 2025 and 2026 tranches: one party
    assert ids[("ofac_sdn", "306")] == ids[("us_csl", "SDN:306")] == "ofac_sdn:306"  # BANCO NACIONAL DE CUBA
    assert ids[("us_csl", "SDN:306")] not in hik_1260h
