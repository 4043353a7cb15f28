"""A recompute that changes a source's learned reliability changes its version and ETag."""

from __future__ import annotations

from typing import Any

from tests.factories import Api, new_claim, new_incident, new_source


def _count(api: Api, incident: str, source: str, best: int) -> None:
    new_claim(
        api,
        incident,
        source,
        value={"kind": "quantity", "bound": "exact", "best": best},
    )


def _get(api: Api, source_id: str, etag: str | None = None) -> Any:
    headers = {"If-None-Match": etag} if etag else {}
    return api.get(f"/v1/sources/{source_id}", headers=headers)


def test_recompute_changes_the_etag_of_a_source_whose_reliability_changed(
    admin: Api, editor: Api
) -> None:
    agreeing = [new_source(editor, name=f"Wire {i}") for i in range(2)]
    outlier = new_source(editor, name="Outlier")
    for i in range(3):
        incident = new_incident(editor, title=f"attack {i}")["id"]
        for source in agreeing:
            _count(editor, incident, source["id"], i + 2)
        _count(editor, incident, outlier["id"], 40)
    before = _get(editor, outlier["id"])
    assert before.json()["reliability"] is None
    etag = before.headers["ETag"]
    assert admin.post("/v1/reliability/recompute").status_code == 200

    after = _get(editor, outlier["id"], etag)
    assert after.status_code == 200, "304 with a stale reliability"
    assert after.json()["reliability"] is not None
    assert after.headers["ETag"] != etag
    assert after.json()["version"] == before.json()["version"] + 1
    stale = editor.patch(
        f"/v1/sources/{outlier['id']}", json={"country": "GB"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412

    # nothing new learned: the versions (and ETags) stay
    assert admin.post("/v1/reliability/recompute").status_code == 200
    assert _get(editor, outlier["id"], after.headers["ETag"]).status_code == 304
