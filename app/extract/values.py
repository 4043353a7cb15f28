"""What a suggested claim's content states: a count (through the phrase parser of
:mod:`app.confidence.parser`), a category, or who is held responsible. Pure: strings in, plain
records out; the service maps actor names to the registry.

- ``munitions.count`` / ``munitions.type``: a number phrase before a munition noun
  ("more than 15 small rockets" → more_than 15, category "small rocket");
- ``casualties.killed`` / ``casualties.wounded``: a number phrase that is the subject of
  "killed"/"dead" or "wounded"/"injured" ("two Americans and one Briton were killed"), or "no
  (immediate) reports of anyone wounded" (none reported);
- ``responsibility``: a responsibility phrase ("was behind it", "orchestrated by", "blamed",
  "claimed responsibility", "carried out by") with the capitalised names around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.confidence.parser import QuantityParseError, parse_quantity

__all__ = ["ProposedValue", "read_values"]


@dataclass(frozen=True)
class ProposedValue:
    topic: str
    value: dict[str, Any]
    matched: str
    names: tuple[str, ...] = ()  # responsibility: who is named (resolved by the service)


MUNITIONS = (
    "rocket", "rockets", "missile", "missiles", "shell", "shells", "mortar", "mortars",
    "drone", "drones", "projectile", "projectiles", "katyusha", "katyushas", "bomb", "bombs",
    "grenade", "grenades", "ieds", "ied",
)  # fmt: skip
KILLED = ("killed", "dead", "died", "slain")
WOUNDED = ("wounded", "injured", "hurt")
RESPONSIBILITY = re.compile(
    r"\b(?:was|were|is|are)\s+behind\b|\borchestrated by\b|\bcarried out by\b"
    r"|\bresponsib\w+\b|\bblam\w+\b|\bperpetrated by\b|\bordered by\b|\bbacked by\b"
    r"|\babetted by\b|\bpointed a finger at\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w’'-]+|[,]")
_NAME_RUN = re.compile(
    r"\b(?:[A-Z][\w’'-]*|al-\w+|al|bin|ibn|de)(?:\s+(?:[A-Z][\w’'-]*|al-\w+|al|of))*"
)
_NOT_NAMES = {"The", "A", "An", "He", "She", "They", "It", "We", "I", "But", "And", "In", "On"}


def _quantity_before(words: list[str], end: int, noun: str | None) -> tuple[Any, str] | None:
    """Parse the longest phrase ending at ``words[end]`` (exclusive) that reads as a count."""
    for start in range(max(0, end - 8), end):
        phrase = " ".join(words[start:end] + ([noun] if noun else []))
        try:
            parsed = parse_quantity(phrase)
        except QuantityParseError:
            continue
        return parsed, phrase
    return None


def _quantity_value(parsed: Any) -> dict[str, Any]:
    q = parsed.total

    def num(x: float | None) -> int | float | None:
        return None if x is None else (int(x) if float(x).is_integer() else x)

    return {
        "kind": "quantity",
        "bound": q.bound.value,
        "low": num(q.low),
        "best": num(q.best),
        "high": num(q.high),
    }


def read_values(content: str) -> list[ProposedValue]:
    """Every topic and value the content states, most specific first."""
    text = content.replace("“", " ").replace("”", " ").replace('"', " ")
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    out: list[ProposedValue] = []
    seen: set[str] = set()
    for i, w in enumerate(lower):
        if i + 1 < len(lower) and lower[i + 1] in MUNITIONS:
            continue
        if w in MUNITIONS and "munitions.count" not in seen:
            found = _quantity_before(words, i, words[i])
            if found is not None:
                parsed, phrase = found
                seen.add("munitions.count")
                out.append(ProposedValue("munitions.count", _quantity_value(parsed), phrase))
                kind = [x for x in words[max(0, i - 2) : i] if x.isalpha() and x[0].isupper()]
                kind = kind or [x for x in words[i - 1 : i] if x.isalpha() and x.islower()]
                if kind and "munitions.type" not in seen:
                    seen.add("munitions.type")
                    category = " ".join([*kind, w.rstrip("s")]).lower()
                    out.append(
                        ProposedValue(
                            "munitions.type", {"kind": "category", "category": category}, category
                        )
                    )
        for topic, verbs in (("casualties.killed", KILLED), ("casualties.wounded", WOUNDED)):
            if w in verbs and topic not in seen:
                j = i
                while j > 0 and lower[j - 1] in ("were", "was", "been", "have", "had", "has"):
                    j -= 1
                found = _quantity_before(words, j, None) if j < i else None
                if found is None:
                    m = re.search(
                        r"\bno (?:immediate |initial |early |official )?reports? (?:about|of) "
                        r"(?:anyone|anybody|people|casualties)?\s*(?:\w+ )?" + re.escape(w),
                        text,
                        re.IGNORECASE,
                    )
                    if m:
                        found = (parse_quantity(m.group(0)), m.group(0))
                if found is not None:
                    seen.add(topic)
                    out.append(ProposedValue(topic, _quantity_value(found[0]), found[1]))
    m = RESPONSIBILITY.search(content)
    if m:
        names = [
            n.group().strip()
            for n in _NAME_RUN.finditer(content)
            if n.group().strip() not in _NOT_NAMES and len(n.group().strip()) > 1
        ]
        demonyms = re.findall(r"\b([A-Z][a-z]+)(?:ian|i|ese)?-backed\b", content)
        names += [d for d in demonyms if d not in names]
        if names:
            out.append(ProposedValue("responsibility", {"kind": "actor"}, m.group(), tuple(names)))
    return out
