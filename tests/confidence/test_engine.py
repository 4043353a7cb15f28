from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from app.confidence.engine import (
    DEFAULT_MODEL,
    Candidate,
    ClaimInput,
    ItemAssessment,
    Model,
    SourceInfo,
    assess,
    attribute,
    learn,
    learn_reliability,
    voices,
)
from app.confidence.values import Bound, ClaimValue, Quantity, normalise_category

KILLED = ("casualties.killed", "{}")
ROCKETS = ("munitions.count", "{}")
RESP = ("responsibility", "{}")
PARENTS: dict[str, str | None] = {"kh": "iran", "iran": None, "isis": None}


def qv(bound: Bound, **kw: float) -> ClaimValue:
    return ClaimValue.of_quantity(Quantity(bound, **kw))


SOURCES = {
    "coalition": SourceInfo("coalition", prior=0.8),
    "coalition-spox": SourceInfo("coalition-spox", parent_id="coalition"),
    "presstv": SourceInfo("presstv", prior=0.4),
    "stripes": SourceInfo("stripes", prior=0.7),
    "official": SourceInfo("official"),
    "ap": SourceInfo("ap", prior=0.7),
}


def camp_taji() -> list[ClaimInput]:
    return [
        ClaimInput("c1", ROCKETS, "coalition", qv(Bound.more_than, low=15), firmness=0.95),
        ClaimInput("c2", ROCKETS, "presstv", qv(Bound.approximately, low=9, best=11, high=12)),
        ClaimInput("c3", ROCKETS, "coalition-spox", qv(Bound.more_than, low=15)),
        ClaimInput("c4", KILLED, "stripes", qv(Bound.exact, best=3)),
        ClaimInput("c5", KILLED, "official", qv(Bound.exact, best=3), via_source_id="stripes"),
        ClaimInput("c6", KILLED, "ap", qv(Bound.exact, best=3), cites_claim_id="c4"),
        ClaimInput("c7", KILLED, "presstv", qv(Bound.none_reported)),
        ClaimInput("c8", KILLED, "ap", qv(Bound.exact, best=5), status="retracted"),
    ]


def by_item(results: list[ItemAssessment], item: tuple[str, str]) -> ItemAssessment:
    return next(r for r in results if r.item == item)


def test_voices() -> None:
    v = voices(camp_taji(), SOURCES)
    assert v["c1"] == v["c3"] == "coalition"  # spokesperson belongs to organisation
    assert v["c4"] == v["c5"] == v["c6"] == "stripes"  # via carrier, and citation
    assert v["c2"] == "presstv"
    assert v["c8"] == "ap"  # retracted claim keeps its own voice


def test_via_without_carrier_claim_is_independent() -> None:
    claims = [ClaimInput("a", KILLED, "official", qv(Bound.exact, best=1), via_source_id="stripes")]
    assert voices(claims, SOURCES)["a"] == "official"


def test_citation_cycles_terminate() -> None:
    claims = [
        ClaimInput("a", KILLED, "ap", qv(Bound.exact, best=1), cites_claim_id="b"),
        ClaimInput("b", KILLED, "stripes", qv(Bound.exact, best=1), cites_claim_id="a"),
    ]
    v = voices(claims, SOURCES)
    assert v["a"] == v["b"]


def test_assess_camp_taji() -> None:
    results = assess(camp_taji(), SOURCES, PARENTS)
    rockets = by_item(results, ROCKETS)
    assert rockets.contested
    assert len(rockets.candidates) == 2
    assert rockets.candidates[0].low == 16 and rockets.candidates[0].independent_sources == 1
    assert sum(c.probability for c in rockets.candidates) + rockets.none_of_these == pytest.approx(
        1
    )
    contrib = {c.claim_id: c for c in rockets.contributions}
    # one voice: the firmest (then latest, then lowest id) claim counts, the other is a repeat
    assert contrib["c3"].counted and not contrib["c1"].counted
    assert contrib["c1"].excluded_reason == "same voice as claim c3"

    killed = by_item(results, KILLED)
    assert killed.contested  # 3 killed vs none reported
    top = killed.candidates[0]
    assert (top.low, top.high) == (3, 3)
    assert top.independent_sources == 1  # stripes, its official and AP's repeat are one voice
    assert killed.independent_sources == 2
    contrib = {c.claim_id: c for c in killed.contributions}
    assert contrib["c8"].excluded_reason == "retracted" and not contrib["c8"].counted
    assert contrib["c5"].independence_discount == 0.0
    assert contrib["c7"].counted and contrib["c7"].weight > 0
    assert all(c.candidate_index is not None for c in killed.contributions if c.counted)


