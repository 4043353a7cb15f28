"""Seeded synthetic corpus with known source accuracies and copying (SPEC §4).

Independent sources answer each item they cover correctly with their own accuracy; a wrong
answer is one of a few plausible wrong values of the item (so wrong answers collide, as in
real data). A fraction of the sources are *copiers*: each picks one of a few of the worst
independent sources and repeats its claims: carried ``via_source_id`` the original, citing
its claim (``cites_claim_id``), or silently. Some correct answers are phrased vaguely
(``at_least``, ``approximately``, ``range``) and a zero truth is sometimes reported as
``none_reported``. Everything is determined by ``seed``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from app.confidence.engine import ClaimInput, SourceInfo
from app.confidence.values import Bound, ClaimValue, Quantity

__all__ = ["SyntheticCorpus", "generate"]


@dataclass(frozen=True)
class SyntheticCorpus:
    claims: list[ClaimInput]
    truth: dict[tuple[str, str], float]
    accuracies: dict[str, float]
    copiers: dict[str, str]
    sources: dict[str, SourceInfo]


def _vague(rng: random.Random, n: int) -> Quantity:
    r = rng.random()
    if n == 0:
        return Quantity(Bound.none_reported) if r < 0.5 else Quantity(Bound.exact, best=0)
    if r < 0.80:
        return Quantity(Bound.exact, best=n)
    if r < 0.87:
        return Quantity(Bound.at_least, low=max(0, n - rng.randint(0, 2)))
    if r < 0.94:
        return Quantity(Bound.approximately, best=n)
    return Quantity(Bound.range, low=max(0, n - 1), high=n + 1)


def generate(
    seed: int = 0,
    n_items: int = 300,
    n_sources: int = 30,
    copier_fraction: float = 0.3,
    coverage: float = 0.4,
    n_copied: int = 2,
    accuracy_range: tuple[float, float] = (0.55, 0.95),
    copied_accuracy: float = 0.25,
    n_wrong_values: int = 3,
) -> SyntheticCorpus:
    """Generate claims, the truth per item and each source's true accuracy."""
    rng = random.Random(seed)
    n_copiers = round(n_sources * copier_fraction)
    n_indep = n_sources - n_copiers
    indep = [f"s{i:02d}" for i in range(n_indep)]
    acc: dict[str, float] = {s: rng.uniform(*accuracy_range) for s in indep}
    worst = indep[:n_copied]
    for s in worst:
        acc[s] = copied_accuracy
    copiers = {f"k{i:02d}": worst[i % len(worst)] for i in range(n_copiers)}
    claims: list[ClaimInput] = []
    truth: dict[tuple[str, str], float] = {}
    correct_count: dict[str, list[int]] = {s: [0, 0] for s in [*indep, *copiers]}
    cid = 0
    for i in range(n_items):
        item = (f"incident-{i:04d}", "casualties.killed")
        t = rng.choice([0, *range(1, 60)]) if rng.random() < 0.9 else rng.randint(60, 500)
        truth[item] = float(t)
        wrong = rng.sample(
            [v for v in range(0, max(80, 2 * t + 10)) if abs(v - t) > 2], n_wrong_values
        )
        made: dict[str, ClaimInput] = {}
        for s in indep:
            if rng.random() >= coverage:
                continue
            ok = rng.random() < acc[s]
            q = _vague(rng, t) if ok else Quantity(Bound.exact, best=rng.choice(wrong))
            cid += 1
            c = ClaimInput(
                f"c{cid:06d}",
                item,
                s,
                ClaimValue("quantity", quantity=q),
                firmness=rng.choice([1.0, 1.0, 0.8]),
            )
            made[s] = c
            claims.append(c)
            correct_count[s][0] += ok
            correct_count[s][1] += 1
        for k, target in copiers.items():
            orig = made.get(target)
            if orig is None or rng.random() > 0.9:
                continue
            how = rng.random()
            cid += 1
            claims.append(
                ClaimInput(
                    f"c{cid:06d}",
                    item,
                    k,
                    orig.value,
                    firmness=orig.firmness,
                    via_source_id=target if how < 0.25 else None,
                    cites_claim_id=orig.claim_id if 0.25 <= how < 0.5 else None,
                )
            )
            ok = orig.value.quantity is not None and _contains(orig.value.quantity, t)
            correct_count[k][0] += ok
            correct_count[k][1] += 1
    accuracies = {s: (c / n if n else acc.get(s, 0.0)) for s, (c, n) in correct_count.items()}
    sources = {s: SourceInfo(s) for s in accuracies}
    return SyntheticCorpus(claims, truth, accuracies, copiers, sources)


