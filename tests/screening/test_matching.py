"""Unit tests of the pure matcher on small built-in lists (no database, no list files)."""
import pytest

from apps.screening.matching import (
    ALGORITHM_VERSION,
    THRESHOLDS,
    CandidateIndex,
    IndexRecord,
    MatchResult,
    normalize_name,
    pairwise_search,
)

RECORDS = [
    IndexRecord("hik", ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", "HIKVISION"), ("CN",),
                (("uscc", "91330000733796106P"),)),
    IndexRecord("dahua-tech", ("Dahua Technology",), ("CN",)),
    IndexRecord("dahua-1260h", ("Zhejiang Dahua Technology Co., Ltd. (Dahua)",), ("CN",)),
    IndexRecord("dahua-dpl", ("DAHUA ELECTRONICS CORPORATION",), ("US",)),
    IndexRecord("zte", ("ZTE Corporation",), ("CN",)),
    IndexRecord("zte-parsian", ("ZTE Parsian",), ("IR",)),
    IndexRecord("boztepe", ("BOZTEPE, Omer",), ("TR",), entry_type="individual"),
    IndexRecord("goztepe", ("MULTIMAT GOZTEPE TRADING",), ("TR",)),
    IndexRecord("11420", ("11420 CORP.",), ("US",)),
    IndexRecord("corp", ("CORP",)),
    IndexRecord("cccc", ("CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED", "CCCC"), ("CN",)),
    IndexRecord("dji", ("SZ DJI TECHNOLOGY CO., LTD.", "DJI"), ("CN",)),
    IndexRecord("zpmc-na", ("ZPMC North America, Inc.",), ("US",)),
    IndexRecord("huawei-svc", ("Huawei Technologies Service Co., Ltd., Langfang, Hebei, ",), ("CN",)),
    IndexRecord("francisco", ("Francisco GOMEZ",), ("VE",), entry_type="individual"),
    IndexRecord("hikmat", ("HIKMAT, Ali",), ("SY",), entry_type="individual"),
    IndexRecord("gazprom", ("Публичное акционерное общество Газпром", "PAO Gazprom"), ("RU",)),
    IndexRecord("kaspersky", ("AO Kaspersky Lab",), ("RU",), (("registration", "1027739867473"),)),
    IndexRecord("francisco-sa", ("FRANCISCO TRADING S.A.",), ("PA",)),
    IndexRecord("hikmat-co", ("HIKMAT TRADING COMPANY",), ("SY",)),
    IndexRecord("hytera", ("Hytera Communications Limited", "海能达通信股份有限公司"), ("CN",)),
    IndexRecord("rostec", ("Rostec (Russian Technologies State Corporation)",), ("RU",)),
    IndexRecord("global-trading", ("INTERNATIONAL PACIFIC TRADING, INC.",), ("US",)),
]


@pytest.fixture(scope="module")
def index():
    return CandidateIndex(RECORDS)


def keys(results):
    return [r.key for r in results]


def test_interface_constants():
    assert ALGORITHM_VERSION
    assert THRESHOLDS["strong"] > THRESHOLDS["potential"] > 0


def test_index_len(index):
    assert len(index) == len(RECORDS)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Z.T.E. Corporation", "zte"),
        ("ZTE Corp", "zte"),
        ("Huawei Technologies Service Co., Ltd., Langfang, Hebei, ", "huawei technology service"),
        ("Siemens GmbH", "siemens"),
        ("Foo Pte. Ltd.", "foo"),
        ("OOO Rosneft", "rosneft"),
        ("Société Générale S.A.", "societe generale"),
        ("Smith & Wesson Inc", "smith wesson"),
        ("Smith and Wesson Inc", "smith wesson"),
        ("ПАО Газпром", "gazprom"),
        ("Acme Group Holdings LLC", "acme holding"),
        ("JSC Kaspersky Lab", "kaspersky lab"),
    ],
)
def test_normalize_name(raw, expected):
    assert normalize_name(raw) == expected


def test_identifier_match_alone_is_enough(index):
    results = index.search(["Totally Different Name"], identifiers=[("USCC", "91330000733796106-P")])
    assert keys(results) == ["hik"]
    assert results[0].strength == "identifier"
    assert results[0].score == 1.0
    assert results[0].query_name == ""
    assert "identical" in results[0].explanation


