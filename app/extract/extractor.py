"""Article text → suggested attributions (who said what, with which verb, how firmly).

A pure module: plain strings in, :class:`Suggestion` records out, no I/O beyond reading the
shipped lexicon once. The method (documented in docs/extraction.md):

1. Split the text into paragraphs, quoted strings and sentences (a sentence never ends inside
   a quotation; a quotation left open at the end of a paragraph closes there).
2. Find attribution cues: words and phrases whose share of occurrences inside an annotated cue
   in the PolNeAR training split is high (``lexicon.json``, built by
   ``scripts/extract_train.py``), plus a few fixed phrases ("according to", a colon before a
   quotation).
3. Around each cue, read the frame: the source is the noun phrase that is the cue's subject
   (or follows it: "said Mr. Smith", "according to Reuters"), the content is the rest of the
   clause, preferring a quotation when the sentence holds one.
4. Resolve the speaker: a pronoun or a description ("the official", "the daily") is the name
   most recently used as a speaker; a surname is the full name used earlier.
5. Firmness comes from the cue (table :data:`CUE_FIRMNESS`) lowered by hedges in the content
   (:data:`HEDGES`).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

__all__ = [
    "CUE_FIRMNESS",
    "DEFAULT_FIRMNESS",
    "HEDGES",
    "Suggestion",
    "extract",
    "firmness_of",
]

Span = tuple[int, int]


@dataclass(frozen=True)
class Suggestion:
    """One suggested attribution. Spans are character offsets into the text, end exclusive."""

    quote: str
    quote_span: Span
    direct: bool
    cue: str | None
    cue_span: Span | None
    speaker: str | None
    speaker_span: Span | None
    firmness: float
    speaker_mention: str | None = None
    hedges: tuple[str, ...] = field(default=())
    by_author: bool = False  # the article's own statement, not reported speech
    score: float = 1.0  # how likely the suggestion is a real attribution (the keep model)
    features: tuple[str, ...] = field(default=(), repr=False)  # with keep_all, for training


# --- firmness -------------------------------------------------------------------------------

#: cue word (lower case, as written) → firmness of the attribution before hedges.
CUE_FIRMNESS: dict[str, float] = {
    **dict.fromkeys(
        ("confirmed", "confirms", "confirm", "announced", "announces", "announce", "declared",
         "stated", "states", "reiterated", "acknowledged", "admitted", "testified", "insisted",
         "insists", "stressed", "emphasized", "vowed", "pledged", "promised"),
        0.9,
    ),
    **dict.fromkeys(
        ("said", "says", "say", "told", "tells", "wrote", "writes", "added", "adding", "noted",
         "notes", "noting", "explained", "tweeted", "posted", "reported", "reports", "warned",
         "saying", "telling", "replied", "responded", "recalled", "showed", "shows", "found"),
        0.8,
    ),
    **dict.fromkeys(("according", "according to", "citing", "cited", "quoted"), 0.7),
    **dict.fromkeys(
        ("claimed", "claims", "claim", "alleged", "alleges", "accused", "accuses", "charged",
         "argued", "argues", "contended", "asserted", "blamed"),
        0.65,
    ),
    **dict.fromkeys(
        ("suggested", "suggests", "suggest", "believes", "believe", "believed", "thinks",
         "think", "thought", "estimated", "estimates", "predicted", "expects", "expected",
         "hopes", "fears", "feared", "speculated", "hinted", "implied", "indicated", "seems",
         "seemed", "appears", "appeared"),
        0.5,
    ),
    **dict.fromkeys(("reportedly", "rumored", "rumoured", "unconfirmed"), 0.4),
}  # fmt: skip
DEFAULT_FIRMNESS = 0.7

#: hedge phrase in the content or around the cue → factor applied to the firmness.
HEDGES: dict[str, float] = {
    "reportedly": 0.7,
    "allegedly": 0.7,
    "apparently": 0.8,
    "a good chance": 0.7,
    "likely": 0.8,
    "probably": 0.8,
    "possibly": 0.6,
    "perhaps": 0.6,
    "maybe": 0.6,
    "may": 0.8,
    "might": 0.7,
    "could": 0.75,
    "unconfirmed": 0.6,
    "it is believed": 0.7,
    "it appears": 0.8,
    "initial reports": 0.8,
    "not clear": 0.7,
    "unclear": 0.7,
    "preliminary": 0.8,
}

_HEDGE_RE = re.compile(
    r"\b(" + "|".join(re.escape(h) for h in sorted(HEDGES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def firmness_of(cue: str | None, content: str) -> tuple[float, tuple[str, ...]]:
    """Firmness from the cue (:data:`CUE_FIRMNESS`, else :data:`DEFAULT_FIRMNESS`), times the
    factor of each distinct hedge found in the content, rounded to 2 places."""
    base = DEFAULT_FIRMNESS
    if cue:
        words = cue.lower().split()
        for w in (cue.lower(), *reversed(words)):
            if w in CUE_FIRMNESS:
                base = CUE_FIRMNESS[w]
                break
    found: list[str] = []
    for m in _HEDGE_RE.finditer(content):
        h = m.group(1).lower()
        if h not in found:
            found.append(h)
    value = base
    for h in found:
        value *= HEDGES[h]
    return round(max(0.05, min(1.0, value)), 2), tuple(found)


# --- lexicon --------------------------------------------------------------------------------

_LEXICON_PATH = Path(__file__).with_name("lexicon.json")
_MODEL_PATH = Path(__file__).with_name("cue_model.json")


@lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """Cue word → share of its training occurrences that were (part of) a cue."""
    data: dict[str, float] = json.loads(_LEXICON_PATH.read_text(encoding="utf-8"))["cues"]
    return data


CUE_THRESHOLD = 0.5
KEEP_THRESHOLD = 0.3

# --- tokens, paragraphs, sentences ----------------------------------------------------------

_TOKEN = re.compile(r"\w+(?:[-'’.&]\w+)*\.?|[^\w\s]")
OPEN_QUOTES = "“«„"
CLOSE_QUOTES = "”»"
ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "gen", "col", "lt", "sgt", "capt", "cmdr", "adm", "maj", "sen",
    "rep", "gov", "pres", "st", "jr", "sr", "rev", "prof", "no", "vs", "inc", "corp", "co",
    "jan", "feb", "mar", "apr", "aug", "sept", "sep", "oct", "nov", "dec", "u.s", "u.k",
    "u.n", "d.c", "a.m", "p.m", "ft", "mt", "gop", "e.g", "i.e", "etc", "fig", "lt.gen",
}  # fmt: skip
PRONOUNS = {
    "he", "she", "they", "it", "i", "we", "you", "him", "her", "them", "his", "its", "their",
}  # fmt: skip
DETERMINERS = {"the", "a", "an", "this", "that", "these", "those", "another", "one", "some"}


@dataclass
class Tok:
    text: str
    start: int
    end: int
    lower: str
    quoted: bool = False  # inside a quotation


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Tok]:
    out = []
    for m in _TOKEN.finditer(text, start, len(text) if end is None else end):
        t = m.group()
        s, e = m.start(), m.end()
        if t.endswith(".") and len(t) > 1:
            base = t[:-1].lower()
            if not (base in ABBREVIATIONS or (len(base) == 1 and t[0].isupper()) or "." in base):
                out.append(Tok(t[:-1], s, e - 1, base))
                out.append(Tok(".", e - 1, e, "."))
                continue
        out.append(Tok(t, s, e, t.lower()))
    return out


def _quote_regions(text: str, start: int, end: int) -> list[Span]:
    """Quotations in one paragraph: curly pairs, straight pairs; an unclosed one ends at the
    paragraph's end."""
    regions: list[Span] = []
    i = start
    while i < end:
        c = text[i]
        if c in OPEN_QUOTES or c == '"':
            closers = CLOSE_QUOTES + '"' if c != '"' else '"”'
            j = i + 1
            while j < end and text[j] not in closers:
                j += 1
            regions.append((i, min(j + 1, end)))
            i = j + 1
            continue
        if c == "”" and not regions:  # no opener: the paragraph opened inside a quotation
            regions.append((start, i + 1))
        i += 1
    return regions


