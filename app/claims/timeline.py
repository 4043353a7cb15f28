"""An incident's timeline page (``GET /v1/incidents/{id}/claims`` with only ``limit`` and
``cursor``) read as plain tuples and written as JSON with orjson: the fast lane's read
(:mod:`app.fastlane`). The same page as the route's (:func:`app.claims.service.list_claims`
then :func:`app.claims.service.public_dicts`, the reference; ``tests/claims/test_timeline.py``
compares them), without typed result rows: SQLite's stored instants (``YYYY-MM-DD
HH:MM:SS.ffffff``, naive UTC) become the API's text by slicing, JSON columns are parsed by
orjson, and two statements read the page (claims by the ``(incident_id, said_at, id)`` index,
then their links).

:func:`ready_page` keeps the pages it wrote in memory (:class:`Pages`, per process), each
with the incident's state and the views' epoch (:mod:`app.views.invalidate`) read before
its claims: a page is served as kept while both are unchanged (one statement instead of
two and the shaping). Every write that changes what a timeline shows moves its incident's
state (claim writes, imports, the link checker) or, unscoped, the epoch."""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Hashable
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, text

from app.claims.values import VALUE_COLUMNS, value_dict
from app.lru import SizedLRU
from app.pagination import decode_cursor, encode_cursor
from app.types import UTCDateTime, api_instant, as_utc
from app.views.invalidate import EPOCH

_COLUMNS = (
    "id, incident_id, source_id, via_source_id, speaker, said_at, said_at_precision, quote, "
    "language, translation, topic, qualifiers, " + ", ".join(VALUE_COLUMNS) + ", stance, "
    "confidence, status, supersedes_id, cites_claim_id, external_id, tags, notes, "
    "recorded_at, updated_at, version"
)
_ORDER = " ORDER BY said_at, id LIMIT :n"
_FIRST = text(f"SELECT {_COLUMNS} FROM claim WHERE incident_id = :incident_id{_ORDER}")
_AFTER = text(
    f"SELECT {_COLUMNS} FROM claim WHERE incident_id = :incident_id "
    f"AND (said_at, id) > (:said_at, :id){_ORDER}"
).bindparams(bindparam("said_at", type_=UTCDateTime()))
_LINKS = text(
    "SELECT claim_id, url, kind, title, accessed_at, http_status, final_url, checked_at, sha256 "
    "FROM claim_link WHERE claim_id IN :ids ORDER BY claim_id, position"
).bindparams(bindparam("ids", expanding=True))

_VERSIONS = text(
    "SELECT (SELECT n FROM view_version WHERE scope = :incident_id), "
    "(SELECT n FROM view_version WHERE scope = :epoch)"
)

_Value = namedtuple("_Value", VALUE_COLUMNS)  # type: ignore[misc]  # what value_dict reads


def instant(value: str | datetime | None) -> str | None:
    """A stored instant as the API writes it (:func:`app.types.api_instant`: ``Z``,
    microseconds only when there are any); SQLite's text is sliced, not parsed."""
    if value is None:
        return None
    if isinstance(value, str):
        if len(value) == 26 and value[10] == " " and value[19] == ".":
            micro = value[19:]
            return f"{value[:10]}T{value[11:19]}{'' if micro == '.000000' else micro}Z"
        value = datetime.fromisoformat(value)
    return api_instant(value)


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, (str, bytes)) else value


def page(conn: Connection, incident_id: str, limit: int, cursor: str | None) -> bytes | None:
    """The page's JSON (``Page[ClaimPublic]``, expansions null), or None when it has no claims
    (the route then says whether the incident exists). A bad cursor raises the route's 400."""
    params: dict[str, Any] = {"incident_id": incident_id, "n": limit + 1}
    if cursor:
        said_at, claim_id = decode_cursor(cursor, (datetime, str))
        rows = conn.execute(_AFTER, params | {"said_at": said_at, "id": claim_id}).all()
    else:
        rows = conn.execute(_FIRST, params).all()
    if not rows:
        return None
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        said = last[5] if isinstance(last[5], datetime) else datetime.fromisoformat(last[5])
        next_cursor = encode_cursor((as_utc(said), last[0]))
    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, url, kind, title, accessed, status, final, checked, sha in conn.execute(
        _LINKS, {"ids": [r[0] for r in rows]}
    ).all():
        links[claim_id].append(
            {
                "url": url,
                "kind": kind,
                "title": title,
                "accessed_at": instant(accessed),
                "http_status": status,
                "final_url": final,
                "checked_at": instant(checked),
                "sha256": sha,
            }
        )
    items = []
    for r in rows:
        (claim_id, incident, source, via, speaker, said_at, precision, quote, language) = r[:9]
        translation, topic, qualifiers = r[9:12]
        value = _Value(*r[12:20])
        (stance, confidence, status, supersedes, cites, external, tags, notes) = r[20:28]
        recorded_at, updated_at, version = r[28:31]
        item = {
            "id": claim_id,
            "incident_id": incident,
            "source_id": source,
            "via_source_id": via,
            "speaker": speaker,
            "said_at": instant(said_at),
            "said_at_precision": precision,
            "quote": quote,
            "language": language,
            "translation": translation,
            "topic": topic,
            "qualifiers": {str(k): str(v) for k, v in (_json(qualifiers) or {}).items()},
            "value": value_dict(value),
            "stance": stance,
            "confidence": float(confidence),
            "status": status,
            "supersedes_id": supersedes,
            "cites_claim_id": cites,
            "links": links.get(claim_id, []),
            "external_id": external,
            "tags": list(_json(tags) or []),
            "notes": notes,
            "recorded_at": instant(recorded_at),
            "updated_at": instant(updated_at),
            "version": version,
            "source": None,  # the expansions, null unless asked for (the route's expand=)
            "via_source": None,
            "actor": None,
        }
        items.append(item)
    return orjson.dumps({"items": items, "next_cursor": next_cursor, "total": None})


class Pages:
    """Timeline pages by (incident, limit, cursor) with the versions they were written at,
    least recently used out past ``max_bytes``. Shared by the threads of a process."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._kept: SizedLRU[tuple[tuple[int, int], bytes]] = SizedLRU(
            max_bytes, lambda entry: len(entry[1])
        )

    @property
    def size(self) -> int:
        return self._kept.size

    def get(self, key: Hashable, versions: tuple[int, int]) -> bytes | None:
        entry = self._kept.get(key)
        return entry[1] if entry is not None and entry[0] == versions else None

    def put(self, key: Hashable, versions: tuple[int, int], body: bytes) -> None:
        self._kept.put(key, (versions, body))


PAGES = Pages()


def ready_page(
    conn: Connection, incident_id: str, limit: int, cursor: str | None
) -> tuple[bytes, Hashable] | None:
    """:func:`page`, as kept while the incident's state and the epoch are unchanged, and
    what names those bytes (the fast lane keeps their gzip under it)."""
    row = conn.execute(_VERSIONS, {"incident_id": incident_id, "epoch": EPOCH}).one()
    versions = (int(row[0] or 0), int(row[1] or 0))
    key = (incident_id, limit, cursor)
    body = PAGES.get(key, versions)
    if body is None:
        body = page(conn, incident_id, limit, cursor)
        if body is None:
            return None
        PAGES.put(key, versions, body)
    return body, ("timeline", *key, *versions)