def test_none_reported_weighs_less_than_zero() -> None:
    base = [ClaimInput("x", KILLED, "stripes", qv(Bound.exact, best=2))]
    none = assess([*base, ClaimInput("n", KILLED, "ap", qv(Bound.none_reported))], SOURCES)[0]
    zero = assess([*base, ClaimInput("n", KILLED, "ap", qv(Bound.exact, best=0))], SOURCES)[0]
    p_none = next(c.probability for c in none.candidates if c.low == 0)
    p_zero = next(c.probability for c in zero.candidates if c.low == 0)
    assert p_none < p_zero


def test_firmness_and_reliability_raise_probability() -> None:
    def p(firm: float, prior: float) -> float:
        src = {"s": SourceInfo("s", prior=prior), "t": SourceInfo("t", prior=0.6)}
        claims = [
            ClaimInput("a", KILLED, "s", qv(Bound.exact, best=2), firmness=firm),
            ClaimInput("b", KILLED, "t", qv(Bound.exact, best=4)),
        ]
        ia = assess(claims, src)[0]
        return next(c.probability for c in ia.candidates if c.low == 2)

    assert p(1.0, 0.8) > p(0.5, 0.8) > p(0.5, 0.4)


def test_unknown_and_as_of() -> None:
    t0 = datetime(2020, 3, 11, 16, 35, tzinfo=UTC)
    t1 = datetime(2020, 3, 11, 20, 0, tzinfo=UTC)
    claims = [
        ClaimInput("a", KILLED, "stripes", qv(Bound.exact, best=2), said_at=t0),
        ClaimInput("b", KILLED, "ap", qv(Bound.exact, best=5), said_at=t1),
        ClaimInput("u", KILLED, "presstv", qv(Bound.unknown)),
    ]
    ia = assess(claims, SOURCES, as_of=datetime(2020, 3, 11, 17, 0, tzinfo=UTC))[0]
    reasons = {c.claim_id: c.excluded_reason for c in ia.contributions}
    assert reasons == {"a": None, "b": "said after as_of", "u": "unknown value constrains nothing"}
    assert not ia.contested and len(ia.candidates) == 1


def test_single_claim_probability_is_reliability() -> None:
    src = {"s": SourceInfo("s", prior=0.5, reliability=0.7)}
    ia = assess([ClaimInput("a", KILLED, "s", qv(Bound.exact, best=2))], src)[0]
    assert ia.candidates[0].probability == pytest.approx(0.7)
    assert ia.none_of_these == pytest.approx(0.3)


def test_assess_is_order_independent() -> None:
    claims = camp_taji()
    a = assess(claims, SOURCES, PARENTS)
    b = assess(list(reversed(claims)), SOURCES, PARENTS)
    assert a == b


def test_statement_denial_conflict() -> None:
    occurred = ("occurred", "{}")
    claims = [
        ClaimInput("a", occurred, "coalition", ClaimValue.of_statement("asserts")),
        ClaimInput("b", occurred, "presstv", ClaimValue.of_statement("denies")),
    ]
    ia = assess(claims, SOURCES)[0]
    assert ia.contested is False  # only one candidate has an asserting claim
    assert [c.stance for c in ia.candidates] == ["asserts", "denies"]


def test_attribution_hierarchy() -> None:
    claims = [
        ClaimInput("r1", RESP, "coalition", ClaimValue.of_actor("kh")),
        ClaimInput("r2", RESP, "stripes", ClaimValue.of_actor("iran")),
        ClaimInput("r3", RESP, "presstv", ClaimValue.of_actor("isis")),
        ClaimInput("r4", RESP, "ap", ClaimValue.of_actor("kh", stance="denies")),
    ]
    (att,) = attribute(claims, SOURCES, PARENTS)
    by_actor = {a.actor_id: a for a in att.attributions}
    assert att.attributions[0].actor_id == "iran"
    assert by_actor["iran"].probability >= by_actor["kh"].probability
    assert by_actor["kh"].probability > 0
    assert by_actor["iran"].supporting_claim_ids == ("r1", "r2")
    assert by_actor["kh"].supporting_claim_ids == ("r1",)
    assert by_actor["kh"].denying_claim_ids == ("r4",)
    assert by_actor["kh"].compatible_actor_ids == ("iran",)
    assert by_actor["iran"].compatible_actor_ids == ("kh",)
    assert by_actor["isis"].compatible_actor_ids == ()
    assert att.contested
    total = sum(a.probability for a in att.attributions if a.actor_id in ("iran", "isis"))
    assert total + att.none_of_these <= 1.0 + 1e-9