@dataclass
class Sentence:
    start: int
    end: int
    toks: list[Tok]
    paragraph: int
    cues: list[tuple[int, int]] = field(default_factory=list)  # set by _frames


_MARKUP = re.compile(r"<[^<>\n]{0,400}>")


def normalise(text: str) -> str:
    """The same text, same length, with '' and `` written as straight double quotes and
    markup tags (<tweet author="...">) blanked out."""
    text = _MARKUP.sub(lambda m: " " * len(m.group()), text)
    return text.replace("''", '" ').replace("``", ' "')


def sentences(text: str) -> list[Sentence]:
    text = normalise(text)
    out: list[Sentence] = []
    para = 0
    for pm in re.finditer(r"[^\n]+", text):
        ps, pe = pm.start(), pm.end()
        if not text[ps:pe].strip():
            continue
        quotes = _quote_regions(text, ps, pe)
        toks = tokenize(text, ps, pe)
        qi = 0
        for t in toks:
            while qi < len(quotes) and quotes[qi][1] <= t.start:
                qi += 1
            if qi < len(quotes) and quotes[qi][0] <= t.start < quotes[qi][1]:
                t.quoted = True
        cur: list[Tok] = []
        for k, t in enumerate(toks):
            cur.append(t)
            if t.text in ".!?" and not _inside(t.start, quotes):
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                opens = nxt is not None and any(r[0] == nxt.start for r in quotes)
                if nxt is not None and nxt.text in CLOSE_QUOTES + '"' and not opens:
                    continue
                if nxt is None or nxt.text[0].isupper() or nxt.text in OPEN_QUOTES + '"(':
                    out.append(Sentence(cur[0].start, cur[-1].end, cur, para))
                    cur = []
            elif t.text in CLOSE_QUOTES + '"' and len(cur) > 1 and cur[-2].text in ".!?":
                nxt = toks[k + 1] if k + 1 < len(toks) else None
                if nxt is None or nxt.text[0].isupper() or nxt.text in OPEN_QUOTES:
                    out.append(Sentence(cur[0].start, cur[-1].end, cur, para))
                    cur = []
        if cur:
            out.append(Sentence(cur[0].start, cur[-1].end, cur, para))
        para += 1
    return out


def _inside(pos: int, regions: list[Span]) -> bool:
    return any(a < pos < b - 1 for a, b in regions)


# --- frames ---------------------------------------------------------------------------------

