"""Recall and precision of the matcher on the labelled evaluation set (tests/screening/eval_set.csv). Pure.

Counting, per query (one row = one vendor name as a procurement officer would type it):

* a row labelled ``match`` is a true positive when a result at or above the "potential" threshold is an entry
  carrying the expected list name (the same name is often on several lists: any of them counts); otherwise it
  is a false negative, and if something else was returned instead it is also a false positive (a wrong match);
* a row labelled ``no_match`` is a false positive when anything is returned at or above "potential".

recall = TP / rows labelled match; precision = TP / rows where the matcher returned anything. Both are also
reported per ``class`` (the CSV column: the kind of case a row tests; rows without one use their category). In a
RANKED_CLASSES row the expected entry must also rank first, strictly above any other entry ("... Company" must
not tie with "... Group").
"""
from __future__ import annotations

import csv
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from apps.screening.matching import CandidateIndex, IndexRecord, normalize_name
from apps.vendors.name_text import legal_form_kind, name_variants

EVAL_SET = Path(__file__).resolve().parents[2] / "tests" / "screening" / "eval_set.csv"
RANKED_CLASSES = frozenset({"company_vs_group"})

# Used when the real list files are absent: the entries the hand-written rows are about, as the lists spell them.
BUILTIN_RECORDS = [
    IndexRecord("b:hik", ("HANGZHOU HIKVISION DIGITAL TECHNOLOGY CO., LTD.", "HIKVISION",
                          "Hangzhou Hikvision Digital Technology Co., Ltd."), ("CN",)),
    IndexRecord("b:dahua", ("Dahua Technology",), ("CN",)),
    IndexRecord("b:dahua1260h", ("Zhejiang Dahua Technology Co., Ltd. (Dahua)",), ("CN",)),
    IndexRecord("b:dahuadpl", ("DAHUA ELECTRONICS CORPORATION",), ("US",)),
    IndexRecord("b:huawei", ("HUAWEI TECHNOLOGIES CO., LTD.",), ("CN",)),
    IndexRecord("b:huawei889", ("Huawei Technologies Company",), ("CN",)),
    IndexRecord("b:zte", ("ZTE Corporation",), ("CN",)),
    IndexRecord("b:hytera", ("Hytera Communications Corporation",), ("CN",)),
    IndexRecord("b:cccc", ("CHINA COMMUNICATIONS CONSTRUCTION COMPANY LIMITED", "CCCC"), ("CN",)),
    IndexRecord("b:zpmcna", ("ZPMC North America, Inc.",), ("US",)),
    IndexRecord("b:dji", ("SZ DJI TECHNOLOGY CO., LTD.",), ("CN",)),
    IndexRecord("b:dji2", ("DJI",), ("CN",)),
    IndexRecord("b:kaspersky", ("AO Kaspersky Lab",), ("RU",)),
    IndexRecord("b:kaspersky2", ("Kaspersky Lab, Inc.",), ("US",)),
    IndexRecord("b:boztepe", ("BOZTEPE, Omer",), ("TR",), entry_type="individual"),
    IndexRecord("b:11420", ("11420 CORP.",), ("US",)),
]


@dataclass
class EvalRow:
    query: str
    country: str
    expected: str
    label: str
    category: str
    note: str = ""
    klass: str = ""  # the "class" column; the category when empty

    def __post_init__(self) -> None:
        self.klass = self.klass or self.category


@dataclass
class EvalReport:
    rows: int = 0
    positives: int = 0
    negatives: int = 0
    tp: int = 0
    fn: int = 0
    fp: int = 0
    predicted: int = 0
    tp_strong: int = 0  # true positives reported as "strong" or "identifier" (may be auto-confirmed)
    fp_strong: int = 0  # false positives reported as "strong" (would be auto-confirmed: must stay 0)
    seconds: float = 0.0
    index_names: int = 0
    by_category: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_class: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    failures: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.tp / self.positives if self.positives else 1.0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 1.0

    def lines(self) -> list[str]:
        out = [
            f"rows {self.rows} (match {self.positives}, no_match {self.negatives}); index {self.index_names} names; "
            f"{self.seconds:.2f} s",
            f"recall    {self.recall:.4f}  ({self.tp}/{self.positives})",
            f"precision {self.precision:.4f}  ({self.tp}/{self.predicted}; false positives {self.fp})",
            f"strong    {self.tp_strong} of the true positives are strong; {self.fp_strong} strong false positives",
            "by class: rows (match/no_match)  recall  precision  (tp fn fp)",
        ]
        for klass in sorted(self.by_class):
            c = self.by_class[klass]
            recall = f"{c['tp'] / c['pos']:.3f}" if c["pos"] else "  -  "
            precision = f"{c['tp'] / c['predicted']:.3f}" if c["predicted"] else "  -  "
            out.append(f"  {klass:24s} {c['rows']:4d} ({c['pos']:3d}/{c['neg']:3d})  {recall}   {precision}"
                       f"      ({c['tp']} {c['fn']} {c['fp']})")
        return out

    def class_figures(self) -> dict[str, tuple[float | None, float | None]]:
        """class -> (recall, precision); None where the class has no positive row or no prediction."""
        return {
            k: (c["tp"] / c["pos"] if c["pos"] else None, c["tp"] / c["predicted"] if c["predicted"] else None)
            for k, c in self.by_class.items()
        }


