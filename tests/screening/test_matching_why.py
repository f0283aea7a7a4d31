"""The plain-language reasons of a match (apps.screening.matching_why): one test per reason, a pair of names and
the sentence an officer reads. Pure: no database, no list files."""
import pytest

from apps.screening.matching import CandidateIndex, IndexRecord, pairwise_search
from apps.screening.matching_why import render_why

RECORDS = [
    IndexRecord("hik", ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", "Hikvision"), ("CN",),
                (("uscc", "91330000733796106P"),)),
    IndexRecord("hik-co", ("Hikvision Co., Ltd.",), ("CN",)),
    IndexRecord("huawei-bo", ("Huawei Technologies Bolivia S.R.L.",), ("BO",)),
    IndexRecord("sechin", ("SECHIN, Igor Ivanovich",), ("RU",), entry_type="individual"),
    IndexRecord("cccc", ("China Communications Construction Group",), ("CN",)),
    IndexRecord("amd", ("Advanced Micro Devices, Inc. (AMD)",), ("US",)),
    IndexRecord("kal", ("Kalashnikov Concern",), ("RU",)),
    IndexRecord("rosoboron", ("Rosoboronexport",), ("RU",)),
    IndexRecord("polyanin", ("POLYANIN, Evgeniy Igorevich",), ("RU",), entry_type="individual"),
    IndexRecord("mahan", ("MAHAN AIR GENERAL TRADING LLC",), ("AE",)),
    IndexRecord("helicopters", ("Russian Helicopters JSC",), ("RU",)),
    IndexRecord("zhejiang-dahua", ("Zhejiang Dahua Technology Co., Ltd.",), ("CN",)),
]


@pytest.fixture(scope="module")
def index():
    return CandidateIndex(RECORDS)


def best(index, name, key, **kwargs):
    found = {r.key: r for r in index.search([name], min_score=0.5, limit=None, **kwargs)}
    assert key in found, (name, sorted(found))
    return found[key]


def codes(result):
    return [r["code"] for r in result.reasons]


@pytest.mark.parametrize(("name", "key", "code", "sentence"), [
    ("Hikvison", "hik-co", "typo", "'Hikvison' differs from the listed 'Hikvision' by one missing letter"),
    ("Huawei Technologies", "huawei-bo", "query_contained",
     "all words of your name appear in the listed name, which also has 'Bolivia S.R.L.'"),
    ("Hikvision", "hik-co", "legal_forms", "Same name once legal forms are set aside ('Co., Ltd.')"),
    ("Hikvision", "hik", "alias", "your name matches 'Hikvision', an alias of the listed entry "
                                  "'HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.'"),
    ("Hikvisions", "hik-co", "plural", "'Hikvisions' and the listed 'Hikvision' differ only by plural and singular"),
    ("Mr. Igor Sechin", "sechin", "honorific", "the title 'Mr.' in your name is left out"),
    ("Igor Sech1n", "sechin", "digits", "the digits in 'Sech1n' are read as letters ('Sechin')"),
    ("IgorSechin", "sechin", "split", "your 'IgorSechin' is read as two words glued together, as on the list"),
    ("Rosoboron Export", "rosoboron", "joined",
     "your 'Rosoboron Export' is written as one word, 'Rosoboronexport', on the list"),
    ("China Communications Construction Company", "cccc", "company_vs_group",
     "your name says company, the listed name group: the same words may be another legal person"),
    ("Igor Sechin", "sechin", "middle_name",
     "the same person's name with a middle name only in the listed name ('Ivanovich')"),
    ("Igor Sechin", "sechin", "person", "the listed entry is a person"),
    ("Kalashnikov Concern", "kal", "same_name", "The same name as listed"),
    ("Dahua Technology Zhejiang Co., Ltd.", "zhejiang-dahua", "word_order", "The same words in another order"),
    ("Evgenii Polyanin", "polyanin", "spelling", "'Evgenii' is another spelling of the listed 'Evgeniy'"),
    ("Mahan Air", "mahan", "query_contained", "which also has 'GENERAL TRADING LLC'"),
    ("Kazan Helicopters JSC", "helicopters", "shared_words",
     "the names share 'Helicopters'; your name also has 'Kazan', the listed name 'Russian'"),
])
def test_reason_sentence(index, name, key, code, sentence):
    result = best(index, name, key)
    assert code in codes(result), result.reasons
    assert sentence.lower() in result.why.lower(), result.why  # the first reason starts the sentence


def test_identifier_reason(index):
    result = best(index, "Anything", "hik", identifiers=[("uscc", "91330000733796106P")])
    assert result.reasons == [{"code": "identifier", "scheme": "USCC", "value": "91330000733796106P"}]
    assert result.why == "The identifier USCC 91330000… is the same on both."


def test_country_agrees_or_differs(index):
    assert "the country agrees (CN)" in best(index, "Hikvision", "hik-co", countries=["CN"]).why
    differs = best(index, "Hikvision", "hik-co", countries=["US"])
    assert {"code": "country_differs", "query_countries": ["US"], "entry_countries": ["CN"]} in differs.reasons
    assert "the countries differ (yours US, listed CN)" in differs.why


def test_bracketed_acronym_counted_only_beside_the_name(index):
    result = best(index, "AMD", "amd")
    assert "acronym" in codes(result)
    assert "the bracketed acronym 'AMD' counts only beside the rest of the name" in result.why


def test_held_at_potential_says_why(index):
    result = best(index, "Hikvision Co., Ltd.", "hik-co", countries=["US"])
    assert result.strength == "potential"
    assert "kept for review rather than strong: countries differ" in result.why


def test_reasons_are_lazy_and_do_not_change_scores(index):
    result = best(index, "Hikvison", "hik-co")
    assert result._reasons is None  # nothing computed until asked
    before = (result.score, result.strength, result.features, result.explanation)
    assert result.why
    assert (result.score, result.strength, result.features, result.explanation) == before
    assert result.explanation.startswith("Vendor name 'Hikvison' vs list name")  # the technical detail stays


def test_pairwise_and_compare_give_the_same_reasons(index):
    indexed = best(index, "Hikvison", "hik-co")
    assert pairwise_search(RECORDS, ["Hikvison"], min_score=0.5, limit=None)
    compared = index.compare(["Hikvison"], RECORDS[1], min_score=0.5)
    assert compared.reasons == indexed.reasons


def test_render_why_of_nothing_is_empty():
    assert render_why([]) == ""