_SKIP_BEFORE_CUE = {
    "also", "has", "have", "had", "was", "were", "is", "are", "will", "would", "then", "later",
    "previously", "once", "again", "recently", "did", "does", "do", "not", "never",
    "first", "earlier", "still", "often", "just", "publicly", "privately", "repeatedly",
    "reportedly", "openly", "now", "even", "already", "been", "being", "can", "could", "may",
    "might", "should", "must", "shall", "simply", "flatly", "quickly",
}  # fmt: skip
_NP_STOP = {
    "that", "which", "who", "whom", "when", "where", "while", "but", "because", "if", "as",
    "after", "before", "since", "although", "though", "so", "than", "whether", "what", "how",
    "why", "and", "or", "to", "in", "on", "at", "with", "by", "from", "into", "about", "for",
    "said", "says", "there", "it's",
}  # fmt: skip
_TIME_WORDS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "yesterday",
    "today", "tonight", "week", "month", "year", "morning", "evening", "afternoon", "night",
}  # fmt: skip
_NOT_HEADS = {
    "be", "but", "and", "or", "not", "to", "a", "an", "the", "more", "most", "less", "very",
    "so", "too", "it's", "formal", "which", "who", "that", "this", "these", "those",
}  # fmt: skip
_NP_KEEP = {"of", "the", "a", "an", "’s", "'s", "&", "-", ".", "for", "and", "de", "al", "von"}
_AFTER_CUE_SKIP = {"that", ",", ":", "—", "–", "-", "on", "in"}
_OBJECT_CUES = {"told", "tells", "telling", "tell", "asked", "asks", "warned", "reminded",
                "assured", "informed", "urged", "promised"}  # fmt: skip
_END_PUNCT = set(".!?;,:—–") | set(CLOSE_QUOTES)


def _is_cap(t: Tok) -> bool:
    return t.text[:1].isupper()


_AUX = {"has", "have", "had", "was", "were", "is", "are", "will", "would", "did", "does", "do",
        "been", "be", "also", "not", "can", "could", "may", "might", "should", "must"}  # fmt: skip


def _cls(t: Tok | None) -> str:
    """A coarse class of a neighbouring token, for the cue model."""
    if t is None:
        return "END"
    if t.text in OPEN_QUOTES + CLOSE_QUOTES + '"':
        return "QUOTE"
    if t.quoted:
        return "INQ"
    if t.lower in PRONOUNS:
        return "PRON"
    if t.lower in DETERMINERS:
        return "DET"
    if t.lower in ("that", "whether", "if", "to", "by", "of", "for", "in", "on", "about"):
        return t.lower
    if t.lower in _AUX:
        return "AUX"
    if not t.text[0].isalnum():
        return t.text
    if t.text[0].isdigit():
        return "NUM"
    return "CAP" if t.text[0].isupper() else "low"


def cue_features(
    toks: list[Tok], k: int, has_quote: bool, classes: list[str] | None = None
) -> list[str]:
    """Features of token ``k`` as a possible attribution cue (shared by training and use);
    ``classes`` are the tokens' :func:`_cls`, when already computed."""
    if classes is None:
        classes = [_cls(t) for t in toks]
    t = toks[k]
    p = toks[k - 1] if k > 0 else None
    n = toks[k + 1] if k + 1 < len(toks) else None
    b = min(9, int(lexicon().get(t.lower, 0.0) * 10))
    pc = classes[k - 1] if k > 0 else "END"
    nc = classes[k + 1] if k + 1 < len(toks) else "END"
    p2c = classes[k - 2] if k > 1 else "END"
    n2c = classes[k + 2] if k + 2 < len(toks) else "END"
    return [
        "bias",
        "w=" + t.lower,
        f"lex={b}",
        "suf=" + t.lower[-3:],
        "p1=" + (p.lower if p else "<s>"),
        "n1=" + (n.lower if n else "</s>"),
        "pc=" + pc,
        "nc=" + nc,
        "p2c=" + p2c,
        "n2c=" + n2c,
        f"q={int(has_quote)}",
        f"cap={int(_is_cap(t))}",
        f"first={int(k == 0)}",
        f"w|nc={t.lower}|{nc}",
        f"w|pc={t.lower}|{pc}",
        f"lex|nc={b}|{nc}",
        f"lex|pc={b}|{pc}",
        f"lex|pc|nc={b}|{pc}|{nc}",
        f"pos={3 * k // len(toks)}",
    ]


_CANDIDATE_SHARE = 0.02


def is_candidate(t: Tok) -> bool:
    """Tokens the cue model scores: unquoted words seen at least sometimes inside a cue."""
    return not t.quoted and t.text[0].isalpha() and lexicon().get(t.lower, 0.0) >= _CANDIDATE_SHARE


@lru_cache(maxsize=1)
def cue_model() -> dict[str, float]:
    """Feature → weight of the logistic cue model (``scripts/extract_train.py``)."""
    data: dict[str, float] = json.loads(_MODEL_PATH.read_text(encoding="utf-8"))["weights"]
    return data


@lru_cache(maxsize=1)
def keep_model() -> dict[str, float]:
    """Feature → weight of the logistic model that keeps or drops a candidate suggestion."""
    data: dict[str, float] = json.loads(_MODEL_PATH.read_text(encoding="utf-8")).get("keep", {})
    return data


def cue_probability(
    toks: list[Tok], k: int, has_quote: bool, classes: list[str] | None = None
) -> float:
    w = cue_model()
    z = sum(w.get(f, 0.0) for f in cue_features(toks, k, has_quote, classes))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _bucket(n: int, edges: tuple[int, ...]) -> int:
    return sum(1 for e in edges if n > e)


def _mention_kind(toks: list[Tok], span: tuple[int, int] | None) -> str:
    if span is None:
        return "none"
    words = toks[span[0] : span[1] + 1]
    if len(words) == 1 and words[0].lower in PRONOUNS:
        return "pron"
    if any(_is_cap(t) and t.lower not in DETERMINERS for t in words):
        return "name" if words[0].lower not in DETERMINERS else "det-name"
    return "desc" if words[0].lower in DETERMINERS else "low"


