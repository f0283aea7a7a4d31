"""Pure policy arithmetic: deadlines with injected dates, time zones, precedence, rule windows."""
import datetime as dt

import pytest

from apps.remediation.policy import (
    CountryFact,
    EquipmentContext,
    FindingFact,
    RuleSpec,
    add_days,
    candidates_for,
    choose,
    deadline_for,
    local_today,
    rule_in_force,
    why_text,
)

D = dt.date


def rule(**kw) -> RuleSpec:
    data = {"id": 1, "code": "r1", "version": 1, "name": "R1", "basis": "finding", "action": "replace"}
    data.update(kw)
    return RuleSpec(**data)


def ctx(**kw) -> EquipmentContext:
    data = {"equipment_id": 1, "organization_id": 1, "site_id": 1, "category": "camera", "site_kind": "seaport",
            "site_criticality": "high", "site_is_defence": False, "connectivity": "site_network"}
    data.update(kw)
    return EquipmentContext(**data)


def finding(**kw) -> FindingFact:
    data = {"finding_id": 1, "vendor_id": 9, "vendor_name": "Hikvision", "vendor_role": "brand",
            "source_code": "ndaa_889", "regime": "us_ndaa", "sub_list": "", "status": "prohibited",
            "listed_on": D(2019, 8, 13), "discovered_on": D(2026, 1, 10)}
    data.update(kw)
    return FindingFact(**data)


def test_n_days_after_leap_day():
    assert add_days(D(2024, 2, 29), 1) == D(2024, 3, 1)
    assert add_days(D(2024, 2, 29), 365) == D(2025, 2, 28)
    assert add_days(D(2024, 2, 28), 366) == D(2025, 2, 28)
    assert add_days(D(2023, 2, 28), 366) == D(2024, 2, 29)


def test_deadline_later_of_listing_or_discovery():
    r = rule(deadline_days=90)
    # listed after discovery: counts from the listing
    assert deadline_for(r, listed_on=D(2024, 2, 29), discovered_on=D(2024, 1, 1)) == D(2024, 5, 29)
    # discovered after listing: counts from the discovery
    assert deadline_for(r, listed_on=D(2019, 10, 9), discovered_on=D(2024, 2, 29)) == D(2024, 5, 29)
    # no listing date: discovery
    assert deadline_for(r, listed_on=None, discovered_on=D(2024, 2, 29)) == D(2024, 5, 29)


def test_deadline_anchors_listing_and_discovery():
    assert deadline_for(rule(deadline_days=10, deadline_anchor="listing"), listed_on=D(2024, 2, 25),
                        discovered_on=D(2024, 6, 1)) == D(2024, 3, 6)
    assert deadline_for(rule(deadline_days=10, deadline_anchor="discovery"), listed_on=D(2024, 12, 25),
                        discovered_on=D(2024, 2, 20)) == D(2024, 3, 1)


def test_fixed_statutory_date_and_both():
    assert deadline_for(rule(deadline_date=D(2027, 6, 30)), listed_on=None, discovered_on=D(2026, 1, 1)) \
        == D(2027, 6, 30)
    both = rule(deadline_date=D(2020, 8, 13), deadline_days=30)
    # the later of the statutory date and N days after discovery
    assert deadline_for(both, listed_on=D(2019, 8, 13), discovered_on=D(2026, 1, 1)) == D(2026, 1, 31)
    assert deadline_for(both, listed_on=D(2019, 8, 13), discovered_on=D(2020, 1, 1)) == D(2020, 8, 13)
    with pytest.raises(ValueError):
        deadline_for(rule(), listed_on=None, discovered_on=D(2026, 1, 1))
    later_rule = rule(deadline_days=0, effective_from=D(2027, 3, 1))
    assert deadline_for(later_rule, listed_on=None, discovered_on=D(2026, 1, 1)) == D(2027, 3, 1)


def test_today_depends_on_time_zone():
    now = dt.datetime(2024, 3, 1, 3, 0, tzinfo=dt.UTC)  # 22:00 on 29 Feb in New York
    assert local_today(now, "UTC") == D(2024, 3, 1)
    assert local_today(now, "America/New_York") == D(2024, 2, 29)
    assert local_today(dt.datetime(2024, 2, 29, 20, 0, tzinfo=dt.UTC), "Asia/Shanghai") == D(2024, 3, 1)
    with pytest.raises(ValueError):
        local_today(dt.datetime(2024, 3, 1, 3, 0), "UTC")


def test_rule_effective_and_suspension_windows():
    r = rule(deadline_days=1, effective_from=D(2025, 9, 29), suspended_from=D(2025, 11, 10),
             suspended_until=D(2026, 11, 9))
    assert not rule_in_force(r, D(2025, 9, 28))
    assert rule_in_force(r, D(2025, 9, 29))
    assert not rule_in_force(r, D(2025, 11, 10))
    assert not rule_in_force(r, D(2026, 11, 9))
    assert rule_in_force(r, D(2026, 11, 10))
    assert not rule_in_force(rule(deadline_days=1, effective_until=D(2020, 1, 1)), D(2020, 1, 2))