def test_one_voice_naming_nested_actors_shares_its_weight() -> None:
    # the article's author says "Iran" (0.5) and, less firmly, "Iran-backed groups" (0.4)
    claims = [
        ClaimInput("a1", RESP, "ap", ClaimValue.of_actor("iran"), firmness=0.5),
        ClaimInput("a2", RESP, "ap", ClaimValue.of_actor("kh"), firmness=0.4),
    ]
    (att,) = attribute(claims, SOURCES, PARENTS)
    by_actor = {a.actor_id: a for a in att.attributions}
    (item,) = assess(claims, SOURCES, PARENTS)
    p_candidate = item.candidates[0].probability
    assert by_actor["iran"].probability == pytest.approx(p_candidate)
    assert by_actor["kh"].probability == pytest.approx(p_candidate * 0.4 / 0.9)
    assert item.independent_sources == 1


def test_learn_reliability_smoothing() -> None:
    claims: list[ClaimInput] = []
    for i in range(40):
        item = (f"inc{i}", "casualties.killed")
        claims += [
            ClaimInput(f"g{i}", item, "good", qv(Bound.exact, best=1)),
            ClaimInput(f"h{i}", item, "good2", qv(Bound.exact, best=1)),
            # a third agreeing voice: two sources that always agree with nobody else
            # confirming them are indistinguishable from a copier pair (copy detection)
            ClaimInput(f"k{i}", item, "good3", qv(Bound.exact, best=1)),
            ClaimInput(f"b{i}", item, "bad", qv(Bound.exact, best=9)),
        ]
    claims.append(ClaimInput("once", ("x", "y"), "rare", qv(Bound.exact, best=1)))
    claims.append(ClaimInput("once2", ("x", "y"), "good", qv(Bound.exact, best=2)))
    srcs = {s: SourceInfo(s) for s in ("good", "good2", "good3", "bad", "rare")}
    srcs["rare"] = SourceInfo("rare", prior=0.9)
    rel = learn_reliability(claims, srcs, {})
    assert rel["good"] > 0.85 and rel["good2"] > 0.85
    assert rel["bad"] < 0.2
    assert 0.3 < rel["rare"] < 0.95  # one claim: stays near its prior / group mean
    assert set(rel) == set(srcs)


def test_firmness_validation() -> None:
    with pytest.raises(ValueError, match=r"firmness must be in \[0, 1\], got 1.5"):
        ClaimInput("a", KILLED, "s", qv(Bound.exact, best=1), firmness=1.5)
    assert ClaimInput("a", KILLED, "s", qv(Bound.exact, best=1), firmness=0.0).firmness == 0.0


def test_learn_detects_a_repeater_pairwise() -> None:
    """A source that repeats two others (their mistakes included) is found as their copier;
    independent sources that merely agree on true values are not."""
    claims: list[ClaimInput] = []
    independent = ("a", "b", "c", "d")
    for i in range(60):
        item = (f"inc{i}", "casualties.killed")
        # each independent source errs on one item in five, each with its own wrong value
        said = {s: 100 * (k + 1) + i if i % 5 == k else 1 for k, s in enumerate(independent)}
        said["repeater"] = said["a"] if i % 2 == 0 else said["b"]  # as accurate as a and b
        claims += [ClaimInput(f"{s}{i}", item, s, qv(Bound.exact, best=v)) for s, v in said.items()]
    srcs = {s: SourceInfo(s) for s in (*independent, "repeater")}
    learned = learn(claims, srcs, {})
    assert min(learned.reliability[s] for s in independent) > 0.7
    # as accurate as a and b, so either may be the copier of the pair: the pair is what counts
    pairs = {frozenset(pair): d for pair, d in learned.dependence.items()}
    assert pairs.get(frozenset(("repeater", "a")), 0.0) > 0.9
    assert pairs.get(frozenset(("repeater", "b")), 0.0) > 0.9
    assert all("repeater" in pair for pair in pairs)
    # the views get the copy discounts with the domain sizes
    assert learned.copy_discount and learned.model().copy_discount == learned.copy_discount