@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        ([("Unified Social Credit Code (USCC)", "91330000733796106P")], ["hik"]),  # scheme spelled out
        ([("registration", "91330000733796106P")], ["hik"]),  # a long value under another scheme name
        ([("Registration Number", "1027739867473")], ["kaspersky"]),
        ([("registration", "102773986747")], []),  # one digit short: no match
        ([("duns", "1027739867473")], ["kaspersky"]),  # 12+ characters: the scheme name may differ
        ([("duns", "123")], []),  # too short to mean anything
    ],
)
def test_identifier_schemes_and_values(index, identifiers, expected):
    assert keys(index.search([], identifiers=identifiers)) == expected


def test_identifier_wins_over_name_for_the_same_entry(index):
    [result] = index.search(["AO Kaspersky Lab"], identifiers=[("registration", "1027739867473")])
    assert result.key == "kaspersky" and result.strength == "identifier"


def test_exact_name_is_strong_with_explanation(index):
    [result] = index.search(["Hangzhou Hikvision Digital Technology Co Ltd"])
    assert isinstance(result, MatchResult)
    assert result.key == "hik" and result.strength == "strong" and result.score == 1.0
    assert result.query_name == "Hangzhou Hikvision Digital Technology Co Ltd"
    assert result.entry_name == "HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD."
    assert {"name", "query_coverage", "entry_coverage", "score"} <= set(result.features)
    assert ALGORITHM_VERSION in result.explanation
    assert f"{THRESHOLDS['strong']:.2f}" in result.explanation


def test_legal_form_never_carries_a_match(index):
    assert index.search(["BELLETECH CORP"]) == []
    assert index.search(["CORP"]) == []
    assert index.search(["Pte. Ltd."]) == []
    assert index.search(["Corporation Limited"]) == []


def test_cisco_is_not_francisco_and_hik_is_not_hikmat(index):
    assert index.search(["Cisco"], min_score=0.3) == []
    assert index.search(["Cisco Systems Trading"], min_score=0.5) == []
    assert index.search(["Hik Trading Company"], min_score=0.5) == []
    assert keys(index.search(["Francisco Trading SA"])) == ["francisco-sa"]  # the whole word still matches


def test_generic_words_alone_never_match(index):
    assert index.search(["International Trading Inc"], min_score=0.3) == []
    assert index.search(["Pacific Trading Company"], min_score=0.3) == []
    [result] = index.search(["International Pacific Trading Inc"])  # an identical all-generic name: review
    assert result.key == "global-trading" and result.strength == "potential"


def test_bracket_content_is_an_alias(index):
    assert keys(index.search(["Russian Technologies State Corporation"])) == ["rostec"]
    assert keys(index.search(["Rostec"])) == ["rostec"]


def test_chinese_script_alias(index):
    [result] = index.search(["海能达通信股份有限公司"])
    assert result.key == "hytera" and result.score == 1.0


def test_joined_words(index):
    assert keys(index.search(["Hik Vision Digital Technology"]))[0] == "hik"


def test_below_potential_is_weak_and_explained_in_plain_words(index):
    found = {r.key: r for r in index.search(["Zhejiang Dahua Technology Co., Ltd."], min_score=0.3)}
    assert found["dahua-dpl"].strength == "weak"
    assert "zhejiang" in found["dahua-1260h"].explanation  # not the folded comparison form


def test_person_names_do_not_match_companies(index):
    assert "boztepe" not in keys(index.search(["Omer Boztepe Consulting LLC"], min_score=0.3))
    assert "francisco" not in keys(index.search(["Gomez Francisco Holdings"], min_score=0.3))


def test_substrings_are_not_matches(index):
    assert "zte" not in keys(index.search(["Aztec Corporation"], min_score=0.3))
    assert "zte" not in keys(index.search(["BOZTEPE"], min_score=0.3))
    assert index.search(["Francisco Partners"]) == []
    assert index.search(["Hik"], min_score=0.3) == []
    assert "hik" not in keys(index.search(["Hikma Pharmaceuticals"], min_score=0.3))


