"""Claims: one statement by one source about one incident and one topic."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from app import audit
from app.actors.models import Actor
from app.claims.models import Claim, ClaimLink
from app.claims.repository import ClaimRepository
from app.claims.schemas import (
    ActorValue,
    CategoryValue,
    ClaimCreate,
    ClaimPublic,
    ClaimUpdate,
    ClaimValueIn,
    LinkIn,
    LinkPublic,
    QuantityValue,
    StatementValue,
)
from app.claims.values import value_columns, value_dict, value_out
from app.enums import ClaimStatus
from app.errors import Conflict, invalid, without_union_tags
from app.incidents.derived import refresh_counts, refresh_derived
from app.incidents.models import Incident
from app.pagination import PageParams, paginate
from app.principal import Principal
from app.repository.base import apply_changes, ensure_ref, flush_or_conflict
from app.repository.sql import full_text_match, json_array_contains
from app.revisions import service as revisions
from app.sources.models import Source
from app.topics.models import Topic
from app.types import api_instant, utcnow
from app.views.invalidate import bump_incidents


@dataclass(frozen=True)
class ClaimFilters:
    incident_id: str | None = None
    source_id: str | None = None
    topic: str | None = None
    status: str | None = None
    stance: str | None = None
    language: str | None = None
    tag: str | None = None
    said_after: datetime | None = None
    said_before: datetime | None = None
    updated_since: datetime | None = None
    as_of: datetime | None = None
    external_id: str | None = None
    q: str | None = None


def qualifiers_key(qualifiers: dict[str, Any]) -> str:
    return json.dumps(qualifiers, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def to_public(claim: Claim, links: Sequence[ClaimLink]) -> ClaimPublic:
    return ClaimPublic(
        id=claim.id,
        incident_id=claim.incident_id,
        source_id=claim.source_id,
        via_source_id=claim.via_source_id,
        speaker=claim.speaker,
        said_at=claim.said_at,
        said_at_precision=claim.said_at_precision,
        quote=claim.quote,
        language=claim.language,
        translation=claim.translation,
        topic=claim.topic,
        qualifiers=claim.qualifiers,
        value=value_out(claim),
        stance=claim.stance,
        confidence=claim.confidence,
        status=claim.status,
        supersedes_id=claim.supersedes_id,
        cites_claim_id=claim.cites_claim_id,
        links=[LinkPublic.model_validate(link) for link in links],
        external_id=claim.external_id,
        tags=claim.tags,
        notes=claim.notes,
        recorded_at=claim.recorded_at,
        updated_at=claim.updated_at,
        version=claim.version,
    )


def links_of(session: Session, claim_ids: Sequence[str]) -> dict[str, list[ClaimLink]]:
    """Every link of these claims in one query (no N+1)."""
    out: dict[str, list[ClaimLink]] = defaultdict(list)
    if not claim_ids:
        return out
    rows = session.scalars(
        select(ClaimLink)
        .where(ClaimLink.claim_id.in_(claim_ids))  # type: ignore[attr-defined]
        .order_by(ClaimLink.claim_id, ClaimLink.position)  # type: ignore[arg-type]
    )
    for link in rows:
        out[link.claim_id].append(link)
    return out


def _iso(value: datetime | None) -> str | None:
    """An instant as the API writes it (pydantic's JSON: ``Z``, microseconds when present)."""
    return None if value is None else api_instant(value)


_LINK_COLUMNS: tuple[str, ...] = ("claim_id", "url", "kind", "title", "accessed_at")
_LINK_COLUMNS += ("http_status", "final_url", "checked_at", "sha256")


def public_dicts(session: Session, claims: Sequence[Any]) -> list[dict[str, Any]]:
    """``ClaimPublic`` as plain dicts, ready for orjson: for lists, where building and then
    re-validating a pydantic model per claim cost more than the query (``claims``: Claim
    objects or rows with the claim's columns; links in one query).
    ``tests/claims/test_service.py`` checks it against the model's own JSON."""
    links: dict[str, list[dict[str, Any]]] = defaultdict(list)
    if claims:
        table = ClaimLink.__table__  # type: ignore[attr-defined]
        rows = session.execute(
            select(*(table.c[name] for name in _LINK_COLUMNS))
            .where(table.c.claim_id.in_([c.id for c in claims]))
            .order_by(table.c.claim_id, table.c.position)
        )
        for r in rows:
            links[r.claim_id].append(
                {
                    "url": r.url,
                    "kind": r.kind,
                    "title": r.title,
                    "accessed_at": _iso(r.accessed_at),
                    "http_status": r.http_status,
                    "final_url": r.final_url,
                    "checked_at": _iso(r.checked_at),
                    "sha256": r.sha256,
                }
            )
    return [
        {
            "id": c.id,
            "incident_id": c.incident_id,
            "source_id": c.source_id,
            "via_source_id": c.via_source_id,
            "speaker": c.speaker,
            "said_at": _iso(c.said_at),
            "said_at_precision": c.said_at_precision,
            "quote": c.quote,
            "language": c.language,
            "translation": c.translation,
            "topic": c.topic,
            "qualifiers": {str(k): str(v) for k, v in (c.qualifiers or {}).items()},
            "value": value_dict(c),
            "stance": c.stance,
            "confidence": float(c.confidence),
            "status": c.status,
            "supersedes_id": c.supersedes_id,
            "cites_claim_id": c.cites_claim_id,
            "links": links.get(c.id, []),
            "external_id": c.external_id,
            "tags": list(c.tags or []),
            "notes": c.notes,
            "recorded_at": _iso(c.recorded_at),
            "updated_at": _iso(c.updated_at),
            "version": c.version,
        }
        for c in claims
    ]


def publish(session: Session, claims: Sequence[Claim]) -> list[ClaimPublic]:
    links = links_of(session, [c.id for c in claims])
    return [to_public(c, links.get(c.id, [])) for c in claims]


_VALUE = TypeAdapter(ClaimValueIn)


def _as_kind(value: Any, kind: str) -> ClaimValueIn:
    """A value sent without ``kind``, read again as the topic's kind."""
    try:
        return _VALUE.validate_python(value.model_dump(exclude_unset=True) | {"kind": kind})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in without_union_tags(err["loc"])]
        detail = str(err["msg"]).removeprefix("Value error, ")
        raise invalid("/".join(["/value", *loc]), f"(a {kind} value) {detail}") from exc


