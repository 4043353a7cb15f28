"""The bad-input table: hostile or careless requests across every route. Each answers a 4xx
problem+json document that names the offending field (a JSON pointer into the body, or the
parameter), and the database is unchanged: every row of every table hashes the same before
and after. Runs on SQLite and on PostgreSQL (CLAIMDESK_TEST_DATABASE_URL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from app.db import get_engine
from app.keys.service import USAGE
from tests.factories import Api, new_claim, new_incident, new_source
from tests.faultkit import fingerprint

NUL = "\x00"
SOURCE = {"name": "Press TV", "kind": "outlet", "country": "IR"}
ACTOR = {"name": "Iran", "kind": "state", "country": "IR"}
INCIDENT = {
    "title": "Rocket attack",
    "occurred_earliest": "2020-03-11T16:35:00Z",
    "occurred_latest": "2020-03-11T16:35:59Z",
}


@dataclass
class Case:
    method: str
    path: str
    status: int
    names: str | None  # the field the problem must name: "/pointer" or a parameter name
    json: Any = None
    params: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    who: str = "admin"


def _claim(ids: dict[str, str], **fields: Any) -> dict[str, Any]:
    return {
        "incident_id": ids["incident"],
        "source_id": ids["source"],
        "said_at": "2020-03-11T18:00:00Z",
        "quote": "Nearly a dozen rockets",
        "topic": "munitions.count",
        "value": {"kind": "quantity", "low": 9, "best": 11, "high": 12},
    } | fields


def cases(ids: dict[str, str]) -> list[Case]:
    inc, src, claim = ids["incident"], ids["source"], ids["claim"]
    big = str(2**63)
    nd = {"Content-Type": "application/x-ndjson"}
    js = {"Content-Type": "application/json"}
    return [
        # --- NUL characters, everywhere text goes (PostgreSQL cannot store them) ---
        Case("POST", "/v1/sources", 422, "/name", json=SOURCE | {"name": "Press\x00TV"}),
        Case("POST", "/v1/sources", 422, "/external_id", json=SOURCE | {"external_id": NUL}),
        Case("POST", "/v1/actors", 422, "/aliases/1", json=ACTOR | {"aliases": ["a", "b\x00"]}),
        Case("POST", "/v1/incidents", 422, "/title", json=INCIDENT | {"title": "a\x00b"}),
        Case("POST", "/v1/incidents", 422, "/tags/0", json=INCIDENT | {"tags": ["\x00"]}),
        Case("POST", "/v1/claims", 422, "/quote", json=_claim(ids, quote="he said\x00")),
        Case("POST", "/v1/claims", 422, "/topic", json=_claim(ids, topic="munitions\x00")),
        Case(
            "POST",
            "/v1/claims",
            422,
            "/qualifiers/na\\u0000me",
            json=_claim(ids, qualifiers={"na\x00me": "x"}),
        ),
        Case("PATCH", f"/v1/sources/{src}", 422, "/name", json={"name": "x\x00"}),
        Case("PATCH", f"/v1/claims/{claim}", 422, "/notes", json={"notes": "\x00"}),
        Case("GET", "/v1/sources/ab%00cd", 422, "source_id"),
        Case("GET", "/v1/claims", 422, "q", params={"q": "rock\x00et"}),
        Case("GET", "/v1/sources", 422, "cursor", params={"cursor": "\x00"}),
        Case("GET", "/v1/sources", 422, "external_id", params={"external_id": "a\x00"}),
        # a NUL in a parameter's name: the name is shown escaped
        Case("GET", "/v1/sources", 422, "na\\u0000me", params={"na\x00me": "x"}),
        Case("GET", "/v1/topics/a%00b", 422, "key"),
        Case("DELETE", f"/v1/claims/{claim}", 422, "reason", params={"reason": "legal\x00"}),
        Case("POST", "/v1/topics", 422, "/key", json={"key": "x.\x00", "kind": "quantity"}),
        Case(
            "POST",
            "/v1/webhooks",
            422,
            "/description",
            json={
                "url": "https://cms.example.org/h",
                "events": ["claim.created"],
                "description": "\x00",
            },
        ),
        Case(
            "POST",
            "/v1/import",
            422,
            "/name",
            content=b'{"type": "source", "external_id": "s", "name": "a\\u0000", "kind": "outlet"}',
            headers=nd,
        ),
        Case("POST", "/v1/keys", 422, "/name", json={"name": "a\x00", "role": "viewer"}),
        # --- integers out of range and numbers where instants are expected ---
        Case("GET", "/v1/events", 422, "after", params={"after": big}),
        Case("GET", "/v1/events", 422, "after", params={"after": "-1"}),
        Case("GET", "/v1/events", 422, "after", params={"after": "1e3"}),
        Case("GET", "/v1/events", 422, "limit", params={"limit": big}),
        Case("GET", "/v1/sources", 422, "limit", params={"limit": "0"}),
        Case("GET", "/v1/sources", 422, "limit", params={"limit": "501"}),
        Case("GET", f"/v1/incidents/{inc}/assessment", 422, "as_of", params={"as_of": "0.5"}),
        Case("GET", f"/v1/incidents/{inc}/conflicts", 422, "as_of", params={"as_of": "1700000000"}),
        Case(
            "GET",
            f"/v1/incidents/{inc}/attributions",
            422,
            "as_of",
            params={"as_of": "2020-03-11T18:00:00"},
        ),
        Case("GET", "/v1/claims", 422, "said_after", params={"said_after": "2020-03-11"}),
        Case("GET", "/v1/claims", 422, "as_of", params={"as_of": "yesterday"}),
        Case("GET", "/v1/incidents", 422, "occurred_after", params={"occurred_after": "0"}),
        Case(
            "GET", "/v1/sources", 422, "updated_since", params={"updated_since": "2020-01-01T00:00"}
        ),
        Case("GET", "/v1/actors", 422, "updated_since", params={"updated_since": "-5"}),
        Case("POST", "/v1/claims", 422, "/said_at", json=_claim(ids, said_at=1583949600)),
        Case(
            "POST", "/v1/claims", 422, "/said_at", json=_claim(ids, said_at="2020-03-11T18:00:00")
        ),
        Case(
            "POST", "/v1/claims", 422, "/said_at", json=_claim(ids, said_at="1969-12-31T23:59:59Z")
        ),
        Case("POST", "/v1/claims", 422, "/confidence", json=_claim(ids, confidence=1.5)),
        Case("POST", "/v1/claims", 422, "/confidence", json=_claim(ids, confidence="NaN")),
        Case(
            "POST",
            "/v1/incidents",
            422,
            "/occurred_earliest",
            json=INCIDENT | {"occurred_earliest": "2020-03-11T16:35:00"},
        ),
        Case("POST", "/v1/incidents", 422, "/latitude", json=INCIDENT | {"latitude": 91}),
        # --- cursors, enums, ids ---
        Case("GET", "/v1/sources", 400, "cursor", params={"cursor": "not-a-cursor"}),
        Case("GET", "/v1/claims", 400, "cursor", params={"cursor": "eyJ4IjoxfQ"}),
        Case("GET", "/v1/sources", 422, "cursor", params={"cursor": "x" * 600}),
        Case("GET", "/v1/sources", 422, "kind", params={"kind": "blog"}),
        Case("GET", "/v1/events", 422, "type", params={"type": "claim.exploded"}),
        Case("GET", "/v1/export", 422, "format", params={"format": "xml"}),
        Case("GET", "/v1/incidents", 422, "country", params={"country": "XX"}),
        Case("GET", f"/v1/incidents/{'x' * 27}", 404, None),
        Case("GET", "/v1/claims/01ARZ3NDEKTSV4RRFFQ69G5FAV", 404, None),
        Case("GET", "/v1/keys/nope", 404, None),
        # --- bodies: malformed, wrong shape, unknown members ---
        Case("POST", "/v1/sources", 400, "", content=b"{not json", headers=js),
        Case("POST", "/v1/sources", 422, "", content=b"[]", headers=js),
        Case("POST", "/v1/sources", 422, "/name", json=SOURCE | {"name": ""}),
        Case("POST", "/v1/sources", 422, "/name", json=SOURCE | {"name": "x" * 301}),
        Case("POST", "/v1/sources", 422, "/kind", json=SOURCE | {"kind": "blog"}),
        Case("POST", "/v1/sources", 422, "/country", json=SOURCE | {"country": "XX"}),
        Case("POST", "/v1/sources", 422, "/colour", json=SOURCE | {"colour": "red"}),
        Case("POST", "/v1/actors", 422, "/kind", json=ACTOR | {"kind": None}),
        Case("POST", "/v1/incidents", 422, "/timezone", json=INCIDENT | {"timezone": "Mars/Base"}),
        Case("POST", "/v1/claims", 422, "/language", json=_claim(ids, language="zz-!!")),
        Case(
            "POST",
            "/v1/claims",
            422,
            "/value/best",
            json=_claim(ids, value={"kind": "quantity", "best": "eleven"}),
        ),
        Case("POST", "/v1/claims", 422, "/value/kind", json=_claim(ids, value={"kind": "vibe"})),
        Case("POST", "/v1/claims", 422, "/incident_id", json=_claim(ids, incident_id="x" * 27)),
        Case(
            "POST",
            "/v1/claims",
            422,
            "/links/0/url",
            json=_claim(ids, links=[{"url": "javascript:alert(1)"}]),
        ),
        Case("PATCH", f"/v1/incidents/{inc}", 422, "/title", json={"title": None}),
        # an invalid body is a 422 whatever the If-Match: validated before the precondition
        Case(
            "PATCH",
            f"/v1/claims/{claim}",
            422,
            "/value",
            json={"value": None},
            headers={"If-Match": '"999"'},
        ),
        Case(
            "PATCH",
            f"/v1/sources/{src}",
            422,
            "/kind",
            json={"kind": None},
            headers={"If-Match": ""},
        ),
        Case("PATCH", "/v1/topics/munitions.count", 400, "", content=b"{", headers=js),
        Case(
            "PATCH",
            f"/v1/incidents/{inc}",
            412,
            None,
            json={"title": "t"},
            headers={"If-Match": '"999"'},
        ),
        Case("POST", "/v1/quantities/parse", 422, "/text", json={"text": 5}),
        Case("POST", "/v1/keys", 422, "/role", json={"name": "x", "role": "root"}),
        # --- import: empty, wrong shape, wrong records ---
        Case("POST", "/v1/import", 422, "", content=b"", headers=nd),
        Case("POST", "/v1/import", 422, "", content=b"\n\n  \n", headers=nd),
        Case("POST", "/v1/import", 422, "", content=b"[]", headers=js),
        Case("POST", "/v1/import", 422, "", content=b'{"type": "source"}', headers=js),
        Case("POST", "/v1/import", 400, "", content=b"[{", headers=js),
        Case("POST", "/v1/import", 400, None, content=b"\xff\xfe", headers=nd),
        Case(
            "POST",
            "/v1/import",
            422,
            "/type",
            content=b'{"type": "bomb", "external_id": "x"}',
            headers=nd,
        ),
        Case(
            "POST", "/v1/import", 422, "/external_id", content=b'[{"type": "source"}]', headers=js
        ),
        # --- SSRF: webhook targets that are not on the public internet ---
        *[
            Case(
                "POST", "/v1/webhooks", 422, "/url", json={"url": url, "events": ["claim.created"]}
            )
            for url in (
                "https://100.100.100.200/latest/meta-data",
                "https://100.64.0.1/",
                "https://169.254.169.254/",
                "https://127.0.0.1:18400/",
                "https://10.0.0.1/",
                "https://[2002:7f00:1::]/",
                "https://[fec0::1]/",
                "https://[::ffff:127.0.0.1]/",
                "https://[64:ff9b::a9fe:a9fe]/",
                "https://[::1]/",
                "https://0.0.0.0/",
                "http://example.org/",
                "file:///etc/passwd",
            )
        ],
        # --- headers and roles ---
        Case("POST", "/v1/sources", 400, None, json=SOURCE, headers={"Idempotency-Key": "x" * 300}),
        Case("POST", "/v1/sources", 401, None, json=SOURCE, who="nobody"),
        Case(
            "POST",
            "/v1/sources",
            401,
            None,
            json=SOURCE,
            headers={"Authorization": "Bearer cdk_wrong"},
            who="nobody",
        ),
        Case("POST", "/v1/sources", 403, None, json=SOURCE, who="viewer"),
        Case("POST", "/v1/keys", 403, None, json={"name": "x", "role": "admin"}, who="editor"),
        Case("DELETE", f"/v1/sources/{src}", 403, None, params={"reason": "x"}, who="editor"),
        Case("PUT", "/v1/sources", 405, None, json=SOURCE),
        Case(
            "POST",
            "/v1/sources",
            422,
            "",
            content=b"name=x",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]


def _names(problem: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for error in problem.get("errors") or []:
        if error.get("pointer") is not None:
            names.add(error["pointer"])
        if error.get("parameter") is not None:
            names.add(error["parameter"])
    return names


def test_bad_input_table(
    admin: Api, editor: Api, viewer: Api, anonymous: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # last_used_at is written once a minute per key: keep a slow run from rewriting it
    monkeypatch.setattr("app.keys.service.LAST_USED_RESOLUTION", timedelta(days=1))
    inc = new_incident(editor)
    src = new_source(editor)
    claim = new_claim(editor, inc["id"], src["id"])
    ids = {"incident": inc["id"], "source": src["id"], "claim": claim["id"]}
    apis = {"admin": admin, "editor": editor, "viewer": viewer, "nobody": anonymous}
    for api in apis.values():  # let last_used_at settle: it is written once a minute
        api.get("/v1/sources")
    USAGE.drain()
    table = cases(ids)
    assert len(table) >= 60
    engine = get_engine()
    before = fingerprint(engine)
    failures: list[str] = []
    for case in table:
        api = apis[case.who]
        kwargs: dict[str, Any] = {"params": case.params, "headers": case.headers}
        if case.content is not None:
            kwargs["content"] = case.content
        elif case.json is not None:
            kwargs["json"] = case.json
        r = api.request(case.method, case.path, **kwargs)
        label = f"{case.method} {case.path[:60]!r} {case.params or ''}"
        if r.status_code != case.status:
            failures.append(f"{label}: {r.status_code} != {case.status}: {r.text[:200]}")
            continue
        if r.headers.get("content-type") != "application/problem+json":
            failures.append(f"{label}: content-type {r.headers.get('content-type')}")
            continue
        problem = r.json()
        if problem.get("status") != case.status or not problem.get("title"):
            failures.append(f"{label}: not a problem document: {problem}")
        named = _names(problem)
        if case.names is not None and not any(
            n == case.names or n.startswith((case.names + ".", case.names + "/")) for n in named
        ):
            failures.append(f"{label}: does not name {case.names!r}: {problem.get('errors')}")
        USAGE.drain()
        if fingerprint(engine) != before:
            failures.append(f"{label}: changed the database")
            before = fingerprint(engine)
    assert not failures, "\n".join(failures)