@pytest.mark.parametrize("acronym", ["ZTE", "CCCC", "DJI", "ZPMC"])
def test_short_acronyms_match_whole_tokens_only(index, acronym):
    assert index.search([acronym])  # the whole token matches
    assert index.search([acronym[:-1] + "X"], min_score=0.3) == []  # one letter off is another company
    assert index.search([acronym + "X"], min_score=0.3) == []


def test_dotted_acronym(index):
    assert keys(index.search(["Z.T.E. Corp."]))[0] == "zte"


def test_different_companies_sharing_a_word_stay_separate(index):
    results = index.search(["Dahua"])
    found = {r.key: r for r in results}
    assert {"dahua-tech", "dahua-dpl"} <= set(found)  # two entries, two results, never merged
    results = index.search(["Zhejiang Dahua Technology Co., Ltd."], min_score=0.3)
    found = {r.key: r for r in results}
    assert found["dahua-1260h"].score == 1.0
    assert found["dahua-tech"].strength == "strong"
    assert found["dahua-dpl"].score < found["dahua-tech"].score - 0.15
    assert found["dahua-dpl"].score < THRESHOLDS["potential"]


def test_glued_address_is_cut(index):
    assert keys(index.search(["Huawei Technologies Service Co Ltd"]))[0] == "huawei-svc"


def test_transliteration(index):
    assert keys(index.search(["Gazprom PJSC"]))[0] == "gazprom"
    assert keys(index.search(["ПАО «Газпром»"]))[0] == "gazprom"


def test_typo_is_found(index):
    results = index.search(["Hangzhou Hikvison Digital Technology"])
    assert keys(results)[0] == "hik"
    assert results[0].score >= THRESHOLDS["potential"]


def test_country_is_supporting_evidence_only(index):
    same = index.search(["Dahua Technology"], countries=["CN"])[0]
    other = index.search(["Dahua Technology"], countries=["FR"])[0]
    none = index.search(["Dahua Technology"])[0]
    assert same.key == other.key == none.key == "dahua-tech"
    assert same.score >= none.score >= other.score
    assert same.strength == none.strength == "strong"
    # a different country never hides an identical name; it only asks for a reviewer
    assert other.strength == "potential" and other.score >= THRESHOLDS["potential"]
    assert "countries differ" in other.explanation


def test_individual_needs_near_identical_name(index):
    assert "boztepe" not in keys(index.search(["Boztepe Trading"], min_score=0.3))
    assert "hikmat" not in keys(index.search(["Hikmat Pharmaceuticals"], min_score=0.3))
    assert "boztepe" in keys(index.search(["Omer Boztepe"]))


def test_one_shared_word_is_never_strong(index):
    found = {r.key: r for r in index.search(["Dahua"])}
    assert found["dahua-tech"].strength == found["dahua-dpl"].strength == "potential"
    assert found["dahua-1260h"].strength == "strong"  # its alias "Dahua" is the whole name
    [zpmc] = index.search(["ZPMC"])
    assert zpmc.strength == "potential"


def test_one_result_per_key_best_first(index):
    results = index.search(["Hikvision", "Hangzhou Hikvision Digital Technology"])
    assert keys(results).count("hik") == 1
    scores = [r.score for r in results]
    assert scores == sorted(scores, reverse=True)


def test_pairwise_search_agrees_with_index(index):
    for query in ["Dahua", "ZTE Corp", "Hikvison", "Kaspersky Lab", "CCCC", "Aztec"]:
        assert keys(pairwise_search(RECORDS, [query])) == keys(index.search([query]))


def test_pathological_input_is_bounded(index):
    from apps.vendors.name_text import MAX_TOKENS, name_variants

    long_name = " ".join(f"Word{i}" for i in range(5000)) + " Hikvision"
    variants = name_variants(long_name)
    assert variants and all(len(v.tokens) <= MAX_TOKENS for v in variants)
    assert index.search([long_name]) == []  # the tail beyond the bound is not read
    assert index.search(["", "   ", ",,,", "()"]) == []
    assert index.search(["a.k.a. a.k.a. (x) (y) (z)"], min_score=0.3) == []


def test_limit_and_min_score(index):
    assert len(index.search(["Dahua"], limit=1)) == 1
    assert all(r.score >= 0.95 for r in index.search(["Dahua"], min_score=0.95))
