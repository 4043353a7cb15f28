"""API-key authentication and roles. Every route, for every kind of caller: the table is checked
against the app's routes, so a new route without an entry here fails this test. (Every route is
in the OpenAPI document: none is registered with include_in_schema=False.) Keys are stored only
as hashes; the operator's admin key is bootstrapped from the environment."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app.main import app
from tests.factories import Api, make_key, new_incident

PUBLIC, VIEWER, EDITOR, ADMIN = "public", "viewer", "editor", "admin"
RANK = {VIEWER: 1, EDITOR: 2, ADMIN: 3}

MATRIX: dict[tuple[str, str], str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/v1/sources"): VIEWER,
    ("POST", "/v1/sources"): EDITOR,
    ("GET", "/v1/sources/{source_id}"): VIEWER,
    ("PATCH", "/v1/sources/{source_id}"): EDITOR,
    ("DELETE", "/v1/sources/{source_id}"): ADMIN,
    ("GET", "/v1/actors"): VIEWER,
    ("POST", "/v1/actors"): EDITOR,
    ("GET", "/v1/actors/{actor_id}"): VIEWER,
    ("PATCH", "/v1/actors/{actor_id}"): EDITOR,
    ("DELETE", "/v1/actors/{actor_id}"): ADMIN,
    ("GET", "/v1/topics"): VIEWER,
    ("GET", "/v1/topics/{key}"): VIEWER,
    ("POST", "/v1/topics"): ADMIN,
    ("PATCH", "/v1/topics/{key}"): ADMIN,
    ("GET", "/v1/incidents"): VIEWER,
    ("POST", "/v1/incidents"): EDITOR,
    ("GET", "/v1/incidents/{incident_id}"): VIEWER,
    ("PATCH", "/v1/incidents/{incident_id}"): EDITOR,
    ("DELETE", "/v1/incidents/{incident_id}"): ADMIN,
    ("GET", "/v1/incidents/{incident_id}/claims"): VIEWER,
    ("GET", "/v1/incidents/{incident_id}/conflicts"): VIEWER,
    ("GET", "/v1/incidents/{incident_id}/attributions"): VIEWER,
    ("GET", "/v1/incidents/{incident_id}/assessment"): VIEWER,
    ("GET", "/v1/incidents/{incident_id}/claimreview"): VIEWER,
    ("POST", "/v1/quantities/parse"): VIEWER,
    ("POST", "/v1/reliability/recompute"): ADMIN,
    ("GET", "/v1/claims"): VIEWER,
    ("POST", "/v1/claims"): EDITOR,
    ("GET", "/v1/claims/{claim_id}"): VIEWER,
    ("PATCH", "/v1/claims/{claim_id}"): EDITOR,
    ("DELETE", "/v1/claims/{claim_id}"): ADMIN,
    ("POST", "/v1/claims/{claim_id}/retract"): EDITOR,
    ("POST", "/v1/claims/{claim_id}/supersede"): EDITOR,
    ("GET", "/v1/sources/{entity_id}/revisions"): VIEWER,
    ("GET", "/v1/actors/{entity_id}/revisions"): VIEWER,
    ("GET", "/v1/incidents/{entity_id}/revisions"): VIEWER,
    ("GET", "/v1/claims/{entity_id}/revisions"): VIEWER,
    ("GET", "/v1/tombstones"): VIEWER,
    ("GET", "/v1/events"): VIEWER,
    ("GET", "/v1/export"): VIEWER,
    ("POST", "/v1/import"): EDITOR,
    ("POST", "/v1/links/check"): ADMIN,
    ("GET", "/v1/webhooks"): ADMIN,
    ("POST", "/v1/webhooks"): ADMIN,
    ("GET", "/v1/webhooks/{webhook_id}"): ADMIN,
    ("PATCH", "/v1/webhooks/{webhook_id}"): ADMIN,
    ("DELETE", "/v1/webhooks/{webhook_id}"): ADMIN,
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): ADMIN,
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): ADMIN,
    ("GET", "/v1/keys"): ADMIN,
    ("POST", "/v1/keys"): ADMIN,
    ("GET", "/v1/keys/me"): VIEWER,
    ("GET", "/v1/keys/{key_id}"): ADMIN,
    ("POST", "/v1/keys/{key_id}/revoke"): ADMIN,
    ("POST", "/v1/keys/{key_id}/rotate"): ADMIN,
}
EXTRA = {
    # routes added by later features register here (see MATRIX above for the format)
    ("POST", "/v1/extract"): EDITOR,
    ("POST", "/v1/extract/accept"): EDITOR,
}
MATRIX.update(EXTRA)

CALLERS = ["anonymous", "anonymous_read_on", "viewer", "editor", "admin", "revoked"]


def app_routes() -> set[tuple[str, str]]:
    """Every operation the app serves, read from its OpenAPI document (which FastAPI builds
    from the routes, included routers too)."""
    return {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }


def test_every_route_has_an_entry() -> None:
    routes = app_routes()
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"add these routes to the role matrix: {missing}"
    assert not stale, f"these matrix entries have no route: {stale}"


def expected(required: str, caller: str) -> int | None:
    """None: allowed (any status but 401/403, and never a 5xx); otherwise the exact refusal
    status."""
    if required == PUBLIC:
        return None
    if caller == "anonymous" or caller == "revoked":
        return 401
    if caller == "anonymous_read_on":
        return None if required == VIEWER else 401
    return None if RANK[caller] >= RANK[required] else 403


@pytest.mark.parametrize("caller", CALLERS)
def test_role_matrix(caller: str, settings_env: pytest.MonkeyPatch) -> None:
    from app.config import get_settings

    if caller == "anonymous_read_on":
        settings_env.setenv("CLAIMDESK_ANONYMOUS_READ", "true")
    get_settings.cache_clear()
    headers: dict[str, str] = {}
    make_key("admin", "keeps one admin")
    if caller in ("viewer", "editor", "admin"):
        headers["Authorization"] = "Bearer " + make_key(caller)
    elif caller == "revoked":
        secret = make_key("editor", "to revoke")
        from sqlalchemy import text

        from app.db import get_engine

        with get_engine().begin() as conn:
            conn.execute(
                text("UPDATE api_key SET revoked_at = created_at WHERE name = 'to revoke'")
            )
        headers["Authorization"] = "Bearer " + secret
    failures = []
    with TestClient(app, raise_server_exceptions=False) as client:
        for (method, path), required in sorted(MATRIX.items()):
            url = re.sub(r"\{[^}]+\}", "01ARZ3NDEKTSV4RRFFQ69G5FAV", path)
            kwargs: dict[str, object] = {"headers": headers}
            if method in ("POST", "PATCH"):
                kwargs["json"] = {}
            response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
            status = response.status_code
            want = expected(required, caller)
            if want is None:
                ok = status not in (401, 403) and status < 500
            else:
                ok = status == want and response.headers["content-type"] == (
                    "application/problem+json"
                )
            if not ok:
                failures.append(
                    f"{method} {path} as {caller}: got {status}, want {want or 'allowed'}"
                )
    assert not failures, "\n".join(failures)


def test_missing_and_bad_keys_are_401(app_client: TestClient) -> None:
    r = app_client.get("/v1/sources")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.headers["content-type"] == "application/problem+json"
    r = app_client.get("/v1/sources", headers={"Authorization": "Bearer cdk_wrong"})
    assert r.status_code == 401
    r = app_client.get("/v1/sources", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert r.status_code == 401


def test_roles(viewer: Api, editor: Api, admin: Api) -> None:
    assert viewer.get("/v1/sources").status_code == 200
    r = viewer.post("/v1/sources", json={"name": "x", "kind": "outlet"})
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert editor.post("/v1/sources", json={"name": "x", "kind": "outlet"}).status_code == 201
    inc = new_incident(editor)
    assert editor.delete(f"/v1/incidents/{inc['id']}").status_code == 403
    assert (
        editor.post("/v1/topics", json={"key": "displaced", "kind": "quantity"}).status_code == 403
    )
    assert (
        admin.post("/v1/topics", json={"key": "displaced", "kind": "quantity"}).status_code == 201
    )
    assert admin.delete(f"/v1/incidents/{inc['id']}").status_code == 204


def test_anonymous_read_only_when_enabled(
    settings_env: pytest.MonkeyPatch, app_client: TestClient
) -> None:
    assert app_client.get("/v1/topics").status_code == 401
    settings_env.setenv("CLAIMDESK_ANONYMOUS_READ", "true")
    from app.config import get_settings

    get_settings.cache_clear()
    r = app_client.get("/v1/topics")
    assert r.status_code == 200
    assert {t["key"] for t in r.json()["items"]} >= {
        "casualties.killed",
        "responsibility",
        "occurred",
    }
    r = app_client.post("/v1/sources", json={"name": "x", "kind": "outlet"})
    assert r.status_code == 401


def test_admin_key_bootstrap(settings_env: pytest.MonkeyPatch) -> None:
    from app.main import app

    settings_env.setenv("CLAIMDESK_ADMIN_KEY", "cdk_operator-chosen-secret-0123456789")
    from app.config import get_settings

    get_settings.cache_clear()
    with TestClient(app) as client:
        headers = {"Authorization": "Bearer cdk_operator-chosen-secret-0123456789"}
        r = client.post(
            "/v1/topics", json={"key": "displaced", "kind": "quantity"}, headers=headers
        )
        assert r.status_code == 201
    with TestClient(app):  # a second start does not duplicate the key
        pass
    from sqlalchemy import text

    from app.db import get_engine

    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM api_key")).scalar_one() == 1


def test_keys_are_stored_only_as_hashes() -> None:
    key = make_key("viewer")
    from sqlalchemy import text

    from app.db import get_engine

    with get_engine().connect() as conn:
        rows = conn.execute(text("SELECT key_hash, prefix FROM api_key")).all()
    assert len(rows) == 1
    assert rows[0][0] != key and len(rows[0][0]) == 64
    assert key not in rows[0][0]
    assert len(rows[0][1]) < len(key) // 2


def test_admin_key_must_be_a_real_secret(settings_env: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from app.config import Settings

    settings_env.setenv("CLAIMDESK_ADMIN_KEY", "")
    assert Settings().admin_key is None
    settings_env.setenv("CLAIMDESK_ADMIN_KEY", "short")
    with pytest.raises(ValidationError, match="at least 16"):
        Settings()
