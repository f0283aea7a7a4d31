"""Name normalisation for screening and for every registry look-up by name (BOM suppliers): pure text functions,
no ORM, no Django. In apps.vendors (like identifiers.py) so that apps.inventory and apps.screening both use it.

A list name or a vendor name is turned into one or more *variants*, each a tuple of comparison tokens with the
legal forms taken out (they are kept aside, never used to carry a match). The steps, in order:

1. Unicode NFKC, `a.k.a.` splitting, glued-address cutting ("Huawei Technologies Service Co., Ltd., Langfang,
   Hebei, " -> "Huawei Technologies Service Co., Ltd.") and a variant without parenthesised parts.
2. Transliteration to ASCII: accents (NFKD via normality/unidecode), Cyrillic, Greek, Arabic...; a run of
   Chinese characters becomes ONE token of joined pinyin ("华为技术有限公司" -> "huaweijishu" after the pinyin
   legal form "youxiangongsi" is cut), so a Chinese-script alias matches the same alias.
3. Lower case, `&` -> `and`, dotted acronyms joined ("Z.T.E." -> "zte", "S.A." -> "sa"), apostrophes dropped,
   every other punctuation mark splits tokens.
   Honorifics ("Mr.", "Dr.", "Prof."...) leading the name or a comma segment are dropped; a digit standing for a
   letter inside a word is folded ("Sech1n" -> "sechin", "H0ng" -> "hong").
4. Legal forms (rigour's org-type database, ISO 20275 based, plus Co./Corp./Company/Group/Pte...) removed as
   whole-token phrases, longest first, except short initials leading a name ("J.P. Morgan", "JP Foods": a name
   word, not the Serbian form "JP"); stop words dropped; light stemming (plural "s", "ies") and a few
   abbreviations (tech, intl, mfg...) so that "Technologies" and "Tech" compare equal to "Technology".

If removing legal forms would leave nothing ("CORP", "Pte. Ltd."), the variant has no core tokens and the
matcher refuses to match on it: a legal form alone never carries a match.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from normality import ascii_text
from rapidfuzz.distance import OSA

# ---------------------------------------------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------------------------------------------

# Legal forms added to rigour's database: English forms rigour keeps as part of the name ("Corp", "Company"),
# "Group" (the issue asks for it) and pinyin forms of Chinese company suffixes.
_EXTRA_LEGAL_FORMS = [
    "co", "corp", "corporation", "corporations", "company", "companies", "cos", "inc", "incorporated", "ltd",
    "limited", "llc", "lllp", "plc", "pte", "pte ltd", "pvt", "pvt ltd", "private limited", "pty", "pty ltd",
    "gmbh", "mbh", "sa", "sas", "sarl", "srl", "spa", "ag", "kg", "nv", "bv", "jsc", "ojsc", "cjsc", "pjsc", "oao",
    "ooo", "zao", "pao", "ao", "tov", "group", "grp", "co ltd", "coltd", "company limited", "joint stock company",
    "ltd liability company", "ltd liability co", "open joint stock company", "closed joint stock company",
    "public joint stock company", "limited liability company",
    "limited liability partnership", "llp", "lp", "sdn bhd", "bhd", "fze", "fzco", "fzc", "fz llc", "est",
    "establishment", "sociedad anonima", "societe anonyme", "aktiengesellschaft",
    "gesellschaft mit beschrankter haftung", "youxian gongsi", "gongsi", "youxiangongsi", "gufen youxian gongsi",
    "jituan", "jituan youxian gongsi", "kabushiki kaisha",
    "kk", "tbk", "pt tbk", "ltda", "sl", "sccl", "cia", "cia ltda", "obshchestvo s ogranichennoy otvetstvennostyu",
    "aktsionernoe obshchestvo", "otkrytoe aktsionernoe obshchestvo", "zakrytoe aktsionernoe obshchestvo",
    "publichnoe aktsionernoe obshchestvo", "fgup", "gup", "nao", "ip", "de cv", "sa de cv", "de rl", "de rl de cv",
    "s de rl", "s de rl de cv", "sapi de cv", "sab de cv",
]

# rigour single-token aliases that are too often real words or real name parts to be removed.
_LEGAL_FORM_EXCLUDE = {
    "at", "is", "im", "up", "ii", "na", "ca", "ss", "pp", "ps", "oppo", "ed", "et", "pe", "rs", "ro", "pr",
    "ei", "ad", "ae", "hk", "sc", "nc", "mmc", "cooperation", "cooperative", "pc", "np", "ek", "dd", "od",
    "pk", "ep", "gp", "jv", "ju", "ou", "sb", "sd", "sf", "sp", "tu", "uu", "xt", "yu", "rt", "rp", "ty", "ug",
    "ay", "ik", "ks", "kv", "vat", "ano", "sub", "sube", "dp", "bt", "cv", "ecc", "eg", "ev", "hf", "ko",
    "og", "oy", "pt", "qk", "ry", "sha", "sti", "uab", "vos",
}

STOP_WORDS = frozenset(
    {"and", "the", "of", "for", "de", "del", "la", "le", "les", "des", "du", "und", "der", "y", "et"}
)

# Two-letter legal forms that really lead names ("AO Kaspersky Lab", "AB Volvo", "GK Rostec"); any other short
# token leading a name is read as initials ("JP Foods", "A.O. Smith"), and dotted initials never as a legal form.
LEADING_SHORT_FORMS = frozenset({"ao", "ab", "gk", "gu", "ip", "kk"})

# Honorifics are not name words; dropped where they lead the name or a comma segment ("SECHIN, Mr Igor").
HONORIFICS = ("mr", "mrs", "miss", "dr", "prof", "professor", "sir", "dame", "madam", "mme", "mlle", "herr", "frau",
              "rev", "hon")
_HONORIFIC_RE = re.compile(
    r"(^|[,;])(\s*)(?:(?:" + "|".join(HONORIFICS) + r")\.?\s+|(?:ms|mx)\.\s*)+(?=[^\W\d_])", re.IGNORECASE
)
_LEADING_INITIALS_RE = re.compile(r"^\s*(?:[^\W\d_]\.\s*){1,3}(?=[^\W\d_])")

# Legal forms that say which legal person a name is: a group (the parent) or one company of it. "China
# Communications Construction Company" and "... Group" share every name word; this tells them apart.
GROUP_FORMS = frozenset({"group", "grp", "jituan", "jituan youxian gongsi", "gruppe", "groupe", "grupo"})
COMPANY_FORMS = frozenset({
    "co", "company", "corp", "corporation", "inc", "incorporated", "ltd", "limited", "llc", "plc", "gongsi",
    "youxian", "gmbh", "ag", "sa", "jsc", "ooo", "ao", "oao", "pjsc", "bv", "nv", "pte", "pty",
})

# Digits written for letters inside a word ("Sech1n", "Hikv1sion", "H0ng"); codes ("MH17", "T800", "4x4") are
# left alone: a digit is folded only between two letters of a word with at least three letters.
_DIGIT_LETTERS = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_INNER_DIGIT_RE = re.compile(r"(?<=[a-z])[013457](?=[a-z])")

# Generic words: kept (they are part of the name) but weigh little; the index also never blocks on them alone.
GENERIC_WORDS = frozenset({
    "technology", "electronic", "communication", "international", "industry", "industrial", "holding", "trading",
    "digital", "science", "system", "information", "network", "engineering", "development", "service", "research",
    "institute", "manufacturing", "machinery", "equipment", "product", "global", "national", "general", "import",
    "export", "investment", "construction", "energy", "power", "material", "solution", "enterprise", "logistic",
    "shipping", "transport", "commercial", "management", "consulting", "resource", "software", "intelligent",
    "intelligence", "smart", "security", "defense", "defence", "aviation", "aerospace", "electric", "chemical",
    "metal", "steel", "marine", "new", "advanced", "precision", "instrument", "device", "telecom",
    "telecommunication", "medical", "pharmaceutical", "bank", "partner", "associate", "venture", "capital",
    "fund", "finance", "financial", "branch", "office", "center", "centre", "agency", "factory", "plant", "works",
    "limited", "corporation", "first", "one", "star", "sun", "golden", "gold", "royal", "united", "union",
    "economic", "foreign", "state", "public", "joint", "stock", "special", "unitary", "societe", "sociedad",
    "societa", "gesellschaft", "compania", "companhia", "empresa", "entreprise", "firma", "grupo", "gruppe",
    "groupe", "kompaniya", "obshchestvo", "zavod", "kombinat", "concern", "kontsern", "koncern", "trust",
    "trade", "trader", "commerce", "liability", "supply", "distribution", "wireless", "optical",
    "automation", "control", "vision", "video", "camera", "battery", "semiconductor", "microelectronic",
})

# Places: a city or province prefix ("Hangzhou", "Zhejiang", "Shenzhen") or a country qualifier ("(Americas)",
# "USA") says where, not who. They count for little on either side.
GEO_WORDS = frozenset({
    "china", "chinese", "prc", "hong", "kong", "hongkong", "macau", "taiwan", "beijing", "shanghai", "shenzhen",
    "guangzhou", "guangdong", "hangzhou", "zhejiang", "jiangsu", "nanjing", "wuhan", "hubei", "chengdu", "sichuan",
    "tianjin", "chongqing", "xian", "shaanxi", "shandong", "qingdao", "jinan", "fujian", "xiamen", "fuzhou",
    "hebei", "henan", "hunan", "changsha", "anhui", "hefei", "jiangxi", "liaoning", "dalian", "shenyang", "jilin",
    "heilongjiang", "harbin", "yunnan", "guizhou", "guangxi", "hainan", "gansu", "xinjiang", "tibet", "ningbo",
    "suzhou", "wuxi", "dongguan", "foshan", "zhuhai", "langfang", "russia", "russian", "moscow", "iran", "iranian",
    "tehran", "syria", "korea", "dprk", "pyongyang", "usa", "us", "america", "american", "americas", "north",
    "south", "east", "west", "uk", "europe", "european", "asia", "asian", "pacific", "middle", "africa", "dubai",
    "uae", "emirates", "singapore", "malaysia", "india", "germany", "japan", "canada", "mexico", "brazil",
    "turkey", "belarus", "ukraine", "crimea", "kazakhstan", "venezuela", "cuba", "lebanon", "pakistan",
    "minsk", "st", "petersburg", "saint", "novosibirsk", "yekaterinburg", "kazan", "tula", "damascus", "beirut",
    "caracas", "havana", "panama", "cyprus", "limassol", "london", "istanbul", "ankara", "armenia", "yerevan",
    "georgia", "tbilisi", "uzbekistan", "tashkent", "kyrgyzstan", "bishkek", "vietnam", "thailand", "indonesia",
})

ABBREVIATIONS = {
    "tech": "technology", "techs": "technology", "technologies": "technology", "technolog": "technology",
    "technologie": "technology", "intl": "international", "int": "international", "internat": "international",
    "mfg": "manufacturing", "mfr": "manufacturing", "svc": "service", "svcs": "service", "sys": "system",
    "elec": "electronic", "electronics": "electronic", "eng": "engineering", "engg": "engineering",
    "comm": "communication", "comms": "communication", "telecommunications": "telecommunication",
    "natl": "national", "dept": "department", "mgmt": "management", "hldgs": "holding", "hldg": "holding",
    "holdings": "holding", "inds": "industry", "ind": "industry", "industries": "industry", "bros": "brother",
    "assoc": "associate", "sci": "science", "sciences": "science", "univ": "university",
    "ctr": "center", "centre": "center", "hong kong": "hongkong",
}

MAX_NAME_CHARS = 1000
MAX_TOKENS = 30
MAX_VARIANTS = 8

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PINYIN_LEGAL_SUFFIXES = ("gufenyouxiangongsi", "youxianzerengongsi", "youxiangongsi", "jituangongsi", "zonggongsi",
                          "fengongsi", "gongsi", "jituan")
_DOTTED_ACRONYM_RE = re.compile(r"(?<![a-z0-9])((?:[a-z0-9]\.){2,}[a-z0-9]?)(?![a-z0-9])")
_AKA_RE = re.compile(
    r"\s*[,;(]?\s*\b(?:a\.?k\.?a\.?|f\.?k\.?a\.?|n\.?k\.?a\.?|formerly known as|also known as|formerly|"
    r"affiliated entity:|affiliated entities:)\s+",
    re.IGNORECASE,
)
_PAREN_RE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NON_ALNUM_RE = re.compile(r"[^a-z0-9]+")


def _clean_tokens_raw(text: str) -> list[str]:
    """ASCII, lower case, acronyms joined, punctuation split: the tokens before legal forms are recognised."""
    if not text:
        return []
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if _CJK_RE.search(text):
            text = _CJK_RE.sub(lambda m: " " + _cjk_token(m.group(0)) + " ", text)
        text = ascii_text(text) or ""
    text = text.lower().replace("&", " and ").replace("+", " and ")
    text = text.replace("'", "").replace("`", "").replace('"', " ")
    text = _DOTTED_ACRONYM_RE.sub(lambda m: m.group(1).replace(".", ""), text)
    return [t for t in _NON_ALNUM_RE.split(text) if t]


def _cjk_token(run: str) -> str:
    joined = "".join((ascii_text(run) or "").lower().split())
    for suffix in _PINYIN_LEGAL_SUFFIXES:
        if joined.endswith(suffix) and len(joined) > len(suffix):
            joined = joined[: -len(suffix)]
            break
    return joined


def _stem(token: str) -> str:
    """Abbreviations and plurals of generic words only ("Systems" -> "system"); a distinctive name is kept as is."""
    if token in ABBREVIATIONS:
        return ABBREVIATIONS[token]
    if len(token) >= 5 and token.endswith("s"):
        for stem in (token[:-3] + "y" if token.endswith("ies") else "", token[:-1], token[:-2]):
            if stem and (stem in GENERIC_WORDS or stem in _ABBREVIATION_TARGETS):
                return stem
    return token


_ABBREVIATION_TARGETS = frozenset(ABBREVIATIONS.values())


@lru_cache(maxsize=1)
def legal_form_phrases() -> dict[tuple[str, ...], str]:
    """Every legal form as a token tuple (normalised like names) -> its display form."""
    from rigour.data.names.org_types import ORG_TYPES  # noqa: PLC0415 - large table, loaded once on first use

    phrases: dict[tuple[str, ...], str] = {}
    for org_type in ORG_TYPES:
        display = org_type.get("display") or ""
        for alias in [*org_type.get("aliases", []), display]:
            toks = tuple(_clean_tokens_raw(alias or ""))
            if not toks or (len(toks) == 1 and toks[0] in _LEGAL_FORM_EXCLUDE):
                continue
            phrases[toks] = display or alias
    for extra in _EXTRA_LEGAL_FORMS:
        phrases[tuple(extra.split())] = extra
    return phrases


@lru_cache(maxsize=1)
def _legal_form_starts() -> dict[str, tuple[int, ...]]:
    """First token of a legal form -> the lengths of the forms starting with it, longest first."""
    starts: dict[str, set[int]] = {}
    for phrase in legal_form_phrases():
        starts.setdefault(phrase[0], set()).add(len(phrase))
    return {token: tuple(sorted(sizes, reverse=True)) for token, sizes in starts.items()}


def split_legal_forms(tokens: list[str], *, dotted_start: bool = False) -> tuple[list[str], list[str]]:
    """Greedy longest-phrase removal of legal forms: (core tokens, legal form tokens).

    A short token leading a longer name is initials, not a legal form ("J.P. Morgan", "JP Foods"), unless it is a
    form that really leads names (LEADING_SHORT_FORMS) written without dots.
    """
    phrases = legal_form_phrases()
    starts = _legal_form_starts()
    core: list[str] = []
    legal: list[str] = []
    i = 0
    n = len(tokens)
    first = tokens[0] if tokens else ""
    if n > 1 and len(first) <= 3 and (dotted_start or (len(first) <= 2 and first not in LEADING_SHORT_FORMS)):
        core.append(first)
        i = 1
    while i < n:
        for size in starts.get(tokens[i], ()):
            if size <= n - i and (size == 1 or tuple(tokens[i : i + size]) in phrases):
                legal.extend(tokens[i : i + size])
                i += size
                break
        else:
            core.append(tokens[i])
            i += 1
    return core, legal


def _segment_has_legal_end(segment: str) -> bool:
    """The segment ends, or starts, with a legal form ("... Co.", "Ltd.", "LLC Bitvan")."""
    toks = _clean_tokens_raw(segment)
    if not toks:
        return False
    phrases = legal_form_phrases()
    sizes = range(1, min(len(toks), 4) + 1)
    return any(tuple(toks[-size:]) in phrases for size in sizes) or any(
        tuple(toks[:size]) in phrases for size in sizes
    )


def cut_glued_address(name: str) -> str:
    """Drop what follows the legal form when comma-separated place words were glued onto a company name.

    "Huawei Technologies Service Co., Ltd., Langfang, Hebei, " -> "Huawei Technologies Service Co., Ltd.".
    A name without a legal form followed by more comma segments is left alone ("BOZTEPE, Omer").
    """
    if "," not in name:
        return name
    segments = name.split(",")
    cut = None
    for i, seg in enumerate(segments):
        if not seg.strip():
            continue
        if _segment_has_legal_end(seg):
            cut = i
        elif cut is not None:
            break
    if cut is None or cut == len(segments) - 1:
        return name.strip().rstrip(",").strip()
    rest = [s for s in segments[cut + 1 :] if s.strip()]
    if not rest:
        return name.strip().rstrip(",").strip()
    return ",".join(segments[: cut + 1]).strip()


@dataclass(frozen=True)
class NameVariant:
    """One comparable form of a name: core tokens (legal forms removed) and the legal forms seen."""

    tokens: tuple[str, ...]
    legal: tuple[str, ...]
    plain: tuple[str, ...] = ()  # the tokens before romanisation folding, for display
    acronym: bool = False  # made only of a parenthesised acronym of the name before it ("... Devices, Inc. (AMD)")
    form: str = ""  # "group" or "company" when the legal forms say which (see GROUP_FORMS), else ""


@lru_cache(maxsize=1)
def _correctable() -> tuple[frozenset[str], dict[str, tuple[str, ...]]]:
    """Long legal-form and generic words, with their delete-one neighbours, to repair typos in them."""
    words = {t for phrase in legal_form_phrases() for t in phrase if len(t) >= 6 and t.isalpha()}
    words |= {w for w in GENERIC_WORDS if len(w) >= 6}
    words |= {w for w in ABBREVIATIONS if len(w) >= 6 and " " not in w}
    deletes: dict[str, list[str]] = {}
    for word in words:
        for i in range(len(word)):
            deletes.setdefault(word[:i] + word[i + 1 :], []).append(word)
    return frozenset(words), {k: tuple(v) for k, v in deletes.items()}


@lru_cache(maxsize=65536)
def _repair(token: str) -> str:
    """"corporaion" -> "corporation", "hodlings" -> "holdings": one edit (OSA) from a long legal/generic word.

    A misspelt legal form would otherwise become an unknown, heavy token that sinks the score.
    """
    if len(token) < 6 or not token.isalpha():
        return token
    words, deletes = _correctable()
    if token in words:
        return token
    candidates = set(deletes.get(token, ()))
    for i in range(len(token)):
        candidates.update(deletes.get(token[:i] + token[i + 1 :], ()))
        if token[:i] + token[i + 1 :] in words:
            candidates.add(token[:i] + token[i + 1 :])
    best = [w for w in sorted(candidates) if OSA.distance(token, w, score_cutoff=1) <= 1]
    return best[0] if best else token


def strip_honorifics(text: str) -> str:
    """ "Mr. Igor Sechin" -> "Igor Sechin", "SECHIN, Dr Igor" -> "SECHIN, Igor"; "Dr" alone is kept."""
    if not text:
        return text
    return _HONORIFIC_RE.sub(lambda m: m.group(1) + m.group(2), text)


def _fold_digits(token: str) -> str:
    if token.isalpha() or token.isdigit() or not _INNER_DIGIT_RE.search(token):
        return token
    folded = _INNER_DIGIT_RE.sub(lambda m: m.group(0).translate(_DIGIT_LETTERS), token)
    return folded if folded.isalpha() and len(folded) >= 4 else token


def legal_form_kind(legal: tuple[str, ...] | list[str]) -> str:
    """ "group" when a group form is among the legal forms, "company" when only company forms are, else ""."""
    if not legal:
        return ""
    words = set(legal)
    if words & GROUP_FORMS or " ".join(legal) in GROUP_FORMS:
        return "group"
    if words & COMPANY_FORMS:
        return "company"
    return ""


def _variant(text: str, *, acronym: bool = False) -> NameVariant:
    stripped = strip_honorifics(text)
    variant = _variant_of(stripped, acronym)
    if stripped != text and not variant.tokens:
        return _variant_of(text, acronym)  # "MRS GmbH": the "honorific" was the name itself
    return variant


def _variant_of(text: str, acronym: bool) -> NameVariant:
    raw = [_repair(_fold_digits(t)) for t in _clean_tokens_raw(text)]
    core, legal = split_legal_forms(raw, dotted_start=bool(_LEADING_INITIALS_RE.match(text)))
    core = [_stem(t) for t in core if t not in STOP_WORDS]
    if not core and raw:
        # Only stop words were left: keep them rather than claim an empty name.
        core = [t for t in raw if t not in legal]
    # "hong kong" -> "hongkong" (two generic place tokens joined so they weigh as one)
    # a repeated word adds nothing ("SMIC Holdings Limited (SMIC Holdings)" written without the brackets)
    out: list[str] = []
    for tok in core:
        if out and out[-1] == "hong" and tok == "kong":
            out[-1] = "hongkong"
        elif tok not in out:
            out.append(tok)
    out = out[:MAX_TOKENS]
    return NameVariant(tuple(fold(t) for t in out), tuple(legal), tuple(out), acronym, legal_form_kind(legal))


def _is_acronym_of(token: str, words: list[str]) -> bool:
    """The bracket token is an acronym of the words before it: its letters are initials of those words in order
    ("AMD" of "Advanced Micro Devices, Inc.", "CATL" of "Contemporary Amperex Technology Co., Limited"), or it
    is a short code (3 characters or fewer)."""
    if len(token) <= 3:
        return True
    initials = [w[0] for w in words if w]
    if len(token) > len(initials) or token[0] != (initials[0] if initials else ""):
        return False
    it = iter(initials)
    return all(ch in it for ch in token)


_FOLD_REPLACEMENTS = (("shch", "sch"), ("tsch", "ch"), ("kh", "h"), ("tz", "ts"), ("x", "ks"), ("w", "v"))
_FOLD_YJ = (
    (re.compile(r"(?<=[a-z])(?:iy|ii|yi|ij|yj|y)$"), "i"), (re.compile(r"(?<=[aeou])y$"), "i"),
    (re.compile(r"y(?=[aeiou])"), "i"), (re.compile(r"j(?=[aeiou])"), "i"),
)
_FOLD_DOUBLE = re.compile(r"([a-z])\1+")


@lru_cache(maxsize=131072)
def fold(token: str) -> str:
    """Romanisation-insensitive spelling of a token, applied to both sides: Antey/Antei, Kalashnikov/Kalaschnikow,
    Vysokotochnye/Wysokototschnye, Rosoboroneksport/Rosoboronexport, Yakovlev/Iakovlev, Kommunikatsii/Komunikatsii.
    """
    if len(token) < 5 or not token.isalpha():
        return token  # acronyms and codes are compared exactly (ABB is not AAB, DJO is not DIO)
    for old, new in _FOLD_REPLACEMENTS:
        if old in token:
            token = token.replace(old, new)
    if "y" in token or "j" in token:
        for pattern, repl in _FOLD_YJ:
            token = pattern.sub(repl, token)
    if any(a == b for a, b in zip(token, token[1:], strict=False)):
        token = _FOLD_DOUBLE.sub(r"\1", token)
    return token


GENERIC_TOKENS = frozenset(fold(w) for w in GENERIC_WORDS)
GEO_TOKENS = frozenset(fold(w) for w in GEO_WORDS)


@lru_cache(maxsize=65536)
def name_variants(name: str) -> tuple[NameVariant, ...]:
    """All comparable variants of one name (usually one or two), de-duplicated, those with core tokens first.

    Input is bounded (MAX_NAME_CHARS characters, MAX_TOKENS tokens and MAX_VARIANTS variants per name) so that
    a pasted paragraph cannot make a check slow.
    """
    if not name or not name.strip():
        return ()
    name = name[:MAX_NAME_CHARS]
    pieces = [p for p in _AKA_RE.split(name) if p and p.strip(" ,;()")]
    variants: list[NameVariant] = []
    seen: set[tuple[str, ...]] = set()
    for piece in pieces or [name]:
        piece = cut_glued_address(piece)
        texts: list[tuple[str, bool]] = [(piece, False)]
        without_parens = _PAREN_RE.sub(" ", piece)
        if without_parens != piece:
            texts.append((without_parens, False))
            # "Rostec (Russian Technologies State Corporation)", "... Co., Ltd. (CATL)": the bracket is an alias;
            # an acronym of the name before it is flagged, it never carries a match alone (see matching.py)
            outer = _clean_tokens_raw(without_parens)
            for m in _PAREN_RE.finditer(piece):
                inner = _clean_tokens_raw(m.group(0)[1:-1])
                acronym = len(inner) == 1 and len(outer) >= 2 and _is_acronym_of(inner[0], outer)
                texts.append((m.group(0)[1:-1], acronym))
        for text, acronym in texts:
            variant = _variant(text, acronym=acronym)
            if variant.tokens and variant.tokens not in seen and len(variants) < MAX_VARIANTS:
                seen.add(variant.tokens)
                variants.append(variant)
    if not variants:
        raw = tuple(_clean_tokens_raw(name))
        if raw:
            variants.append(NameVariant((), raw, ()))
    return tuple(variants)


def normalize_name(name: str) -> str:
    """The comparison form of a name: ASCII, lower case, legal forms and punctuation removed, tokens by spaces.

    >>> normalize_name("Z.T.E. Corporation")
    'zte'
    >>> normalize_name("Huawei Technologies Service Co., Ltd., Langfang, Hebei, ")
    'huawei technology service'
    """
    variants = name_variants(name or "")
    if not variants:
        return ""
    return " ".join(variants[0].plain)


_WORD_RE = re.compile(r"[^\s()\[\]/]+")


def word_keys(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """Each word of ``text`` as written (punctuation kept: "Co.,") with the comparison tokens it gives before legal
    forms are set aside, then the same tokens unstemmed and unfolded as legal forms are kept (NameVariant.legal):
    ``("Co.,", ("co", "co"))``, ``("Sech1n", ("sechin", "sechin"))``, ``("JOINT", ("ioint", "joint"))``. For showing
    the words of a name as the user wrote them (the plain-language reasons), never for scoring."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for word in _WORD_RE.findall(text or ""):
        raw = [_repair(_fold_digits(t)) for t in _clean_tokens_raw(word)]
        if raw:
            out.append((word, (*(fold(_stem(t)) for t in raw), *raw)))
    return out


def digit_words(text: str) -> list[tuple[str, str]]:
    """Words in which a digit stands for a letter, as written and as read: ``[("Sech1n", "sechin")]``."""
    out: list[tuple[str, str]] = []
    for word in _WORD_RE.findall(text or ""):
        for token in _clean_tokens_raw(word):
            folded = _fold_digits(token)
            if folded != token:
                out.append((word.strip(",;:."), folded))
    return out


def honorifics_in(text: str) -> list[str]:
    """The honorifics strip_honorifics() drops from ``text``, as written ("Mr.", "Dr")."""
    if not text:
        return []
    found: list[str] = []
    for m in _HONORIFIC_RE.finditer(text):
        found.extend(w for w in m.group(0).lstrip(",;").split() if w)
    stripped = strip_honorifics(text)
    return found if stripped != text and any(v.tokens for v in name_variants(stripped)) else []
