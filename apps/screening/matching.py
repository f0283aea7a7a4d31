"""Explainable name and identifier matching against restricted-party lists. Pure: no ORM, no Django.

How a query (a vendor's names, countries and identifiers) is compared with list entries:

* **Identifiers first.** An identical LEI, UEI, DUNS, USCC, registration number... (same scheme, or the same
  long value under another scheme name) is an ``identifier`` match with score 1.0 on its own.
* **Names** are normalised on both sides (`apps.screening.matching_text`): ASCII transliteration, legal forms
  removed (rigour's database plus Co./Corp./Group...), glued addresses cut, dotted acronyms joined.
* **Scoring** works on tokens, never on substrings: each token weighs its inverse document frequency over all
  list names (a rare word such as "hikvision" weighs much more than "technology"; place words and generic words
  are damped). Tokens pair up exactly, or fuzzily when both are 6+ characters long and within 1 edit (2 for 8+
  characters; rapidfuzz Levenshtein); digits and short tokens (acronyms such as ZTE, DJI, CCCC, ZPMC) only pair
  exactly. Adjacent tokens may be joined ("Hik Vision" = "Hikvision"). The name score mixes the weighted
  coverage of both names: ``0.5 * sqrt(cq * ce) + 0.5 * max(cq, ce)`` where ``cq`` is the share of the query's
  weight matched and ``ce`` the share of the entry name's weight matched. A name that is only a legal form
  ("CORP") has no tokens and never matches; "ZTE" is never found inside "Aztec" or "BOZTEPE".
* **Country** is supporting evidence only: a small bonus when the query and entry share a country, a small
  malus when both have countries and none is shared. Never a filter.
* **Individuals** (entry_type "individual") are returned only for near-identical names, because vendors are
  organisations and people's names collide with company words ("Hikmat", "Francisco").
* **Candidate index.** Names are blocked on their distinctive tokens (document frequency below a cap), on
  delete-one neighbours of those tokens (typos), on phonetic keys (metaphone) and on joined adjacent tokens;
  only the candidates found are scored, so the cost does not grow with vendors x list names.
  ``pairwise_search`` scores every name (the baseline, same scores).

Each result says which query name matched which list name, the score of each feature, the thresholds and
``ALGORITHM_VERSION`` (see ``MatchResult.explanation``).
"""
from __future__ import annotations

import gc
import math
import re
from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import jellyfish
from rapidfuzz.distance import OSA

from apps.screening.matching_text import GENERIC_TOKENS, GEO_TOKENS, NameVariant, name_variants
from apps.screening.matching_text import normalize_name as _normalize_name

ALGORITHM_VERSION = "vr-match-1.0"

THRESHOLDS: dict[str, float] = {
    "strong": 0.92,  # at or above: a strong name match (still reviewed unless an identifier confirms it)
    "potential": 0.80,  # at or above: a potential match for the review queue; below: not reported
    "individual": 0.96,  # an individual's name must be near-identical to match a vendor
}

INDIVIDUAL_TYPES = frozenset({"individual", "person"})
COUNTRY_BONUS = 0.03
COUNTRY_MALUS = 0.04
GEO_DAMPING = 0.2
GENERIC_DAMPING = 0.35
MAX_BLOCK_DF_SHARE = 0.01  # a token in more than 1% of names (at least 300) is too common to block on alone
MAX_CANDIDATES = 400
MIN_IDF_CORPUS = 50_000
FUZZY_PENALTY = 1.2
FUZZY_MIN_LENGTH = 6
GENERIC_ONLY_CAP = 0.85  # identical names made only of generic/place words: a potential match at most


def normalize_name(name: str) -> str:
    """Comparison form of a name (see matching_text.normalize_name)."""
    return _normalize_name(name)


# ---------------------------------------------------------------------------------------------------------------
# Public data types (contract in INTERFACES.md)
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
    strength: str  # "identifier" | "strong" | "potential"
    query_name: str
    entry_name: str
    features: dict[str, float] = field(default_factory=dict)
    explanation: str = ""


# ---------------------------------------------------------------------------------------------------------------
# Identifiers
# ---------------------------------------------------------------------------------------------------------------

_SCHEME_ALIASES = {
    "lei": "lei", "legal entity identifier": "lei",
    "uei": "uei", "sam uei": "uei", "unique entity id": "uei", "unique entity identifier": "uei",
    "duns": "duns", "d u n s": "duns", "duns number": "duns", "dunsno": "duns",
    "uscc": "uscc", "unified social credit code": "uscc", "unified social credit code uscc": "uscc",
    "usc": "uscc", "social credit code": "uscc",
    "registration": "registration", "registration number": "registration", "registration id": "registration",
    "company number": "registration", "business registration number": "registration", "reg no": "registration",
    "ogrn": "ogrn", "inn": "inn", "tax id": "tax", "tax identification number": "tax", "vat": "vat",
    "imo": "imo", "vessel registration identification": "imo", "swift": "swift", "swift bic": "swift", "bic": "swift",
    "cage": "cage", "cage code": "cage", "ein": "ein",
}
_ID_VALUE_RE = re.compile(r"[^0-9A-Z]+")
LONG_IDENTIFIER = 12  # an identical value this long matches even under differently named schemes


