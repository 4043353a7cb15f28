"""ETags, conditional requests and parallel writers (no lost update)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.factories import Api, new_claim, new_incident, new_source


def test_etag_and_conditional_get(editor: Api) -> None:
    s = new_source(editor)
    r = editor.get(f"/v1/sources/{s['id']}")
    assert r.headers["etag"] == '"1"'
    r = editor.get(f"/v1/sources/{s['id']}", headers={"If-None-Match": '"1"'})
    assert r.status_code == 304
    assert r.content == b""
    editor.patch(f"/v1/sources/{s['id']}", json={"affiliation": "x"})
    r = editor.get(f"/v1/sources/{s['id']}", headers={"If-None-Match": '"1"'})
    assert r.status_code == 200
    assert r.headers["etag"] == '"2"'


def test_if_none_match_names_the_version_in_a_list_weakly_or_as_star(editor: Api) -> None:
    """A 304 carries the ETag it matched (RFC 9110 15.4.5); ``If-None-Match`` is a list of
    tags, each maybe weak (``W/``), or ``*``."""
    s = new_source(editor)
    url = f"/v1/sources/{s['id']}"
    for header in ('"1"', "*", ' "7" , W/"1"', 'W/"1"', '"0",,"1"'):
        r = editor.get(url, headers={"If-None-Match": header})
        assert (r.status_code, r.headers.get("etag"), r.content) == (304, '"1"', b""), header
    for header in ('"2"', 'W/"2", "7"', '"1"x', "**", 'w/"1"', '"1"/W'):
        r = editor.get(url, headers={"If-None-Match": header})
        assert (r.status_code, r.headers["etag"]) == (200, '"1"'), header
        assert r.json()["id"] == s["id"]


def test_if_match_names_the_version_in_a_list_or_as_star(editor: Api) -> None:
    """``If-Match``: ``*`` or a list naming the current tag lets the write through; a 412 says
    which version the resource is at and sends its ETag."""
    s = new_source(editor)
    url = f"/v1/sources/{s['id']}"
    for version, header in enumerate(("*", ' "7", W/"2" ', '"3",,"8"'), start=2):
        r = editor.patch(url, json={"affiliation": header}, headers={"If-Match": header})
        assert (r.status_code, r.headers["etag"]) == (200, f'"{version}"'), header
    stale = editor.patch(url, json={"affiliation": "y"}, headers={"If-Match": ' "1" '})
    assert (stale.status_code, stale.headers["etag"]) == (412, '"4"')
    assert stale.json()["detail"] == (
        'the resource is at version "4", not "1": GET it again, re-apply your change and retry'
    )
    assert editor.get(url).json()["affiliation"] == '"3",,"8"'


def test_stale_if_match_is_412_and_changes_nothing(editor: Api) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    c = new_claim(editor, inc["id"], src["id"])
    ok = editor.patch(
        f"/v1/claims/{c['id']}", json={"confidence": 0.9}, headers={"If-Match": '"1"'}
    )
    assert ok.status_code == 200
    assert ok.headers["etag"] == '"2"'
    stale = editor.patch(
        f"/v1/claims/{c['id']}", json={"confidence": 0.1}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.headers["etag"] == '"2"'
    assert editor.get(f"/v1/claims/{c['id']}").json()["confidence"] == 0.9
    r = editor.post(
        f"/v1/claims/{c['id']}/retract", json={"reason": "x"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 412
    assert editor.get(f"/v1/claims/{c['id']}").json()["status"] == "active"


def test_if_match_required_when_configured(settings_env: pytest.MonkeyPatch, editor: Api) -> None:
    s = new_source(editor)
    settings_env.setenv("CLAIMDESK_REQUIRE_IF_MATCH", "true")
    from app.config import get_settings

    get_settings.cache_clear()
    r = editor.patch(f"/v1/sources/{s['id']}", json={"affiliation": "x"})
    assert r.status_code == 428
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == (
        "this server requires If-Match on updates: send the ETag from your last GET"
    )
    r = editor.patch(
        f"/v1/sources/{s['id']}", json={"affiliation": "x"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200


def test_parallel_patches_with_the_same_etag_one_wins(editor: Api) -> None:
    s = new_source(editor)

    def attempt(i: int) -> int:
        r = editor.patch(
            f"/v1/sources/{s['id']}",
            json={"affiliation": f"writer {i}"},
            headers={"If-Match": '"1"'},
        )
        return int(r.status_code)

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(attempt, range(6)))
    assert sorted(statuses) == [200] + [412] * 5
    assert editor.get(f"/v1/sources/{s['id']}").json()["version"] == 2


def test_read_modify_write_loop_loses_nothing(editor: Api) -> None:
    s = new_source(editor)

    def add_alias(i: int) -> None:
        for _ in range(50):
            r = editor.get(f"/v1/sources/{s['id']}")
            aliases: list[Any] = r.json()["aliases"] + [f"alias {i}"]
            w = editor.patch(
                f"/v1/sources/{s['id']}",
                json={"aliases": aliases},
                headers={"If-Match": r.headers["etag"]},
            )
            if w.status_code == 200:
                return
            assert w.status_code == 412
        raise AssertionError("never got through")

    with ThreadPoolExecutor(max_workers=5) as pool:
        list(pool.map(add_alias, range(5)))
    final = editor.get(f"/v1/sources/{s['id']}").json()
    assert sorted(final["aliases"]) == [f"alias {i}" for i in range(5)]
    assert final["version"] == 6


def test_parallel_patches_of_different_fields_all_land(editor: Api) -> None:
    s = new_source(editor)
    changes = [
        {"affiliation": "a"},
        {"country": "IQ"},
        {"homepage_url": "https://x.org/"},
        {"reliability_prior": 0.7},
        {"aliases": ["x"]},
    ]
    with ThreadPoolExecutor(max_workers=5) as pool:
        codes = list(
            pool.map(lambda c: editor.patch(f"/v1/sources/{s['id']}", json=c).status_code, changes)
        )
    assert codes == [200] * 5
    final = editor.get(f"/v1/sources/{s['id']}").json()
    assert (
        final["affiliation"],
        final["country"],
        final["homepage_url"],
        final["reliability_prior"],
        final["aliases"],
        final["version"],
    ) == ("a", "IQ", "https://x.org/", 0.7, ["x"], 6)


def test_incident_etag_changes_when_claims_change_it(editor: Api) -> None:
    inc = new_incident(editor)
    first = editor.get(f"/v1/incidents/{inc['id']}")
    etag = first.headers["etag"]
    assert (
        editor.get(f"/v1/incidents/{inc['id']}", headers={"If-None-Match": etag}).status_code == 304
    )
    src = new_source(editor)
    new_claim(editor, inc["id"], src["id"])
    r = editor.get(f"/v1/incidents/{inc['id']}", headers={"If-None-Match": etag})
    assert r.status_code == 200
    assert r.json()["claim_count"] == 1
    assert r.headers["etag"] != etag
    stale = editor.patch(
        f"/v1/incidents/{inc['id']}", json={"summary": "x"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    ok = editor.patch(
        f"/v1/incidents/{inc['id']}", json={"summary": "x"}, headers={"If-Match": r.headers["etag"]}
    )
    assert ok.status_code == 200


def _slow_if_match(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """Widen the window between reading the row (and checking If-Match) and writing it, so
    two concurrent writers overlap in it unless the row lock serialises them."""
    import time

    from app import http

    check = http.check_if_match

    def slow(if_match: str | None, obj: Any) -> None:
        check(if_match, obj)
        time.sleep(seconds)

    monkeypatch.setattr(http, "check_if_match", slow)


def test_row_lock_serialises_concurrent_writers(
    editor: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two real concurrent transactions on the same row. A write route's ``Writable``
    (app/routing.py) locks the row (SELECT ... FOR UPDATE), so the second writer waits for the
    first to commit, then sees the new version: one 412 with the same If-Match, and no lost
    version bump without it. With ``lock=False`` both writers read version 1 and both succeed
    on PostgreSQL. (SQLite
    serialises writing transactions anyway: BEGIN IMMEDIATE.)"""
    s = new_source(editor)
    _slow_if_match(monkeypatch, 0.5)
    url = f"/v1/sources/{s['id']}"

    def patch(body: dict[str, Any], headers: dict[str, str]) -> int:
        return int(editor.patch(url, json=body, headers=headers).status_code)

    with ThreadPoolExecutor(max_workers=2) as pool:
        same_etag = list(
            pool.map(lambda i: patch({"affiliation": f"writer {i}"}, {"If-Match": '"1"'}), range(2))
        )
    assert sorted(same_etag) == [200, 412]
    assert editor.get(url).json()["version"] == 2

    changes = [{"country": "IQ"}, {"homepage_url": "https://x.org/"}]
    with ThreadPoolExecutor(max_workers=2) as pool:
        blind = list(pool.map(lambda c: patch(c, {}), changes))
    assert blind == [200, 200]
    final = editor.get(url).json()
    assert (final["country"], final["homepage_url"], final["version"]) == (
        "IQ",
        "https://x.org/",
        4,
    )
