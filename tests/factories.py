"""Factories: the one place tests build what they need, with defaults from the Camp Taji demo
that any field overrides. ``new_source``, ``new_actor``, ``new_incident`` and ``new_claim`` go
through the API as the given caller (an ``Api``: a TestClient bound to one key) and return the
created resource's JSON: for tests where the request is part of what is tested. ``make_key``,
``stored_source``, ``stored_actor`` and ``stored_incident`` go through the service layer and
return the id: setup for tests about something else (a view, a search), without HTTP. The fixtures
that hand a test its callers (``viewer``, ``editor``, ``admin``, ``anonymous``) are in
``conftest.py``."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient


def make_key(role: str, name: str | None = None) -> str:
    from app.db import session_scope
    from app.enums import Role
    from app.keys.service import create_key

    with session_scope() as session:
        _, secret = create_key(session, name or f"test {role}", Role(role))
    return secret


class Api:
    """A TestClient bound to one API key."""

    def __init__(self, client: TestClient, key: str | None) -> None:
        self.client = client
        self.key = key

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        return h | (extra or {})

    def get(self, url: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.headers(kw.pop("headers", None)), **kw)

    def post(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self.headers(kw.pop("headers", None)), **kw)

    def patch(self, url: str, json: Any = None, **kw: Any) -> Any:
        return self.client.patch(
            url, json=json, headers=self.headers(kw.pop("headers", None)), **kw
        )

    def delete(self, url: str, **kw: Any) -> Any:
        return self.client.delete(url, headers=self.headers(kw.pop("headers", None)), **kw)

    def request(self, method: str, url: str, **kw: Any) -> Any:
        return self.client.request(method, url, headers=self.headers(kw.pop("headers", None)), **kw)


# Defaults: the Camp Taji demo's first claim; any field overrides them.
SOURCE: dict[str, Any] = {"name": "Press TV", "kind": "outlet", "country": "IR"}
ACTOR: dict[str, Any] = {"name": "Iran", "kind": "state", "country": "IR"}
INCIDENT: dict[str, Any] = {
    "title": "Rocket attack on Camp Taji",
    "occurred_earliest": "2020-03-11T16:35:00Z",
    "occurred_latest": "2020-03-11T16:35:59Z",
    "time_precision": "minute",
    "timezone": "Asia/Baghdad",
    "country": "IQ",
}
CLAIM: dict[str, Any] = {
    "said_at": "2020-03-11T18:00:00Z",
    "said_at_precision": "hour",
    "quote": "Nearly a dozen Katyusha rockets have hit a military base",
    "topic": "munitions.count",
    "value": {"kind": "quantity", "bound": "approximately", "low": 9, "best": 11, "high": 12},
    "confidence": 0.8,
}


# ---- through the API, as a caller (for tests where the request is part of what is tested) ----


def created(r: httpx.Response) -> dict[str, Any]:
    """The body of a 201 answer (the test stops here with the body if it is not one)."""
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def new_source(api: Api, **fields: Any) -> dict[str, Any]:
    return created(api.post("/v1/sources", json=SOURCE | fields))


def new_actor(api: Api, **fields: Any) -> dict[str, Any]:
    return created(api.post("/v1/actors", json=ACTOR | fields))


def new_incident(api: Api, **fields: Any) -> dict[str, Any]:
    return created(api.post("/v1/incidents", json=INCIDENT | fields))


def new_claim(api: Api, incident_id: str, source_id: str, **fields: Any) -> dict[str, Any]:
    body = {"incident_id": incident_id, "source_id": source_id} | CLAIM | fields
    return created(api.post("/v1/claims", json=body))


# ---- through the service layer (setup for tests about something else: no HTTP, no name
# matching; written as the operator, in one committed unit of work each) ----


def stored_source(**fields: Any) -> str:
    """A source written by ``app.sources.service``; its id."""
    from app.db import session_scope
    from app.principal import OPERATOR
    from app.sources.schemas import SourceCreate
    from app.sources.service import sources

    with session_scope() as session:
        return sources.create(session, SourceCreate(**(SOURCE | fields)), OPERATOR).id


def stored_actor(**fields: Any) -> str:
    """An actor written by ``app.actors.service``; its id."""
    from app.actors.schemas import ActorCreate
    from app.actors.service import actors
    from app.db import session_scope
    from app.principal import OPERATOR

    with session_scope() as session:
        return actors.create(session, ActorCreate(**(ACTOR | fields)), OPERATOR).id


def stored_incident(**fields: Any) -> str:
    """An incident written by ``app.incidents.service``; its id."""
    from app.db import session_scope
    from app.incidents.schemas import IncidentCreate
    from app.incidents.service import incidents
    from app.principal import OPERATOR

    with session_scope() as session:
        return incidents.create(session, IncidentCreate(**(INCIDENT | fields)), OPERATOR).id


def stored_claim(incident_id: str, source_id: str, **fields: Any) -> str:
    """A claim written by ``app.claims.service`` (derived state refreshed as on the API); its id."""
    from app.claims.schemas import ClaimCreate
    from app.claims.service import create_claim
    from app.db import session_scope
    from app.principal import OPERATOR

    body = {"incident_id": incident_id, "source_id": source_id} | CLAIM | fields
    with session_scope() as session:
        return create_claim(session, ClaimCreate.model_validate(body), OPERATOR).id
