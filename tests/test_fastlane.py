"""The fast lane (app/fastlane.py): the hottest reads answered without FastAPI give the route's
answer (body, status, ETag, content type), and everything unusual falls through to the route
(401, 403-free reads, 404, 422, 400, 429, as_of, NUL), so behaviour is the route's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app import fastlane
from app.config import get_settings
from app.db import get_engine
from tests.factories import Api, stored_actor, stored_claim, stored_incident, stored_source

VIEWS = ("conflicts", "assessment", "attributions")
SLOW = {"_slow": "1"}  # a parameter no read declares: the route answers (and ignores it)


@pytest.fixture
def hits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The templates the fast lane answered (a read that returned an answer)."""
    seen: list[str] = []
    wrapped = []
    for route in fastlane._ROUTES:

        def read(conn: Any, request: Any, route: Any = route) -> Any:
            answer = route.read(conn, request)
            if answer is not None:
                seen.append(route.path)
            return answer

        wrapped.append(fastlane._Route(route.path, route.pattern, route.query, read))
    monkeypatch.setattr(fastlane, "_ROUTES", wrapped)
    yield seen


@pytest.fixture
def world() -> dict[str, Any]:
    """An incident with seven claims (links checked and not, instants with and without
    microseconds, three at the same instant, each value kind) and an empty incident."""
    inc = stored_incident(
        summary="Rockets", tags=["Taji", "rockets"], latitude=33.53, longitude=44.26
    )
    a = stored_source(name="Press TV")
    b = stored_source(name="Stars and Stripes", country="US")
    actor = stored_actor(name="Kataib Hezbollah", kind="armed_group", country="IQ")
    link = {"url": "https://www.stripes.com/x", "kind": "original", "title": "Stripes"}
    instants = ["2020-03-11T18:00:00Z", "2020-03-11T18:00:00.250001Z", "2020-03-11T18:00:00Z"]
    instants += ["2020-03-11T17:00:00Z", "2020-03-11T19:30:00.5Z", "2020-03-11T18:00:00Z"]
    for n, said_at in enumerate(instants):
        stored_claim(
            inc,
            a if n % 2 else b,
            said_at=said_at,
            topic="casualties.killed",
            qualifiers={"nationality": "US"} if n % 3 == 0 else {},
            value={"kind": "quantity", "bound": "exact", "best": n + 1},
            links=[link, {"url": f"https://web.archive.org/{n}", "kind": "archive"}][: n % 3],
            tags=["Taji"] if n % 2 else [],
            speaker="an official" if n == 2 else None,
            via_source_id=a if n == 4 else None,
        )
    stored_claim(
        inc,
        a,
        topic="responsibility",
        value={"kind": "actor", "actor_id": actor},
        quote="Kataib Hezbollah did it",
        translation="They did it",
        confidence=0.35,
    )
    with get_engine().begin() as conn:  # the link checker's columns, as it writes them
        conn.execute(
            text(
                "UPDATE claim_link SET http_status = 200, final_url = url, sha256 = 'ab', "
                "checked_at = :t WHERE kind = 'original'"
            ),
            {"t": "2020-03-12 10:00:00.000000"},
        )
    return {"incident": inc, "empty": stored_incident(title="Nothing said yet")}


def _same(viewer: Api, url: str, **kw: Any) -> httpx.Response:
    """The answer to ``url`` (fast lane) after checking it equals the route's."""
    params = kw.pop("params", {})
    fast: httpx.Response = viewer.get(url, params=params, **kw)
    slow = viewer.get(url, params=params | SLOW, **kw)
    assert fast.status_code == slow.status_code, (url, fast.text[:300], slow.text[:300])
    assert fast.headers.get("etag") == slow.headers.get("etag")
    assert fast.headers.get("content-type") == slow.headers.get("content-type")
    assert fast.headers.get("cache-control") == slow.headers.get("cache-control")
    assert fast.headers.get("x-content-type-options") == "nosniff"
    assert "x-request-id" in fast.headers
    if fast.status_code == 200:
        assert fast.json() == slow.json()
    return fast