def _check_refs(session: Session, values: dict[str, Any], claim_id: str | None) -> None:
    """Every reference exists and the value fits the topic; 422 naming the field if not."""
    ensure_ref(session, Source, values["source_id"], "/source_id")
    ensure_ref(session, Source, values.get("via_source_id"), "/via_source_id")
    if values.get("via_source_id") and values["via_source_id"] == values["source_id"]:
        raise invalid("/via_source_id", "must differ from source_id (leave it null instead)")
    kinds: dict[str, str] = session.info.setdefault("topic_kinds", {})
    if values["topic"] not in kinds:
        topic = session.get(Topic, values["topic"])
        if topic is None:
            raise invalid("/topic", f"no topic {values['topic']!r} (see GET /v1/topics)")
        kinds[topic.key] = topic.kind
    value: ClaimValueIn = values["value"]
    sent = isinstance(value, (QuantityValue, CategoryValue, ActorValue, StatementValue))
    if value.kind != kinds[values["topic"]] and sent and "kind" not in value.model_fields_set:
        value = values["value"] = _as_kind(value, kinds[values["topic"]])
    if value.kind != kinds[values["topic"]]:
        raise invalid(
            "/value/kind", f"topic {values['topic']!r} takes a {kinds[values['topic']]} value"
        )
    if value.kind == "actor":
        ensure_ref(session, Actor, value.actor_id, "/value/actor_id")
    cited = values.get("cites_claim_id")
    if cited is not None:
        if cited == claim_id:
            raise invalid("/cites_claim_id", "a claim cannot cite itself")
        ensure_ref(session, Claim, cited, "/cites_claim_id")


def _links(claim_id: str, links: Sequence[LinkIn]) -> list[ClaimLink]:
    return [
        ClaimLink(claim_id=claim_id, position=position, **link.model_dump())
        for position, link in enumerate(links)
    ]