def suggestion_features(toks: list[Tok], fr: _Frame, n_cues: int) -> list[str]:
    """Features of a candidate suggestion for the keep model (shared by training and use)."""
    a, b = fr.content
    body = toks[a : b + 1]
    words = sum(1 for t in body if t.text[0].isalnum())
    cue = " ".join(t.lower for t in toks[fr.cue[0] : fr.cue[1] + 1]) if fr.cue else "NONE"
    last = cue.split()[-1]
    quoted = sum(1 for t in body if t.quoted) / max(1, len(body))
    full = body[0].quoted and body[-1].quoted
    ln = _bucket(words, (2, 5, 10, 20, 40))
    src = _mention_kind(toks, fr.source)
    first = body[0].lower
    before = toks[a - 1].lower if a > 0 else "<s>"
    share = min(9, int(lexicon().get(last, 0.0) * 10))
    return [
        "bias",
        "cue=" + cue,
        "cuelast=" + last,
        f"cuelex={share}",
        "kind=" + fr.kind,
        f"len={ln}",
        "src=" + src,
        f"quoted={round(quoted * 4)}",
        f"full={int(full)}",
        "first=" + first,
        "before=" + before,
        f"ncues={min(n_cues, 4)}",
        f"kind|src={fr.kind}|{src}",
        f"kind|len={fr.kind}|{ln}",
        f"cuelex|len={share}|{ln}",
        f"cuelex|src={share}|{src}",
        f"kind|full={fr.kind}|{int(full)}",
        f"rest={_bucket(len(toks) - 1 - b, (0, 2, 6))}",
    ]


def keep_probability(features: list[str]) -> float:
    w = keep_model()
    if not w:
        return 1.0
    z = sum(w.get(f, 0.0) for f in features)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


_FUNCTION_WORDS = {
    "to", "about", "for", "of", "in", "on", "with", "at", "by", "as", "that", "has", "have",
    "had", "is", "are", "was", "were", "be", "been", "it", "a", "an", "the", "this", "and",
}  # fmt: skip


def _cues(toks: list[Tok]) -> list[tuple[int, int]]:
    """Cue spans (first, last token) in a sentence, left to right; adjacent cue words merge."""
    has_quote = any(t.quoted for t in toks)
    classes = [_cls(t) for t in toks]
    n = len(toks)
    hits: list[tuple[int, int]] = []
    k = 0
    while k < n:
        t = toks[k]
        span: tuple[int, int] | None = None
        if t.quoted:
            pass  # quoted words, and names, are not cues
        elif t.lower == "according" and k + 1 < n and toks[k + 1].lower == "to":
            span = (k, k + 1)
        elif (
            (t.lower in ("citing", "per") and k + 1 < n and _is_cap(toks[k + 1]))
            or (t.text == ":" and k + 1 < n and toks[k + 1].quoted and k > 0)
            or (t.text == ":" and 0 < k <= 3 and k + 3 < n and all(_is_cap(x) for x in toks[:k]))
            or (is_candidate(t) and cue_probability(toks, k, has_quote, classes) >= CUE_THRESHOLD)
        ):
            span = (k, k)
        if span is not None:
            gap = toks[hits[-1][1] + 1 : span[0]] if hits else []
            if hits and (
                (not gap and toks[span[0]].text == ":")
                or (
                    len(gap) <= 2
                    and all(g.text[0].isalnum() for g in gap)
                    and toks[span[0]].text != ":"
                    and toks[span[0]].lower != "according"
                )
            ):
                hits[-1] = (hits[-1][0], span[1])
            else:
                hits.append(span)
            k = span[1] + 1
        else:
            k += 1
    # a preposition or an auxiliary alone is not a cue ("to", "about", "has")
    return [h for h in hits if not all(t.lower in _FUNCTION_WORDS for t in toks[h[0] : h[1] + 1])]


_PREPOSITIONS = {"in", "on", "at", "during", "since", "after", "before", "over", "under", "for"}


def _np_left(toks: list[Tok], end: int, lo: int, depth: int = 0) -> tuple[int, int] | None:
    """The noun phrase ending just before token ``end`` (exclusive), not before ``lo``."""
    j = end - 1
    while j >= lo and (toks[j].lower in _SKIP_BEFORE_CUE or toks[j].lower in _TIME_WORDS):
        j -= 1
        if j >= lo and toks[j].lower in ("on", "last", "this", "early", "late") and j < end - 1:
            j -= 1
    if j < lo:
        return None
    if toks[j].text == "," and j - 1 >= lo and toks[j - 1].text == ")":
        # "Sen. Jack Reed (D-R.I.), said"
        k = j - 1
        while k >= lo and toks[k].text != "(" and j - k < 10:
            k -= 1
        if k - 1 >= lo and toks[k].text == "(":
            j = k - 1
    if toks[j].text == "," and j - 1 >= lo:
        # an appositive: "John Kirby, a spokesman for the Pentagon, said"
        k = j - 1
        while k >= lo and toks[k].text != "," and j - k < 14:
            k -= 1
        if k >= lo and toks[k].text == "," and k - 1 >= lo and not toks[k - 1].quoted:
            j = k - 1
        else:
            return None
    if toks[j].quoted or toks[j].text in _END_PUNCT or toks[j].text in "()[]":
        return None
    if toks[j].lower in _NOT_HEADS or toks[j].lower in _NP_STOP:
        return None
    last = j
    first = j
    while first - 1 >= lo and last - first < 7:
        p = toks[first - 1]
        if p.quoted or (not p.text[0].isalnum() and p.text not in _NP_KEEP):
            break
        if p.lower in _NP_STOP and p.lower not in ("and", "for"):
            break
        if p.lower in ("and", "for") and not (first - 2 >= lo and _is_cap(toks[first - 2])):
            break
        first -= 1
        if p.lower in DETERMINERS or p.lower in PRONOUNS:
            break
    # drop a leading lower-case word that is not a determiner or adjective-like name part
    while (
        first < last
        and toks[first].lower in _NP_KEEP
        and toks[first].lower not in ("the", "a", "an")
    ):
        first += 1
    if (
        first - 2 >= lo
        and toks[first - 1].lower in _PREPOSITIONS
        and depth < 2
        and not any(_is_cap(t) for t in toks[first : last + 1])
    ):
        # "The US in the past has pointed": the phrase was an adjunct; the subject is before it
        return _np_left(toks, first - 1, lo, depth + 1)
    return (first, last)