def test_incident_views_and_timeline_answer_as_the_routes(
    viewer: Api, world: dict[str, Any], hits: list[str]
) -> None:
    inc = world["incident"]
    r = _same(viewer, f"/v1/incidents/{inc}")
    assert r.json()["tags"] == ["taji", "rockets"] and r.json()["latitude"] == 33.53
    for v in VIEWS:
        viewer.get(f"/v1/incidents/{inc}/{v}")  # computed and stored by the route
        viewer.get(f"/v1/incidents/{inc}/{v}", params={"limit": 1})
        _same(viewer, f"/v1/incidents/{inc}/{v}")
        _same(viewer, f"/v1/incidents/{inc}/{v}", params={"limit": "1"})
    pages = []
    for limit in (1, 2, 3, 50):
        cursor = None
        while True:
            params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
            body = _same(viewer, f"/v1/incidents/{inc}/claims", params=params).json()
            pages.append(body)
            cursor = body["next_cursor"]
            if cursor is None:
                break
    assert len(pages) == 7 + 4 + 3 + 1
    whole = pages[-1]["items"]
    assert [c["said_at"] for c in whole][:2] == ["2020-03-11T17:00:00Z", "2020-03-11T18:00:00Z"]
    assert "2020-03-11T18:00:00.250001Z" in [c["said_at"] for c in whole]
    assert any(link["checked_at"] == "2020-03-12T10:00:00Z" for c in whole for link in c["links"])
    _same(viewer, f"/v1/incidents/{inc}/claims")  # the default limit
    assert hits.count("/v1/incidents/{incident_id}/claims") == 16
    assert hits.count("/v1/incidents/{incident_id}") == 1
    assert all(hits.count(f"/v1/incidents/{{incident_id}}/{v}") == 2 for v in VIEWS)


