"""Regenerate app/assessment/examples.json: the OpenAPI examples of the three views, taken
from the Camp Taji demo. Run from the repository root:

    python scripts/openapi_examples.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    tmp = Path(tempfile.mkdtemp()) / "examples.db"
    os.environ["CLAIMDESK_DATABASE_URL"] = f"sqlite:///{tmp}"
    from alembic import command

    from app.assessment import service
    from app.assessment.corpus import load
    from app.db import alembic_config, session_scope
    from app.demo.service import camp_taji_id, load_demo
    from app.incidents.models import Incident

    command.upgrade(alembic_config(), "head")
    with session_scope() as session:
        load_demo(session)
        incident = session.get(Incident, camp_taji_id(session))
        assert incident is not None
        corpus = load(session, incident)
        keep = {"casualties.killed", "munitions.count"}
        conflicts = service.conflicts(corpus, None).model_dump(mode="json")
        conflicts["topics"] = [
            t for t in conflicts["topics"] if t["topic"] in keep and not t["qualifiers"]
        ]
        assessment = service.assessment(corpus, None).model_dump(mode="json")
        assessment["topics"] = [
            t
            for t in assessment["topics"]
            if t["topic"] == "casualties.killed" and not t["qualifiers"]
        ]
        attributions = service.attributions(corpus, None).model_dump(mode="json")
    out = {"conflicts": conflicts, "assessment": assessment, "attributions": attributions}
    path = ROOT / "app" / "assessment" / "examples.json"
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
