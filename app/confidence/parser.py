"""Turn common English phrasings of a count into a :class:`Quantity` (SPEC §2).

``parse_quantity("nearly a dozen")`` → approximately low=9 best=11 high=12. The parser never
guesses: text it cannot read, or text holding several unrelated numbers ("two killed and
three wounded"), raises :class:`QuantityParseError` with a message that says why.

Grammar (after case-folding and dropping thousands separators in "1,200" / "1 200")::

    phrase   := none_reported | zero | sum | single
    single   := [modifier] core [noun words...]
    core     := number | vague_word | "between" number "and" number
              | ["from"] number ("to" | "-" | en dash) number
    sum      := part (("and" | "," | "plus") part)+     each part: [modifier] number demonym
    number   := digits | number words ("two hundred and five", "twenty-one", "a thousand",
                "a dozen", "two dozen", "half a dozen", "a score")

Modifiers: see :data:`MODIFIERS`. Vague words and the intervals they stand for: see
:data:`VAGUE_WORDS` (one table, documented in docs/confidence.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.confidence.values import Bound, Quantity, effective_interval

__all__ = [
    "DEMONYMS",
    "MODIFIERS",
    "VAGUE_WORDS",
    "ParsedQuantity",
    "QualifiedPart",
    "QuantityParseError",
    "format_number_words",
    "parse_quantity",
]


class QuantityParseError(ValueError):
    """The text is not a quantity this parser can read without guessing."""


@dataclass(frozen=True)
class QualifiedPart:
    qualifiers: dict[str, str]
    quantity: Quantity
    text: str


@dataclass(frozen=True)
class ParsedQuantity:
    total: Quantity
    parts: list[QualifiedPart] = field(default_factory=list)
    matched: str = ""


# --- tables ---------------------------------------------------------------------------------

#: vague word → (bound, low, best, high). "dozens" etc. are ranges with no best value.
VAGUE_WORDS: dict[str, tuple[Bound, float | None, float | None, float | None]] = {
    "a couple": (Bound.approximately, 2, 2, 3),
    "a few": (Bound.approximately, 2, 3, 5),
    "a handful": (Bound.approximately, 2, 4, 6),
    "several": (Bound.approximately, 3, 5, 9),
    "dozens": (Bound.range, 24, None, 99),
    "scores": (Bound.range, 40, None, 199),
    "hundreds": (Bound.range, 200, None, 999),
    "thousands": (Bound.range, 2_000, None, 9_999),
    "tens of thousands": (Bound.range, 20_000, None, 99_999),
    "hundreds of thousands": (Bound.range, 200_000, None, 999_999),
    "millions": (Bound.range, 2_000_000, None, 9_999_999),
}

#: modifier phrase → kind of bound it creates around the number that follows.
MODIFIERS: dict[str, str] = {
    "more than": "more_than",
    "over": "more_than",
    "upwards of": "more_than",
    "in excess of": "more_than",
    "at least": "at_least",
    "no fewer than": "at_least",
    "no less than": "at_least",
    "a minimum of": "at_least",
    "up to": "at_most",
    "at most": "at_most",
    "no more than": "at_most",
    "as many as": "at_most",
    "a maximum of": "at_most",
    "fewer than": "fewer_than",
    "less than": "fewer_than",
    "under": "fewer_than",
    "nearly": "nearly",
    "almost": "nearly",
    "close to": "nearly",
    "just under": "nearly",
    "about": "approximately",
    "around": "approximately",
    "roughly": "approximately",
    "some": "approximately",
    "approximately": "approximately",
    "approx": "approximately",
    "an estimated": "approximately",
    "estimated": "approximately",
    "circa": "approximately",
    "exactly": "exact",
    "precisely": "exact",
}

#: demonym → ISO 3166-1 alpha-2 (plural and singular forms).
DEMONYMS: dict[str, str] = {
    "american": "US",
    "americans": "US",
    "us": "US",
    "briton": "GB",
    "britons": "GB",
    "british": "GB",
    "brit": "GB",
    "brits": "GB",
    "iraqi": "IQ",
    "iraqis": "IQ",
    "iranian": "IR",
    "iranians": "IR",
    "syrian": "SY",
    "syrians": "SY",
    "afghan": "AF",
    "afghans": "AF",
    "israeli": "IL",
    "israelis": "IL",
    "palestinian": "PS",
    "palestinians": "PS",
    "lebanese": "LB",
    "turk": "TR",
    "turks": "TR",
    "kurd": "IQ",
    "kurds": "IQ",
    "french": "FR",
    "frenchman": "FR",
    "frenchmen": "FR",
    "german": "DE",
    "germans": "DE",
    "italian": "IT",
    "italians": "IT",
    "spaniard": "ES",
    "spaniards": "ES",
    "canadian": "CA",
    "canadians": "CA",
    "australian": "AU",
    "australians": "AU",
    "polish": "PL",
    "pole": "PL",
    "poles": "PL",
    "dutch": "NL",
    "russian": "RU",
    "russians": "RU",
    "ukrainian": "UA",
    "ukrainians": "UA",
    "saudi": "SA",
    "saudis": "SA",
    "yemeni": "YE",
    "yemenis": "YE",
    "egyptian": "EG",
    "egyptians": "EG",
    "jordanian": "JO",
    "jordanians": "JO",
    "pakistani": "PK",
    "pakistanis": "PK",
    "indian": "IN",
    "indians": "IN",
    "chinese": "CN",
    "japanese": "JP",
    "norwegian": "NO",
    "norwegians": "NO",
    "danish": "DK",
    "dane": "DK",
    "danes": "DK",
    "new zealander": "NZ",
    "new zealanders": "NZ",
}

# Kurds are not a nationality; keep the table honest.
del DEMONYMS["kurd"], DEMONYMS["kurds"]

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_GROUPS = {"dozen": 12, "score": 20}

_NONE_REPORTED = re.compile(
    r"^(?:there (?:were|was|are|is) )?no (?:immediate |initial |early |official )?"
    r"(?:reports?|word|information|news|indication|confirmation)\b"
    r"|^none (?:were |was )?reported\b|^not reported\b|^unreported\b"
)
# ("zero" is a number word: "zero to five" is a range)
_ZERO = re.compile(r"^(?:no one|nobody|none|nil|no)\b")

_TOKEN = re.compile("\\d+(?:\\.\\d+)?|[a-z]+(?:'[a-z]+)?|[-\u2013\u2014,]")


def _normalise(text: str) -> str:
    t = text.casefold().strip()
    t = t.replace("\u00a0", " ").replace("\u2009", " ")
    # thousands separators: "1,200" / "1 200" / "12,000,000"
    t = re.sub(r"(?<=\d)[, ](?=\d{3}(?!\d))", "", t)
    t = re.sub(r"(?<=[a-z])-(?=[a-z])", " ", t)  # twenty-one → twenty one
    return re.sub(r"\s+", " ", t)


class _Reader:
    def __init__(self, tokens: list[str]) -> None:
        self.toks = tokens
        self.i = 0

    def peek(self, k: int = 0) -> str | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def starts_with(self, phrase: str) -> bool:
        words = phrase.split()
        return self.toks[self.i : self.i + len(words)] == words

    def take_phrase(self, table: Mapping[str, object]) -> str | None:
        for phrase in sorted(table, key=lambda p: -len(p.split())):
            if self.starts_with(phrase):
                self.i += len(phrase.split())
                return phrase
        return None

    def done(self) -> bool:
        return self.i >= len(self.toks)


def _read_words_number(r: _Reader) -> float | None:
    """Read an English number ("two hundred and five", "a thousand", "half a dozen")."""
    start = r.i
    tok = r.peek()
    if tok is None:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", tok):
        r.i += 1
        value = float(tok)
        if r.peek() == "dozen":  # "3 dozen"
            r.i += 1
            return value * 12
        # "1.5 million", "3 hundred", "3 hundred thousand": each scale larger than the last
        scale = 1
        while (nxt := r.peek()) in _SCALES and _SCALES[nxt] > scale:
            scale = _SCALES[nxt]
            value *= scale
            r.i += 1
        return value
    if r.starts_with("half a dozen"):
        r.i += 3
        return 6.0
    total = 0
    current = 0
    seen = False
    while True:
        tok = r.peek()
        if tok is None:
            break
        if tok in ("a", "an") and not seen and (r.peek(1) in _SCALES or r.peek(1) in _GROUPS):
            r.i += 1
            current = 1
            seen = True
            continue
        low2 = current % 100
        if tok in _UNITS and (low2 == 0 or (low2 >= 20 and low2 % 10 == 0 and _UNITS[tok] < 10)):
            if seen and _UNITS[tok] == 0:
                break
            current += _UNITS[tok]
            seen = True
            r.i += 1
            continue
        if tok in _TENS and low2 == 0:
            current += _TENS[tok]
            seen = True
            r.i += 1
            continue
        if tok == "hundred" and seen and current < 100:
            current = max(current, 1) * 100
            r.i += 1
            continue
        if tok in _SCALES and tok != "hundred" and seen:
            total += max(current, 1) * _SCALES[tok]
            current = 0
            r.i += 1
            continue
        if tok in _GROUPS and (seen or tok == "dozen") and current < 100:
            current = max(current, 1) * _GROUPS[tok]
            seen = True
            r.i += 1
            continue
        if (
            tok == "and"
            and seen
            and (r.peek(1) in _UNITS or r.peek(1) in _TENS)
            and r.toks[r.i - 1] in _SCALES
        ):
            r.i += 1
            continue
        break
    if not seen:
        r.i = start
        return None
    return float(total + current)


def _read_core(r: _Reader) -> Quantity | None:
    """Read a number, a vague word or a range."""
    start = r.i
    if r.starts_with("between"):
        r.i += 1
        lo = _read_words_number(r)
        if lo is not None and r.peek() == "and":
            r.i += 1
            hi = _read_words_number(r)
            if hi is not None:
                return _range(min(lo, hi), max(lo, hi))
        r.i = start
        return None
    if r.starts_with("from"):
        r.i += 1
    vague = r.take_phrase(VAGUE_WORDS)
    if vague is not None:
        bound, lo, best, hi = VAGUE_WORDS[vague]
        return Quantity(bound, low=lo, best=best, high=hi)
    n = _read_words_number(r)
    if n is None:
        r.i = start
        return None
    if r.peek() in ("to", "-", "\u2013", "\u2014"):
        save = r.i
        r.i += 1
        m = _read_words_number(r)
        if m is not None:
            return _range(min(n, m), max(n, m))
        r.i = save
    return Quantity(Bound.exact, best=n)


def _range(lo: float, hi: float) -> Quantity:
    if lo == hi:
        return Quantity(Bound.exact, best=lo)
    return Quantity(Bound.range, low=lo, high=hi)


def _apply_modifier(kind: str | None, core: Quantity, phrase: str) -> Quantity:
    if kind is None or kind == "exact":
        if kind == "exact" and core.bound is not Bound.exact:
            raise QuantityParseError(f"'{phrase}' cannot qualify a vague amount")
        return core
    lo = core.low if core.low is not None else core.best
    hi = core.high if core.high is not None else core.best
    assert lo is not None and hi is not None
    if kind == "more_than":
        return Quantity(Bound.more_than, low=hi if core.bound is Bound.exact else lo)
    if kind == "at_least":
        return Quantity(Bound.at_least, low=lo)
    if kind == "at_most":
        return Quantity(Bound.at_most, high=hi)
    if kind == "fewer_than":
        if lo <= 0:  # "fewer than 0": no count is below zero
            raise QuantityParseError(f"'{phrase}' needs an amount above 0")
        return Quantity(Bound.fewer_than, high=lo if core.bound is not Bound.exact else hi)
    if kind == "nearly":
        n = hi
        below = max(1.0, math.ceil(0.25 * n))
        return Quantity(Bound.approximately, low=max(0.0, n - below), best=max(0.0, n - 1), high=n)
    # approximately
    if core.bound is Bound.exact:
        return Quantity(Bound.approximately, best=core.best)
    return core


def _qualifier_words(r: _Reader) -> dict[str, str] | None:
    for length in (2, 1):
        words = r.toks[r.i : r.i + length]
        if len(words) == length and " ".join(words) in DEMONYMS:
            r.i += length
            return {"nationality": DEMONYMS[" ".join(words)]}
    return None


def _read_part(r: _Reader) -> tuple[Quantity, dict[str, str] | None, str] | None:
    start = r.i
    phrase = r.take_phrase(MODIFIERS)
    core = _read_core(r)
    if core is None:
        r.i = start
        return None
    q = _apply_modifier(MODIFIERS[phrase] if phrase else None, core, phrase or "")
    quals = _qualifier_words(r)
    return q, quals, " ".join(r.toks[start : r.i])


def _sum(parts: list[Quantity]) -> Quantity:
    lo = 0.0
    hi = 0.0
    best = 0.0
    all_exact = True
    for q in parts:
        if q.bound is not Bound.exact:
            all_exact = False
        a, b = effective_interval(q)
        lo += a
        hi += b
        best += q.best if q.best is not None else a
    if all_exact:
        return Quantity(Bound.exact, best=best)
    if math.isinf(hi):
        return Quantity(Bound.at_least, low=lo)
    return Quantity(Bound.range, low=lo, high=hi) if lo < hi else Quantity(Bound.exact, best=lo)


def _has_number(tokens: list[str]) -> bool:
    r = _Reader(tokens)
    for k in range(len(tokens)):
        r.i = k
        if r.take_phrase(VAGUE_WORDS) is not None:  # "dozens", "a few", "several"
            return True
        r.i = k
        # a number, also one that starts with "a": "a hundred", "a thousand", "a score"
        if _read_words_number(r) is not None:
            return True
    return False


def parse_quantity(text: str) -> ParsedQuantity:
    """Parse a phrase such as "more than 15", "nearly a dozen", "two Americans and one Briton".

    Raises :class:`QuantityParseError` when the text holds no readable amount or is ambiguous.
    """
    if not isinstance(text, str) or not text.strip():
        raise QuantityParseError("empty text: expected an amount such as 'more than 15'")
    norm = _normalise(text)
    m = _NONE_REPORTED.match(norm)
    if m:
        return ParsedQuantity(total=Quantity(Bound.none_reported), matched=norm)
    tokens = _TOKEN.findall(norm)
    if not tokens:
        raise QuantityParseError(f"no amount found in {text!r}")
    r = _Reader(tokens)
    # leading filler: "a total of", "the", "reportedly"
    for filler in ("a total of", "in total", "reportedly", "the", "only", "just", "all"):
        if r.starts_with(filler) and not r.starts_with("just under"):
            r.i += len(filler.split())
    zero = _ZERO.match(" ".join(tokens[r.i :]))
    if zero and not any(
        r.starts_with(p) for p in ("no more than", "no fewer than", "no less than")
    ):
        rest = tokens[r.i + len(zero.group(0).split()) :]
        if _has_number(rest):
            raise QuantityParseError(f"{text!r} mixes 'none' with another number")
        return ParsedQuantity(total=Quantity(Bound.exact, best=0), matched=zero.group(0))
    first = _read_part(r)
    if first is None:
        raise QuantityParseError(
            f"no amount found in {text!r}: expected digits, number words (e.g. 'fifteen'), "
            "or a phrase such as 'more than 15', 'nearly a dozen', 'dozens'"
        )
    parts = [first]
    while not r.done():
        save = r.i
        sep = r.peek()
        if sep in ("and", ",", "plus"):
            r.i += 1
            if r.peek() == "and":
                r.i += 1
            nxt = _read_part(r)
            if nxt is not None:
                parts.append(nxt)
                continue
        r.i = save
        break
    rest = tokens[r.i :]
    if len(parts) > 1:
        if any(p[1] is None for p in parts):
            raise QuantityParseError(
                f"{text!r} holds several amounts that are not parts of one total "
                "(record them as separate claims)"
            )
        total = _sum([p[0] for p in parts])
        qparts = [QualifiedPart(qualifiers=p[1] or {}, quantity=p[0], text=p[2]) for p in parts]
        if _has_number(rest):
            raise QuantityParseError(f"{text!r} holds more amounts than it can add up")
        return ParsedQuantity(total=total, parts=qparts, matched=" ".join(tokens[: r.i]))
    if _has_number(rest):
        raise QuantityParseError(
            f"{text!r} holds several amounts; record each one as its own claim"
        )
    q, quals, matched = first
    qparts = [QualifiedPart(qualifiers=quals, quantity=q, text=matched)] if quals else []
    return ParsedQuantity(total=q, parts=qparts, matched=matched)


# --- formatting (used by round-trip tests and docs) ----------------------------------------

_UNIT_WORDS = {v: k for k, v in _UNITS.items()}
_TEN_WORDS = {v: k for k, v in _TENS.items()}


def format_number_words(n: int) -> str:
    """English words for 0 ≤ n < 10¹²: 1205 → "one thousand two hundred and five"."""
    if n < 0 or n >= 10**12:
        raise ValueError("n must be in [0, 10**12)")
    if n < 20:
        return _UNIT_WORDS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TEN_WORDS[tens * 10] + (f"-{_UNIT_WORDS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_UNIT_WORDS[hundreds]} hundred" + (
            f" and {format_number_words(rest)}" if rest else ""
        )
    for scale_word, scale in (("billion", 10**9), ("million", 10**6), ("thousand", 10**3)):
        if n >= scale:
            head, rest = divmod(n, scale)
            out = f"{format_number_words(head)} {scale_word}"
            return out + (f" {format_number_words(rest)}" if rest else "")
    raise AssertionError("unreachable")  # pragma: no cover
