"""An integrator's generated client: openapi-python-client builds one from /openapi.json without
a warning, and its responses are typed: errors parse to Problem, ClaimReview to its model."""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import Api, make_key, new_claim, new_incident, new_source

ROOT = Path(__file__).resolve().parents[2]


def test_every_error_response_is_problem_json(app_client: TestClient) -> None:
    spec = app_client.get("/openapi.json").json()
    assert "HTTPValidationError" not in json.dumps(spec)
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            for code, response in op["responses"].items():
                if code[0] in "45" and path != "/readyz":
                    assert list(response["content"]) == ["application/problem+json"], (
                        path,
                        method,
                        code,
                    )
                    assert response["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"
                    }
    review = spec["paths"]["/v1/incidents/{incident_id}/claimreview"]["get"]["responses"]["200"]
    assert review["content"] == {
        "application/ld+json": {"schema": {"$ref": "#/components/schemas/ClaimReviewDocument"}}
    }
    titles = [s.get("title") for s in spec["components"]["schemas"].values()]
    assert len(titles) == len(set(titles))  # generators name classes by title


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from app.main import app

    # the virtualenv running the tests first (`.venv/bin/pytest` without activating it), then
    # PATH; the generator itself runs ruff from the same PATH
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    generator = shutil.which("openapi-python-client", path=path)
    if generator is None:
        pytest.fail("openapi-python-client is a test dependency: pip install -e '.[test]'")
    work = tmp_path_factory.mktemp("client")
    (work / "openapi.json").write_text(json.dumps(app.openapi()))
    result = subprocess.run(
        [
            generator,
            "generate",
            "--path",
            str(work / "openapi.json"),
            "--output-path",
            str(work / "claimdesk_client"),
            "--meta",
            "none",
            "--config",
            str(ROOT / "clients" / "openapi-python-client.yaml"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PATH": path},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module("claimdesk_client")
    finally:
        sys.path.remove(str(work))
        for name in [m for m in sys.modules if m.startswith("claimdesk_client")]:
            del sys.modules[name]


def test_generated_client_parses_typed_errors_and_claimreview(
    generated: Any, app_client: TestClient
) -> None:
    editor = Api(app_client, make_key("editor"))
    inc = new_incident(editor)
    new_claim(editor, inc["id"], new_source(editor)["id"])
    client = generated.AuthenticatedClient(base_url="http://testserver", token=editor.key)
    # the generated client over the in-process app (it sends the token from its httpx client)
    app_client.headers["Authorization"] = f"Bearer {editor.key}"
    client.set_httpx_client(app_client)
    topics = importlib.import_module("claimdesk_client.api.topics.get_topic")
    problem_cls = importlib.import_module("claimdesk_client.models.problem").Problem
    missing = topics.sync_detailed(key="no.such.topic", client=client)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, problem_cls)
    assert missing.parsed.status == 404 and missing.parsed.title == "Not found"

    anonymous = generated.Client(base_url="http://testserver")
    anonymous.set_httpx_client(TestClient(app_client.app))
    denied = topics.sync_detailed(key="casualties.killed", client=anonymous)
    assert denied.status_code == 401 and isinstance(denied.parsed, problem_cls)

    review_api = importlib.import_module("claimdesk_client.api.assessment.get_incident_claimreview")
    document_cls = importlib.import_module(
        "claimdesk_client.models.claim_review_document"
    ).ClaimReviewDocument
    document = review_api.sync(incident_id=inc["id"], client=client)
    assert isinstance(document, document_cls)
    assert len(document.graph) == 1
    assert 1 <= document.graph[0].review_rating.rating_value <= 5
    assert document.graph[0].item_reviewed.author.name == "Press TV"