def load_eval_rows(path: Path = EVAL_SET) -> list[EvalRow]:
    with Path(path).open(encoding="utf-8", newline="") as fh:
        return [
            EvalRow(r["query"], r.get("country", ""), r.get("expected_entry_name", ""), r["label"],
                    r.get("category", ""), r.get("note", ""), r.get("class") or "")
            for r in csv.DictReader(fh)
        ]


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


_BRACKET_RE = re.compile(r"\([^()]*\)")


def _name_forms(name: str) -> set[str]:
    """How an expected list name is recognised among the records: as written, normalised, and normalised
    without its bracket (parsers move "(Hikvision)" into the aliases; the direct readers keep it)."""
    forms = {_fold(name), "norm:" + normalize_name(name), "norm:" + normalize_name(_BRACKET_RE.sub(" ", name))}
    forms.discard("norm:")
    return forms


def _form_kind(name: str) -> str:
    variants = name_variants(name)
    return legal_form_kind(variants[0].legal) if variants else ""


def evaluate(records: list[IndexRecord], rows: list[EvalRow], *, index: CandidateIndex | None = None) -> EvalReport:
    """Run every row through the index built over ``records`` and count as described in the module docstring."""
    index = index or CandidateIndex(records)
    # The expected name is looked up as written and in its normalised form, so that the set works whether the
    # lists were read by the parsers (which may move a bracketed alias out of the name) or the direct readers.
    keys_by_name: dict[str, set] = defaultdict(set)
    for record in records:
        for name in record.names:
            for form in _name_forms(name):
                keys_by_name[form].add(record.key)
    report = EvalReport(index_names=index.name_count)
    started = time.perf_counter()
    for row in rows:
        report.rows += 1
        cls = report.by_class[row.klass]
        cls["rows"] += 1
        results = index.search([row.query], countries=[row.country] if row.country else (), limit=100)
        got = {r.key for r in results}
        if results:
            report.predicted += 1
            cls["predicted"] += 1
        top = f"{results[0].entry_name!r} {results[0].score:.2f}" if results else "nothing"
        if row.label == "match":
            report.positives += 1
            expected: set = set()
            for form in _name_forms(row.expected):
                expected |= keys_by_name.get(form, set())
            cls["pos"] += 1
            hit = bool(got & expected)
            if hit and row.klass in RANKED_CLASSES:
                # the expected kind of legal person ("... Company") must score strictly above the other kind
                # ("... Group") that shares every name word
                want = _form_kind(row.expected)
                same = max((r.score for r in results if r.key in expected and _form_kind(r.entry_name) == want),
                           default=-1.0)
                other = max((r.score for r in results if _form_kind(r.entry_name) not in ("", want)), default=-1.0)
                hit = same > other
            if hit:
                report.tp += 1
                cls["tp"] += 1
                report.tp_strong += any(r.key in expected and r.strength in ("strong", "identifier") for r in results)
                report.by_category[row.category]["ok"] += 1
            else:
                report.fn += 1
                cls["fn"] += 1
                if results:
                    report.fp += 1
                    cls["fp"] += 1
                report.by_category[row.category]["wrong"] += 1
                missing = "" if expected else " (expected name not in the index)"
                report.failures.append(f"MISSED {row.query!r} -> expected {row.expected!r}{missing}; got {top}")
        else:
            report.negatives += 1
            cls["neg"] += 1
            if results:
                report.fp += 1
                cls["fp"] += 1
                report.fp_strong += any(r.strength == "strong" for r in results)
                report.by_category[row.category]["wrong"] += 1
                report.failures.append(f"FALSE POSITIVE {row.query!r} ({row.note}); got {top}")
            else:
                report.by_category[row.category]["ok"] += 1
    report.seconds = time.perf_counter() - started
    return report


def builtin_rows(rows: list[EvalRow]) -> list[EvalRow]:
    """The rows that make sense against BUILTIN_RECORDS: positives about those entries, and every negative."""
    names = {_fold(n) for r in BUILTIN_RECORDS for n in r.names}
    return [r for r in rows if r.label != "match" or _fold(r.expected) in names]


def wordfreq_render(records: list[IndexRecord], *, min_df: int = 10) -> str:
    """Source of apps/screening/matching_wordfreq.py: the document frequency of the common comparison tokens
    over the given list names (the real lists), so that a small index (one new list version, an in-house list)
    weighs words as the full lists would."""
    index = CandidateIndex(records)
    df = sorted(((t, len(p)) for t, p in index._postings.items() if len(p) >= min_df), key=lambda x: (-x[1], x[0]))
    lines = [
        '"""Document frequency of common comparison tokens over the real restricted-party lists (generated).',
        "",
        "Regenerate with: DEBUG=true .venv/bin/python manage.py screening_eval --write-wordfreq",
        "Used by apps.screening.matching as a prior, so a small index weighs common words as the full lists do.",
        '"""',
        "",
        f"REFERENCE_NAMES = {index.name_count}",
        "",
        "_DATA = (",
    ]
    chunk: list[str] = []
    for token, count in df:
        item = f"{token}:{count}"
        if chunk and sum(len(c) + 1 for c in chunk) + len(item) > 100:
            lines.append(f'    "{" ".join(chunk)} "')
            chunk = []
        chunk.append(item)
    if chunk:
        lines.append(f'    "{" ".join(chunk)}"')
    lines += [
        ")",
        "",
        "WORD_DF: dict[str, int] = {",
        '    token: int(count) for token, _, count in (item.partition(":") for item in _DATA.split())',
        "}",
        "",
    ]
    return "\n".join(lines)
