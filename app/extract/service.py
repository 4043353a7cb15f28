"""Article → suggested claims (nothing written), and accepting chosen suggestions as claims.

The reading itself is the pure :mod:`app.extract.extractor` and :mod:`app.extract.values`;
this module fetches URLs (through the SSRF guard of :mod:`app.urls`), matches speakers and
actors against the registry by name and alias, and writes accepted claims.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import trafilatura
from sqlmodel import Session, col, select

from app import __version__
from app.actors.models import Actor
from app.claims.models import Claim
from app.claims.schemas import ClaimCreate, LinkIn
from app.claims.service import after_claim_write, build_claim, publish
from app.config import get_settings
from app.enums import LinkKind
from app.errors import Conflict, FieldError, ValidationFailed, invalid
from app.extract.extractor import Suggestion, extract
from app.extract.schemas import (
    MAX_TEXT,
    AcceptItem,
    AcceptRequest,
    AcceptResponse,
    Candidate,
    ExtractRequest,
    ExtractResponse,
    SuggestionOut,
    ValueSuggestion,
)
from app.extract.values import read_values
from app.incidents.models import Incident
from app.principal import Principal
from app.repository.base import ensure_ref, flush_or_conflict
from app.sources.models import Source
from app.urls import UnsafeURL, check_url

FETCH_TIMEOUT = 10.0  # seconds, connect and read
MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
PAGE_TYPES = {"text/html", "application/xhtml+xml", "text/plain", ""}
#: tests replace this with an ``httpx.MockTransport``
TRANSPORT: httpx.BaseTransport | None = None


# --- input ----------------------------------------------------------------------------------


def check_text(text: str, pointer: str) -> str:
    """Refuse empty and binary text (NUL bytes or many control characters): a 422 naming it."""
    if not text.strip():
        raise invalid(pointer, "is empty: paste the article's text")
    if len(text) > MAX_TEXT:
        raise invalid(pointer, f"is longer than {MAX_TEXT} characters")
    controls = sum(1 for c in text[:20_000] if ord(c) < 32 and c not in "\n\r\t\f")
    if "\x00" in text or controls > max(10, len(text[:20_000]) // 100):
        raise invalid(pointer, "looks like binary data, not text")
    return text


@dataclass(frozen=True)
class Page:
    text: str
    title: str | None
    url: str


def fetch_article(url: str) -> Page:
    """GET the page (every redirect hop checked by the SSRF guard), then its main text."""
    allow_private = get_settings().allow_private_urls
    current = url
    headers = {"User-Agent": f"Claimdesk/{__version__} (article extraction)"}
    with httpx.Client(timeout=FETCH_TIMEOUT, transport=TRANSPORT, headers=headers) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_url(current, allow_private)
            except UnsafeURL as exc:
                raise invalid("/url", f"refused: {exc}") from exc
            try:
                with client.stream("GET", current) as response:
                    if response.is_redirect and "location" in response.headers:
                        current = str(response.url.join(response.headers["location"]))
                        continue
                    if response.status_code >= 400:
                        raise invalid("/url", f"the page answered HTTP {response.status_code}")
                    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
                    if ctype not in PAGE_TYPES:
                        raise invalid("/url", f"is not a web page (Content-Type {ctype})")
                    body = b""
                    for chunk in response.iter_bytes():
                        body += chunk
                        if len(body) > MAX_PAGE_BYTES:
                            raise invalid("/url", f"the page is larger than {MAX_PAGE_BYTES} bytes")
                    encoding = response.encoding or "utf-8"
            except httpx.TimeoutException as exc:
                raise invalid("/url", f"did not answer within {FETCH_TIMEOUT:g} s") from exc
            except httpx.HTTPError as exc:
                raise invalid("/url", f"could not be fetched ({type(exc).__name__})") from exc
            if b"\x00" in body[:65536]:
                raise invalid("/url", "the page is binary data, not text")
            html = body.decode(encoding, errors="replace")
            if ctype == "text/plain":
                return Page(text=html, title=None, url=current)
            doc = trafilatura.bare_extraction(
                html, url=current, with_metadata=True, include_comments=False, include_tables=False
            )
            text = getattr(doc, "text", None) or ""
            if not text.strip():
                raise invalid("/url", "no article text was found on the page")
            return Page(text=text, title=getattr(doc, "title", None) or None, url=current)
    raise invalid("/url", f"more than {MAX_REDIRECTS} redirects")


# --- the registry ---------------------------------------------------------------------------

_TITLES = {
    "mr", "mrs", "ms", "dr", "gen", "general", "col", "colonel", "lt", "sgt", "capt", "sen",
    "rep", "gov", "president", "prime", "minister", "secretary", "spokesman", "spokeswoman",
    "the", "of", "and", "a", "an", "s", "jr", "sr", "iii", "us", "u.s", "state", "official",
    "unnamed", "cited", "by", "for", "in", "to", "on",
}  # fmt: skip
_WORDS = re.compile(r"[\w-]+")


def _words(name: str) -> set[str]:
    out = set()
    for w in _WORDS.findall(name.casefold().replace("’s", "").replace("'s", "")):
        if w not in _TITLES and not w.isdigit():
            out.add(w)
    return out


def _key(name: str) -> str:
    return " ".join(_WORDS.findall(name.casefold()))


class Registry:
    """Sources or actors by name and alias: exact keys, and an index of distinctive words."""

    def __init__(self, rows: list[tuple[str, str, list[str]]]) -> None:
        self.exact: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        self.by_word: dict[str, list[tuple[str, str, str, frozenset[str]]]] = defaultdict(list)
        for ident, name, aliases in rows:
            for label in (name, *aliases):
                self.exact[_key(label)].append((ident, name, label))
                words = frozenset(_words(label))
                for w in words:
                    self.by_word[w].append((ident, name, label, words))

    def match(self, *names: str | None, limit: int = 5) -> list[Candidate]:
        best: dict[str, Candidate] = {}

        def offer(ident: str, name: str, label: str, score: float) -> None:
            if ident not in best or best[ident].score < score:
                best[ident] = Candidate(id=ident, name=name, matched=label, score=round(score, 2))

        for text in names:
            if not text:
                continue
            for ident, name, label in self.exact.get(_key(text), []):
                offer(ident, name, label, 1.0)
            words = _words(text)
            for w in words:
                for ident, name, label, lw in self.by_word.get(w, []):
                    common = len(words & lw)
                    score = 0.9 * common / len(words | lw)
                    if lw <= words or words <= lw:
                        score = max(score, 0.5 + 0.4 * common / len(words | lw))
                    offer(ident, name, label, score)
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.name))
        return [c for c in ranked if c.score >= 0.3][:limit]


def _registry(session: Session, model: Any) -> Registry:
    rows = session.exec(select(model.id, model.name, model.aliases)).all()
    return Registry([(r[0], r[1], list(r[2] or [])) for r in rows])


# --- extraction -----------------------------------------------------------------------------


def _suggestion_id(text: str, s: Suggestion) -> str:
    digest = hashlib.sha256(f"{s.quote_span[0]}:{s.quote_span[1]}:{s.quote}".encode()).hexdigest()
    return "sug-" + digest[:16]


def _out(s: Suggestion, text: str, sources: Registry, actors: Registry) -> SuggestionOut:
    candidates = sources.match(s.speaker, s.speaker_mention)
    values: list[ValueSuggestion] = []
    actor_id = None
    for proposed in read_values(s.quote):
        if proposed.topic == "responsibility":
            found = actors.match(*proposed.names)
            value = {"kind": "actor", "actor_id": found[0].id} if found else None
            if found and actor_id is None:
                actor_id = found[0].id
            values.append(
                ValueSuggestion(
                    topic=proposed.topic,
                    value=value,
                    matched=proposed.matched,
                    actor_candidates=found,
                )
            )
        else:
            values.append(
                ValueSuggestion(
                    topic=proposed.topic, value=proposed.value, matched=proposed.matched
                )
            )
    first = values[0] if values else None
    return SuggestionOut(
        id=_suggestion_id(text, s),
        score=s.score,
        quote=s.quote,
        quote_span=s.quote_span,
        direct=s.direct,
        by_author=s.by_author,
        cue=s.cue,
        cue_span=s.cue_span,
        speaker=s.speaker,
        speaker_mention=s.speaker_mention,
        speaker_span=s.speaker_span,
        source_id=candidates[0].id if candidates else None,
        source_candidates=candidates,
        actor_id=actor_id,
        firmness=s.firmness,
        hedges=list(s.hedges),
        topic=first.topic if first else None,
        value=first.value if first else None,
        values=values,
    )


def suggest(session: Session, data: ExtractRequest) -> ExtractResponse:
    if not data.language.lower().startswith("en"):
        raise invalid("/language", "only English (en) articles are read today")
    if data.incident_id is not None:
        ensure_ref(session, Incident, data.incident_id, "/incident_id")
    if data.url is not None:
        page = fetch_article(data.url)
        text, title, url = check_text(page.text, "/url"), page.title, page.url
    else:
        text, title, url = check_text(data.text or "", "/text"), None, None
    sources = _registry(session, Source)
    actors = _registry(session, Actor)
    found = extract(text, author_statements=data.author_statements)
    return ExtractResponse(
        text=text,
        url=url,
        title=title,
        incident_id=data.incident_id,
        said_at=data.said_at.isoformat() if data.said_at else None,
        language=data.language,
        suggestions=[_out(s, text, sources, actors) for s in found],
    )


# --- accept ---------------------------------------------------------------------------------


def default_external_id(data: AcceptRequest, item: AcceptItem) -> str:
    """The same suggestion accepted for the same incident always gets the same external id."""
    payload = orjson.dumps(
        [data.incident_id, item.source_id, item.topic, item.value.model_dump(), item.quote,
         item.qualifiers],
        option=orjson.OPT_SORT_KEYS,
    )  # fmt: skip
    return "extract-" + hashlib.sha256(payload).hexdigest()[:32]


def _within(index: int, exc: ValidationFailed) -> ValidationFailed:
    errors = [
        FieldError(pointer=f"/items/{index}{e.pointer or ''}", detail=e.detail)
        for e in exc.errors or []
    ]
    detail = "; ".join(f"items/{index}{e.pointer or ''}: {e.detail}" for e in exc.errors or [])
    return ValidationFailed(detail or exc.detail, errors=errors)


def accept(
    session: Session, data: AcceptRequest, principal: Principal
) -> tuple[AcceptResponse, int]:
    """Make one claim per item in one transaction (all or none); items accepted before, by
    their external id, are returned as they are."""
    ensure_ref(session, Incident, data.incident_id, "/incident_id")
    ext_ids = [item.external_id or default_external_id(data, item) for item in data.items]
    stmt = select(Claim).where(col(Claim.external_id).in_(set(ext_ids)))
    existing = {c.external_id: c for c in session.exec(stmt).all()}
    links = (
        [LinkIn(url=data.link.url, kind=LinkKind.original, title=data.link.title)]
        if data.link
        else []
    )
    ordered: list[Claim] = []
    made: dict[str, Claim] = {}
    for i, (item, ext) in enumerate(zip(data.items, ext_ids, strict=True)):
        if ext in existing:
            if existing[ext].incident_id != data.incident_id:
                raise invalid(f"/items/{i}/external_id", "is used by a claim of another incident")
            ordered.append(existing[ext])
            continue
        if ext in made:
            ordered.append(made[ext])
            continue
        create = ClaimCreate(
            incident_id=data.incident_id,
            source_id=item.source_id,
            via_source_id=item.via_source_id,
            speaker=item.speaker,
            said_at=item.said_at or data.said_at,
            said_at_precision=item.said_at_precision or data.said_at_precision,
            quote=item.quote,
            language=data.language,
            topic=item.topic,
            qualifiers=item.qualifiers,
            value=item.value,
            confidence=item.confidence,
            links=links,
            external_id=ext,
            tags=item.tags,
            notes=item.notes,
        )
        try:
            claim = build_claim(session, create, principal)
        except ValidationFailed as exc:
            raise _within(i, exc) from exc
        made[ext] = claim
        ordered.append(claim)
    if made:
        after_claim_write(session, {data.incident_id})
        flush_or_conflict(
            session, lambda _: Conflict("these suggestions are being accepted concurrently")
        )
    response = AcceptResponse(
        created=len(made), existing=len(ordered) - len(made), claims=publish(session, ordered)
    )
    return response, len(made)
