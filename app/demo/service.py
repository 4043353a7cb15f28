"""The Camp Taji demo data set, built by hand from the seed article (see app/demo/README.md)."""

from __future__ import annotations

from importlib import resources

from sqlalchemy import select
from sqlmodel import Session, col

from app.auth import OPERATOR
from app.imports.service import ImportReport, import_records
from app.incidents.models import Incident

CAMP_TAJI_EXTERNAL_ID = "inc-camp-taji-2020-03-11"


def demo_lines() -> list[str]:
    return resources.files("app.demo").joinpath("camp_taji.ndjson").read_text("utf-8").splitlines()


def is_empty(session: Session) -> bool:
    return session.scalar(select(col(Incident.id)).limit(1)) is None


def load_demo(session: Session) -> ImportReport:
    """Import the demo (idempotent: records already present are left alone)."""
    return import_records(session, demo_lines(), OPERATOR)


def camp_taji_id(session: Session) -> str | None:
    found = session.execute(
        select(col(Incident.id)).where(col(Incident.external_id) == CAMP_TAJI_EXTERNAL_ID)
    )
    return found.scalar_one_or_none()