def test_stricter_rule_wins_earliest_deadline_then_strongest_action():
    late_remove = rule(id=1, code="a-late-remove", action="remove", deadline_date=D(2027, 6, 30))
    early_monitor = rule(id=2, code="b-early-monitor", action="monitor", deadline_date=D(2026, 6, 30))
    same_day_replace = rule(id=3, code="c-replace", action="replace", deadline_date=D(2026, 6, 30))
    cands = candidates_for(ctx(), [finding()], [late_remove, early_monitor, same_day_replace], day=D(2026, 1, 1),
                           first_seen=D(2026, 1, 1))
    winner, others = choose(cands)
    assert winner.rule.code == "c-replace"  # same earliest deadline, stronger action than monitor
    assert [o.rule.code for o in others] == ["b-early-monitor", "a-late-remove"]
    text = why_text(winner, others)
    assert "c-replace" in text and "b-early-monitor" in text and "later deadline" in text


def test_equal_rules_tie_break_is_stable_by_code():
    a = rule(id=1, code="b", action="remove", deadline_date=D(2026, 1, 1))
    b = rule(id=2, code="a", action="remove", deadline_date=D(2026, 1, 1))
    winner, _ = choose(candidates_for(ctx(), [finding()], [a, b], day=D(2025, 1, 1), first_seen=D(2025, 1, 1)))
    assert winner.rule.code == "a"


def test_matching_by_regime_sub_list_status_role_category_site():
    r = rule(regimes=("us_csl",), sub_list_contains="entity list", vendor_roles=("manufacturer",),
             categories=("scanner",), site_kinds=("airport",), deadline_days=365)
    c = ctx(category="scanner", site_kind="airport")
    ok = finding(regime="us_csl", sub_list="Entity List (EL) - Bureau of Industry and Security",
                 vendor_role="manufacturer")
    assert candidates_for(c, [ok], [r], day=D(2026, 1, 1), first_seen=D(2026, 1, 1))
    for bad in (finding(regime="us_csl", sub_list="Denied Persons List", vendor_role="manufacturer"),
                finding(regime="us_csl", sub_list="Entity List", vendor_role="brand"),
                finding(regime="us_ofac", sub_list="Entity List", vendor_role="manufacturer"),
                finding(regime="us_csl", sub_list="Entity List", vendor_role="manufacturer",
                        status="potential_match")):
        assert not candidates_for(c, [bad], [r], day=D(2026, 1, 1), first_seen=D(2026, 1, 1))
    assert not candidates_for(ctx(category="camera", site_kind="airport"), [ok], [r], day=D(2026, 1, 1),
                              first_seen=D(2026, 1, 1))
    assert not candidates_for(ctx(category="scanner", site_kind="seaport"), [ok], [r], day=D(2026, 1, 1),
                              first_seen=D(2026, 1, 1))


def test_grandfathered_units_are_exempt_unknown_install_date_is_not():
    r = rule(deadline_date=D(2019, 8, 13), grandfathered_before=D(2019, 8, 13))
    assert not candidates_for(ctx(installed_date=D(2018, 1, 1)), [finding()], [r], day=D(2026, 1, 1),
                              first_seen=D(2026, 1, 1))
    assert candidates_for(ctx(installed_date=D(2019, 8, 13)), [finding()], [r], day=D(2026, 1, 1),
                          first_seen=D(2026, 1, 1))
    assert candidates_for(ctx(installed_date=None), [finding()], [r], day=D(2026, 1, 1), first_seen=D(2026, 1, 1))


def test_country_rule_uses_owner_chain_and_connectivity():
    r = rule(basis="country", countries=("CN", "HK"), country_tests=("manufacturer", "ultimate_owner"),
             connectivities=("vendor_remote",), action="mitigate", deadline_days=90, deadline_anchor="discovery")
    facts = (CountryFact("ultimate_owner", "CN", "CCCG", 3, "owner of CCCC"),)
    c = ctx(category="sts_crane", connectivity="vendor_remote", country_facts=facts)
    (cand,) = candidates_for(c, [], [r], day=D(2026, 11, 25), first_seen=D(2026, 11, 25))
    assert cand.deadline == D(2027, 2, 23)
    assert "CCCG" in cand.explanation and cand.basis["facts"][0]["via"] == "owner of CCCC"
    assert not candidates_for(ctx(connectivity="site_network", country_facts=facts), [], [r], day=D(2026, 1, 1),
                              first_seen=D(2026, 1, 1))
    # place of manufacture alone is not tested by this rule
    only_made = (CountryFact("place_of_manufacture", "CN", "STS-65"),)
    assert not candidates_for(ctx(connectivity="vendor_remote", country_facts=only_made), [], [r],
                              day=D(2026, 1, 1), first_seen=D(2026, 1, 1))


def test_future_listing_ignored_before_its_date():
    r = rule(deadline_days=0, deadline_anchor="listing")
    f = finding(listed_on=D(2027, 1, 1))
    assert not candidates_for(ctx(), [f], [r], day=D(2026, 12, 31), first_seen=D(2026, 1, 1))
    assert candidates_for(ctx(), [f], [r], day=D(2027, 1, 1), first_seen=D(2026, 1, 1))
