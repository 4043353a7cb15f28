"""Topic implications and category taxonomies: declared by admins (API and NDJSON import), used
by the conflicts, assessment and attributions views."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import row_counts
from tests.factories import Api, new_claim, new_incident, new_source

ROCKETS = [
    {"value": "rocket", "parent": None},
    {"value": "small rocket", "parent": "rocket"},
    {"value": "Katyusha Rocket", "parent": "small rocket"},
]
RULE = "casualties >= casualties.killed + casualties.wounded"


def q(bound: str, **numbers: float) -> dict[str, Any]:
    return {"kind": "quantity", "bound": bound, **numbers}


def topic_of(view: dict[str, Any], key: str) -> dict[str, Any]:
    return next(t for t in view["topics"] if t["topic"] == key and t["qualifiers"] == {})


def test_the_casualties_topic_is_built_in_with_its_implication(viewer: Api) -> None:
    t = viewer.get("/v1/topics/casualties").json()
    assert (t["kind"], t["builtin"], t["categories"]) == ("quantity", True, [])
    assert t["implications"] == [
        {
            "kind": "at_least_sum_of",
            "topics": ["casualties.killed", "casualties.wounded"],
            "rule": RULE,
        }
    ]


def test_admin_declares_a_taxonomy_and_implications(admin: Api, editor: Api) -> None:
    r = editor.patch("/v1/topics/munitions.type", json={"categories": ROCKETS})
    assert r.status_code == 403
    r = admin.patch("/v1/topics/munitions.type", json={"categories": ROCKETS})
    assert r.status_code == 200, r.text
    assert r.json()["categories"] == [
        {"value": "rocket", "parent": None},
        {"value": "small rocket", "parent": "rocket"},
        {"value": "katyusha rocket", "parent": "small rocket"},
    ]
    assert admin.get("/v1/topics/munitions.type").json()["categories"] == r.json()["categories"]
    # an admin's own quantity topics and implications
    r = admin.post("/v1/topics", json={"key": "displaced.children", "kind": "quantity"})
    assert r.status_code == 201
    r = admin.post(
        "/v1/topics",
        json={
            "key": "displaced.total",
            "kind": "quantity",
            "unit": "people",
            "implications": [{"topics": ["displaced.children"]}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["implications"][0]["rule"] == "displaced.total >= displaced.children"
    r = admin.patch("/v1/topics/displaced.total", json={"implications": []})
    assert r.json()["implications"] == []
    r = admin.post(
        "/v1/topics",
        json={"key": "weapon", "kind": "category", "categories": [{"value": "gun"}]},
    )
    assert r.status_code == 201 and r.json()["categories"] == [{"value": "gun", "parent": None}]


def test_bad_declarations_name_the_field(admin: Api) -> None:
    cases = [
        (
            "munitions.type",
            {"categories": [{"value": "a", "parent": "b"}, {"value": "b", "parent": "a"}]},
            "/categories/1/parent",
        ),
        (
            "munitions.type",
            {"categories": [{"value": "a"}, {"value": " A "}]},
            "/categories/1/value",
        ),
        ("munitions.type", {"implications": [{"topics": ["casualties.killed"]}]}, "/implications"),
        ("casualties", {"categories": [{"value": "a"}]}, "/categories"),
        ("casualties", {"implications": [{"topics": ["nope.nope"]}]}, "/implications/0/topics/0"),
        ("casualties", {"implications": [{"topics": ["damage"]}]}, "/implications/0/topics/0"),
        ("casualties", {"implications": [{"topics": ["casualties"]}]}, "/implications/0/topics/0"),
        (
            "casualties",
            {"implications": [{"kind": "sum", "topics": ["casualties.killed"]}]},
            "/implications/0/kind",
        ),
        ("casualties", {"implications": [{"topics": []}]}, "/implications/0/topics"),
    ]
    for key, body, pointer in cases:
        r = admin.patch(f"/v1/topics/{key}", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["pointer"] == pointer, (body, r.json())
    assert admin.patch("/v1/topics/nope", json={}).status_code == 404
    assert admin.get("/v1/topics/casualties").json()["implications"][0]["rule"] == RULE


def test_no_one_hurt_conflicts_with_three_killed_through_the_implication(editor: Api) -> None:
    inc = new_incident(editor)["id"]
    presstv = new_source(editor, name="Press TV")["id"]
    official = new_source(editor, name="Official", kind="official")["id"]
    stripes = new_source(editor, name="Stars and Stripes")["id"]
    none = new_claim(editor, inc, presstv, topic="casualties", value=q("none_reported"))
    base = f"/v1/incidents/{inc}"
    assert editor.get(base).json()["contested"] is False
    three = new_claim(
        editor,
        inc,
        official,
        topic="casualties.killed",
        value=q("exact", best=3),
        via_source_id=stripes,
        speaker="a security official",
    )
    # no death toll is invented for Press TV; the conflict is on the casualties topic
    conflicts = editor.get(f"{base}/conflicts").json()
    assert conflicts["contested"] is True
    assert editor.get(base).json()["contested"] is True
    assert not topic_of(conflicts, "casualties.killed")["contested"]
    hurt = topic_of(conflicts, "casualties")
    assert hurt["contested"] is True and hurt["implied_by"] == [RULE]
    groups = {g["value"]["label"]: g["claims"] for g in hurt["groups"]}
    assert [c["claim_id"] for c in groups["0"]] == [none["id"]]
    [implied] = groups["[3, ∞]"]
    assert implied["claim_id"] == three["id"] and implied["value"]["best"] == 3
    assert implied["implied"]["from_claim_ids"] == [three["id"]]
    assert implied["implied"]["why"] == (
        "a security official (via Stars and Stripes) says casualties.killed 3; since "
        f"{RULE}, that means casualties is at least 3"
    )
    assessment = topic_of(editor.get(f"{base}/assessment").json(), "casualties")
    assert assessment["contested"] is True and assessment["implied_by"] == [RULE]
    explained = {x["claim_id"]: x for x in assessment["explanation"]}
    assert explained[three["id"]]["implied"]["rule"] == RULE
    assert explained[three["id"]]["counted"] is True
    assert explained[none["id"]]["implied"] is None
    assert {tuple(c["claim_ids"]) for c in assessment["candidates"]} == {
        (none["id"],),
        (three["id"],),
    }
    # what was known before the death toll: no conflict yet
    r = editor.get(f"{base}/conflicts", params={"as_of": "2020-03-11T19:00:00Z"})
    assert r.status_code == 200
    # a retracted death toll implies nothing
    editor.post(f"/v1/claims/{three['id']}/retract", json={"reason": "wrong"})
    assert editor.get(base).json()["contested"] is False
    assert topic_of(editor.get(f"{base}/conflicts").json(), "casualties")["implied_by"] == []


def test_one_source_sums_killed_and_wounded_and_only_where_someone_speaks(editor: Api) -> None:
    inc = new_incident(editor)["id"]
    a = new_source(editor, name="Ministry")["id"]
    b = new_source(editor, name="Hospital")["id"]
    new_claim(editor, inc, a, topic="casualties.killed", value=q("exact", best=3))
    new_claim(editor, inc, a, topic="casualties.wounded", value=q("exact", best=5))
    view = editor.get(f"/v1/incidents/{inc}/conflicts").json()
    assert {t["topic"] for t in view["topics"]} == {"casualties.killed", "casualties.wounded"}
    new_claim(editor, inc, b, topic="casualties", value=q("exact", best=6))
    hurt = topic_of(editor.get(f"/v1/incidents/{inc}/conflicts").json(), "casualties")
    assert hurt["contested"] is True
    assert sorted(g["value"]["label"] for g in hurt["groups"]) == ["6", "[8, ∞]"]


def test_taxonomy_makes_related_categories_compatible(admin: Api, editor: Api) -> None:
    inc = new_incident(editor)["id"]
    presstv = new_source(editor, name="Press TV")["id"]
    coalition = new_source(editor, name="Coalition")["id"]
    other = new_source(editor, name="Other")["id"]

    def cat(source: str, text: str, **kw: Any) -> dict[str, Any]:
        value = {"kind": "category", "category": text}
        return new_claim(editor, inc, source, topic="munitions.type", value=value, **kw)

    katyusha = cat(presstv, "Katyusha rocket")
    small = cat(coalition, "small rocket")
    url = f"/v1/incidents/{inc}/conflicts"
    before = topic_of(editor.get(url).json(), "munitions.type")
    assert before["contested"] is True  # no taxonomy: two different strings compete
    assert editor.get(f"/v1/incidents/{inc}").json()["contested"] is True
    admin.patch("/v1/topics/munitions.type", json={"categories": ROCKETS})
    # the stored, filterable flag follows the taxonomy at once
    assert editor.get(f"/v1/incidents/{inc}").json()["contested"] is False
    assert editor.get("/v1/incidents", params={"contested": "true"}).json()["items"] == []
    after = topic_of(editor.get(url).json(), "munitions.type")
    assert after["contested"] is False
    [group] = after["groups"]
    assert group["value"]["kind"] == "category" and group["value"]["label"] == "katyusha rocket"
    assert group["value"]["category"] == "katyusha rocket" and group["value"]["actor"] is None
    assert {c["claim_id"] for c in group["claims"]} == {katyusha["id"], small["id"]}
    assessment = topic_of(editor.get(f"/v1/incidents/{inc}/assessment").json(), "munitions.type")
    assert [c["value"]["label"] for c in assessment["candidates"]] == ["katyusha rocket"]
    # an unrelated category still competes; a denial of "rocket" denies the Katyushas too
    cat(other, "ballistic missile")
    assert topic_of(editor.get(url).json(), "munitions.type")["contested"] is True
    inc2 = new_incident(editor)["id"]
    new_claim(
        editor,
        inc2,
        presstv,
        topic="munitions.type",
        value={"kind": "category", "category": "katyusha rocket"},
    )
    new_claim(
        editor,
        inc2,
        coalition,
        topic="munitions.type",
        value={"kind": "category", "category": "rocket"},
        stance="denies",
    )
    view = topic_of(editor.get(f"/v1/incidents/{inc2}/conflicts").json(), "munitions.type")
    assert view["contested"] is False  # only one asserting group
    labels = sorted(g["value"]["label"] for g in view["groups"])
    assert labels == ["katyusha rocket", "not rocket"]
    denied = next(g for g in view["groups"] if g["value"]["stance"] == "denies")
    assert denied["value"]["denied_categories"] == ["rocket"]


def test_topic_records_in_an_import(admin: Api, editor: Api) -> None:
    headers = {"Content-Type": "application/x-ndjson"}
    record = {
        "type": "topic",
        "key": "displaced.total",
        "kind": "quantity",
        "implications": [{"topics": ["casualties.killed"]}],
    }
    taxonomy = {"type": "topic", "key": "munitions.type", "kind": "category", "categories": ROCKETS}
    body = (json.dumps(record) + "\n" + json.dumps(taxonomy) + "\n").encode()
    r = editor.client.post("/v1/import", content=body, headers=editor.headers(headers))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    r = admin.client.post("/v1/import", content=body, headers=admin.headers(headers))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == {"topic": 2}
    assert admin.get("/v1/topics/displaced.total").json()["implications"][0]["topics"] == [
        "casualties.killed"
    ]
    # idempotent: nothing changes, so an editor may re-import it
    r = editor.client.post("/v1/import", content=body, headers=editor.headers(headers))
    assert r.status_code == 200 and r.json()["unchanged"] == {"topic": 2}
    # adding a term merges; moving one is refused with its line and field
    more = {**taxonomy, "categories": [{"value": "grad rocket", "parent": "small rocket"}]}
    r = admin.client.post(
        "/v1/import", content=json.dumps(more).encode(), headers=admin.headers(headers)
    )
    assert r.json()["created"] == {"topic": 1}
    values = [c["value"] for c in admin.get("/v1/topics/munitions.type").json()["categories"]]
    assert "grad rocket" in values and "katyusha rocket" in values
    before = row_counts()
    moved = {**taxonomy, "categories": [{"value": "katyusha rocket", "parent": "rocket"}]}
    wrong_kind = {"type": "topic", "key": "casualties", "kind": "category"}
    bad_rule = {
        "type": "topic",
        "key": "x.y",
        "kind": "quantity",
        "implications": [{"topics": ["nope.nope"]}],
    }
    lines = [moved, wrong_kind, bad_rule, {"type": "topic", "key": "Bad Key", "kind": "quantity"}]
    body = "\n".join(json.dumps(x) for x in lines).encode()
    r = admin.client.post("/v1/import", content=body, headers=admin.headers(headers))
    assert r.status_code == 422
    errors = [(e["line"], e["pointer"]) for e in r.json()["errors"]]
    assert errors == [
        (1, "/categories/0/parent"),
        (2, "/kind"),
        (3, "/implications/0/topics/0"),
        (4, "/key"),
    ]
    assert row_counts() == before
    assert admin.get("/v1/topics/x.y").status_code == 404


def test_learning_reliability_uses_the_taxonomy(admin: Api, editor: Api) -> None:
    """Sources that say "Katyusha rockets" and "small rockets" agree once the taxonomy says
    Katyushas are small rockets; the one saying "ballistic missile" stands alone."""
    names = {"katyusha": "Katyusha rocket", "small": "small rocket", "missile": "ballistic missile"}
    src = {k: new_source(editor, name=f"Source {k}")["id"] for k in names}
    for i in range(3):
        inc = new_incident(editor, title=f"attack {i}")["id"]
        for k, text in names.items():
            value = {"kind": "category", "category": text}
            new_claim(editor, inc, src[k], topic="munitions.type", value=value)

    def learned() -> dict[str, float]:
        assert admin.post("/v1/reliability/recompute").status_code == 200
        rel = {s["id"]: s["reliability"] for s in editor.get("/v1/sources").json()["items"]}
        return {k: rel[v] for k, v in src.items()}

    flat = learned()
    assert flat["katyusha"] == flat["small"] == flat["missile"]  # three rival strings
    admin.patch("/v1/topics/munitions.type", json={"categories": ROCKETS})
    nested = learned()
    assert nested["katyusha"] == nested["small"] > nested["missile"]
