from apps.remediation.scoring import RiskInputs, risk_score


def test_risk_score_is_explained_term_by_term():
    score = risk_score(RiskInputs(vendor_status="prohibited", vendor_status_reason="ZPMC <- CCCC on 1260H",
                                  countries_of_concern=(("ultimate_owner", "CCCG", "CN"),),
                                  site_criticality="critical", site_is_defence=True, connectivity="vendor_remote",
                                  collects_data=True, quantity=1))
    terms = {t.name: t for t in score.terms}
    assert set(terms) == {"vendor_status", "country_of_concern", "site", "connectivity", "data_collection",
                          "quantity"}
    assert terms["vendor_status"].points == 35 and "1260H" in terms["vendor_status"].reason
    assert terms["country_of_concern"].points == 10 and "CCCG" in terms["country_of_concern"].reason
    assert terms["site"].points == 20 and "defence" in terms["site"].reason
    assert terms["connectivity"].points == 15
    assert terms["quantity"].points == 0
    assert score.total == sum(t.points for t in score.terms) == 90
    assert score.level == "high"
    assert score.as_dict()["terms"][0]["name"] == "vendor_status"


def test_risk_score_low_for_clear_isolated_single_unit():
    score = risk_score(RiskInputs(site_criticality="low", connectivity="isolated"))
    assert score.total == 0 and score.level == "low"


def test_maker_country_outweighs_owner_and_quantity_is_capped():
    a = risk_score(RiskInputs(countries_of_concern=(("manufacturer", "Hikvision", "CN"),
                                                    ("ultimate_owner", "CETC", "CN")), quantity=100000))
    terms = {t.name: t.points for t in a.terms}
    assert terms["country_of_concern"] == 15
    assert terms["quantity"] == 5