def canonical_scheme(scheme: str) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", (scheme or "").lower()).strip()
    return _SCHEME_ALIASES.get(key, key)


def canonical_identifier_value(value: str) -> str:
    return _ID_VALUE_RE.sub("", (value or "").upper())


# ---------------------------------------------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------------------------------------------


def _token_similarity(a: str, b: str) -> float:
    """1.0 for equal tokens; a fuzzy pair only for long alphabetic tokens within 1 (2 for 8+ chars) edits.

    A fuzzy pair is worth less than an exact one (1 - 1.2 * edits / length): "hikvison" ~ "hikvision" is
    0.87, "samsun" ~ "samsung" 0.83; the lost part counts against the score on both sides.
    """
    if a == b:
        return 1.0
    la, lb = len(a), len(b)
    shortest = min(la, lb)
    if shortest < FUZZY_MIN_LENGTH or abs(la - lb) > 2 or (a[0] != b[0] and a[:2] != b[1::-1]):
        return 0.0
    if not a.isalpha() or not b.isalpha():
        return 0.0
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


@dataclass
class _Scored:
    score: float
    cov_query: float
    cov_entry: float
    matched: list[tuple[str, str, float]]


class _Weights:
    """Token weights: inverse document frequency over the indexed names; place and generic words damped."""

    def __init__(self, df: dict[str, int], total: int) -> None:
        self.df = df
        # A small list (an in-house list, a test) must not make every word look common: IDF is computed as if
        # the list had at least MIN_IDF_CORPUS names.
        self.total = max(total, MIN_IDF_CORPUS)
        self._cache: dict[str, tuple[float, float]] = {}

    def weights(self, token: str) -> tuple[float, float]:
        """(damped weight, conflict weight). The conflict weight is used for a word left unmatched on one side
        while the other side also has unmatched words (Technology vs Electronics): then generic words count
        fully, because they show two different businesses."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        df = self.df.get(token, 0)
        raw = max(math.log(1 + self.total / (df + 1)), 0.5)
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


def score_tokens(query: Sequence[str], entry: Sequence[str], weights: _Weights) -> _Scored:
    """Weighted Dice over tokens: matched mass / (matched mass + what is left over on both sides).

    Matched and contained words weigh their damped IDF; a word left over on one side counts its damped weight
    when the other side is fully matched (the query is the entry plus a city, or minus "Digital Technology"),
    and its full weight when both sides have leftovers (two different businesses sharing one word).
    """
    if not query or not entry:
        return _Scored(0.0, 0.0, 0.0, [])
    q = _merge_joined(query, set(entry))
    e = _merge_joined(entry, set(q))
    wq = [weights.weights(t) for t in q]
    we = [weights.weights(t) for t in e]
    pairs: list[tuple[float, int, int]] = []
    for i, qt in enumerate(q):
        for j, et in enumerate(e):
            sim = _token_similarity(qt, et)
            if sim > 0.0:
                pairs.append((sim, i, j))
    if not pairs:
        return _Scored(0.0, 0.0, 0.0, [])
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    used_q: set[int] = set()
    used_e: set[int] = set()
    got_q = got_e = lost = 0.0
    matched: list[tuple[str, str, float]] = []
    for sim, i, j in pairs:
        if i in used_q or j in used_e:
            continue
        used_q.add(i)
        used_e.add(j)
        got_q += sim * wq[i][0]
        got_e += sim * we[j][0]
        lost += (1.0 - sim) * (wq[i][0] + we[j][0])
        matched.append((q[i], e[j], sim))
    left_q = [wq[i] for i in range(len(q)) if i not in used_q]
    left_e = [we[j] for j in range(len(e)) if j not in used_e]
    slot = 1 if left_q and left_e else 0
    rest_q = sum(w[slot] for w in left_q)
    rest_e = sum(w[slot] for w in left_e)
    total_q = got_q + rest_q + lost / 2
    total_e = got_e + rest_e + lost / 2
    score = (got_q + got_e) / (got_q + got_e + lost + rest_q + rest_e)
    if not any(_is_distinctive(a) or _is_distinctive(b) for a, b, _ in matched):
        # Only generic or place words in common ("International Trading" vs "International Pacific Trading"):
        # they never carry a match. Identical all-generic names are kept, as a potential match at most.
        score = min(score, GENERIC_ONLY_CAP) if tuple(q) == tuple(e) else 0.0
    return _Scored(min(score, 1.0), got_q / total_q, got_e / total_e, matched)


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


def _deletes(token: str) -> list[str]:
    return [token[:i] + token[i + 1 :] for i in range(len(token))]


class CandidateIndex:
    """Token-blocking index over list names. Build once per set of active list versions; search many times."""

    def __init__(self, records: Iterable[IndexRecord]) -> None:
        # Building allocates a few million small objects; the cyclic GC would rescan them over and over.
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(records)
        finally:
            if gc_was_enabled:
                gc.enable()

    def _build(self, records: Iterable[IndexRecord]) -> None:
        self._records: list[IndexRecord] = []
        self._names: list[_IndexedName] = []
        postings: dict[str, list[int]] = defaultdict(list)
        exact: dict[tuple[str, ...], list[int]] = defaultdict(list)
        self._ids: dict[tuple[str, str], list[int]] = defaultdict(list)
        self._long_ids: dict[str, list[int]] = defaultdict(list)
        for record in records:
            r = len(self._records)
            self._records.append(record)
            for scheme, value in record.identifiers:
                v = canonical_identifier_value(value)
                if len(v) < 4:
                    continue
                self._ids[(canonical_scheme(scheme), v)].append(r)
                if len(v) >= LONG_IDENTIFIER:
                    self._long_ids[v].append(r)
            seen: set[tuple[str, ...]] = set()
            for name in record.names:
                for variant in name_variants(name):
                    if not variant.tokens or variant.tokens in seen:
                        continue
                    seen.add(variant.tokens)
                    n = len(self._names)
                    self._names.append(_IndexedName(r, name, variant.tokens))
                    exact[tuple(sorted(variant.tokens))].append(n)
                    keys = set(variant.tokens)
                    keys.update(a + b for a, b in zip(variant.tokens, variant.tokens[1:], strict=False))
                    for key in keys:
                        postings[key].append(n)
        self._postings: dict[str, list[int]] = dict(postings)
        self._exact: dict[tuple[str, ...], list[int]] = dict(exact)
        df = {t: len(p) for t, p in self._postings.items()}
        self._weights = _Weights(df, len(self._names))
        self._block_cap = max(300, int(len(self._names) * MAX_BLOCK_DF_SHARE))
        # typo keys over the vocabulary: delete-one neighbours and metaphone codes of tokens of 5+ characters
        deletes: dict[str, list[str]] = defaultdict(list)
        phonetic: dict[str, list[str]] = defaultdict(list)
        for token in self._postings:
            if len(token) < 5 or token.isdigit():
                continue
            for d in _deletes(token):
                deletes[d].append(token)
            if len(token) >= 6 and token.isalpha():
                phonetic[jellyfish.metaphone(token)].append(token)
        self._deletes = dict(deletes)
        self._phonetic = dict(phonetic)

    def __len__(self) -> int:
        return len(self._records)

    @property
    def name_count(self) -> int:
        return len(self._names)

    # -- candidate generation -------------------------------------------------------------------------------------

    def _similar_vocab(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens that may pair with ``token``: itself, typo neighbours, phonetic neighbours."""
        found: dict[str, float] = {}
        if token in self._postings:
            found[token] = 1.0
        if len(token) >= 5 and not token.isdigit():
            keys = [token, *_deletes(token)]
            for k in keys:
                for cand in self._deletes.get(k, ()):
                    if cand not in found:
                        sim = _token_similarity(token, cand)
                        if sim > 0:
                            found[cand] = sim
                if k in self._postings and k != token and k not in found:
                    sim = _token_similarity(token, k)
                    if sim > 0:
                        found[k] = sim
            if len(token) >= 6 and token.isalpha():
                for cand in self._phonetic.get(jellyfish.metaphone(token), ()):
                    if cand not in found:
                        sim = _token_similarity(token, cand)
                        if sim > 0:
                            found[cand] = sim
        return list(found.items())

    def _candidates(self, tokens: tuple[str, ...]) -> set[int]:
        found = self._blocked_candidates(tokens)
        found.update(self._exact.get(tuple(sorted(tokens)), ()))  # the same words, whatever the word order
        return found

    def _blocked_candidates(self, tokens: tuple[str, ...]) -> set[int]:
        keys = list(tokens)
        keys.extend(a + b for a, b in zip(tokens, tokens[1:], strict=False))
        rare: dict[int, float] = defaultdict(float)
        common_postings: list[list[int]] = []
        for key in keys:
            for vocab, sim in self._similar_vocab(key):
                posting = self._postings[vocab]
                if len(posting) <= self._block_cap:
                    w = self._weights.weight(vocab) * sim
                    for n in posting:
                        rare[n] += w
                elif sim == 1.0:
                    common_postings.append(posting)
        if rare:
            if len(rare) <= MAX_CANDIDATES:
                return set(rare)
            ranked = sorted(rare.items(), key=lambda kv: -kv[1])[:MAX_CANDIDATES]
            return {n for n, _ in ranked}
        if not common_postings:
            return set()
        # only common words: names holding all of them (smallest posting first)
        common_postings.sort(key=len)
        result = set(common_postings[0])
        for posting in common_postings[1:]:
            result.intersection_update(posting)
            if not result:
                break
        if len(result) > MAX_CANDIDATES:
            result = set(sorted(result)[:MAX_CANDIDATES])
        return result

    # -- search ---------------------------------------------------------------------------------------------------

    def search(
        self,
        names: Sequence[str],
        *,
        countries: Sequence[str] = (),
        identifiers: Sequence[tuple[str, str]] = (),
        min_score: float | None = None,
        limit: int = 50,
    ) -> list[MatchResult]:
        """Best matches first, at most one per record key."""
        return self._search(names, countries, identifiers, min_score, limit, exhaustive=False)

    def search_exhaustive(
        self,
        names: Sequence[str],
        *,
        countries: Sequence[str] = (),
        identifiers: Sequence[tuple[str, str]] = (),
        min_score: float | None = None,
        limit: int = 50,
    ) -> list[MatchResult]:
        """Same as search() but scores every indexed name (no blocking): the pairwise baseline."""
        return self._search(names, countries, identifiers, min_score, limit, exhaustive=True)

    def _search(self, names, countries, identifiers, min_score, limit, exhaustive: bool) -> list[MatchResult]:
        if isinstance(names, str):
            names = [names]
        threshold = THRESHOLDS["potential"] if min_score is None else float(min_score)
        query_countries = {c.upper() for c in countries if c}
        best: dict[int, MatchResult] = {}

        for r, scheme, value in self._identifier_hits(identifiers):
            record = self._records[r]
            best[r] = MatchResult(
                key=record.key,
                score=1.0,
                strength="identifier",
                query_name="",
                entry_name=record.names[0] if record.names else "",
                features={"identifier": 1.0},
                explanation=(
                    f"Identifier {scheme.upper()} {value} is identical on the vendor and the list entry "
                    f"(identifier match, score 1.00; algorithm {ALGORITHM_VERSION})."
                ),
            )

        for query_name in names:
            for variant in name_variants(query_name or ""):
                if not variant.tokens:
                    continue  # a legal form alone never carries a match
                if exhaustive:
                    candidates: Iterable[int] = range(len(self._names))
                else:
                    candidates = self._candidates(variant.tokens)
                for n in candidates:
                    indexed = self._names[n]
                    if indexed.record in best and best[indexed.record].strength == "identifier":
                        continue
                    result = self._score(query_name, variant, indexed, query_countries)
                    if result is None or result.score < threshold:
                        continue
                    current = best.get(indexed.record)
                    if current is None or result.score > current.score:
                        best[indexed.record] = result

        ordered = sorted(best.values(), key=lambda m: (-m.score, str(m.entry_name), str(m.key)))
        return ordered[:limit]

    def _identifier_hits(self, identifiers: Sequence[tuple[str, str]]) -> list[tuple[int, str, str]]:
        hits: list[tuple[int, str, str]] = []
        seen: set[int] = set()
        for scheme, value in identifiers:
            v = canonical_identifier_value(value)
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

    def _score(
        self, query_name: str, variant: NameVariant, indexed: _IndexedName, query_countries: set[str]
    ) -> MatchResult | None:
        scored = score_tokens(variant.tokens, indexed.tokens, self._weights)
        if scored.score <= 0.0:
            return None
        record = self._records[indexed.record]
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
        score = max(0.0, min(1.0, score))
        individual = (record.entry_type or "").lower() in INDIVIDUAL_TYPES
        if individual:
            features["individual"] = 1.0
            if scored.score < THRESHOLDS["individual"]:
                return None
        strength = "strong" if score >= THRESHOLDS["strong"] else "potential"
        features["score"] = round(score, 4)
        matched = ", ".join(q if q == e else f"{q}~{e}" for q, e, _ in scored.matched)
        explanation = (
            f"Vendor name {query_name!r} vs list name {indexed.name!r}: score {score:.2f} "
            f"(name {scored.score:.2f}: {scored.cov_query:.0%} of the vendor name and {scored.cov_entry:.0%} of the "
            f"list name matched on [{matched}]{country_note}"
            f"{'; entry is an individual, near-identical name required' if individual else ''}); "
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
        )


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
