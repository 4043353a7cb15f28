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
import re
from dataclasses import dataclass, field
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


@lru_cache(maxsize=1)
def lexicon() -> dict[str, float]:
    """Cue word → share of its training occurrences that were (part of) a cue."""
    data: dict[str, float] = json.loads(_LEXICON_PATH.read_text(encoding="utf-8"))["cues"]
    return data


CUE_THRESHOLD = 0.5

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


def normalise(text: str) -> str:
    """The same text, same length, with '' and `` written as straight double quotes."""
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
                if nxt is not None and nxt.text in CLOSE_QUOTES + '"':
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
_NP_KEEP = {"of", "the", "a", "an", "’s", "'s", "&", "-", ".", "for", "and", "de", "al", "von"}
_AFTER_CUE_SKIP = {"that", ",", ":", "—", "–", "-", "on", "in"}
_OBJECT_CUES = {"told", "tells", "telling", "tell", "asked", "asks", "warned", "reminded",
                "assured", "informed", "urged", "promised"}  # fmt: skip
_END_PUNCT = set(".!?;,:—–") | set(CLOSE_QUOTES)


def _is_cap(t: Tok) -> bool:
    return t.text[:1].isupper()


def _cue_at(toks: list[Tok], k: int, lex: dict[str, float]) -> tuple[int, int] | None:
    """The cue starting at token ``k`` as (first, last) token indices, or None."""
    t = toks[k]
    if t.quoted:
        return None
    if t.lower == "according" and k + 1 < len(toks) and toks[k + 1].lower == "to":
        return (k, k + 1)
    if t.lower in ("citing", "per") and k + 1 < len(toks) and _is_cap(toks[k + 1]):
        return (k, k)
    score = lex.get(t.lower, 0.0)
    if score >= CUE_THRESHOLD:
        return (k, k)
    if t.text == ":" and k + 1 < len(toks) and toks[k + 1].quoted:
        return (k, k)
    return None


def _np_left(toks: list[Tok], end: int, lo: int) -> tuple[int, int] | None:
    """The noun phrase ending just before token ``end`` (exclusive), not before ``lo``."""
    j = end - 1
    while j >= lo and toks[j].lower in _SKIP_BEFORE_CUE:
        j -= 1
    if j < lo:
        return None
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
    return (first, last)


def _np_right(toks: list[Tok], begin: int, hi: int) -> tuple[int, int] | None:
    """The noun phrase starting at token ``begin`` (said Mr. Smith; according to Reuters)."""
    j = begin
    while j < hi and toks[j].lower in ("by", "to"):
        j += 1
    if j >= hi or toks[j].quoted or not toks[j].text[0].isalnum():
        return None
    first = j
    last = j
    while last + 1 < hi and last - first < 7:
        n = toks[last + 1]
        if n.quoted or (not n.text[0].isalnum() and n.text not in ("’s", "'s", "&", "-")):
            break
        if n.lower in _NP_STOP and n.lower not in ("of",):
            break
        if n.lower in lexicon() and lexicon()[n.lower] >= CUE_THRESHOLD:
            break
        last += 1
    return (first, last)


@dataclass
class _Frame:
    cue: tuple[int, int] | None
    source: tuple[int, int] | None
    content: tuple[int, int]  # token indices, inclusive


def _trim(toks: list[Tok], a: int, b: int) -> tuple[int, int] | None:
    while a <= b and toks[a].text in ",:;—–-" and not toks[a].quoted:
        a += 1
    while b >= a and toks[b].text in ",:;—–-.(" and not toks[b].quoted:
        b -= 1
    return (a, b) if a <= b else None


