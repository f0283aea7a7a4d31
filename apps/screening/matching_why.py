"""Plain-language reasons for a match: why an officer is shown this list entry. Pure, no ORM.

The scorer (apps.screening.matching) keeps the facts it scored with on each result (``MatchResult.basis``: the
query variant, the list name, the paired words, what was left over, country, legal forms, why a strong score was
held); this module turns them into structured reasons, each a dict with a ``code`` and its parameters
(``reasons_for``), and renders those as one sentence (``render_why``). Nothing here parses the technical
``explanation``, and nothing here changes a score: the reasons are computed only when a caller asks for them
(``MatchResult.reasons`` / ``MatchResult.why``), so a screening run that stores no reason pays nothing.

Codes (docs/matching.md lists them with an example each): identifier, same_name, word_order, legal_forms,
spelling, typo, plural, joined, split, digits, honorific, query_contained, entry_contained, shared_words,
generic_only, acronym, alias, company_vs_group, person, middle_name, country_same, country_differs, held.
"""
from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz.distance import OSA

from apps.vendors.name_text import GEO_TOKENS, NameVariant, digit_words, honorifics_in, name_variants, word_keys

IDENTIFIER_SHOWN = 8  # "the identifier USCC 91330000… is the same on both": enough to recognise it


@dataclass(frozen=True)
class MatchBasis:
    """What the scorer saw for one name match (cheap to keep: references to objects it built anyway)."""

    query_name: str
    variant: NameVariant
    entry_name: str
    entry_tokens: tuple[str, ...]
    entry_acronym: bool
    entry_form: str
    matched: tuple[tuple[str, str, float], ...]
    left: tuple[str, ...]
    primary_name: str  # the list entry's first name: another matched name is an alias
    query_countries: tuple[str, ...]
    entry_countries: tuple[str, ...]
    individual: bool
    held: str
    plural_similarity: float


def identifier_reasons(scheme: str, value: str) -> list[dict]:
    return [{"code": "identifier", "scheme": scheme.upper(), "value": value}]


def _shown(words: list[tuple[str, tuple[str, ...]]], key: str, fallback: str) -> str:
    """The word as written in the name for a comparison token, else ``fallback``."""
    for word, keys in words:
        if key in keys:
            word = word.strip(",;:")
            return word if "." in word[:-1] else word.rstrip(".")
    return fallback


def _single(words: list[tuple[str, tuple[str, ...]]], key: str) -> str:
    """The written word that gives exactly the token ``key`` (one token), else ""."""
    return next((word for word, keys in words if len(keys) == 2 and keys[0] == key), "")


def _letters(word: str) -> str:
    return "".join(c for c in word.lower() if c.isalnum())


def _phrase(words: list[tuple[str, tuple[str, ...]]], wanted) -> str:
    """The words of a name (as written, in order) for which ``wanted(keys)`` holds, joined: "Bolivia S.R.L."."""
    return " ".join(word for word, keys in words if wanted(keys)).strip(" ,;:")