def _contains(q: Quantity, t: int) -> bool:
    from app.confidence.values import effective_interval

    lo, hi = effective_interval(q)
    return lo <= t <= hi


# --- families of held-out-like corpora, as CSV rows --------------------------------------

Row = tuple[str, str, str, str]  # ObjectID, PropertyID, PropertyValue, SourceID

FAMILIES = ("weak_uncontested", "mirror_groups", "near_numbers", "author_sets", "hierarchy")


@dataclass(frozen=True)
class TextCorpus:
    """Rows in the ``claims.csv`` layout, the gold value per item and a value hierarchy."""

    family: str
    rows: list[Row]
    truth: dict[tuple[str, str], str]
    parents: dict[str, str]
    #: mirror -> the wire it republishes (mirror_groups)
    groups: dict[str, str]


_FIRST = [
    "Ada",
    "Anna",
    "Ben",
    "Carl",
    "Dana",
    "Eva",
    "Finn",
    "Gia",
    "Hugo",
    "Ines",
    "Jon",
    "Kai",
    "Lea",
    "Max",
    "Nia",
    "Omar",
    "Pia",
    "Raj",
    "Sara",
    "Tom",
    "Uma",
    "Vic",
    "Wen",
    "Xia",
    "Yan",
    "Zoe",
]
_LAST = [
    "Abe",
    "Bauer",
    "Chen",
    "Diaz",
    "Eriks",
    "Fox",
    "Garcia",
    "Hahn",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Meyer",
    "Novak",
    "Ortiz",
    "Park",
    "Quinn",
    "Rossi",
    "Sato",
    "Tanaka",
    "Ueda",
    "Vogel",
    "Weber",
    "Xu",
    "Young",
    "Zhang",
]


def _long_tail(rng: random.Random, n: int) -> list[int]:
    """Claims per source: a few prolific sources and a long tail (Zipf-like weights)."""
    return [max(1, int(n / (i + 1) ** 1.1)) for i in range(n)]


def _places() -> tuple[dict[str, str], list[tuple[str, str, str]]]:
    """A three-level place hierarchy (8 countries x 6 states x 8 cities): each city's and
    state's parent, and every (city, state, country) path."""
    parents: dict[str, str] = {}
    places: list[tuple[str, str, str]] = []
    for c in range(8):
        country = f"Country{c}"
        for st in range(6):
            state = f"State{c}{st} > {country}"
            parents[state] = country
            for ci in range(8):
                city = f"City{c}{st}{ci} > {state}"
                parents[city] = state
                places.append((city, state, country))
    return parents, places