def test_a_learned_domain_size_is_what_the_views_use() -> None:
    """More plausible false values make agreement stronger evidence; a single full vote still
    gives the source's reliability; a topic the model has not learned keeps the default."""
    srcs = {s: SourceInfo(s, reliability=0.6) for s in ("a", "b")}
    two = [
        ClaimInput("a1", KILLED, "a", qv(Bound.exact, best=3)),
        ClaimInput("b1", KILLED, "b", qv(Bound.exact, best=3)),
    ]
    wide = Model(domain_size={KILLED[0]: 10.0})
    default = assess(two, srcs)[0].candidates[0].probability
    learned = assess(two, srcs, model=wide)[0].candidates[0].probability
    assert learned > default
    assert assess(two, srcs, model=Model(domain_size={"other": 10.0}))[0].candidates[
        0
    ].probability == pytest.approx(default)
    one = assess(two[:1], srcs, model=wide)[0]
    assert one.candidates[0].probability == pytest.approx(0.6)


def test_a_learned_copier_counts_less_only_where_it_repeats_its_original() -> None:
    srcs = {s: SourceInfo(s, reliability=0.7) for s in ("wire", "mirror", "other")}
    model = Model(copy_discount={("mirror", "wire"): 0.8})
    shared = [
        ClaimInput("w", KILLED, "wire", qv(Bound.exact, best=3)),
        ClaimInput("m", KILLED, "mirror", qv(Bound.exact, best=3)),
        ClaimInput("o", KILLED, "other", qv(Bound.exact, best=5)),
    ]
    plain = assess(shared, srcs)[0]
    copied = assess(shared, srcs, model=model)[0]
    assert copied.candidates[0].probability < plain.candidates[0].probability
    discount = {c.source_id: c.independence_discount for c in copied.contributions}
    assert discount == {"wire": 1.0, "mirror": pytest.approx(0.2), "other": 1.0}
    # on its own value (the wire says something else) the mirror counts in full
    alone = [
        ClaimInput("w", KILLED, "wire", qv(Bound.exact, best=5)),
        ClaimInput("m", KILLED, "mirror", qv(Bound.exact, best=3)),
    ]
    assert assess(alone, srcs, model=model) == assess(alone, srcs, model=DEFAULT_MODEL)
    # a copy never lowers the value it repeats (agreement never hurts)
    without = assess(shared[::2], srcs, model=model)[0]
    by_value = {c.label: c.probability for c in without.candidates}
    assert copied.candidates[0].probability >= by_value["3"] - 1e-12


def test_learn_gives_the_views_a_model_per_property() -> None:
    """Domain sizes are learned per property (``property_of``, default the item's topic) and
    handed to the views with the copying pairs."""
    claims = []
    for i in range(12):
        item = (f"inc{i}/casualties.wounded", "{}")
        said = {s: 100 * (k + 1) + i if i % 4 == k else 1 for k, s in enumerate("abc")}
        claims += [ClaimInput(f"{s}{i}", item, s, qv(Bound.exact, best=v)) for s, v in said.items()]
    srcs = {s: SourceInfo(s) for s in "abc"}
    learned = learn(claims, srcs, {}, property_of=lambda item: item[0].partition("/")[2])
    assert set(learned.domain_size) == {"casualties.wounded"}
    assert learned.domain_size["casualties.wounded"] > 2.0
    assert learned.model().domain_size == learned.domain_size
    per_item = learn(claims, srcs, {})
    assert len(per_item.domain_size) == 12  # each item its own property


