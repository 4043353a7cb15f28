"""Health, readiness, metrics, the OpenAPI document and the schema check at start-up."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import text

from tests.factories import Api


def test_health_and_ready(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    r = app_client.get("/readyz")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok"
    assert body["schema_revision"] == body["schema_head"]
    assert body["schema_head"] is not None


def test_metrics_count_requests(viewer: Api) -> None:
    viewer.get("/v1/topics")
    text_ = viewer.client.get("/metrics").text
    assert 'claimdesk_requests_total{method="GET",route="/v1/topics",status="200"}' in text_
    assert "claimdesk_request_seconds_bucket" in text_


def test_openapi_operation_ids_and_problem_responses(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    ops = {
        op["operationId"]: (path, method, op)
        for path, methods in spec["paths"].items()
        for method, op in methods.items()
    }
    for name in (
        "list_claims",
        "create_claim",
        "get_claim",
        "update_claim",
        "get_incident",
        "list_incident_claims",
        "create_source",
        "list_sources",
        "list_topics",
        "create_topic",
        "delete_source",
    ):
        assert name in ops
    for op_id, (path, _, op) in ops.items():
        if path.startswith("/v1"):
            assert "401" in op["responses"], op_id
            assert "500" in op["responses"], op_id
            content = op["responses"]["401"]["content"]
            assert "application/problem+json" in content, op_id
    assert "Problem" in spec["components"]["schemas"]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_stale_schema_refuses_to_start() -> None:
    from app.db import SchemaOutOfDate, get_engine
    from app.main import app

    engine = get_engine()
    with engine.begin() as conn:
        current = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        conn.execute(text("UPDATE alembic_version SET version_num = 'old0'"))
    try:
        with pytest.raises(SchemaOutOfDate, match="claimdesk db upgrade"), TestClient(app):
            pass
    finally:
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})


def test_views_are_documented_with_demo_examples(app_client: TestClient) -> None:
    from app.assessment.router import EXAMPLES
    from app.assessment.schemas import AssessmentView, AttributionsView, ConflictsView

    spec = app_client.get("/openapi.json").json()
    models: dict[str, type[BaseModel]] = {
        "conflicts": ConflictsView,
        "attributions": AttributionsView,
        "assessment": AssessmentView,
    }
    for view, model in models.items():
        op = spec["paths"]["/v1/incidents/{incident_id}/" + view]["get"]
        content = op["responses"]["200"]["content"]["application/json"]
        assert content["schema"]["$ref"].endswith(model.__name__)
        example = content["example"]
        assert example["incident_id"] == EXAMPLES[view]["incident_id"]
        model.model_validate(EXAMPLES[view])  # the example is a valid response
    killed = EXAMPLES["conflicts"]["topics"][0]
    assert killed["topic"] == "casualties.killed" and killed["contested"] is True


def test_migrations_downgrade_and_upgrade_again(tmp_path: object) -> None:
    from pathlib import Path

    from alembic import command
    from sqlalchemy import create_engine, inspect

    from app.db import alembic_config

    assert isinstance(tmp_path, Path)
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    command.upgrade(alembic_config(url), "head")
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    command.upgrade(alembic_config(url), "head")
    assert {"claim", "revision", "idempotency_key"} <= set(inspect(engine).get_table_names())
    engine.dispose()