def _duplicate(_: str) -> Conflict:
    return Conflict(ClaimRepository.duplicate)


EXPANSIONS: set[str] = {"source", "via_source", "actor"}


def snapshot(session: Session, claim: Claim) -> dict[str, Any]:
    """The claim as recorded in revisions and events: without the names that
    ``expand=source,actor`` embeds in responses (derived, and they change with the registry)."""
    return publish(session, [claim])[0].model_dump(mode="json", exclude=EXPANSIONS)


def build_claim(
    session: Session, data: ClaimCreate, principal: Principal, supersedes_id: str | None = None
) -> Claim:
    """Validate and stage a new claim, its links and its revision, without flushing: the id
    is made here, so a bulk import stages thousands of claims with no round trip each."""
    ensure_ref(session, Incident, data.incident_id, "/incident_id")
    values = data.model_dump(exclude={"value", "links"}) | {"value": data.value}
    _check_refs(session, values, None)
    fields = data.model_dump(exclude={"value", "links"})
    claim = Claim(
        **fields,
        **value_columns(values["value"]),
        qualifiers_key=qualifiers_key(data.qualifiers),
        supersedes_id=supersedes_id,
    )
    links = _links(claim.id, data.links)
    session.add(claim)  # before its links (their foreign key)
    session.add_all(links)
    return audit.stage_create(
        session,
        "claim",
        claim,
        principal,
        lambda c: to_public(c, links).model_dump(mode="json", exclude=EXPANSIONS),
        _duplicate,
        announce=True,
        incident_id=claim.incident_id,
        flush=False,
    )


def after_claim_write(session: Session, incident_ids: set[str]) -> None:
    """Derived incident state (counters, contested) in the same transaction as the claim."""
    flush_or_conflict(session, _duplicate)
    for incident_id in sorted(incident_ids):
        refresh_counts(session, incident_id)
        refresh_derived(session, incident_id)
    bump_incidents(session, incident_ids)


def create_claim(session: Session, data: ClaimCreate, principal: Principal) -> Claim:
    claim = build_claim(session, data, principal)
    after_claim_write(session, {claim.incident_id})
    flush_or_conflict(session, _duplicate)
    return claim


def get_claim(session: Session, claim_id: str, lock: bool = False) -> Claim:
    return ClaimRepository(session).get_or_404(claim_id, lock=lock)


def update_claim(session: Session, claim: Claim, data: ClaimUpdate, principal: Principal) -> Claim:
    before = snapshot(session, claim)
    changes = data.model_dump(exclude_unset=True, exclude={"value", "links"})
    if "value" in data.model_fields_set:
        changes["value"] = data.value
    merged: dict[str, Any] = {
        "incident_id": claim.incident_id,
        "source_id": claim.source_id,
        "via_source_id": claim.via_source_id,
        "topic": claim.topic,
        "cites_claim_id": claim.cites_claim_id,
        "value": value_out(claim),
    } | changes
    if {"source_id", "via_source_id", "topic", "value", "cites_claim_id"} & changes.keys():
        _check_refs(session, merged, claim.id)
        if "value" in changes:
            changes["value"] = merged["value"]  # its kind may come from the topic
    column_changes = {k: v for k, v in changes.items() if k != "value"}
    if "value" in changes:
        column_changes.update(value_columns(changes["value"]))
    if "qualifiers" in changes:
        column_changes["qualifiers_key"] = qualifiers_key(changes["qualifiers"])
    changed = bool(apply_changes(claim, column_changes))
    flush_or_conflict(session, _duplicate)  # a duplicate external_id is a 409, not a 500
    if data.links is not None:
        current = links_of(session, [claim.id]).get(claim.id, [])
        old = [LinkIn.model_validate(x, from_attributes=True).model_dump() for x in current]
        new = [link.model_dump() for link in data.links]
        if old != new:
            session.execute(delete(ClaimLink).where(col(ClaimLink.claim_id) == claim.id))
            session.add_all(_links(claim.id, data.links))
            session.flush()
            if not changed:  # only the links changed: still a new version
                claim.version += 1
                claim.updated_at = utcnow()
            changed = True
    if changed:
        after = snapshot(session, claim)
        audit.record_change(
            session,
            "claim",
            claim,
            "update",
            principal,
            revisions.diff(before, after),
            event="claim.updated",
            payload=after,
            incident_id=claim.incident_id,
        )
        after_claim_write(session, {claim.incident_id})
    flush_or_conflict(session, _duplicate)
    return claim