def test_a_denial_denies_the_actor_and_its_descendants_only() -> None:
    """A denial naming an actor, or one of its ancestors, is listed as denying that actor; it
    denies neither the actor's ancestors nor an unrelated actor (mutation run 5)."""
    claims = [
        ClaimInput("r1", RESP, "coalition", ClaimValue.of_actor("kh")),
        ClaimInput("r2", RESP, "presstv", ClaimValue.of_actor("isis")),
        ClaimInput("d1", RESP, "ap", ClaimValue.of_actor("kh", stance="denies")),
        ClaimInput("d2", RESP, "stripes", ClaimValue.of_actor("iran", stance="denies")),
    ]
    (att,) = attribute(claims, SOURCES, PARENTS)
    denying = {a.actor_id: a.denying_claim_ids for a in att.attributions}
    assert denying == {"kh": ("d1", "d2"), "iran": ("d2",), "isis": ()}


def test_attributions_use_the_model_for_none_of_these() -> None:
    """``attribute`` with a learned model gives the same "none of these" as ``assess`` with
    it: a wider domain leaves more to the unobserved actors (mutation run 5)."""
    claims = [
        ClaimInput("r1", RESP, "coalition", ClaimValue.of_actor("kh")),
        ClaimInput("r2", RESP, "presstv", ClaimValue.of_actor("isis")),
    ]
    wide = Model(domain_size={RESP[0]: 50.0})
    (plain,) = attribute(claims, SOURCES, PARENTS)
    (learned,) = attribute(claims, SOURCES, PARENTS, model=wide)
    (item,) = assess(claims, SOURCES, PARENTS, model=wide)
    assert learned.none_of_these == pytest.approx(item.none_of_these)
    assert learned.none_of_these > plain.none_of_these


def test_learn_reliability_is_what_learn_finds_for_every_source() -> None:
    """``learn_reliability`` passes its priors, actor hierarchy and iterations on to
    ``learn``, and answers for every source in ``sources`` (one that said nothing keeps a
    share of its prior) and every source that made a claim (mutation run 5)."""
    claims: list[ClaimInput] = []
    for i in range(10):
        item = (f"inc{i}/responsibility", "{}")
        claims += [
            ClaimInput(f"a{i}", item, "a", ClaimValue.of_actor("kh")),
            ClaimInput(f"b{i}", item, "b", ClaimValue.of_actor("iran")),
            ClaimInput(f"c{i}", item, "c", ClaimValue.of_actor("isis")),
            ClaimInput(f"u{i}", item, "unlisted", ClaimValue.of_actor("kh")),
        ]
    srcs = {
        "a": SourceInfo("a", prior=0.8),
        "b": SourceInfo("b", prior=0.3),
        "c": SourceInfo("c", prior=0.6),
        "silent": SourceInfo("silent", prior=0.9),
    }
    rel = learn_reliability(claims, srcs, PARENTS, iterations=1)
    assert rel == learn(claims, srcs, PARENTS, iterations=1).reliability
    assert set(rel) == {"a", "b", "c", "silent", "unlisted"}
    # "iran" is compatible with "kh" under the hierarchy: b sides with the majority
    assert rel["b"] > rel["c"]
    assert rel != learn_reliability(claims, srcs, PARENTS)  # one EM round is not thirty
    assert learn_reliability(claims, srcs, {}, iterations=1)["b"] < rel["b"]
    # a source not in ``sources`` has the default prior of 1/2
    listed = {**srcs, "unlisted": SourceInfo("unlisted")}
    assert rel == learn_reliability(claims, listed, PARENTS, iterations=1)
    rates = learn(claims, srcs, PARENTS).repeat_rate
    assert set(rates) == set(rel) and all(0.0 <= r < 1.0 for r in rates.values())


RANGE_5_9 = Quantity(Bound.range, low=5, high=9)


def test_a_candidate_of_denials_only_names_what_it_denies() -> None:
    """A candidate no claim asserts takes its interval, category or denied actors from its
    denials (mutation run 5: the denials were never read for a quantity or an actor)."""
    (killed,) = assess(
        [ClaimInput("d", KILLED, "ap", ClaimValue.of_quantity(RANGE_5_9, stance="denies"))],
        SOURCES,
    )
    top = killed.candidates[0]
    assert (top.stance, top.low, top.high, top.label) == ("denies", 5, 9, "[5, 9]")
    (who,) = assess(
        [ClaimInput("d", RESP, "ap", ClaimValue.of_actor("kh", stance="denies"))], SOURCES, PARENTS
    )
    assert who.candidates[0].denied == ("kh",) and who.candidates[0].label == "not kh"


