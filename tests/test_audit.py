"""One audited write path: every revision and every entity event of a claim's life (create,
update, retract, supersede, delete) is written by app/audit.py, as for the other entities."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.revisions import service as revisions
from tests.factories import Api, new_claim, new_incident, new_source

APP = Path(__file__).resolve().parent.parent / "app"


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """The files that call revisions.record."""
    seen: set[str] = set()
    record = revisions.record

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.add(sys._getframe(1).f_code.co_filename.rsplit("/app/", 1)[-1])
        return record(*args, **kwargs)

    monkeypatch.setattr(revisions, "record", spy)
    yield seen


def test_only_the_audited_path_and_derived_state_write_events() -> None:
    """Entity events come from app/audit.py; app/incidents/derived.py announces derived
    state (contested, attribution changed), which no one edits."""
    emitters = {
        str(p.relative_to(APP))
        for p in APP.rglob("*.py")
        if "import emit" in p.read_text("utf-8") or "emit," in p.read_text("utf-8")
    }
    assert emitters == {"audit.py", "incidents/derived.py"}, emitters


def test_a_claims_life_is_written_by_the_audited_path(
    editor: Api, admin: Api, writers: set[str]
) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    claim = new_claim(editor, inc["id"], src["id"])
    r = editor.patch(
        f"/v1/claims/{claim['id']}", json={"confidence": 0.5}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    body = {k: v for k, v in claim.items() if k in ("incident_id", "source_id", "said_at")}
    replacement = editor.post(
        f"/v1/claims/{claim['id']}/supersede",
        json=body
        | {
            "said_at_precision": "hour",
            "quote": "Eighteen rockets",
            "topic": "munitions.count",
            "value": {"kind": "quantity", "bound": "exact", "best": 18},
            "confidence": 0.9,
        },
        headers={"If-Match": '"2"'},
    )
    assert replacement.status_code == 201, replacement.text
    new_id = replacement.json()["id"]
    r = editor.post(
        f"/v1/claims/{new_id}/retract", json={"reason": "withdrawn"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    r = admin.delete(f"/v1/claims/{new_id}", params={"reason": "legal takedown"})
    assert r.status_code == 204, r.text
    # the tombstone writes its own "delete" revision, called from audit.remove
    assert writers == {"audit.py", "revisions/service.py"}, writers
    history = editor.get(f"/v1/claims/{claim['id']}/revisions")
    assert history.status_code == 200, history.text
    assert [rev["action"] for rev in history.json()["items"]] == ["create", "update", "supersede"]