def _must_be_active(claim: Claim, action: str) -> None:
    if claim.status != ClaimStatus.active:
        raise Conflict(f"the claim is {claim.status}; only an active claim can be {action}")


def _set_status(
    session: Session,
    claim: Claim,
    status: ClaimStatus,
    action: str,
    principal: Principal,
    reason: str | None,
    extra: dict[str, Any] | None = None,
) -> None:
    before = snapshot(session, claim)
    apply_changes(claim, {"status": status.value})
    after = snapshot(session, claim)
    audit.record_change(
        session,
        "claim",
        claim,
        action,
        principal,
        revisions.diff(before, after) | (extra or {}),
        event="claim.retracted" if status is ClaimStatus.retracted else "claim.updated",
        payload=after | {"reason": reason},
        incident_id=claim.incident_id,
        reason=reason,
    )


def retract_claim(session: Session, claim: Claim, reason: str, principal: Principal) -> Claim:
    """The source (or the desk) withdrew the claim: it stays readable but no longer counts."""
    _must_be_active(claim, "retracted")
    _set_status(session, claim, ClaimStatus.retracted, "retract", principal, reason)
    after_claim_write(session, {claim.incident_id})
    return claim


def supersede_claim(
    session: Session, claim: Claim, data: ClaimCreate, principal: Principal
) -> Claim:
    """Create the replacement and mark the old claim superseded, atomically."""
    _must_be_active(claim, "superseded")
    if data.incident_id != claim.incident_id:
        raise invalid("/incident_id", "a replacement is about the same incident")
    if data.status != ClaimStatus.active:
        raise invalid("/status", "a replacement claim is active")
    replacement = build_claim(session, data, principal, supersedes_id=claim.id)
    _set_status(
        session,
        claim,
        ClaimStatus.superseded,
        "supersede",
        principal,
        None,
        {"superseded_by": {"before": None, "after": replacement.id}},
    )
    after_claim_write(session, {claim.incident_id})
    flush_or_conflict(session, _duplicate)
    return replacement


def hard_delete_claim(session: Session, claim: Claim, reason: str, principal: Principal) -> None:
    """Legal takedown: the content goes, a tombstone (id, type, time, reason) stays. Claims
    that cite or supersede it (of any incident) lose the reference: their incidents' state
    moves on too."""
    referring = select(col(Claim.incident_id)).where(
        or_(col(Claim.cites_claim_id) == claim.id, col(Claim.supersedes_id) == claim.id)
    )
    touched = {claim.incident_id, *session.scalars(referring.distinct()).all()}
    for field in ("cites_claim_id", "supersedes_id"):
        column = col(getattr(Claim, field))
        session.execute(update(Claim).where(column == claim.id).values({field: None}))
    session.execute(delete(ClaimLink).where(col(ClaimLink.claim_id) == claim.id))
    audit.remove(
        session, "claim", claim, principal, reason, announce=True, incident_id=claim.incident_id
    )
    after_claim_write(session, touched)


def claim_query(session: Session, filters: ClaimFilters) -> Any:
    stmt = select(Claim)
    f = filters
    if f.incident_id:
        stmt = stmt.where(Claim.incident_id == f.incident_id)  # type: ignore[arg-type]
    if f.source_id:
        stmt = stmt.where(or_(Claim.source_id == f.source_id, Claim.via_source_id == f.source_id))  # type: ignore[arg-type]
    if f.topic:
        stmt = stmt.where(Claim.topic == f.topic)  # type: ignore[arg-type]
    if f.status:
        stmt = stmt.where(Claim.status == f.status)  # type: ignore[arg-type]
    if f.stance:
        stmt = stmt.where(Claim.stance == f.stance)  # type: ignore[arg-type]
    if f.language:
        stmt = stmt.where(Claim.language == f.language)  # type: ignore[arg-type]
    if f.tag:
        stmt = stmt.where(json_array_contains(session, Claim.tags, f.tag.casefold()))
    if f.said_after:
        stmt = stmt.where(Claim.said_at >= f.said_after)  # type: ignore[arg-type]
    if f.said_before:
        stmt = stmt.where(Claim.said_at <= f.said_before)  # type: ignore[arg-type]
    if f.updated_since:
        stmt = stmt.where(Claim.updated_at >= f.updated_since)  # type: ignore[arg-type]
    if f.external_id:
        stmt = stmt.where(col(Claim.external_id) == f.external_id)
    if f.q:
        stmt = stmt.where(full_text_match(session, "claim", col(Claim.id), f.q))
    if f.as_of:
        stmt = stmt.where(Claim.said_at <= f.as_of, Claim.recorded_at <= f.as_of)  # type: ignore[arg-type]
    return stmt


