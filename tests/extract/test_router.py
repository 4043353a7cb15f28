"""POST /v1/extract and /v1/extract/accept through HTTP: suggestions, registry candidates,
bad input as problem+json with nothing written, URL input through the SSRF guard, accept in
one request, idempotent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import row_counts
from tests.factories import Api, new_actor, new_incident, new_source
from tests.servers import Reply, Route, loopback_site

ARTICLE = (
    "Rockets hit Camp Taji\n\n"
    "By JANE DOE\n\n"
    "Coalition spokesman Col. Myles Caggins said more than 15 small rockets hit the base on "
    "Wednesday.\n\n"
    "“We are assessing the damage,” he said. Iran’s Press TV reported that nearly a dozen "
    "Katyusha rockets had struck the base.\n\n"
    "“There’s a good chance that Iran was behind it,” a security official told reporters.\n"
)


def _problem(r: Any, status: int, pointer: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = r.json()
    assert pointer in [e.get("pointer") for e in body.get("errors") or []], body
    return body


def test_extract_suggests_speaker_cue_span_value_and_registry_candidates(editor: Api) -> None:
    caggins = new_source(editor, name="Col. Myles Caggins", kind="official", country="US")
    presstv = new_source(editor, name="Press TV", aliases=["PressTV"])
    official = new_source(editor, name="Unnamed official", kind="official", country=None,
                          aliases=["a security official"])  # fmt: skip
    iran = new_actor(editor)
    before = row_counts()
    r = editor.post("/v1/extract", json={"text": ARTICLE})
    assert r.status_code == 200, r.text
    assert row_counts() == before  # nothing is written until accept
    body = r.json()
    sug = {s["quote"]: s for s in body["suggestions"]}
    first = sug["more than 15 small rockets hit the base on Wednesday"]
    assert first["cue"] == "said" and first["direct"] is False
    a, b = first["quote_span"]
    assert ARTICLE[a:b] == first["quote"]
    c, d = first["cue_span"]
    assert ARTICLE[c:d] == "said"
    assert first["speaker"] == "Coalition spokesman Col. Myles Caggins"
    assert first["source_id"] == caggins["id"]
    assert first["topic"] == "munitions.count"
    assert first["value"] == {"kind": "quantity", "bound": "more_than", "low": 15, "best": None,
                              "high": None}  # fmt: skip
    # a pronoun is resolved to the name used before; the mention keeps its own span
    second = sug["“We are assessing the damage,”"]
    assert second["direct"] is True
    assert second["speaker_mention"] == "he"
    assert second["speaker"] == first["speaker"]
    assert second["source_id"] == caggins["id"]
    third = next(s for s in body["suggestions"] if "nearly a dozen" in s["quote"])
    assert third["source_id"] == presstv["id"]
    assert third["value"]["bound"] == "approximately"
    hedged = next(s for s in body["suggestions"] if "good chance" in s["quote"])
    assert hedged["source_id"] == official["id"]
    assert hedged["topic"] == "responsibility"
    assert hedged["actor_id"] == iran["id"]
    assert hedged["value"] == {"kind": "actor", "actor_id": iran["id"]}
    assert "a good chance" in hedged["hedges"]
    assert hedged["firmness"] < first["firmness"]
    # the byline's author says the rest, when asked for
    assert all(s["speaker"] in (None, "Jane Doe") for s in body["suggestions"] if s["by_author"])
    r = editor.post("/v1/extract", json={"text": ARTICLE, "author_statements": False})
    assert not any(s["by_author"] for s in r.json()["suggestions"])


def test_extract_needs_the_editor_role(viewer: Api, anonymous: Api) -> None:
    assert viewer.post("/v1/extract", json={"text": ARTICLE}).status_code == 403
    assert anonymous.post("/v1/extract", json={"text": ARTICLE}).status_code == 401


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"text": ""}, "/text"),
        ({"text": "   \n\t "}, "/text"),
        ({"text": "x" * 900_000}, "/text"),  # over MAX_TEXT, under the 1 MiB body limit
        ({"text": "\x00\x01\x02binary\x00" * 50}, "/text"),
        ({"text": "".join(chr(i % 31 + 1) for i in range(3000))}, "/text"),
        ({"text": ARTICLE, "url": "https://example.org/a"}, ""),
        ({}, ""),
        ({"text": ARTICLE, "language": "fr"}, "/language"),
        ({"text": ARTICLE, "incident_id": "01J0000000000000000000000Z"}, "/incident_id"),
        ({"url": "https://127.0.0.1/article"}, "/url"),
        ({"url": "https://10.1.2.3/article"}, "/url"),
        ({"url": "http://example.org/article"}, "/url"),
        ({"url": "file:///etc/passwd"}, "/url"),
    ],
)
def test_bad_input_is_a_problem_and_writes_nothing(
    editor: Api, body: dict[str, Any], pointer: str
) -> None:
    before = row_counts()
    r = editor.post("/v1/extract", json=body)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    if pointer:
        errors = r.json().get("errors") or []
        assert any((e.get("pointer") or "").startswith(pointer) for e in errors), r.json()
    assert row_counts() == before


def test_incident_not_found_is_named(editor: Api) -> None:
    r = editor.post(
        "/v1/extract", json={"text": ARTICLE, "incident_id": "01J0000000000000000000000Z"}
    )
    assert r.status_code in (404, 422)


# --- URL input ------------------------------------------------------------------------------

PAGE = (
    "<html><head><title>Rockets hit Camp Taji</title></head><body><nav>Home | World</nav>"
    "<article><h1>Rockets hit Camp Taji</h1><p>Coalition spokesman Col. Myles Caggins said "
    "more than 15 small rockets hit the base on Wednesday evening, in an attack that the "
    "coalition is still investigating.</p><p>“We are assessing the damage,” he said. The "
    "base hosts troops from several countries, and it has been attacked before.</p></article>"
    "<footer>Copyright</footer></body></html>"
).encode()


@pytest.fixture
def site(settings_env: pytest.MonkeyPatch) -> Iterator[str]:
    routes: dict[str, Route] = {
        "/article": Reply(200, {"Content-Type": "text/html; charset=utf-8"}, PAGE),
        "/moved": Reply(302, {"Location": "/article"}),
        "/slow": Reply(200, delay=1.5),
        "/image": Reply(200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n\x00\x00"),
    }
    with loopback_site(routes) as base:
        settings_env.setenv("CLAIMDESK_ALLOW_PRIVATE_URLS", "true")
        settings_env.setattr("app.extract.service.FETCH_TIMEOUT", 0.5)
        yield base


def test_url_input_reads_the_main_text_after_a_redirect(editor: Api, site: str) -> None:
    r = editor.post("/v1/extract", json={"url": site + "/moved"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["url"] == site + "/article"
    assert body["title"] == "Rockets hit Camp Taji"
    assert "Copyright" not in body["text"] and "Home | World" not in body["text"]
    first = next(s for s in body["suggestions"] if s["cue"] == "said")
    a, b = first["quote_span"]
    assert body["text"][a:b] == first["quote"]
    assert first["quote"].startswith("more than 15 small rockets")


@pytest.mark.parametrize(
    ("path", "words"),
    [("/slow", "did not answer"), ("/image", "not a web page"), ("/gone", "HTTP 404")],
)
def test_url_faults_are_problems(editor: Api, site: str, path: str, words: str) -> None:
    before = row_counts()
    r = editor.post("/v1/extract", json={"url": site + path})
    body = _problem(r, 422, "/url")
    assert words in body["errors"][0]["detail"]
    assert row_counts() == before


# --- accept ---------------------------------------------------------------------------------


def test_accept_makes_claims_with_links_in_one_request_and_is_idempotent(editor: Api) -> None:
    caggins = new_source(editor, name="Col. Myles Caggins", kind="official", country="US")
    incident = new_incident(editor)
    r = editor.post("/v1/extract", json={"text": ARTICLE, "incident_id": incident["id"]})
    first = r.json()["suggestions"][0]
    first = next(s for s in r.json()["suggestions"] if s["topic"] == "munitions.count")
    items = [
        {
            "quote": first["quote"],
            "source_id": first["source_id"],
            "speaker": first["speaker"],
            "topic": first["topic"],
            "value": first["value"],
            "confidence": first["firmness"],
        },
        {
            "quote": "“We are assessing the damage,”",
            "source_id": caggins["id"],
            "topic": "occurred",
            "value": {"kind": "statement", "text": "An attack happened"},
        },
    ]
    body = {
        "incident_id": incident["id"],
        "said_at": "2020-03-11T18:00:00Z",
        "link": {"url": "https://www.example.org/news/taji", "title": "Rockets hit Camp Taji"},
        "items": items,
    }
    r = editor.post("/v1/extract/accept", json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["created"] == 2 and out["existing"] == 0
    claim = out["claims"][0]
    assert claim["source_id"] == caggins["id"]
    assert claim["quote"] == first["quote"]
    assert claim["value"]["bound"] == "more_than" and claim["value"]["low"] == 15
    assert claim["confidence"] == first["firmness"]
    assert claim["links"][0]["url"] == "https://www.example.org/news/taji"
    listed = editor.get(f"/v1/incidents/{incident['id']}/claims").json()["items"]
    assert len(listed) == 2
    # again: the same claims, none made twice
    before = row_counts()
    again = editor.post("/v1/extract/accept", json=body)
    assert again.status_code == 200, again.text
    assert again.json()["created"] == 0 and again.json()["existing"] == 2
    assert [c["id"] for c in again.json()["claims"]] == [c["id"] for c in out["claims"]]
    assert row_counts() == before


def test_accept_is_all_or_nothing_and_names_the_item(editor: Api, viewer: Api) -> None:
    source = new_source(editor)
    incident = new_incident(editor)
    good = {"quote": "q", "source_id": source["id"], "topic": "occurred",
            "value": {"kind": "statement", "text": "x"}}  # fmt: skip
    bad = good | {"topic": "munitions.count"}  # a statement value for a quantity topic
    body = {"incident_id": incident["id"], "said_at": "2020-03-11T18:00:00Z",
            "items": [good, bad]}  # fmt: skip
    before = row_counts()
    _problem(editor.post("/v1/extract/accept", json=body), 422, "/items/1/value/kind")
    missing = body | {"items": [good | {"source_id": "01J0000000000000000000000Z"}]}
    _problem(editor.post("/v1/extract/accept", json=missing), 422, "/items/0/source_id")
    _problem(editor.post("/v1/extract/accept", json=body | {"items": []}), 422, "/items")
    assert row_counts() == before
    assert viewer.post("/v1/extract/accept", json=body).status_code == 403