def _np_right(toks: list[Tok], begin: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase starting at token ``begin`` (said Mr. Smith; according to Reuters)."""
    j = begin
    while j < hi and toks[j].lower in ("by", "to"):
        j += 1
    if j >= hi or toks[j].quoted or not toks[j].text[0].isalnum() or toks[j].lower in _NP_STOP:
        return None
    first = j
    last = j
    while last + 1 < hi and last - first < 7:
        n = toks[last + 1]
        if n.quoted or (not n.text[0].isalnum() and n.text not in ("’s", "'s", "&", "-")):
            break
        if n.lower in _NP_STOP and n.lower not in ("of",):
            break
        if lexicon().get(n.lower, 0.0) >= 0.5:
            break
        last += 1
    return (first, last)


@dataclass
class _Frame:
    cue: tuple[int, int] | None
    source: tuple[int, int] | None
    content: tuple[int, int]  # token indices, inclusive
    kind: str = "after"  # after, before, rest (a second quotation), quote (no cue)


def _trim(toks: list[Tok], a: int, b: int) -> tuple[int, int] | None:
    while a <= b and toks[a].text in ",:;—–-" and not toks[a].quoted:
        a += 1
    while b >= a and toks[b].text in ",:;—–-.(" and not toks[b].quoted:
        b -= 1
    return (a, b) if a <= b else None


def _frames(s: Sentence) -> list[_Frame]:
    toks = s.toks
    frames: list[_Frame] = []
    cues = s.cues = _cues(toks)
    lo = 0  # where the next frame's content may start
    for i, (c0, c1) in enumerate(cues):
        nxt = cues[i + 1][0] if i + 1 < len(cues) else len(toks)
        frame = _frame(toks, c0, c1, lo, nxt, frames[-1].source if frames else None)
        if frame is None:
            continue
        for fr in frame:
            frames.append(fr)
        last = frame[-1]
        lo = max(c1, last.source[1] if last.source else c1) + 1
        if last.content[0] > c1:
            lo = max(lo, last.content[1] + 1)
    return frames


_BOUNDARY = {"and", "but", "while", "whereas", "as", "when", "after", "before", "though"}


def _good_np(toks: list[Tok], span: tuple[int, int]) -> bool:
    """A noun phrase fit to be a speaker: a name, a pronoun, or a known kind of speaker."""
    words = toks[span[0] : span[1] + 1]
    head = words[-1].lower
    return (
        any(_is_cap(t) for t in words)
        or (len(words) == 1 and head in PRONOUNS)
        or head in _DESCRIPTION_HEADS
        or (head.endswith("s") and words[0].lower in DETERMINERS)
    )


_OPENERS = {"but", "and", "so", "yet", "still", "meanwhile", "however", "now", "then"}


def _subject(toks: list[Tok], before: int) -> tuple[int, int] | None:
    """The capitalised noun phrase a sentence opens with (after "But", or an opening phrase
    closed by a comma), if it comes before token ``before``."""
    i = 0
    while i < before and toks[i].lower in _OPENERS:
        i += 1
    if i < before and toks[i].lower in _PREPOSITIONS | {"as", "after", "when", "while"}:
        j = i
        while j < before and toks[j].text != ",":
            j += 1
        i = j + 1
    first = i
    while i < before and (
        (_is_cap(toks[i]) and toks[i].text[0].isalpha())
        or (
            (toks[i].lower in ("the", "of", "’s", "'s", "&") and i > first)
            or toks[i].lower == "the"
        )
    ):
        i += 1
    while i - 1 >= first and toks[i - 1].lower in ("the", "of", "’s", "'s", "&"):
        i -= 1
    if i <= first or not any(_is_cap(t) and t.lower not in DETERMINERS for t in toks[first:i]):
        return None
    if toks[first].lower in PRONOUNS:
        return None
    return (first, i - 1)


_CLAUSE_AFTER_COMMA = {"however", "while", "although", "though", "because", "whereas", "but"}
_SUBORDINATORS = {"when", "if", "while", "although", "as", "after", "before", "because", "though",
                  "since", "whether", "once", "until", "even"}  # fmt: skip


def _clause_end(toks: list[Tok], start: int, nxt: int) -> int:
    """The last token of content after a cue: the end of its clause. A semicolon, a dash or a
    comma before "however", "while", "but"... ends it; so does the comma closing an opening
    subordinate clause the cue is in ("When Obama announced X, U.S. forces bombed ...")."""
    n = len(toks)
    end = n - 1
    if nxt < n:
        for j in range(nxt - 1, start, -1):
            t = toks[j]
            if t.quoted:
                break
            if t.text == ";" or (
                t.text == "," and j + 1 < n and toks[j + 1].lower in ("and", "but")
            ):
                return j - 1
            if t.lower in ("while", "but", "whereas") or t.text == "—":
                return j - 1
    subordinate = toks[0].lower in _SUBORDINATORS and not any(t.text == "," for t in toks[:start])
    for j in range(start + 3, end + 1):
        t = toks[j]
        if t.quoted:
            continue
        if t.text in (";", "—", "–", "--"):
            return j - 1
        if t.text == ",":
            if subordinate:
                return j - 1
            if j + 1 < n and toks[j + 1].lower in _CLAUSE_AFTER_COMMA:
                return j - 1
    return end
    for j in range(nxt - 1, start, -1):
        t = toks[j]
        if t.quoted:
            break
        if t.text in ";" or (t.text == "," and j + 1 < n and toks[j + 1].lower in ("and", "but")):
            return j - 1
        if t.lower in ("while", "but", "whereas") or t.text == "—":
            return j - 1
    return n - 1


def _frame(
    toks: list[Tok], c0: int, c1: int, lo: int, nxt: int, prev_source: tuple[int, int] | None
) -> list[_Frame] | None:
    n = len(toks)
    # "CONTENT, SOURCE said." / "CONTENT, said SOURCE." / "CONTENT, according to SOURCE."
    before_comma = None
    for j in range(c0 - 1, max(lo - 1, c0 - 10), -1):
        if toks[j].text == "," or (toks[j].quoted and toks[j].text in CLOSE_QUOTES + '"'):
            before_comma = j
            break
        if toks[j].quoted:
            break
    tail = n - 1 - c1
    inverted = None
    if before_comma is not None and before_comma == c0 - 1:
        # ", said Mr. Smith." is inverted; "Smith, the director, said that ..." an appositive
        inverted = _np_right(toks, c1 + 1, n)
        if not (toks[c0 - 1].quoted or (c0 >= 2 and toks[c0 - 2].quoted)):
            inverted = None  # "“…,” Smith, a political scientist, told The Hill."
        if inverted is not None and not (
            inverted[1] + 1 >= n or toks[inverted[1] + 1].text in ",.;:" + CLOSE_QUOTES
        ):
            inverted = None
        if inverted is None and toks[c0].lower != "according" and not toks[c0 - 1].quoted:
            before_comma = None
    if (
        before_comma is not None
        and before_comma > lo
        and (
            tail <= 8
            or toks[min(n - 1, c1 + 1)].text in ",."
            or toks[c0].lower == "according"
            or toks[before_comma].quoted
        )
    ):
        src = inverted or _np_left(toks, c0, before_comma + 1)
        if src is None or toks[c0].lower == "according":
            src = _np_right(toks, c1 + 1, n)
        content = _trim(toks, lo, before_comma)
        if content is None:
            return None
        out = [_Frame((c0, c1), src, content, "before")]
        # "“A,” he said, “B.”"
        after = c1 + 1 if src is None or src[0] <= c0 else src[1] + 1
        rest = _trim(toks, after, n - 1)
        if rest is not None and toks[rest[0]].quoted and nxt >= n:
            out.append(_Frame((c0, c1), src, rest, "rest"))
        return out
    # "SOURCE said (that) CONTENT" / "According to SOURCE, CONTENT"
    if toks[c0].lower == "according":
        src = _np_right(toks, c1 + 1, n)
        start = (src[1] + 1) if src else c1 + 1
        if src is not None and src[1] + 1 < n and toks[src[1] + 1].text != ",":
            return None  # "according to the plan"
    else:
        src = _np_left(toks, c0, lo)
        start = c1 + 1
        if toks[c0].lower in _OBJECT_CUES:
            # skip the addressee: "told reporters (that)"
            for j in range(start, min(n, start + 6)):
                if toks[j].lower == "that" or toks[j].text in ":,":
                    start = j + 1
                    break
        if src is None and c0 >= 2 and toks[c0 - 1].lower in ("who", "which"):
            # "Gov. Mary Fallin, who opposes abortion, ..."
            comma = c0 - 2 if toks[c0 - 2].text == "," else c0 - 1
            src = _np_left(toks, comma, lo)
        if src is None:
            src = _np_right(toks, c1 + 1, n)
            if src is not None and not (
                src[0] == c1 + 1 and (src[1] + 1 >= n or toks[src[1] + 1].text in ",:.;")
            ):
                src = None  # only "said Mr. Smith, ..." names a speaker after the cue
            if src is not None and src[1] < n - 1 and toks[src[1] + 1].text in ",:":
                start = src[1] + 2
            elif (
                src is None
                and prev_source is not None
                and (c0 == 0 or toks[c0 - 1].text == "," or toks[c0 - 1].lower in ("and", "but"))
            ):
                src = prev_source  # "..., adding that ...", "said ..., but lamented ..."
    if (src is None or not _good_np(toks, src)) and (
        toks[c0].lower.endswith("ing")
        or (c0 > 0 and toks[c0 - 1].text in (",", "to", "and", "but"))
    ):
        # "Obama has been on the sidelines, arguing he ...": the sentence's subject
        src = _subject(toks, c0) or src
    while start < n and toks[start].lower in _AFTER_CUE_SKIP and not toks[start].quoted:
        start += 1
    end = _clause_end(toks, start, nxt)
    if nxt < n and toks[nxt].lower != "according":
        # the next cue's subject ends this content: "X agreed with Y. Z: “...”"
        nxt_src = _np_left(toks, nxt, start)
        if (
            nxt_src is not None
            and nxt_src[0] > start + 2
            and (toks[nxt_src[0] - 1].text in ",;:—." or toks[nxt_src[0] - 1].lower in _BOUNDARY)
        ):
            end = min(end, nxt_src[0] - 1)
    content = _trim(toks, start, end)
    if content is None:
        # nothing after the cue: "“…,” Smith, a political scientist, told The Hill."
        if src is not None and src[0] - 1 > lo and toks[src[0] - 1].text in "," + CLOSE_QUOTES:
            before = _trim(toks, lo, src[0] - 1)
            if before is not None and toks[before[0]].quoted:
                return [_Frame((c0, c1), src, before, "before")]
        return None
    return [_Frame((c0, c1), src, content)]


# --- speakers -------------------------------------------------------------------------------

_DESCRIPTION_HEADS = {
    "official", "officials", "spokesman", "spokeswoman", "spokesperson", "source", "sources",
    "daily", "newspaper", "paper", "agency", "outlet", "network", "channel", "report",
    "statement", "minister", "president", "senator", "candidate", "nominee", "governor",
    "leader", "commander", "general", "group", "ministry", "department", "company", "campaign",
    "envoy", "secretary", "chief", "aide", "adviser", "advisor", "analyst", "expert",
    "lawmaker", "congressman", "congresswoman", "mayor", "ambassador", "diplomat", "militia",
    "magazine", "site", "website", "broadcaster", "television", "coalition", "billionaire",
    "businessman", "democrat", "republican", "officer", "authorities", "government",
    "administration", "organization", "party", "committee", "researchers", "study", "poll",
    "survey", "pollster", "lawyer", "attorney", "author", "writer", "reporter", "host", "judge",
    "justice", "court", "panel", "board", "council", "office", "white", "house", "team",
    "woman", "man", "people", "voters", "supporters", "critics", "activists", "group's",
}  # fmt: skip


_TITLES = {
    "mr", "mrs", "ms", "dr", "gen", "general", "col", "colonel", "sen", "senator", "rep", "gov",
    "governor", "president", "secretary", "state", "minister", "prime", "vice", "lt", "sgt",
    "capt", "adm", "maj", "judge", "justice", "chairman", "director", "leader", "former", "u.s",
    "us", "speaker", "attorney", "chief", "commander", "ambassador", "envoy", "centcom",
}  # fmt: skip


@dataclass
class _Speakers:
    names: list[str] = field(default_factory=list)  # every capitalised run seen so far
    last: str | None = None  # the last named speaker

    def see(self, toks: list[Tok]) -> None:
        run: list[str] = []
        for t in [*toks, Tok(".", 0, 0, ".")]:
            if _is_cap(t) and t.text[0].isalpha() and t.lower not in PRONOUNS:
                run.append(t.text)
            else:
                if len(run) >= 2:
                    self.names.append(" ".join(run))
                run = []

    def resolve(self, mention: str) -> str:
        words = mention.split()
        low = [w.lower() for w in words]
        caps = [w for w in words if w[:1].isupper() and w.lower() not in DETERMINERS]
        if len(low) == 1 and low[0] in PRONOUNS:
            return self.last or mention
        if not caps:
            # a description: "the official", "the influential daily"
            if (
                self.last
                and low[0] in DETERMINERS
                and low[0] not in ("a", "an")
                and low[-1] in _DESCRIPTION_HEADS
            ):
                return self.last
            return mention
        name = " ".join(caps)
        if len(caps) == 1:
            surname = caps[0].rstrip("’s").rstrip("'s")
            for earlier in reversed(self.names):
                parts = earlier.split()
                if surname in parts and len(parts) > 1 and parts[0] not in ("The",):
                    # the personal name ending in the surname, without titles
                    end = parts.index(surname)
                    start = end
                    while (
                        start > 0
                        and end - start < 3
                        and parts[start - 1].lower().rstrip(".") not in _TITLES
                    ):
                        start -= 1
                    if start < end:
                        return " ".join(parts[start : end + 1])
        if low[0] in ("the",) and not _is_cap_word(words[0]):
            return mention
        return name if len(caps) == len(words) else mention

    def said(self, speaker: str, mention: str) -> None:
        named = any(w[:1].isupper() for w in mention.split() if w.lower() not in DETERMINERS)
        if named or self.last is None:
            self.last = speaker


def _is_cap_word(w: str) -> bool:
    return w[:1].isupper()


# --- the extractor --------------------------------------------------------------------------


def _span(toks: list[Tok], a: int, b: int) -> Span:
    return (toks[a].start, toks[b].end)


_BYLINE = re.compile(r"^[ \t]*By[ \t]+([A-Z][\w.'’-]*(?:[ \t]+[A-Z][\w.'’-]*){0,4})[ \t]*$", re.M)


def byline(text: str) -> tuple[str, Span] | None:
    """The author named by a "By NAME" line near the top, in title case if written in capitals."""
    m = _BYLINE.search(text, 0, min(len(text), 1500))
    if m is None:
        return None
    name = m.group(1)
    if name.isupper():
        name = " ".join(w if len(w) <= 2 and w.endswith(".") else w.title() for w in name.split())
    return name, m.span(1)


def _author_statement(s: Sentence) -> bool:
    words = [t for t in s.toks if t.text[0].isalnum()]
    return len(words) >= 6 and s.toks[-1].text in ".!?" and not all(t.quoted for t in s.toks)


def extract(text: str, author_statements: bool = False, keep_all: bool = False) -> list[Suggestion]:
    """Suggested attributions in ``text``, in reading order. With ``author_statements``, every
    other sentence that states something is suggested too, as said by the article's author
    (the byline's name, if any): the desk records an article's own reporting as well."""
    out: list[Suggestion] = []
    author = byline(text) if author_statements else None
    speakers = _Speakers()
    prev_para = -1
    prev_speaker: tuple[str, str, Span] | None = None
    run_on: tuple[int, int] | None = None  # (index in out, paragraph) of a quote that may go on
    for s in sentences(text):
        toks = s.toks
        frames = _frames(s)
        n_cues = len({fr.cue for fr in frames})
        if (
            not frames
            and run_on is not None
            and run_on[1] == s.paragraph
            and toks[0].quoted
            and toks[0].text in OPEN_QUOTES + '"'
        ):
            # “A,” he said. “B.” — one quotation, interrupted by its frame
            qs = [k for k, t in enumerate(toks) if t.quoted]
            if len(qs) >= 0.8 * len(toks):
                prev = out[run_on[0]]
                end = toks[qs[-1]].end
                out[run_on[0]] = replace(
                    prev, quote=text[prev.quote_span[0] : end], quote_span=(prev.quote_span[0], end)
                )
                speakers.see(toks)
                continue
        run_on = None
        if not frames:
            # "Sanders replied." / "Cruz called them on it:" — the quotation follows
            cues = s.cues
            if cues and cues[-1][1] >= len(toks) - 2:
                src = _np_left(toks, cues[-1][0], 0)
                if src is not None:
                    sp = _span(toks, src[0], src[1])
                    said_by = text[sp[0] : sp[1]]
                    prev_speaker = (speakers.resolve(said_by), said_by, sp)
                    prev_para = s.paragraph
        if not frames and any(t.quoted for t in toks):
            # a quotation with no cue in its sentence: the speaker of the sentence before
            qs = [k for k, t in enumerate(toks) if t.quoted]
            if len(qs) >= 3:
                a, b = qs[0], qs[-1]
                if b - a + 1 < 0.5 * len(toks):
                    a, b = 0, len(toks) - 1
                src = None
                k = qs[-1] + 1
                if k + 1 < len(toks) and toks[k].text in ("-", "—", "–") and _is_cap(toks[k + 1]):
                    # “…” —President Obama
                    src = (k + 1, len(toks) - 1 if toks[-1].text not in ".!?" else len(toks) - 2)
                    src = src if src[1] >= src[0] else None
                frames = [_Frame(None, src, (a, b), "quote")]
        kept = len(out)
        for fr in frames:
            a, b = fr.content
            body = toks[a : b + 1]
            if sum(1 for t in body if t.text[0].isalnum()) <= 2 and not any(t.quoted for t in body):
                continue  # "denied it", "praised him": too short to be worth a claim
            features = suggestion_features(toks, fr, n_cues)
            score = keep_probability(features)
            if score < KEEP_THRESHOLD and not keep_all:
                continue
            span = _span(toks, a, b)
            quote = text[span[0] : span[1]]
            cue = cue_span = None
            if fr.cue is not None:
                cue_span = _span(toks, fr.cue[0], fr.cue[1])
                cue = text[cue_span[0] : cue_span[1]]
            speaker = speaker_span = mention = None
            if fr.source is not None:
                speaker_span = _span(toks, fr.source[0], fr.source[1])
                mention = text[speaker_span[0] : speaker_span[1]]
                speaker = speakers.resolve(mention)
                speakers.said(speaker, mention)
            elif prev_speaker is not None and s.paragraph - prev_para <= 1:
                speaker, mention, speaker_span = prev_speaker
            if speaker is not None and mention is not None and speaker_span is not None:
                prev_speaker = (speaker, mention, speaker_span)
            prev_para = s.paragraph
            direct = any(c in quote for c in OPEN_QUOTES + CLOSE_QUOTES + '"')
            firm, hedges = firmness_of(cue, quote)
            out.append(
                Suggestion(
                    quote=quote,
                    quote_span=span,
                    direct=direct,
                    cue=cue,
                    cue_span=cue_span,
                    speaker=speaker,
                    speaker_span=speaker_span,
                    firmness=firm,
                    speaker_mention=mention,
                    hedges=hedges,
                    score=round(score, 3),
                    features=tuple(features) if keep_all else (),
                )
            )
            if fr.kind == "before" and toks[a].quoted and toks[b].quoted:
                run_on = (len(out) - 1, s.paragraph)
        spoken = any(
            o.direct or (o.cue is not None and lexicon().get(o.cue.split()[-1].lower(), 0) >= 0.6)
            for o in out[kept:]
        )
        if author_statements and not spoken and _author_statement(s):
            quote = text[s.start : s.end]
            firm, hedges = firmness_of(None, quote)
            out.append(
                Suggestion(
                    quote=quote,
                    quote_span=(s.start, s.end),
                    direct=False,
                    cue=None,
                    cue_span=None,
                    speaker=author[0] if author else None,
                    speaker_span=author[1] if author else None,
                    firmness=firm,
                    speaker_mention=text[author[1][0] : author[1][1]] if author else None,
                    hedges=hedges,
                    by_author=True,
                )
            )
        speakers.see(toks)
    return out
