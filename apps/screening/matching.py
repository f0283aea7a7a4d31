"""Explainable name and identifier matching against restricted-party lists. Pure: no ORM, no settings (the
identifier scheme table and canonical value are apps.vendors.identifiers, pure functions too).

How a query (a vendor's names, countries and identifiers) is compared with list entries:

* **Identifiers first.** An identical LEI, UEI, DUNS, USCC, registration number... (same scheme, or the same
  long value under another scheme name) is an ``identifier`` match with score 1.0 on its own.
* **Names** are normalised on both sides (`apps.vendors.name_text`): ASCII transliteration, legal forms
  removed (rigour's database plus Co./Corp./Group...), glued addresses cut, dotted acronyms joined.
* **Scoring** works on tokens, never on substrings: each token weighs its inverse document frequency over all
  list names (a rare word such as "hikvision" weighs much more than "technology"; place words and generic words
  are damped). Tokens pair up exactly, or fuzzily when both are 6+ characters long and within 1 edit (2 for 8+
  characters; rapidfuzz Levenshtein); a word of 5 letters only through a guarded typo (a letter missing or two
  swapped, never alone, never "strong"); the last word of either name also pairs with its plural; digits and
  short tokens (acronyms such as ZTE, DJI, CCCC, ZPMC) only pair exactly. Adjacent tokens may be joined ("Hik
  Vision" = "Hikvision") and a glued word split in either order ("IgorSechin" = "SECHIN, Igor"). The name
  score mixes the weighted coverage of both names: ``0.5 * sqrt(cq * ce) + 0.5 * max(cq, ce)`` where ``cq`` is
  the share of the query's weight matched and ``ce`` the share of the entry name's weight matched. A name that
  is only a legal form ("CORP") has no tokens and never matches; "ZTE" is never found inside "Aztec" or
  "BOZTEPE".
* **Country** is supporting evidence only: a small bonus when the query and entry share a country, a small
  malus when both have countries and none is shared. Never a filter.
* **Individuals** (entry_type "individual") are "strong" only for near-identical names (0.96); from "potential"
  up they are shown for review when the vendor name reads as a person's name (two name words in common, no legal
  form, no business word), because people's names collide with company words ("Hikmat", "Francisco").
* **Bracketed acronyms** ("Advanced Micro Devices, Inc. (AMD)") never carry a match alone, on either side: they
  count only for an entry whose other names the rest of the vendor's name matches.
* **Company vs Group**: when both names carry a legal form and one says group, the other company, the pair
  loses 0.04 and is never "strong" (the same name words, another legal person).
* **Candidate index.** Names are blocked on their distinctive tokens (document frequency below a cap), on
  delete-one neighbours of those tokens (typos), on phonetic keys (metaphone) and on joined adjacent tokens;
  only the candidates found are scored, so the cost does not grow with vendors x list names.
  ``pairwise_search`` scores every name (the baseline, same scores).

Each result says which query name matched which list name, the score of each feature, the thresholds and
``ALGORITHM_VERSION`` (see ``MatchResult.explanation``), and in plain words why it matched (``MatchResult.reasons``
and ``.why``, made on first use from the facts kept in ``MatchResult.basis``: apps.screening.matching_why).
"""
from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import jellyfish
from rapidfuzz.distance import OSA

from apps.screening.matching_why import MatchBasis, identifier_reasons, reasons_for, render_why
from apps.screening.matching_wordfreq import REFERENCE_NAMES, WORD_DF
from apps.vendors.identifiers import identifier_canonical, identifier_scheme
from apps.vendors.name_text import GENERIC_TOKENS, GEO_TOKENS, NameVariant, fold, name_variants
from apps.vendors.name_text import normalize_name as _normalize_name

ALGORITHM_VERSION = "vr-match-1.1"

THRESHOLDS: dict[str, float] = {
    "strong": 0.92,  # at or above: a strong name match (still reviewed unless an identifier confirms it)
    "potential": 0.80,  # at or above: a potential match for the review queue; below: not reported
    "individual": 0.96,  # an individual's match is "strong" (may be auto-confirmed) only at or above; from
    # "potential" up it is shown for review, with at least two name words in common
}

INDIVIDUAL_TYPES = frozenset({"individual", "person"})
COUNTRY_BONUS = 0.03
COUNTRY_MALUS = 0.04
GEO_DAMPING = 0.15
GENERIC_DAMPING = 0.35
MAX_BLOCK_DF_SHARE = 0.01  # a token in more than 1% of names (at least 300) is too common to block on alone
MAX_CANDIDATES = 400
# A pre-purchase check decides on every match: far above what a real name reaches (a few hundred on the real
# lists), so the cap only guards against pathological queries; when it cuts, the check says so.
CHECK_MAX_CANDIDATES = 5000
BOUND_SLACK = 1.1  # the candidate bound uses either side's token weight; fuzzy pairs may differ slightly
MIN_IDF_CORPUS = 50_000
FUZZY_PENALTY = 1.2
FUZZY_MIN_LENGTH = 6
STRONG_HOLD_SCORE = 0.915  # a strong-looking score held below "strong" (see CandidateIndex._result)
GENERIC_ONLY_CAP = 0.85  # identical names made only of generic/place words: a potential match at most
SHORT_TYPO_MIN_LENGTH = 5  # a word of 5 letters may pair with one letter missing or two letters swapped
PLURAL_SIMILARITY = 0.96  # "Hikvisions" ~ "Hikvision" (the last word of either name only)
FORM_MALUS = 0.04  # "... Company" vs "... Group": the same name words, another legal person