def test_a_kept_timeline_page_is_served_until_a_write_changes_it(
    viewer: Api,
    editor: Api,
    admin: Api,
    world: dict[str, Any],
    hits: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Break: a page kept without its versions, or a write that does not move them. A page
    read twice is shaped once; after each write (an edit, a new claim, a retraction, a
    takedown, a links-only edit) the lane answers as the route does."""
    from app.claims import timeline

    inc = world["incident"]
    url = f"/v1/incidents/{inc}/claims"
    shaped: list[str] = []
    real = timeline.page

    def counted(conn: Any, incident_id: str, limit: int, cursor: str | None) -> Any:
        shaped.append(incident_id)
        return real(conn, incident_id, limit, cursor)

    monkeypatch.setattr(timeline, "page", counted)
    first = _same(viewer, url, params={"limit": "3"}).json()
    assert _same(viewer, url, params={"limit": "3"}).json() == first
    assert shaped == [inc], "the second read is the kept page"
    claim = first["items"][0]

    def edit(**body: Any) -> None:
        current = editor.get(f"/v1/claims/{claim['id']}").json()
        r = editor.patch(
            f"/v1/claims/{claim['id']}", json=body, headers={"If-Match": f'"{current["version"]}"'}
        )
        assert r.status_code == 200, r.text

    writes: list[Callable[[], object]] = [
        lambda: edit(quote="Edited after the page was kept"),
        lambda: edit(links=[{"url": "https://example.org/new", "kind": "original"}]),
        lambda: stored_claim(inc, stored_source(), said_at="2020-03-11T16:00:00Z"),
        lambda: editor.post(f"/v1/claims/{claim['id']}/retract", json={"reason": "withdrawn"}),
        lambda: admin.delete(f"/v1/claims/{claim['id']}", params={"reason": "takedown"}),
    ]
    for write in writes:
        before = _same(viewer, url, params={"limit": "3"}).json()
        write()
        after = _same(viewer, url, params={"limit": "3"}).json()
        assert after != before
    assert hits.count("/v1/incidents/{incident_id}/claims") == 2 + 2 * len(writes)


def test_if_none_match_is_a_304_with_the_etag(
    viewer: Api, world: dict[str, Any], hits: list[str]
) -> None:
    url = f"/v1/incidents/{world['incident']}"
    etag = viewer.get(url).headers["etag"]
    for header in (etag, f'"x", W/{etag}', "*"):
        r = viewer.get(url, headers={"If-None-Match": header})
        assert r.status_code == 304 and r.headers["etag"] == etag and r.content == b""
    assert viewer.get(url, headers={"If-None-Match": '"0.0.0.0"'}).status_code == 200
    assert hits == [url.rsplit("/", 1)[0] + "/{incident_id}"] * 5


def test_what_the_lane_does_not_answer_the_route_does(
    viewer: Api, world: dict[str, Any], hits: list[str], app_client: Any
) -> None:
    inc, empty = world["incident"], world["empty"]
    unknown = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    assert app_client.get(f"/v1/incidents/{inc}").status_code == 401
    bad = {"Authorization": "Bearer cdk_not-a-key"}
    assert app_client.get(f"/v1/incidents/{inc}", headers=bad).status_code == 401
    basic = {"Authorization": "Basic dXNlcjpwdw=="}
    assert app_client.get(f"/v1/incidents/{inc}", headers=basic).status_code == 401
    assert viewer.get(f"/v1/incidents/{unknown}").status_code == 404
    assert viewer.get(f"/v1/incidents/{unknown}/conflicts").status_code == 404
    assert viewer.get(f"/v1/incidents/{unknown}/claims").status_code == 404
    assert viewer.get(f"/v1/incidents/{empty}/claims").json()["items"] == []
    assert viewer.get(f"/v1/incidents/{inc}/claims", params={"limit": 0}).status_code == 422
    assert viewer.get(f"/v1/incidents/{inc}/claims", params={"limit": 501}).status_code == 422
    assert viewer.get(f"/v1/incidents/{inc}/claims", params={"cursor": "bm9wZQ"}).status_code == 400
    assert viewer.get(f"/v1/incidents/{inc}/assessment", params={"limit": 0}).status_code == 422
    r = viewer.get(f"/v1/incidents/{inc}/assessment", params={"as_of": "2020-03-11T18:30:00Z"})
    assert r.status_code == 200  # computed by the route, never stored
    assert viewer.get(f"/v1/incidents/{inc}%00").status_code == 422
    twice = f"/v1/incidents/{inc}/claims?limit=1&limit=2"
    assert len(viewer.get(twice).json()["items"]) == 2  # the route's reading of it
    first = viewer.get(f"/v1/incidents/{inc}/conflicts")  # cold: the route computes it
    assert first.status_code == 200
    assert hits == []
    assert viewer.get(f"/v1/incidents/{inc}/conflicts").json() == first.json()
    assert hits == ["/v1/incidents/{incident_id}/conflicts"]


def test_a_revoked_key_is_refused_at_once(admin: Api, viewer: Api, world: dict[str, Any]) -> None:
    url = f"/v1/incidents/{world['incident']}"
    assert viewer.get(url).status_code == 200  # the key is now cached
    key_id = viewer.get("/v1/keys/me").json()["key_id"]
    assert admin.post(f"/v1/keys/{key_id}/revoke").status_code == 200
    r = viewer.get(url)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_anonymous_reads_take_the_lane_when_allowed(
    world: dict[str, Any], hits: list[str], app_client: Any, settings_env: pytest.MonkeyPatch
) -> None:
    url = f"/v1/incidents/{world['incident']}"
    assert app_client.get(url).status_code == 401 and hits == []
    settings_env.setenv("CLAIMDESK_ANONYMOUS_READ", "true")
    get_settings.cache_clear()
    assert app_client.get(url).status_code == 200 and len(hits) == 1


def test_each_request_is_spent_once_from_the_rate_limit(
    viewer: Api, world: dict[str, Any], hits: list[str], settings_env: pytest.MonkeyPatch
) -> None:
    from app.limits import LIMITER

    settings_env.setenv("CLAIMDESK_RATE_LIMIT", "true")
    settings_env.setenv("CLAIMDESK_RATE_LIMIT_PER_KEY", "3")
    get_settings.cache_clear()
    LIMITER.reset()
    try:
        assert viewer.get("/v1/incidents/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404  # route
        url = f"/v1/incidents/{world['incident']}"
        assert [viewer.get(url).status_code for _ in range(3)] == [200, 200, 429]
        assert len(hits) == 2
        r = viewer.get(url)
        assert r.status_code == 429 and "retry-after" in r.headers
    finally:
        LIMITER.reset()


def test_gzip_for_clients_that_ask(viewer: Api, world: dict[str, Any], hits: list[str]) -> None:
    inc = world["incident"]
    viewer.get(f"/v1/incidents/{inc}/conflicts")
    for url in (f"/v1/incidents/{inc}/conflicts", f"/v1/incidents/{inc}/claims"):
        plain = viewer.get(url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.headers["vary"] == "Accept-Encoding"
        for _ in range(2):  # a view's gzip is kept: the second is the same bytes
            zipped = viewer.get(url, headers={"Accept-Encoding": "gzip, deflate"})
            assert zipped.headers["content-encoding"] == "gzip"  # httpx decoded it
            assert zipped.headers["vary"] == "Accept-Encoding"
            assert int(zipped.headers["content-length"]) < len(plain.content) / 3
            assert zipped.json() == plain.json()
        slow = viewer.get(url, params=SLOW, headers={"Accept-Encoding": "gzip"})
        assert slow.headers["content-encoding"] == "gzip" and slow.json() == plain.json()
    assert len(hits) == 6


def test_metrics_and_access_log_name_the_route(
    viewer: Api, world: dict[str, Any], hits: list[str], app_client: Any
) -> None:
    viewer.get(f"/v1/incidents/{world['incident']}")
    assert hits
    metrics = app_client.get("/metrics").text
    assert 'route="/v1/incidents/{incident_id}"' in metrics
