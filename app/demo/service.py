"""The Camp Taji demo data set, built by hand from the seed article (see app/demo/README.md)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import select
from sqlmodel import Session, col

from app.imports.schemas import ImportReport
from app.imports.service import import_records
from app.incidents.derived import refresh_derived
from app.incidents.models import Incident
from app.principal import OPERATOR
from app.reliability.service import recompute

CAMP_TAJI_EXTERNAL_ID = "inc-camp-taji-2020-03-11"


def demo_lines() -> list[str]:
    return resources.files("app.demo").joinpath("camp_taji.ndjson").read_text("utf-8").splitlines()


def is_empty(session: Session) -> bool:
    return session.scalar(select(col(Incident.id)).limit(1)) is None


def load_demo(session: Session) -> ImportReport:
    """Import the demo as an analyst would find it after a day's work: the records (idempotent:
    records already present are left alone), then, when anything was new, every source's
    reliability learned from the corpus (``claimdesk reliability recompute``) and each
    incident's stored view of it (contested, leading attribution) refreshed under it."""
    report = import_records(session, demo_lines(), OPERATOR)
    if report.created.get("claim"):
        recompute(session)
        for incident_id in session.execute(select(col(Incident.id))).scalars().all():
            refresh_derived(session, incident_id)
        session.flush()
    return report


def camp_taji_id(session: Session) -> str | None:
    found = session.execute(
        select(col(Incident.id)).where(col(Incident.external_id) == CAMP_TAJI_EXTERNAL_ID)
    )
    return found.scalar_one_or_none()