def test_learning_nothing_gives_the_priors_back_shrunk() -> None:
    """An empty corpus (a fresh desk's recompute): every source keeps its prior, shrunk to
    the group mean, nothing is dependent, no domain size is learned."""
    learned = learn([], {"a": SourceInfo("a", prior=0.9), "b": SourceInfo("b")})
    assert learned.reliability == pytest.approx({"a": (2 * 0.9 + 5) / 12, "b": 0.5})
    assert learned.dependence == {} and learned.domain_size == {}
    assert learned.repeat_rate == {"a": 0.0, "b": 0.0}


def test_a_category_candidate_is_named_by_its_normalised_category() -> None:
    """Claims of one category in other spellings are one candidate, named by the normalised
    text (mutation run 5: no engine test assessed a category)."""
    weapon = ("weapon", "{}")
    claims = [
        ClaimInput("a", weapon, "ap", ClaimValue.of_category("Rocket")),
        ClaimInput("b", weapon, "stripes", ClaimValue.of_category("rocket ")),
        ClaimInput("c", weapon, "presstv", ClaimValue.of_category("Drone")),
    ]
    (item,) = assess(claims, SOURCES)
    assert [(c.category, c.label, c.claim_ids) for c in item.candidates] == [
        (normalise_category("rocket"), normalise_category("rocket"), ("a", "b")),
        (normalise_category("drone"), normalise_category("drone"), ("c",)),
    ]
    assert item.contested


def test_an_attribution_is_its_candidates_probability_under_the_same_model_and_as_of() -> None:
    """``attribute`` weighs the candidates as ``assess`` does, with the learned domain size
    and copy discounts and only the claims said by ``as_of``: an actor that is the whole of
    its candidate has the candidate's probability. Its supporting claims are the counted
    ones; other topics and other kinds of value are not attributions (mutation run 6)."""
    t1, t2, t3 = (datetime(2024, 1, d, tzinfo=UTC) for d in (1, 2, 3))
    claims = [
        ClaimInput("r1", RESP, "coalition", ClaimValue.of_actor("kh"), said_at=t1),
        ClaimInput("r2", RESP, "presstv", ClaimValue.of_actor("isis"), said_at=t1),
        ClaimInput("r3", RESP, "official", ClaimValue.of_actor("kh"), said_at=t1),
        ClaimInput("r4", RESP, "stripes", ClaimValue.of_actor("kh"), said_at=t3),
        ClaimInput("r5", RESP, "ap", ClaimValue.of_actor("kh"), status="retracted"),
    ]
    model = Model(domain_size={RESP[0]: 50.0}, copy_discount={("official", "coalition"): 0.6})
    (item,) = assess(claims, SOURCES, PARENTS, as_of=t2, model=model)
    (plain,) = assess(claims, SOURCES, PARENTS, as_of=t2)
    elsewhere = [
        ClaimInput("o1", ("responsibility.claimed", "{}"), "ap", ClaimValue.of_actor("isis")),
        ClaimInput("o2", RESP, "ap", ClaimValue.of_statement()),
    ]
    (att,) = attribute(claims + elsewhere, SOURCES, PARENTS, as_of=t2, model=model)
    assert att.item == RESP
    by_actor = {a.actor_id: a for a in att.attributions}
    kh, isis = (next(c for c in item.candidates if c.actor_id == a) for a in ("kh", "isis"))
    assert by_actor["kh"].probability == pytest.approx(kh.probability)
    assert by_actor["isis"].probability == pytest.approx(isis.probability)
    assert kh.probability != pytest.approx(plain.candidates[0].probability)  # the model counts
    assert by_actor["kh"].supporting_claim_ids == ("r1", "r3")  # not said yet, retracted
    assert att.none_of_these == pytest.approx(item.none_of_these)