def normalize_name(name: str) -> str:
    """Comparison form of a name (see apps.vendors.name_text.normalize_name)."""
    return _normalize_name(name)


# ---------------------------------------------------------------------------------------------------------------
# Public data types (what apps.screening.services and the index exchange with this module)
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexRecord:
    """One list entry as the matcher sees it. ``key`` is whatever the caller uses to find the entry again."""

    key: Hashable
    names: tuple[str, ...]
    countries: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    entry_type: str = "entity"


@dataclass
class MatchResult:
    """One matched list entry, with the evidence needed to explain and reproduce the decision."""

    key: Hashable
    score: float
    strength: str  # "identifier" | "strong" | "potential" ("weak" only below THRESHOLDS["potential"] on request)
    query_name: str
    entry_name: str
    features: dict[str, float] = field(default_factory=dict)
    explanation: str = ""  # the technical detail: scores, coverage, thresholds, algorithm version
    # the facts behind the plain-language reasons (matching_why), turned into reasons only when asked for
    basis: MatchBasis | None = field(default=None, repr=False, compare=False)
    _reasons: list[dict] | None = field(default=None, repr=False, compare=False)

    @property
    def reasons(self) -> list[dict]:
        """Why this entry was matched, as structured reasons (``{"code": "typo", "query_word": ...}``), computed
        on first use from ``basis``: the scoring never pays for them."""
        if self._reasons is None:
            self._reasons = reasons_for(self.basis) if self.basis is not None else []
        return self._reasons

    @property
    def why(self) -> str:
        """The reasons as one plain sentence for an officer (matching_why.render_why)."""
        return render_why(self.reasons)


@dataclass
class SearchOutcome:
    """Every match of a search and the candidate cap's effect: ``truncated`` is None, or ``{"cap": N,
    "dropped": M}`` when M candidate names (those with the lowest upper bound of the score) were not scored."""

    matches: list[MatchResult]
    truncated: dict | None = None


# ---------------------------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------------------------

LONG_IDENTIFIER = 12  # an identical value this long matches even under differently named schemes


# The scheme table and the canonical value are apps.vendors.identifiers', shared with the vendors (stored
# values, look-ups) and the lists (parsed entries): one spelling of a number is one identifier everywhere.
canonical_scheme = identifier_scheme


def canonical_identifier_value(value: str, scheme: str = "") -> str:
    return identifier_canonical(scheme, value)


# ---------------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------------


_VOWELS = frozenset("aeiouy")


def _plural_pair(a: str, b: str) -> bool:
    """One token is the other plus a plural ending ("hikvisions"/"hikvision", "boxes"/"box", "ies"/"y")."""
    if len(a) < len(b):
        a, b = b, a
    if len(b) < 4 or not a.isalpha() or not b.isalpha():
        return False
    return a in (b + "s", b + "es") or (b.endswith("i") and a == b[:-1] + "ies") or (
        b.endswith("y") and a == b[:-1] + "ies"
    )


def _short_typo(a: str, b: str) -> bool:
    """A guarded typo in a word of 5 letters: one letter missing (not the first) or two adjacent letters swapped,
    both alphabetic words with two vowels or more (an acronym such as ZPMC or a code is never "corrected")."""
    la, lb = len(a), len(b)
    if max(la, lb) < SHORT_TYPO_MIN_LENGTH or min(la, lb) < SHORT_TYPO_MIN_LENGTH - 1 or a[0] != b[0]:
        return False
    if not a.isalpha() or not b.isalpha() or sum(c in _VOWELS for c in a) < 2 or sum(c in _VOWELS for c in b) < 2:
        return False
    if la == lb:  # adjacent transposition only, not a substitution ("Sanam" is not "Salam")
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if abs(la - lb) != 1:
        return False
    long_, short = (a, b) if la > lb else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(1, len(long_)))


def _token_similarity(a: str, b: str) -> float:
    """1.0 for equal tokens; a fuzzy pair only for long alphabetic tokens within 1 (2 for 8+ chars) edits.

    A fuzzy pair is worth less than an exact one (1 - 1.2 * edits / length): "hikvison" ~ "hikvision" is
    0.87, "samsun" ~ "samsung" 0.83; the lost part counts against the score on both sides. A word of five
    letters pairs only through a guarded typo (_short_typo, 1 - 1 / length: "dahu" ~ "dahua" is 0.80).
    """
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    shortest = min(la, lb)
    if abs(la - lb) > 2 or (a[0] != b[0] and a[:2] != b[1::-1]):
        return 0.0
    if not a.isalpha() or not b.isalpha():
        return 0.0
    if shortest < FUZZY_MIN_LENGTH:
        return 1.0 - 1.0 / max(la, lb) if _short_typo(a, b) else 0.0
    allowed = 2 if shortest >= 8 else 1
    dist = OSA.distance(a, b, score_cutoff=allowed)
    if dist > allowed:
        return 0.0
    return 1.0 - FUZZY_PENALTY * dist / max(la, lb)


def _merge_joined(tokens: Sequence[str], other: set[str]) -> list[str]:
    """Join adjacent tokens when the joined form is a token of the other name ("hik vision" -> "hikvision")."""
    if len(tokens) < 2:
        return list(tokens)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and tokens[i] not in other and (tokens[i] + tokens[i + 1]) in other:
            out.append(tokens[i] + tokens[i + 1])
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return out


