"""The matcher against the labelled evaluation set (tests/screening/eval_set.csv)."""
import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from apps.screening.matching import CandidateIndex
from apps.screening.matching_eval import BUILTIN_RECORDS, EVAL_SET, builtin_rows, evaluate, load_eval_rows
from apps.screening.matching_sources import load_list_records


@pytest.fixture(scope="module")
def real_records():
    # module-scoped (the index over ~70,000 names is built once), so it checks the path the way the
    # function-scoped `shared_lists` fixture of tests/conftest.py does
    from tests.conftest import SHARED_LISTS

    if not SHARED_LISTS.is_dir():
        pytest.skip(f"real list files not found at {SHARED_LISTS}: the evaluation needs them")
    return load_list_records(SHARED_LISTS)


@pytest.fixture(scope="module")
def real_index(real_records):
    return CandidateIndex(real_records)


def test_eval_set_is_labelled_and_large_enough():
    with EVAL_SET.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) >= 500
    labels = {r["label"] for r in rows}
    assert labels == {"match", "no_match"}
    assert all(r["expected_entry_name"] for r in rows if r["label"] == "match")
    assert not any(r["expected_entry_name"] for r in rows if r["label"] == "no_match")
    assert sum(r["label"] == "no_match" for r in rows) >= 200


@pytest.mark.conformance
def test_eval_recall_and_precision_on_real_lists(real_records, real_index):
    rows = load_eval_rows()
    report = evaluate(real_records, rows, index=real_index)
    detail = "\n".join(report.lines() + report.failures)
    assert report.positives >= 300, detail
    assert report.recall >= 0.98, detail
    assert report.precision >= 0.97, detail
    assert report.fp_strong == 0, detail  # a strong match may be confirmed without review


def test_eval_on_builtin_list():
    rows = builtin_rows(load_eval_rows())
    report = evaluate(BUILTIN_RECORDS, rows)
    detail = "\n".join(report.lines() + report.failures)
    assert report.positives >= 20
    assert report.recall >= 0.98, detail
    assert report.precision >= 0.97, detail


def test_screening_eval_command_without_lists(tmp_path: Path):
    out, err = StringIO(), StringIO()
    call_command("screening_eval", "--lists", str(tmp_path / "absent"), stdout=out, stderr=err)
    assert "BUILT-IN" in out.getvalue()
    assert "recall" in out.getvalue() and "precision" in out.getvalue()
    assert "not found" in err.getvalue()


@pytest.mark.conformance
def test_index_finds_what_pairwise_scoring_finds_on_real_lists(real_index):
    """The candidate index is only a shortcut: on the real lists it returns what scoring every name returns."""
    index = real_index
    rows = load_eval_rows()
    queries = [r.query for r in rows[::45]] + ["Huawei", "Hik Vision", "Zhejiang Dahua Technology", "CCCC"]
    for query in queries:
        blocked = [(r.key, r.score) for r in index.search([query], limit=500)]
        exhaustive = [(r.key, r.score) for r in index.search_exhaustive([query], limit=500)]
        assert sorted(blocked) == sorted(exhaustive), query


@pytest.mark.conformance
def test_small_index_scores_like_the_full_lists(real_records, real_index):
    """An index over one new list version (incremental re-screen) weighs words like the full lists (reference
    frequencies in matching_wordfreq), so it reports the same matches with nearly the same scores."""
    small_records = [r for r in real_records if str(r.key).startswith(("dod_1260h", "fcc_covered_list", "us_ndaa"))]
    small = CandidateIndex(small_records)
    keys = {r.key for r in small_records}
    compared = 0
    for row in load_eval_rows():
        full = {r.key: r.score for r in real_index.search([row.query], limit=500) if r.key in keys}
        part = {r.key: r.score for r in small.search([row.query], limit=500)}
        for key in set(full) | set(part):
            compared += 1
            assert abs(full.get(key, 0.0) - part.get(key, 0.0)) <= 0.03, (row.query, key, full.get(key), part.get(key))
    assert compared >= 50