def test_denials_on_an_actors_candidate_do_not_dilute_its_share() -> None:
    """A candidate's denials ("not isis" beside "kh") carry no share of an actor: neither a
    denial in the asserting voice nor a voice of denials that sorts first (mutation run 6)."""
    claims = [
        ClaimInput("r1", RESP, "coalition", ClaimValue.of_actor("kh"), firmness=0.9),
        ClaimInput(
            "d1", RESP, "coalition-spox", ClaimValue.of_actor("isis", stance="denies"), firmness=0.5
        ),
        ClaimInput("d2", RESP, "ap", ClaimValue.of_actor("isis", stance="denies")),
        ClaimInput("r2", RESP, "presstv", ClaimValue.of_actor("isis")),
    ]
    (item,) = assess(claims, SOURCES, PARENTS)
    assert item.candidates[0].claim_ids == ("d1", "d2", "r1")
    (att,) = attribute(claims, SOURCES, PARENTS)
    by_actor = {a.actor_id: a.probability for a in att.attributions}
    assert by_actor["kh"] == pytest.approx(item.candidates[0].probability)
    (alone,) = attribute([claims[2]], SOURCES, PARENTS)  # a candidate of denials only
    assert [(a.actor_id, a.probability, a.denying_claim_ids) for a in alone.attributions] == [
        ("isis", 0.0, ("d2",))
    ]


def test_a_candidates_score_is_the_sum_of_its_counted_contributions() -> None:
    """What the views show adds up: a candidate's score is the sum of the weights of the
    contributions counted on it, with the learned domain size and copy discounts (a voice
    split over two candidates and found copying, a source nobody listed at reliability 0.5).
    A candidate names the most specific actor it asserts, its sources and its denials
    (mutation run 6)."""
    parents: dict[str, str | None] = {"a-group": "iran", "iran": None, "isis": None}
    claims = [
        ClaimInput("r1", RESP, "coalition", ClaimValue.of_actor("a-group")),
        ClaimInput("r2", RESP, "official", ClaimValue.of_actor("iran")),
        ClaimInput("r3", RESP, "presstv", ClaimValue.of_actor("isis")),
        ClaimInput("r4", RESP, "ap", ClaimValue.of_actor("iran"), firmness=0.5),
        ClaimInput("r5", RESP, "ap", ClaimValue.of_actor("isis"), firmness=0.5),
        ClaimInput("r6", RESP, "nobody", ClaimValue.of_actor("isis")),
        ClaimInput("d1", RESP, "stripes", ClaimValue.of_actor("isis", stance="denies")),
    ]
    model = Model(
        domain_size={RESP[0]: 40.0},
        copy_discount={("official", "coalition"): 0.6, ("ap", "presstv"): 0.5},
    )
    (item,) = assess(claims, SOURCES, parents, model=model)
    first, second = item.candidates
    assert (first.actor_id, first.source_ids, first.denied) == (
        "a-group",
        ("ap", "coalition", "official", "stripes"),
        ("isis",),
    )
    assert (second.actor_id, second.source_ids) == ("isis", ("ap", "nobody", "presstv"))
    by_claim = {c.claim_id: c for c in item.contributions}
    assert by_claim["r6"].reliability == 0.5
    assert by_claim["r5"].independence_discount == pytest.approx(0.5 * 0.5)
    assert by_claim["r2"].independence_discount == pytest.approx(0.4)
    for i, cand in enumerate(item.candidates):
        counted = [c.weight for c in item.contributions if c.counted and c.candidate_index == i]
        assert cand.score == pytest.approx(sum(counted))


def test_a_copier_is_discounted_for_each_original_and_never_silenced() -> None:
    """Copy discounts multiply over the originals a copier was found to repeat, are capped
    at 0.99 (a vote never weighs nothing), and a source never discounts itself
    (mutation run 6)."""
    claims = [
        ClaimInput(f"k{s}", KILLED, s, qv(Bound.exact, best=3))
        for s in ("coalition", "stripes", "ap", "presstv")
    ]
    model = Model(
        copy_discount={
            ("ap", "coalition"): 0.5,
            ("ap", "stripes"): 0.5,
            ("presstv", "coalition"): 1.0,
            ("coalition", "coalition"): 0.9,
        }
    )
    (item,) = assess(claims, SOURCES, model=model)
    discount = {c.source_id: c.independence_discount for c in item.contributions}
    assert discount == pytest.approx(
        {"coalition": 1.0, "stripes": 1.0, "ap": 0.25, "presstv": 0.01}
    )