def list_claims(
    session: Session, filters: ClaimFilters, page: PageParams
) -> tuple[list[Any], str | None, int | None]:
    """Claims in ``said_at`` order (the timeline), then by id. ``q=`` stops at the page
    whatever the number of matches (see :mod:`app.claims.search`)."""
    from app.claims import search

    if filters.q:
        base = claim_query(session, replace(filters, q=None))
        if session.get_bind().dialect.name == "sqlite":
            return search.sqlite_search(session, base, bool(filters.incident_id), filters.q, page)
        return search.postgres_search(session, base, bool(filters.incident_id), filters.q, page)
    # Plain rows with the claim's columns, not ORM objects: a page is read and shaped as is.
    stmt = claim_query(session, filters).with_only_columns(*Claim.__table__.c)  # type: ignore[attr-defined]
    items: list[Any]
    items, cursor, total = paginate(
        session,
        stmt,
        [Claim.said_at, Claim.id],
        page,
        lambda c: (c.said_at, c.id),
        (datetime, str),
        rows=True,
    )
    return items, cursor, total


EXPANDABLE = ("source", "actor")


def expand(session: Session, claims: list[dict[str, Any]], what: set[str]) -> list[dict[str, Any]]:
    """Embed each claim's source (and via source) and attributed actor, named, with one query
    per table for the whole page (claims as the plain dicts of ``public_dicts``)."""
    if "source" in what:
        ids = {c["source_id"] for c in claims} | {
            c["via_source_id"] for c in claims if c.get("via_source_id")
        }
        rows = session.execute(
            select(col(Source.id), col(Source.name), col(Source.kind)).where(
                col(Source.id).in_(ids)
            )
        ).all()
        sources = {r[0]: {"id": r[0], "name": r[1], "kind": str(r[2])} for r in rows}
        for c in claims:
            c["source"] = sources.get(c["source_id"])
            c["via_source"] = sources.get(c["via_source_id"]) if c.get("via_source_id") else None
    if "actor" in what:
        ids = {
            c["value"]["actor_id"]
            for c in claims
            if isinstance(c.get("value"), dict) and c["value"].get("kind") == "actor"
        }
        rows = session.execute(
            select(col(Actor.id), col(Actor.name), col(Actor.kind)).where(col(Actor.id).in_(ids))
        ).all()
        actors = {r[0]: {"id": r[0], "name": r[1], "kind": str(r[2])} for r in rows}
        for c in claims:
            value = c.get("value")
            is_actor = isinstance(value, dict) and value.get("kind") == "actor"
            c["actor"] = actors.get(value["actor_id"]) if is_actor else None  # type: ignore[index]
    return claims


class ClaimService:
    """Claims as the entity routes (:mod:`app.routing`) see them."""

    def create(self, session: Session, data: ClaimCreate, principal: Principal) -> Claim:
        return create_claim(session, data, principal)

    def get(self, session: Session, ident: str, lock: bool = False) -> Claim:
        return get_claim(session, ident, lock)

    def update(
        self, session: Session, claim: Claim, data: ClaimUpdate, principal: Principal
    ) -> Claim:
        return update_claim(session, claim, data, principal)

    def delete(self, session: Session, claim: Claim, principal: Principal, reason: str) -> None:
        hard_delete_claim(session, claim, reason, principal)


claims = ClaimService()