def _split_glued(tokens: Sequence[str], other: set[str]) -> list[str]:
    """Split a glued token into two tokens of the other name, in either order ("igorsechin" -> "igor sechin"
    against "SECHIN, Igor"; "sechinigor" too). Each part has 3 characters or more."""
    heads = {t[:3] for t in other}
    tails = {t[-3:] for t in other}
    out: list[str] = []
    for token in tokens:
        if token in other or len(token) < 6 or token[:3] not in heads or token[-3:] not in tails:
            out.append(token)
            continue
        for cut in range(3, len(token) - 2):
            left, right = token[:cut], token[cut:]
            left, right = fold(left), fold(right)  # "gennadytimchenko" was folded whole: "genady" -> "genadi"
            if left in other and right in other and left != right:
                out.extend((left, right))
                break
        else:
            out.append(token)
    return out


@dataclass
class _Scored:
    score: float
    cov_query: float
    cov_entry: float
    matched: list[tuple[str, str, float]]
    left: tuple[str, ...] = ()  # tokens of either name left unmatched


class _Weights:
    """Token weights: inverse document frequency over the indexed names; place and generic words damped."""

    def __init__(self, df: dict[str, int], total: int) -> None:
        self.df = df
        # A small index (one new list version, an in-house list, a test) must not make every word look rare or
        # common by accident: a word's frequency is the larger of its share in this index (as if it had at least
        # MIN_IDF_CORPUS names) and its share in the real lists (matching_wordfreq, generated from
        # ../shared/data/lists). On the full lists both agree; on a small index the reference keeps the scores
        # close to what a full run gives, so incremental and full re-screens agree.
        self.total = max(total, MIN_IDF_CORPUS)
        self._cache: dict[str, tuple[float, float]] = {}

    def weights(self, token: str) -> tuple[float, float]:
        """(damped weight, conflict weight). The conflict weight is used for a word left unmatched on one side
        while the other side also has unmatched words (Technology vs Electronics): then generic words count
        fully, because they show two different businesses."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        share = (self.df.get(token, 0) + 1) / self.total
        reference = WORD_DF.get(token)
        if reference is not None and REFERENCE_NAMES:
            share = max(share, reference / REFERENCE_NAMES)
        raw = max(math.log(1 + 1 / share), 0.5)
        if len(token) == 1:
            raw *= 0.5
        if token in GEO_TOKENS:
            pair = (raw * GEO_DAMPING, raw * GEO_DAMPING)
        elif token in GENERIC_TOKENS:
            pair = (raw * GENERIC_DAMPING, raw)
        else:
            pair = (raw, raw)
        self._cache[token] = pair
        return pair

    def weight(self, token: str) -> float:
        return self.weights(token)[0]

    def known(self, token: str) -> bool:
        """The token is a word of the indexed names or of the reference lists."""
        return token in self.df or token in WORD_DF


_NO_MATCH = _Scored(0.0, 0.0, 0.0, [])


def score_tokens(
    query: Sequence[str],
    entry: Sequence[str],
    weights: _Weights,
    query_weights: Sequence[tuple[float, float]] | None = None,
    entry_weights: Sequence[tuple[float, float]] | None = None,
    *,
    allow_generic: bool = False,
) -> _Scored:
    """Weighted Dice over tokens: matched mass / (matched mass + what is left over on both sides).

    Matched and contained words weigh their damped IDF; a word left over on one side counts its damped weight
    when the other side is fully matched (the query is the entry plus a city, or minus "Digital Technology"),
    and its full weight when both sides have leftovers (two different businesses sharing one word). Tokens
    pair greedily: equal tokens first, then fuzzy pairs by decreasing similarity.
    """
    if not query or not entry:
        return _NO_MATCH
    q: Sequence[str] = query
    e: Sequence[str] = entry
    if len(q) > 1 or len(e) > 1:
        q_set, e_set = set(q), set(e)
        if len(q) > 1 and any(q[i] + q[i + 1] in e_set for i in range(len(q) - 1)):
            q, query_weights = _merge_joined(q, e_set), None
            q_set = set(q)
        if len(e) > 1 and any(e[i] + e[i + 1] in q_set for i in range(len(e) - 1)):
            e, entry_weights = _merge_joined(e, q_set), None
    if len(q) != len(e):  # a glued word on the shorter side: "igorsechin" vs "SECHIN, Igor"
        shorter, longer = (q, e) if len(q) < len(e) else (e, q)
        if max(map(len, shorter)) >= 6:
            split = _split_glued(shorter, set(longer))
            if len(split) != len(shorter):
                if shorter is q:
                    q, query_weights = split, None
                else:
                    e, entry_weights = split, None
    wq = query_weights if query_weights is not None else [weights.weights(t) for t in q]
    we = entry_weights if entry_weights is not None else [weights.weights(t) for t in e]
    nq, ne = len(q), len(e)
    used_q = [False] * nq
    used_e = [False] * ne
    got_q = got_e = lost = 0.0
    matched: list[tuple[str, str, float]] = []
    for i, qt in enumerate(q):
        for j in range(ne):
            if not used_e[j] and e[j] == qt:
                used_q[i] = used_e[j] = True
                got_q += wq[i][0]
                got_e += we[j][0]
                matched.append((qt, qt, 1.0))
                break
    if len(matched) < min(nq, ne):
        pairs: list[tuple[float, int, int]] = []
        known = weights.known
        for i in range(nq):
            qi = q[i]
            lq = len(qi)
            if used_q[i] or lq < SHORT_TYPO_MIN_LENGTH - 1:
                continue
            for j in range(ne):
                ej = e[j]
                le = len(ej)
                if used_e[j] or le < SHORT_TYPO_MIN_LENGTH - 1 or abs(lq - le) > 3:
                    continue
                if qi[0] != ej[0] and qi[:2] != ej[1::-1]:
                    continue  # neither a plural nor a typo (cheap test first: this loop is the hot path)
                if (i == nq - 1 or j == ne - 1) and _plural_pair(qi, ej):
                    pairs.append((PLURAL_SIMILARITY, i, j))
                    continue
                if (lq < FUZZY_MIN_LENGTH or le < FUZZY_MIN_LENGTH) and known(qi) and known(ej):
                    continue  # a short word known to the lists is another word, not a typo ("amin"/"ameen")
                sim = _token_similarity(qi, ej)
                if sim > 0.0:
                    pairs.append((sim, i, j))
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        for sim, i, j in pairs:
            if used_q[i] or used_e[j]:
                continue
            used_q[i] = used_e[j] = True
            got_q += sim * wq[i][0]
            got_e += sim * we[j][0]
            lost += (1.0 - sim) * (wq[i][0] + we[j][0])
            matched.append((q[i], e[j], sim))
            # a typo in a word of five letters never carries a match alone ("Atos" is not "Atmos"): another word
            # must agree exactly, and the typo must be in a distinctive word ("boeing" is not "beijing")
            short = sim != PLURAL_SIMILARITY and (len(q[i]) < FUZZY_MIN_LENGTH or len(e[j]) < FUZZY_MIN_LENGTH)
            if short and (
                not (_is_distinctive(q[i]) and _is_distinctive(e[j])) or not any(m[2] == 1.0 for m in matched)
            ):
                return _NO_MATCH
    if not matched:
        return _NO_MATCH
    left_q = [wq[i] for i in range(nq) if not used_q[i]]
    left_e = [we[j] for j in range(ne) if not used_e[j]]
    slot = 1 if left_q and left_e else 0
    rest_q = sum(w[slot] for w in left_q)
    rest_e = sum(w[slot] for w in left_e)
    total_q = got_q + rest_q + lost / 2
    total_e = got_e + rest_e + lost / 2
    score = (got_q + got_e) / (got_q + got_e + lost + rest_q + rest_e)
    if not allow_generic and not any(_is_distinctive(a) or _is_distinctive(b) for a, b, _ in matched):
        # Only generic or place words in common ("International Trading" vs "International Pacific Trading"):
        # they never carry a match. Identical all-generic names are kept, as a potential match at most.
        score = min(score, GENERIC_ONLY_CAP) if sorted(q) == sorted(e) else 0.0
    left = tuple(q[i] for i in range(nq) if not used_q[i]) + tuple(e[j] for j in range(ne) if not used_e[j])
    return _Scored(min(score, 1.0), got_q / total_q, got_e / total_e, matched, left)


def _is_distinctive(token: str) -> bool:
    return token not in GENERIC_TOKENS and token not in GEO_TOKENS


# ---------------------------------------------------------------------------------------------------------------
# Index
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _IndexedName:
    record: int
    name: str
    tokens: tuple[str, ...]
    acronym: bool = False  # the variant is only a parenthesised acronym of the list name
    form: str = ""  # "group" / "company" / "" (name_text.legal_form_kind)


def _deletes(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


class CandidateIndex:
    """Token-blocking index over list names. Build once per set of active list versions; search many times."""

    def __init__(self, records: Iterable[IndexRecord]) -> None:
        # Building allocates a few million small objects; the cyclic GC would rescan them over and over, and
        # again at the first collections after the build (a 1-2 s pause). The index holds no reference cycles,
        # so its objects are moved out of the collector's sight (gc.freeze) once built.
        gc_was_enabled = gc.isenabled()
        if gc_was_enabled:
            gc.collect()  # so that no unreachable cycle of the process is frozen with the index below
        gc.disable()
        try:
            self._build(records)
        finally:
            if gc_was_enabled:
                gc.freeze()
                gc.enable()

    def _build(self, records: Iterable[IndexRecord]) -> None:
        self._records: list[IndexRecord] = []
        self._names: list[_IndexedName] = []
        self._record_names: list[list[int]] = []
        postings: dict[str, list[int]] = defaultdict(list)
        joined: dict[str, list[int]] = defaultdict(list)
        exact: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._ids: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._long_ids: dict[str, list[int]] = defaultdict(list)
        for record in records:
            r = len(self._records)
            self._records.append(record)
            self._record_names.append([])
            for scheme, value in record.identifiers:
                v = canonical_identifier_value(value, scheme)
                if len(v) < 4:
                    continue
                self._ids[(canonical_scheme(scheme), v)].append(r)
                if len(v) >= LONG_IDENTIFIER:
                    self._long_ids[v].append(r)
            # one indexed name per distinct (tokens, legal form kind, acronym): "FULMEN GROUP" and its alias
            # "FULMEN COMPANY" are both kept, and an alias "CNCEC" is not hidden by the bracketed "(CNCEC)"
            seen: set[tuple[tuple[str, ...], str, bool]] = set()
            for name in record.names:
                for variant in name_variants(name):
                    tokens = variant.tokens
                    key = (tokens, variant.form, variant.acronym)
                    if not tokens or key in seen:
                        continue
                    seen.add(key)
                    n = len(self._names)
                    self._record_names[r].append(n)
                    self._names.append(_IndexedName(r, name, tokens, variant.acronym, variant.form))
                    exact[tuple(sorted(tokens))].append(n)
                    for key in set(tokens):
                        postings[key].append(n)
                    for i in range(len(tokens) - 1):
                        joined[tokens[i] + tokens[i + 1]].append(n)
        self._postings: dict[str, list[int]] = dict(postings)
        self._joined: dict[str, list[int]] = dict(joined)
        self._exact: dict[tuple[str, ...], list[int]] = dict(exact)
        df = {t: len(p) for t, p in self._postings.items()}
        self._weights = _Weights(df, len(self._names))
        weights = self._weights.weights
        self._name_weights: list[tuple[tuple[float, float], ...]] = [
            tuple(weights(t) for t in item.tokens) for item in self._names
        ]
        self._name_totals: list[float] = [sum(w[0] for w in ws) for ws in self._name_weights]
        self._block_cap = max(300, int(len(self._names) * MAX_BLOCK_DF_SHARE))
        # typo keys over the vocabulary: delete-one neighbours and metaphone codes of the tokens long enough to
        # be compared fuzzily
        deletes: dict[str, list[str]] = defaultdict(list)
        phonetic: dict[str, list[str]] = defaultdict(list)
        for token in self._postings:
            if len(token) < SHORT_TYPO_MIN_LENGTH or not token.isalpha():
                continue
            for d in _deletes(token):
                deletes[d].append(token)
            if len(token) >= FUZZY_MIN_LENGTH:
                phonetic[jellyfish.metaphone(token)].append(token)
        self._deletes = dict(deletes)
        self._phonetic = dict(phonetic)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def name_count(self) -> int:
        return len(self._names)

    def word_weights(self, query_name: str) -> dict[str, float]:
        """The weight of each word of a query (as written, before folding: what a database "contains" can look
        for) and, under "", the query's total weight: for callers that rank or bound candidates found by words."""
        out: dict[str, float] = {"": 0.0}
        for variant in name_variants(query_name or ""):
            weights = [self._weights.weight(t) for t in variant.tokens]
            out[""] = max(out[""], sum(weights))
            for token, plain, w in zip(variant.tokens, variant.plain or variant.tokens, weights, strict=False):
                out[plain] = max(out.get(plain, 0.0), w)
                out[token] = max(out.get(token, 0.0), w)
        return out

    @staticmethod
    def score_bound(held: float, total: float) -> float:
        """An upper bound of the score of a name holding query words of weight ``held`` (and no typo of the
        others) against a query of weight ``total``: the matched mass on both sides of the Dice score, the rest of
        the query left over, so score <= 2 held / (held + total); with the bound's slack and the country bonus."""
        if total <= 0:
            return 0.0
        return min(1.0, 2 * held * BOUND_SLACK / (held + total)) + COUNTRY_BONUS

    # -- candidate generation -------------------------------------------------------------------------------------

    def _similar_vocab(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens that may pair with ``token``: itself, typo neighbours, phonetic neighbours."""
        found: dict[str, float] = {}
        postings = self._postings
        if token in postings:
            found[token] = 1.0
        if len(token) >= SHORT_TYPO_MIN_LENGTH - 1 and token.isalpha():
            # singular and plural (scored only for the last word of a name, see score_tokens)
            for cand in (token + "s", token + "es", token[:-1], token[:-2], token[:-3] + "y", token[:-1] + "ies"):
                if cand not in found and cand in postings and _plural_pair(token, cand):
                    found[cand] = PLURAL_SIMILARITY
            # a short word the lists know is another word, not a typo of a neighbour ("amin" is not "ameen")
            token_known = self._weights.known(token)
            for k in [token, *_deletes(token)]:
                for cand in self._deletes.get(k, ()):
                    if cand not in found and not (token_known and min(len(token), len(cand)) < FUZZY_MIN_LENGTH):
                        sim = _token_similarity(token, cand)
                        if sim > 0:
                            found[cand] = sim
                if k != token and k not in found and k in postings and not (token_known and len(k) < FUZZY_MIN_LENGTH):
                    sim = _token_similarity(token, k)
                    if sim > 0:
                        found[k] = sim
        if len(token) >= FUZZY_MIN_LENGTH and token.isalpha():
            for cand in self._phonetic.get(jellyfish.metaphone(token), ()):
                if cand not in found:
                    sim = _token_similarity(token, cand)
                    if sim > 0:
                        found[cand] = sim
        return list(found.items())

    def _candidates(self, tokens: tuple[str, ...], threshold: float = 0.0,
                    max_candidates: int | None = MAX_CANDIDATES) -> tuple[set[int], int]:
        """Names that can reach ``threshold`` against ``tokens`` (an upper bound of the score prunes the rest), and
        how many were dropped by ``max_candidates``. The cap cuts by that upper bound of the score, never by
        position or id: every name whose bound equals the last one kept is kept too, so a cap never picks among
        equally good names (the kept set may exceed the cap)."""
        weight = self._weights.weight
        acc: dict[int, float] = defaultdict(float)
        common: list[list[int]] = []
        common_weight = 0.0
        pruning = True
        for token in tokens:
            if not _is_distinctive(token):
                # place and generic words never carry a match (score_tokens), so they are not blocked on; names
                # made only of them are found by the exact lookup below
                common_weight += weight(token)
                continue
            blocked = False
            for vocab, sim in self._similar_vocab(token):
                posting = self._postings[vocab]
                if len(posting) <= self._block_cap:
                    w = max(weight(token), weight(vocab)) * sim
                    for n in posting:
                        acc[n] += w
                elif sim == 1.0:
                    common.append(posting)
                    blocked = True
            if blocked:
                common_weight += weight(token)
        # glued words: "igorsechin" in the query vs "SECHIN, Igor" (either order) in a list name
        for token in tokens:
            if len(token) < 6 or token in self._postings:
                continue
            for cut in range(3, len(token) - 2):
                left, right = self._postings.get(fold(token[:cut])), self._postings.get(fold(token[cut:]))
                if left and right:
                    # only the names holding both parts can pair with the glued word
                    small, large = (left, right) if len(left) <= len(right) else (right, left)
                    both = set(small).intersection(large) if len(small) <= self._block_cap else set()
                    if both:
                        pruning = False
                        for n in both:
                            acc[n] += weight(token)
        # joined words: "hik vision" in the query vs "hikvision" in a list name, and the other way round
        for i in range(len(tokens) - 1):
            for posting in (self._postings.get(tokens[i] + tokens[i + 1]), self._joined.get(tokens[i])):
                if posting and len(posting) <= self._block_cap:
                    pruning = False
                    w = weight(tokens[i]) + weight(tokens[i + 1])
                    for n in posting:
                        acc[n] += w
        if tokens and tokens[-1] in self._joined and len(self._joined[tokens[-1]]) <= self._block_cap:
            pruning = False
            for n in self._joined[tokens[-1]]:
                acc[n] += weight(tokens[-1])
        found: set[int] = set()
        dropped = 0
        total_q = sum(weight(t) for t in tokens)
        totals = self._name_totals
        if acc:
            ranked: list[tuple[float, int]]
            if pruning:
                floor = threshold - COUNTRY_BONUS
                ranked = []
                for n, a in acc.items():
                    # upper bound of the Dice score: matched mass on each side <= what the blocked words carry
                    reach = (a + common_weight) * BOUND_SLACK
                    total_e = totals[n]
                    bound = ((reach if reach < total_q else total_q) + (reach if reach < total_e else total_e)) / (
                        total_q + total_e
                    )
                    if bound >= floor:
                        ranked.append((bound, n))
            else:
                ranked = [(a, n) for n, a in acc.items()]
            ranked, dropped = _cap_by_bound(ranked, max_candidates)
            found.update(n for _, n in ranked)
        elif common:
            # only common words: the names holding all of them (smallest posting first)
            common.sort(key=len)
            result = set(common[0])
            for posting in common[1:]:
                result.intersection_update(posting)
                if not result:
                    break
            if max_candidates is not None and len(result) > max_candidates:
                # every query word is in each of these names: the shorter the name, the higher its score can be
                reach = common_weight * BOUND_SLACK
                bounded = [((min(reach, total_q) + min(reach, totals[n])) / ((total_q + totals[n]) or 1.0), n)
                           for n in result]
                kept, dropped = _cap_by_bound(bounded, max_candidates)
                result = {n for _, n in kept}
            found.update(result)
        found.update(self._exact.get(tuple(sorted(tokens)), ()))  # the same words in any order, always scored
        return found, dropped

    # -- search ---------------------------------------------------------------------------------------------------

    def search(
        self,
        names: Sequence[str],
        *,
        countries: Sequence[str] = (),
        identifiers: Sequence[tuple[str, str]] = (),
        min_score: float | None = None,
        limit: int | None = 50,
        exhaustive: bool = False,
        max_candidates: int | None = MAX_CANDIDATES,
    ) -> list[MatchResult]:
        """Best matches first, at most one per record key; ``limit`` None: all of them. ``exhaustive``: score every
        indexed name instead of the blocked candidates (search_exhaustive)."""
        return self.search_complete(names, countries=countries, identifiers=identifiers, min_score=min_score,
                                    exhaustive=exhaustive, max_candidates=max_candidates).matches[:limit]

    def search_complete(
        self,
        names: Sequence[str],
        *,
        countries: Sequence[str] = (),
        identifiers: Sequence[tuple[str, str]] = (),
        min_score: float | None = None,
        exhaustive: bool = False,
        max_candidates: int | None = MAX_CANDIDATES,
    ) -> SearchOutcome:
        """Every match at or above ``min_score`` (best first), and whether the candidate cap dropped any name
        (``SearchOutcome.truncated``): a caller that decides on the whole set (a verdict) needs both."""
        if isinstance(names, str):
            names = [names]
        threshold = THRESHOLDS["potential"] if min_score is None else float(min_score)
        query_countries = {c.upper() for c in countries if c}
        best: dict[int, MatchResult] = {}
        dropped = 0

        for r, scheme, value in self._identifier_hits(identifiers):
            record = self._records[r]
            best[r] = MatchResult(
                key=record.key,
                score=1.0,
                strength="identifier",
                query_name="",
                entry_name=record.names[0] if record.names else "",
                features={"identifier": 1.0},
                _reasons=identifier_reasons(scheme, value),
                explanation=(
                    f"Identifier {scheme.upper()} {value} is identical on the vendor and the list entry "
                    f"(identifier match, score 1.00; algorithm {ALGORITHM_VERSION})."
                ),
            )

        # A variant made only of a parenthesised acronym ("Advanced Micro Devices, Inc. (AMD)" -> "amd", or a list
        # name's "(AMD)") never carries a match alone: it counts only for an entry whose other names the vendor's
        # other names match (_corroborated), so "AMD CO. LTD AGENCY" and "SES GROUP" are not found through it.
        variants = [(q, v) for q in names for v in name_variants(q or "") if v.tokens]  # a legal form alone: none
        variants.sort(key=lambda item: item[1].acronym)
        corroborated: dict[tuple[int, str], bool] = {}
        for query_name, variant in variants:
            query_weights = [self._weights.weights(t) for t in variant.tokens]
            if exhaustive:
                candidates: Iterable[int] = range(len(self._names))
            else:
                candidates, cut = self._candidates(variant.tokens, threshold, max_candidates)
                dropped += cut
            memo: dict[tuple[str, ...], _Scored] = {}  # the same name is often on several lists
            for n in candidates:
                indexed = self._names[n]
                current = best.get(indexed.record)
                if current is not None and current.strength == "identifier":
                    continue
                if (
                    (variant.acronym or indexed.acronym)
                    # a vendor called just that acronym ("SMIC") vs a list name's "(SMIC)": shown, held at potential
                    and (variant.acronym or variant.tokens != indexed.tokens)
                    and not self._corroborated(indexed.record, query_name, threshold, corroborated)
                ):
                    continue  # a bracketed acronym on either side: only beside the rest of the name
                scored = memo.get(indexed.tokens)
                if scored is None:
                    scored = score_tokens(
                        variant.tokens, indexed.tokens, self._weights, query_weights, self._name_weights[n]
                    )
                    memo[indexed.tokens] = scored
                if scored.score <= 0.0 or scored.score + COUNTRY_BONUS < threshold:
                    continue
                if current is not None and scored.score + COUNTRY_BONUS <= current.score:
                    continue
                result = self._result(query_name, variant, indexed, scored, query_countries, threshold)
                if result is not None and (current is None or result.score > current.score):
                    best[indexed.record] = result

        ordered = sorted(best.values(), key=lambda m: (-m.score, str(m.entry_name), str(m.key)))
        return SearchOutcome(ordered, {"cap": max_candidates, "dropped": dropped} if dropped else None)

    def compare(self, names: Sequence[str], record: IndexRecord, *, countries: Sequence[str] = (),
                min_score: float | None = None) -> MatchResult | None:
        """The best match of the query names against one record that is not in the index (a registry vendor's
        names), scored exactly as search() would score it with this index's word weights: the same
        normalisation, thresholds and explanation."""
        return self.compare_many(names, [record], countries=countries, min_score=min_score).get(record.key)

    def compare_many(self, names: Sequence[str], records: Iterable[IndexRecord], *, countries: Sequence[str] = (),
                     min_score: float | None = None) -> dict[Hashable, MatchResult]:
        """compare() for several records: the query is normalised once. Returns key -> best match (records that
        do not reach the threshold are left out)."""
        threshold = THRESHOLDS["potential"] if min_score is None else float(min_score)
        query_countries = {c.upper() for c in countries if c}
        queries = [(query_name, variant, [self._weights.weights(t) for t in variant.tokens])
                   for query_name in names for variant in name_variants(query_name or "") if variant.tokens]
        found: dict[Hashable, MatchResult] = {}
        for record in records:
            best: MatchResult | None = None
            for name in record.names:
                for entry_variant in name_variants(name):
                    if not entry_variant.tokens:
                        continue
                    indexed = _IndexedName(-1, name, entry_variant.tokens, entry_variant.acronym, entry_variant.form)
                    for query_name, variant, query_weights in queries:
                        if (variant.acronym or indexed.acronym) and (
                                variant.acronym or variant.tokens != indexed.tokens):
                            continue  # a bracketed acronym never carries a match alone (search(): _corroborated)
                        scored = score_tokens(variant.tokens, indexed.tokens, self._weights, query_weights)
                        if scored.score <= 0.0 or scored.score + COUNTRY_BONUS < threshold:
                            continue
                        result = self._result(query_name, variant, indexed, scored, query_countries, threshold,
                                              record)
                        if result is not None and (best is None or result.score > best.score):
                            best = result
            if best is not None:
                found[record.key] = best
        return found

    def _corroborated(self, record: int, query_name: str, threshold: float, memo: dict[tuple[int, str], bool]) -> bool:
        """The rest of the vendor's name agrees with one of the record's names (generic words counting: "China
        National Chemical Engineering Group Corporation (CNCEC), Tehran"), so its bracketed acronym may count."""
        key = (record, query_name)
        if key not in memo:
            memo[key] = any(
                score_tokens(v.tokens, self._names[n].tokens, self._weights, allow_generic=True).score >= threshold
                for v in name_variants(query_name or "")
                if v.tokens and not v.acronym
                for n in self._record_names[record]
                if not self._names[n].acronym
            )
        return memo[key]

    def search_exhaustive(self, names: Sequence[str], **options) -> list[MatchResult]:
        """Same as search() but scores every indexed name (no blocking): the pairwise baseline."""
        return self.search(names, exhaustive=True, **options)

    def _identifier_hits(self, identifiers: Sequence[tuple[str, str]]) -> list[tuple[int, str, str]]:
        hits: list[tuple[int, str, str]] = []
        seen: set[int] = set()
        for scheme, value in identifiers:
            v = canonical_identifier_value(value, scheme)
            if len(v) < 4:
                continue
            cs = canonical_scheme(scheme)
            found = list(self._ids.get((cs, v), ()))
            if len(v) >= LONG_IDENTIFIER:
                found.extend(self._long_ids.get(v, ()))
            for r in found:
                if r not in seen:
                    seen.add(r)
                    hits.append((r, cs, v))
        return hits

    def _result(
        self,
        query_name: str,
        variant: NameVariant,
        indexed: _IndexedName,
        scored: _Scored,
        query_countries: set[str],
        threshold: float,
        record: IndexRecord | None = None,
    ) -> MatchResult | None:
        """The explained result for one scored name, or None when it does not reach ``threshold``. ``record``: a
        record outside the index (compare())."""
        record = record if record is not None else self._records[indexed.record]
        features: dict[str, float] = {
            "name": round(scored.score, 4),
            "query_coverage": round(scored.cov_query, 4),
            "entry_coverage": round(scored.cov_entry, 4),
        }
        score = scored.score
        entry_countries = {c.upper() for c in record.countries if c}
        country_note = ""
        if query_countries and entry_countries:
            if query_countries & entry_countries:
                score += COUNTRY_BONUS
                features["country"] = COUNTRY_BONUS
                country_note = f"; same country (+{COUNTRY_BONUS:.2f})"
            else:
                score -= COUNTRY_MALUS
                features["country"] = -COUNTRY_MALUS
                country_note = f"; different country (-{COUNTRY_MALUS:.2f})"
        form_note = ""
        if variant.form and indexed.form and variant.form != indexed.form:
            # "... Construction Company" vs "... Construction Group": every name word agrees, the legal person
            # differs; the entry with the same kind of form ranks first and the other is never "strong"
            score -= FORM_MALUS
            features["legal_form"] = -FORM_MALUS
            form_note = f"; {variant.form} vs {indexed.form} (-{FORM_MALUS:.2f})"
        score = max(0.0, min(1.0, score))
        if score < threshold:
            return None
        individual = (record.entry_type or "").lower() in INDIVIDUAL_TYPES
        distinctive = sum(1 for q, e, _ in scored.matched if _is_distinctive(q) or _is_distinctive(e))
        if individual and scored.score < THRESHOLDS["individual"] and (
            distinctive < 2 or variant.legal or not all(_is_distinctive(t) for t in variant.tokens)
        ):
            # below near-identical, a person is shown only for a vendor name that reads as a person's name (two
            # name words in common, no legal form, no business word): "Hikmat Consulting LLC", "Omer Boztepe
            # Consulting LLC" are companies and need the strict threshold
            return None
        # "strong" may be confirmed without review (SCREENING_AUTO_CONFIRM_STRENGTHS), so it needs more than a
        # high score: no country conflict, and either the names agree except for places and legal forms, or at
        # least two distinctive words agree. "Zenith Electronics" vs "Zenith", "Navis LLC" (US) vs "JSC Navis
        # Group" (RU) stay potential matches for a reviewer.
        held = ""
        if score >= THRESHOLDS["strong"]:
            if features.get("country", 0.0) < 0:
                held = "countries differ"
            elif distinctive < 2 and any(t not in GEO_TOKENS for t in scored.left):
                held = "one distinctive word in common, other words differ"
            elif individual and scored.score < THRESHOLDS["individual"]:
                held = f"individual, name score below {THRESHOLDS['individual']:.2f}"
            elif "legal_form" in features:
                held = "legal forms differ (company vs group)"
            elif variant.acronym or indexed.acronym:
                held = "matched on a bracketed acronym"
            elif any(
                sim not in (1.0, PLURAL_SIMILARITY) and min(len(q), len(e)) < FUZZY_MIN_LENGTH
                for q, e, sim in scored.matched
            ):
                held = "typo in a short word"
            if held:
                score = min(score, STRONG_HOLD_SCORE)
                features["held_at_potential"] = 1.0
        if individual:
            features["individual"] = 1.0
        if score >= THRESHOLDS["strong"]:
            strength = "strong"
        elif score >= THRESHOLDS["potential"]:
            strength = "potential"
        else:
            strength = "weak"  # only when the caller asked for results below the potential threshold
        features["score"] = round(score, 4)
        plain = dict(zip(variant.tokens, variant.plain, strict=False))  # show "zhejiang", not the folded "zheiang"
        matched = ", ".join(plain.get(q, q) if q == e else f"{plain.get(q, q)}~{e}" for q, e, _ in scored.matched)
        explanation = (
            f"Vendor name {query_name!r} vs list name {indexed.name!r}: score {score:.2f} "
            f"(name {scored.score:.2f}: {scored.cov_query:.0%} of the vendor name and {scored.cov_entry:.0%} of the "
            f"list name matched on [{matched}]{country_note}"
            f"{form_note}"
            f"{'; entry is an individual: strong only if near-identical' if individual else ''}"
            f"{f'; held at potential: {held}' if held else ''}); "
            f"{strength} (strong >= {THRESHOLDS['strong']:.2f}, potential >= {THRESHOLDS['potential']:.2f}; "
            f"algorithm {ALGORITHM_VERSION})."
        )
        return MatchResult(
            key=record.key,
            score=round(score, 4),
            strength=strength,
            query_name=query_name,
            entry_name=indexed.name,
            features=features,
            explanation=explanation,
            basis=MatchBasis(
                query_name, variant, indexed.name, indexed.tokens, indexed.acronym, indexed.form,
                tuple(scored.matched), scored.left, record.names[0] if record.names else "",
                tuple(sorted(query_countries)), tuple(sorted(entry_countries)), individual, held, PLURAL_SIMILARITY,
            ),
        )


def _cap_by_bound(ranked: list[tuple[float, int]], cap: int | None) -> tuple[list[tuple[float, int]], int]:
    """Keep the ``cap`` best (bound, name) pairs and every pair tied with the last one kept; (kept, dropped)."""
    if cap is None or len(ranked) <= cap:
        return ranked, 0
    ranked.sort(key=lambda item: -item[0])
    floor = ranked[cap - 1][0]
    kept = [item for item in ranked if item[0] >= floor]
    return kept, len(ranked) - len(kept)


_PAIRWISE_CACHE: dict[int, tuple[Sequence[IndexRecord], CandidateIndex]] = {}


def pairwise_search(records: Sequence[IndexRecord], names: Sequence[str], **kwargs) -> list[MatchResult]:
    """Score every list name against the query (no blocking): the baseline the index is measured against.

    The records are normalised once per ``records`` object (cached on its identity) so that repeated calls
    measure the pairwise comparison itself, not the normalisation.
    """
    cached = _PAIRWISE_CACHE.get(id(records))
    if cached is None or cached[0] is not records:
        _PAIRWISE_CACHE.clear()
        cached = (records, CandidateIndex(records))
        _PAIRWISE_CACHE[id(records)] = cached
    return cached[1].search_exhaustive(names, **kwargs)