def test_candidates_of_equal_probability_are_ordered_by_what_they_name() -> None:
    """Two candidates asserted by equally reliable voices: the tie is broken by the actor
    each names ("isis" before "kh"), not by where the grouping put them (the "kh" candidate
    holds "iran", which sorts before "isis") (mutation run 6)."""
    claims = [
        ClaimInput("a", RESP, "stripes", ClaimValue.of_actor("iran")),
        ClaimInput("b", RESP, "stripes", ClaimValue.of_actor("kh")),
        ClaimInput("c", RESP, "ap", ClaimValue.of_actor("isis")),
    ]
    (item,) = assess(claims, SOURCES, PARENTS)
    assert item.candidates[0].probability == item.candidates[1].probability
    assert [(c.actor_id, c.claim_ids) for c in item.candidates] == [
        ("isis", ("c",)),
        ("kh", ("a", "b")),
    ]


def test_a_quantity_candidate_is_labelled_by_its_interval() -> None:
    """Labels: an exact number, an interval, an open end, a missing end, a fraction, and a
    large round number written out (mutation run 6)."""

    def label(low: float | None, high: float | None) -> str:
        return Candidate(0.5, (), (), 1, "quantity", low=low, high=high).label

    assert label(3, 3) == "3"
    assert label(9, 12) == "[9, 12]"
    assert label(15, math.inf) == "[15, ∞]"
    assert label(None, 5) == "[?, 5]"
    assert label(2.5, 2.5) == "2.5"
    assert label(2_000_000, 2_000_000) == "2000000"


def test_every_claim_left_out_says_why_and_counts_nothing() -> None:
    """The contributions of claims that are not counted: each keeps its voice, weighs
    nothing and names its reason; a claim said exactly at ``as_of`` counts (mutation run 6)."""
    t1, t2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    claims = [
        ClaimInput("a", KILLED, "ap", qv(Bound.exact, best=3), status="retracted"),
        ClaimInput("b", KILLED, "ap", qv(Bound.exact, best=3), status="superseded"),
        ClaimInput("c", KILLED, "ap", qv(Bound.exact, best=3), status="disputed"),
        ClaimInput("d", KILLED, "stripes", qv(Bound.exact, best=3), said_at=t2),
        ClaimInput("e", KILLED, "coalition-spox", qv(Bound.unknown)),
        ClaimInput("f", KILLED, "presstv", qv(Bound.exact, best=3), firmness=0.0),
        ClaimInput("g", KILLED, "official", qv(Bound.exact, best=3), 0.8, said_at=t1),
        ClaimInput("h", KILLED, "ap", qv(Bound.none_reported)),  # counted, weighs less
    ]
    (item,) = assess(claims, SOURCES, as_of=t1)
    got = {
        c.claim_id: (c.voice, c.counted, c.independence_discount, c.weight, c.excluded_reason)
        for c in item.contributions
    }
    (g,) = (c for c in item.contributions if c.claim_id == "g")
    assert (g.voice, g.counted, g.independence_discount, g.reliability, g.firmness) == (
        "official",
        True,
        1.0,
        0.5,
        0.8,
    )
    for i, cand in enumerate(item.candidates):
        counted = [c.weight for c in item.contributions if c.counted and c.candidate_index == i]
        assert cand.score == pytest.approx(sum(counted))
    del got["g"], got["h"]
    assert got == {
        "a": ("ap", False, 0.0, 0.0, "retracted"),
        "b": ("ap", False, 0.0, 0.0, "superseded"),
        "c": ("ap", False, 0.0, 0.0, "status 'disputed'"),
        "d": ("stripes", False, 0.0, 0.0, "said after as_of"),
        "e": ("coalition", False, 0.0, 0.0, "unknown value constrains nothing"),
        "f": ("presstv", False, 0.0, 0.0, "firmness 0"),
    }


def test_a_voice_counts_its_latest_claim() -> None:
    """Of one voice's claims on one candidate the latest said counts, an undated one only
    after every dated one, whatever their firmness (mutation run 6)."""
    t1, t2 = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, tzinfo=UTC)
    claims = [
        ClaimInput("undated", KILLED, "coalition", qv(Bound.exact, best=3)),
        ClaimInput("early", KILLED, "coalition-spox", qv(Bound.exact, best=3), 0.9, said_at=t1),
        ClaimInput("late", KILLED, "coalition", qv(Bound.exact, best=3), 0.4, said_at=t2),
    ]
    (item,) = assess(claims, SOURCES)
    got = {c.claim_id: (c.counted, c.excluded_reason) for c in item.contributions}
    assert got == {
        "late": (True, None),
        "early": (False, "same voice as claim late"),
        "undated": (False, "same voice as claim late"),
    }