def generate_family(
    family: str, seed: int = 0, n_claims: int = 20_000, n_sources: int = 40
) -> TextCorpus:
    """A seeded corpus mimicking one held-out failure (see docs/confidence.md).

    * ``weak_uncontested``: many weak sources (accuracy 0.25-0.6) and some good ones, sparse
      coverage so most items have one to three claims, wrong values from a few plausible ones;
      plus long-tail sources with one or two claims.
    * ``mirror_groups``: groups of outlets republishing a wire (each copies the wire's value
      80 % of the time), one inaccurate mirror (accuracy 0.4), the most accurate independent
      sources left out.
    * ``near_numbers``: populations; right answers are exact or a near duplicate (rounded,
      off by a few), wrong ones far off.
    * ``author_sets``: author lists; right answers are the full list, or a prefix of it,
      written "A; B" or "A, B"; wrong ones swap in other names.
    * ``hierarchy``: birth places ``city > state > country``; sources name the city, or only
      its state or country, or a wrong city (often in the right state). Gold: the most
      specific true value some source states.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; one of {', '.join(FAMILIES)}")
    rng = random.Random(f"{family}:{seed}")
    sources = [f"src{i:03d}" for i in range(n_sources)]
    if family == "weak_uncontested":
        acc = {
            s: rng.uniform(0.25, 0.6) if i % 3 else rng.uniform(0.6, 0.95)
            for i, s in enumerate(sources)
        }
    else:
        acc = {s: rng.uniform(0.45, 0.95) for s in sources}
    activity = dict(zip(sources, _long_tail(rng, n_sources), strict=True))
    groups: dict[str, str] = {}  # mirror -> wire
    if family == "mirror_groups":
        ranked = sorted(sources, key=lambda s: -acc[s])
        dropped = set(ranked[:4])  # the most accurate independent sources are not in the data
        wires = [s for s in sources if s not in dropped][:5]
        pool = [s for s in sources if s not in dropped and s not in wires]
        for g, wire in enumerate(wires):
            for m in pool[g * 4 : g * 4 + 4]:
                groups[m] = wire
        inaccurate = pool[0]
        acc[inaccurate] = 0.4
        sources = [s for s in sources if s not in dropped]
        for w in wires:
            acc[w] = rng.uniform(0.5, 0.8)
    per_item = 2.2 if family == "weak_uncontested" else 4.0
    n_items = max(10, int(n_claims / per_item))
    weights = [activity[s] for s in sources]
    parents, places = _places() if family == "hierarchy" else ({}, [])
    rows: list[Row] = []
    truth: dict[tuple[str, str], str] = {}
    prop = {
        "weak_uncontested": "value",
        "mirror_groups": "casualties",
        "near_numbers": "population",
        "author_sets": "authors",
        "hierarchy": "birthplace",
    }[family]
    n_tail = 0
    for i in range(n_items):
        obj = f"o{i:06d}"
        k = 1 + min(len(sources) - 1, int(rng.expovariate(1.0 / (per_item - 0.6))))
        said = _pick(rng, sources, weights, k)
        if family == "mirror_groups":
            said |= {m for m, w in groups.items() if w in said and rng.random() < 0.8}
        t, wrongs, near, partial = _item_values(family, rng, places)
        stated: list[str] = []
        wire_value: dict[str, str] = {}
        for s in sorted(said, key=lambda s: (s in groups, s)):
            if s in groups and groups[s] in wire_value and rng.random() < 0.8:
                v = wire_value[groups[s]]
            elif rng.random() < acc[s]:
                v = t if not near or rng.random() < 0.7 else rng.choice(near)
                if partial and rng.random() < 0.3:
                    v = rng.choice(partial)
            else:
                v = rng.choice(wrongs)
            wire_value[s] = v
            stated.append(v)
            rows.append((obj, prop, v, s))
        if rng.random() < 0.1:  # long-tail sources with one or two claims
            n_tail = _tail_claim(rng, n_tail, obj, prop, t, wrongs, stated, rows)
        truth[(obj, prop)] = _gold(family, t, stated, parents)
    rng.shuffle(rows)
    return TextCorpus(family, rows, truth, parents, groups)


def _tail_claim(
    rng: random.Random,
    n_tail: int,
    obj: str,
    prop: str,
    t: str,
    wrongs: list[str],
    stated: list[str],
    rows: list[tuple[str, str, str, str]],
) -> int:
    """One claim by a long-tail source (a new one, or mostly the newest again: one or two
    claims each), right 60 % of the time; appended to ``stated`` and ``rows``. Returns the
    number of tail sources so far."""
    tail_id = n_tail if rng.random() < 0.7 else max(0, n_tail - 1)
    v = t if rng.random() < 0.6 else rng.choice(wrongs)
    stated.append(v)
    rows.append((obj, prop, v, f"tail{tail_id:05d}"))
    return n_tail + (tail_id == n_tail)


def _pick(rng: random.Random, sources: list[str], weights: list[int], k: int) -> set[str]:
    out: set[str] = set()
    while len(out) < k:
        out.add(rng.choices(sources, weights)[0])
    return out


def _item_values(
    family: str, rng: random.Random, places: list[tuple[str, str, str]]
) -> tuple[str, list[str], list[str], list[str]]:
    """(truth, plausible wrong values, near duplicates of the truth, partial truths)."""
    if family in ("weak_uncontested", "mirror_groups"):
        tn = rng.randint(0, 60)
        wrong_n = rng.sample([v for v in range(0, 120) if abs(v - tn) > 2], 3)
        return str(tn), [str(w) for w in wrong_n], [], []
    if family == "near_numbers":
        tp = rng.randint(2_000, 2_000_000)
        near = [f"{round(tp, -2):,}", str(tp + rng.choice((-2, -1, 1, 2))), f"{round(tp, -3)}"]
        near = [n for n in near if n.replace(",", "") != str(tp)] or [str(tp + 1)]
        wrongs = [str(int(tp * rng.uniform(0.5, 0.9))), str(int(tp * rng.uniform(1.1, 2.0)))]
        return str(tp), wrongs, near, []
    if family == "author_sets":
        n = rng.randint(1, 5)
        names = rng.sample([f"{f} {la}" for f in _FIRST for la in _LAST], n + 3)
        full, others = names[:n], names[n:]
        sep = rng.choice(("; ", ", "))
        t = sep.join(full)
        wrong_lists = []
        for _ in range(2):
            w = list(full)
            w[rng.randrange(n)] = rng.choice(others)
            if rng.random() < 0.5:
                w.append(rng.choice(others))
            wrong_lists.append(sep.join(dict.fromkeys(w)))
        partial = [sep.join(full[:m]) for m in range(1, n)]
        return t, wrong_lists, [], partial
    city, state, country = rng.choice(places)
    same_state = [p[0] for p in places if p[1] == state and p[0] != city]
    others = [p[0] for p in places if p[2] != country]
    wrongs = rng.sample(same_state, 2) + rng.sample(others, 1)
    return city, wrongs, [], [state, country]


def _gold(family: str, t: str, stated: list[str], parents: dict[str, str]) -> str:
    if family != "hierarchy" or t in stated:
        return t
    cur = parents.get(t)
    while cur is not None:  # the most specific true value some source states
        if cur in stated:
            return cur
        cur = parents.get(cur)
    return t


# --- the stress grid: one generator, every knob --------------------------------------------

#: value kinds of :func:`generate_stress` and the family whose values they reuse
STRESS_KINDS = {
    "number": "mirror_groups",
    "near": "near_numbers",
    "set": "author_sets",
    "hierarchy": "hierarchy",
}


def generate_stress(
    seed: int = 0,
    n_claims: int = 6000,
    n_sources: int = 40,
    kind: str = "number",
    copier_fraction: float = 0.0,
    group_size: int = 4,
    copy_rate: float = 0.9,
    wire_accuracy: float | None = 0.35,
    accuracy_range: tuple[float, float] = (0.45, 0.95),
    tail_rate: float = 0.1,
    claims_per_item: float = 4.0,
) -> TextCorpus:
    """A corpus with every knob of the stress grid (docs/confidence.md, "Stress grid").

    ``copier_fraction`` of the sources are mirrors, in groups of ``group_size`` around a wire
    (an independent source of accuracy ``wire_accuracy``, or drawn like the others when None);
    a mirror reports on an item when its wire does (probability 0.9) and then repeats the
    wire's value with probability ``copy_rate``, else answers on its own. Independent sources
    have accuracies uniform in ``accuracy_range`` and a long-tailed activity; ``tail_rate`` of
    the items get one claim from a long-tail source with one or two claims (right 60 %).
    ``kind``: plain numbers (three plausible wrong values per item), near-duplicate numbers,
    author lists, or a city > state > country hierarchy (see :func:`generate_family`).
    """
    if kind not in STRESS_KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(STRESS_KINDS)}")
    family = STRESS_KINDS[kind]
    rng = random.Random(f"stress:{seed}:{kind}:{copier_fraction}:{group_size}:{wire_accuracy}")
    names = [f"src{i:03d}" for i in range(n_sources)]
    acc = {s: rng.uniform(*accuracy_range) for s in names}
    n_mirrors = round(n_sources * copier_fraction)
    mirrors = names[n_sources - n_mirrors :]
    indep = names[: n_sources - n_mirrors]
    n_wires = max(1, min(len(indep), -(-n_mirrors // max(1, group_size)))) if n_mirrors else 0
    wires = indep[:n_wires]
    groups = {m: wires[i // max(1, group_size) % n_wires] for i, m in enumerate(mirrors)}
    if wire_accuracy is not None:
        for w in wires:
            acc[w] = wire_accuracy
    activity = dict(zip(indep, _long_tail(rng, len(indep)), strict=True))
    # wires are busy outlets: at least the median activity, so their mirrors have history
    busy = sorted(activity.values())[len(indep) // 2]
    for w in wires:
        activity[w] = max(activity[w], busy)
    weights = [activity[s] for s in indep]
    parents, places = _places() if kind == "hierarchy" else ({}, [])
    prop = {"number": "casualties", "near": "population", "set": "authors"}.get(kind, "birthplace")
    per_item = claims_per_item / (1.0 + 0.9 * copier_fraction / max(1e-9, 1 - copier_fraction))
    n_items = max(10, int(n_claims / max(1.2, claims_per_item)))
    rows: list[Row] = []
    truth: dict[tuple[str, str], str] = {}
    n_tail = 0
    for i in range(n_items):
        obj = f"o{i:06d}"
        k = 1 + min(len(indep) - 1, int(rng.expovariate(1.0 / max(0.2, per_item - 0.6))))
        said = sorted(_pick(rng, indep, weights, k))
        t, wrongs, near, partial = _item_values(family, rng, places)
        stated: list[str] = []
        said_value: dict[str, str] = {}

        def own(s: str, t: str = t, w: tuple[list[str], ...] = (wrongs, near, partial)) -> str:
            return _answer(rng, acc[s], t, *w)

        for s in said:
            said_value[s] = own(s)
        for m, w in groups.items():
            if w in said_value and rng.random() < 0.9:
                said_value[m] = said_value[w] if rng.random() < copy_rate else own(m)
        for s, v in said_value.items():
            stated.append(v)
            rows.append((obj, prop, v, s))
        if rng.random() < tail_rate:
            n_tail = _tail_claim(rng, n_tail, obj, prop, t, wrongs, stated, rows)
        truth[(obj, prop)] = _gold(family, t, stated, parents)
    rng.shuffle(rows)
    return TextCorpus(f"stress-{kind}", rows, truth, parents, groups)


def _answer(
    rng: random.Random, acc: float, t: str, wrongs: list[str], near: list[str], partial: list[str]
) -> str:
    """An independent source's answer: right with probability ``acc`` (sometimes a near
    duplicate or a partial truth), else a plausible wrong value."""
    if rng.random() < acc:
        v = t if not near or rng.random() < 0.7 else rng.choice(near)
        return rng.choice(partial) if partial and rng.random() < 0.3 else v
    return rng.choice(wrongs)