def _frames(s: Sentence) -> list[_Frame]:
    toks = s.toks
    lex = lexicon()
    n = len(toks)
    frames: list[_Frame] = []
    k = 0
    cues: list[tuple[int, int]] = []
    while k < n:
        c = _cue_at(toks, k, lex)
        if c is not None:
            cues.append(c)
            k = c[1] + 1
        else:
            k += 1
    if not cues:
        return frames
    c0, c1 = cues[0]
    # "CONTENT, SOURCE said." / "CONTENT, said SOURCE." / "CONTENT, according to SOURCE."
    before_comma = None
    for j in range(c0 - 1, max(-1, c0 - 10), -1):
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
        if inverted is not None and not (
            inverted[1] + 1 >= n or toks[inverted[1] + 1].text in ",.;:" + CLOSE_QUOTES
        ):
            inverted = None
        if inverted is None and toks[c0].lower != "according" and not toks[c0 - 1].quoted:
            before_comma = None
    if (
        before_comma is not None
        and before_comma > 0
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
        content = _trim(toks, 0, before_comma)
        if content is not None:
            frames.append(_Frame((c0, c1), src, content))
            # "“A,” he said, “B.”"
            rest = _trim(toks, c1 + 1 + (0 if src is None or src[0] <= c0 else src[1] - c1), n - 1)
            if rest is not None and toks[rest[0]].quoted:
                frames.append(_Frame((c0, c1), src, rest))
            return frames
    # "SOURCE said (that) CONTENT" / "According to SOURCE, CONTENT"
    if toks[c0].lower == "according":
        src = _np_right(toks, c1 + 1, n)
        start = (src[1] + 1) if src else c1 + 1
    else:
        src = _np_left(toks, c0, 0)
        start = c1 + 1
        if toks[c0].lower in _OBJECT_CUES:
            # skip the addressee: "told reporters (that)"
            for j in range(start, min(n, start + 6)):
                if toks[j].lower == "that" or toks[j].text in ":,":
                    start = j + 1
                    break
        if src is None:
            src = _np_right(toks, c1 + 1, n)
            if (
                src is not None
                and src[0] == c1 + 1
                and src[1] < n - 1
                and toks[src[1] + 1].text in ",:"
            ):
                start = src[1] + 2
    while start < n and toks[start].lower in _AFTER_CUE_SKIP and not toks[start].quoted:
        start += 1
    content = _trim(toks, start, n - 1)
    if content is not None:
        frames.append(_Frame((c0, c1), src, content))
    return frames


# --- speakers -------------------------------------------------------------------------------

_DESCRIPTION_HEADS = {
    "official", "officials", "spokesman", "spokeswoman", "spokesperson", "source", "sources",
    "daily", "newspaper", "paper", "agency", "outlet", "network", "channel", "report",
    "statement", "minister", "president", "senator", "candidate", "nominee", "governor",
    "leader", "commander", "general", "group", "ministry", "department", "company", "campaign",
    "envoy", "secretary", "chief", "aide", "adviser", "advisor", "analyst", "expert",
    "lawmaker", "congressman", "congresswoman", "mayor", "ambassador", "diplomat", "militia",
    "magazine", "site", "website", "broadcaster", "television", "coalition", "billionaire",
    "businessman", "democrat", "republican", "the",
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
            if self.last and low and low[0] in DETERMINERS and low[0] not in ("a", "an"):
                return self.last
            return mention
        name = " ".join(caps)
        if len(caps) == 1:
            surname = caps[0].rstrip("’s").rstrip("'s")
            for earlier in reversed(self.names):
                parts = earlier.split()
                if surname in parts and len(parts) > 1 and parts[0] not in ("The",):
                    return earlier
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


def extract(text: str, author_statements: bool = False) -> list[Suggestion]:
    """Suggested attributions in ``text``, in reading order. With ``author_statements``, every
    other sentence that states something is suggested too, as said by the article's author
    (the byline's name, if any): the desk records an article's own reporting as well."""
    out: list[Suggestion] = []
    author = byline(text) if author_statements else None
    speakers = _Speakers()
    prev_para = -1
    prev_speaker: tuple[str, str, Span] | None = None
    for s in sentences(text):
        toks = s.toks
        frames = _frames(s)
        if not frames and any(t.quoted for t in toks):
            # a quotation with no cue in its sentence: the speaker of the sentence before
            qs = [k for k, t in enumerate(toks) if t.quoted]
            if len(qs) >= 3:
                a, b = qs[0], qs[-1]
                if b - a + 1 < 0.5 * len(toks):
                    a, b = 0, len(toks) - 1
                frames = [_Frame(None, None, (a, b))]
        if not frames and author_statements and _author_statement(s):
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
        for fr in frames:
            a, b = fr.content
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
                )
            )
        speakers.see(toks)
    return out