def _legal(keys: tuple[str, ...], legal: set[str]) -> bool:
    """The word is a legal form of the name (word_keys: its unfolded tokens, the second half, are all legal)."""
    return bool(legal) and set(keys[len(keys) // 2:]) <= legal


def _entry_variant(basis: MatchBasis) -> NameVariant | None:
    for v in name_variants(basis.entry_name):
        if v.tokens == basis.entry_tokens and v.form == basis.entry_form:
            return v
    return None


def _pair(a: str, b: str) -> str:
    """Two joined words as written: "Hik Vision", or "AL-HARAMAIN" once when both come from one written word."""
    return a if a == b else f"{a} {b}"


def _edit_kind(a: str, b: str) -> str:
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]:
            return "swapped"
    distance = OSA.distance(a, b)
    if distance == 1:
        return "missing" if len(a) < len(b) else "extra" if len(a) > len(b) else "one_letter"
    return "two_letters"


def reasons_for(basis: MatchBasis) -> list[dict]:  # noqa: C901, PLR0912 - one branch per reason, in reading order
    """The structured reasons of one name match, most telling first."""
    variant = basis.variant
    q_tokens, e_tokens = variant.tokens, basis.entry_tokens
    q_words, e_words = word_keys(basis.query_name), word_keys(basis.entry_name)
    entry_variant = _entry_variant(basis)
    e_plain = dict(zip(e_tokens, entry_variant.plain, strict=False)) if entry_variant else {}
    q_plain = dict(zip(q_tokens, variant.plain, strict=False))
    q_legal = set(variant.legal)
    e_legal = set(entry_variant.legal) if entry_variant else set()
    left_q = [t for t in basis.left if t in q_tokens and t not in e_tokens]
    left_e = [t for t in basis.left if t in e_tokens and t not in q_tokens]
    reasons: list[dict] = []

    def q_show(t: str) -> str:
        return _shown(q_words, t, q_plain.get(t, t))

    def e_show(t: str) -> str:
        return _shown(e_words, t, e_plain.get(t, t))

    word_pairs: list[dict] = []
    all_exact = True
    for q, e, sim in basis.matched:
        if q == e and q in q_tokens and e in e_tokens:
            # the same comparison token written differently: romanisation (Kalaschnikow), a repaired generic word
            # (Telecomm), accents; digits read as letters have their own reason
            qw, ew = _single(q_words, q), _single(e_words, e)
            if qw and ew and _letters(qw) != _letters(ew) and not any(c.isdigit() for c in qw + ew):
                word_pairs.append({"code": "spelling", "query_word": q_show(q), "entry_word": e_show(e)})
            continue
        all_exact = False
        if q not in q_tokens:  # the scorer joined two of your words, or split one glued word
            parts = [t for t in q_tokens if t in q and t != q]
            joined = next((_pair(q_show(a), q_show(b)) for a, b in zip(q_tokens, q_tokens[1:], strict=False)
                           if a + b == q), "")
            if joined:
                word_pairs.append({"code": "joined", "side": "query", "words": joined, "as": e_show(e)})
            elif parts or any(q in t for t in q_tokens):
                glued = next((t for t in q_tokens if q in t), q)
                word_pairs.append({"code": "split", "side": "query", "word": q_show(glued)})
            continue
        if e not in e_tokens:
            joined = next((_pair(e_show(a), e_show(b)) for a, b in zip(e_tokens, e_tokens[1:], strict=False)
                           if a + b == e), "")
            if joined:
                word_pairs.append({"code": "joined", "side": "entry", "words": joined, "as": q_show(q)})
            else:
                glued = next((t for t in e_tokens if e in t), e)
                word_pairs.append({"code": "split", "side": "entry", "word": e_show(glued)})
            continue
        if sim == basis.plural_similarity and q != e and (q.startswith(e) or e.startswith(q) or q[:-3] == e[:-1]
                                                          or e[:-3] == q[:-1]):
            word_pairs.append({"code": "plural", "query_word": q_show(q), "entry_word": e_show(e)})
            continue
        word_pairs.append({"code": "typo", "query_word": q_show(q), "entry_word": e_show(e),
                           "kind": _edit_kind(q, e)})
    # de-duplicate the joined/split pairs (a split word pairs twice)
    seen: set[tuple] = set()
    word_pairs = [p for p in word_pairs if not (tuple(sorted(p.items())) in seen or seen.add(tuple(sorted(p.items()))))]

    if not left_q and not left_e:
        same = all_exact and not word_pairs
        reordered = same and list(q_tokens) != list(e_tokens) and sorted(q_tokens) == sorted(e_tokens)
        if q_legal != e_legal and (q_legal or e_legal):
            forms = [_phrase(q_words, lambda k: _legal(k, q_legal) and not _legal(k, e_legal)),
                     _phrase(e_words, lambda k: _legal(k, e_legal) and not _legal(k, q_legal))]
            reasons.append({"code": "legal_forms", "forms": [f for f in forms if f], "otherwise_same": same})
        elif same and not reordered:
            reasons.append({"code": "same_name"})
        if reordered:
            reasons.append({"code": "word_order"})
    reasons.extend(word_pairs)

    for word, read in digit_words(basis.query_name):
        reasons.append({"code": "digits", "side": "query", "word": word, "read_as": read.capitalize()})
    for side, name in (("query", basis.query_name), ("entry", basis.entry_name)):
        titles = honorifics_in(name)
        if titles:
            reasons.append({"code": "honorific", "side": side, "words": titles})

    matched_e = {e for _, e, _ in basis.matched}
    matched_q = {q for q, _, _ in basis.matched}
    # "Igor Sechin" vs "SECHIN, Igor Ivanovich": the whole of one person's name, plus a given name or patronymic
    if basis.individual and len(basis.matched) >= 2 and len(left_q) + len(left_e) == 1:
        words = [e_show(t) for t in left_e] or [q_show(t) for t in left_q]
        reasons.append({"code": "middle_name", "side": "entry" if left_e else "query", "words": words})
        left_q = left_e = []
    if left_e and not left_q:
        extra = _phrase(e_words, lambda k: bool(set(k) & set(left_e)) or (
            _legal(k, e_legal) and not _legal(k, q_legal) and not set(k) & matched_e))
        reasons.append({"code": "query_contained", "extra": extra or " ".join(e_show(t) for t in left_e),
                        "places_only": all(t in GEO_TOKENS for t in left_e)})
    elif left_q and not left_e:
        extra = _phrase(q_words, lambda k: bool(set(k) & set(left_q)) or (
            _legal(k, q_legal) and not _legal(k, e_legal) and not set(k) & matched_q))
        reasons.append({"code": "entry_contained", "extra": extra or " ".join(q_show(t) for t in left_q),
                        "places_only": all(t in GEO_TOKENS for t in left_q)})
    elif left_q and left_e:
        reasons.append({"code": "shared_words", "shared": [e_show(e) for _, e, _ in basis.matched if e in e_tokens],
                        "query_extra": [q_show(t) for t in left_q], "entry_extra": [e_show(t) for t in left_e]})

    if basis.variant.acronym or basis.entry_acronym:
        acronym = " ".join(q_show(t) for t in q_tokens) if variant.acronym else " ".join(e_show(t) for t in e_tokens)
        reasons.append({"code": "acronym", "acronym": acronym.upper()})
    if basis.primary_name and basis.entry_name != basis.primary_name:
        reasons.append({"code": "alias", "alias": basis.entry_name, "listed_as": basis.primary_name})
    if variant.form and basis.entry_form and variant.form != basis.entry_form:
        reasons.append({"code": "company_vs_group", "query_form": variant.form, "entry_form": basis.entry_form})
    if basis.individual:
        reasons.append({"code": "person"})
    if basis.query_countries and basis.entry_countries:
        shared = sorted(set(basis.query_countries) & set(basis.entry_countries))
        if shared:
            reasons.append({"code": "country_same", "countries": shared})
        else:
            reasons.append({"code": "country_differs", "query_countries": sorted(basis.query_countries),
                            "entry_countries": sorted(basis.entry_countries)})
    if basis.held:
        reasons.append({"code": "held", "because": basis.held})
    return reasons


def _q(text: str) -> str:
    return f"'{text}'"


def _words(items) -> str:
    items = [_q(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


_TYPO = {"one_letter": "by one letter", "two_letters": "by two letters", "swapped": "by two swapped letters",
         "missing": "by one missing letter", "extra": "by one extra letter"}


def reason_text(r: dict) -> str:  # noqa: C901, PLR0911, PLR0912 - one sentence per code
    """One reason as a plain sentence fragment (no capital, no full stop)."""
    code = r["code"]
    if code == "identifier":
        value = r["value"]
        shown = value if len(value) <= IDENTIFIER_SHOWN + 2 else value[:IDENTIFIER_SHOWN] + "…"
        return f"the identifier {r['scheme']} {shown} is the same on both"
    if code == "same_name":
        return "the same name as listed"
    if code == "word_order":
        return "the same words in another order"
    if code == "legal_forms":
        forms = r.get("forms") or []
        shown = f" ({', '.join(_q(f) for f in forms)})" if forms else ""
        if r.get("otherwise_same"):
            return f"same name once legal forms are set aside{shown}"
        return f"legal forms set aside{shown}"
    if code == "spelling":
        return f"{_q(r['query_word'])} is another spelling of the listed {_q(r['entry_word'])}"
    if code == "typo":
        return f"{_q(r['query_word'])} differs from the listed {_q(r['entry_word'])} {_TYPO.get(r['kind'], '')}".strip()
    if code == "plural":
        return f"{_q(r['query_word'])} and the listed {_q(r['entry_word'])} differ only by plural and singular"
    if code == "joined":
        if r["side"] == "query":
            return f"your {_q(r['words'])} is written as one word, {_q(r['as'])}, on the list"
        return f"your {_q(r['as'])} is written as two words, {_q(r['words'])}, on the list"
    if code == "split":
        if r["side"] == "query":
            return f"your {_q(r['word'])} is read as two words glued together, as on the list"
        return f"the listed {_q(r['word'])} is read as two words glued together, as in your name"
    if code == "digits":
        return f"the digits in {_q(r['word'])} are read as letters ({_q(r['read_as'])})"
    if code == "honorific":
        whose = "your name" if r["side"] == "query" else "the listed name"
        return f"the title {_words(r['words'])} in {whose} is left out"
    if code in ("query_contained", "entry_contained"):
        inner, outer = ("your name", "the listed name") if code == "query_contained" else ("the listed name",
                                                                                          "your name")
        places = " (place words only)" if r.get("places_only") else ""
        return f"all words of {inner} appear in {outer}, which also has {_q(r['extra'])}{places}"
    if code == "shared_words":
        return (f"the names share {_words(r['shared'])}; your name also has {_words(r['query_extra'])}, the listed "
                f"name {_words(r['entry_extra'])}")
    if code == "acronym":
        return f"the bracketed acronym {_q(r['acronym'])} counts only beside the rest of the name, which matches too"
    if code == "alias":
        return f"your name matches {_q(r['alias'])}, an alias of the listed entry {_q(r['listed_as'])}"
    if code == "company_vs_group":
        return (f"your name says {r['query_form']}, the listed name {r['entry_form']}: the same words may be another "
                f"legal person")
    if code == "person":
        return "the listed entry is a person"
    if code == "middle_name":
        whose = "the listed name" if r["side"] == "entry" else "your name"
        return f"the same person's name with a middle name only in {whose} ({_words(r['words'])})"
    if code == "country_same":
        return f"the country agrees ({', '.join(r['countries'])})"
    if code == "country_differs":
        return (f"the countries differ (yours {', '.join(r['query_countries'])}, listed "
                f"{', '.join(r['entry_countries'])})")
    if code == "held":
        return f"kept for review rather than strong: {r['because']}"
    return code.replace("_", " ")


def render_why(reasons: list[dict]) -> str:
    """The reasons as one sentence: "'Hikvison' differs from the listed 'Hikvision' by one letter; the country
    agrees (CN)."."""
    parts = [reason_text(r) for r in reasons]
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
