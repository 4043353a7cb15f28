"""Link checking: fetch each claim link (status, final URL, page title, SHA-256 of the body)
and optionally ask an archive to take a snapshot, recorded as an `archive` link."""

from __future__ import annotations

import hashlib
import html
import re
import time
from datetime import timedelta
from typing import Any

import httpx
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlmodel import Session, col

from app.claims.models import ClaimLink
from app.config import get_settings
from app.types import new_id, utcnow
from app.urls import UnsafeURL, check_url

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 15.0
TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class LinkCheckReport(BaseModel):
    checked: int
    ok: int
    broken: int
    refused: int
    archived: int
    seconds: float


class _Fetched(BaseModel):
    status: int | None
    final_url: str | None
    sha256: str | None
    title: str | None


def fetch(client: httpx.Client, url: str) -> _Fetched:
    """GET with manual redirects so every hop is checked against private addresses."""
    allow_private = get_settings().allow_private_urls
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, allow_private)
        with client.stream("GET", current) as response:
            if response.is_redirect and "location" in response.headers:
                current = str(response.url.join(response.headers["location"]))
                continue
            digest = hashlib.sha256()
            head = b""
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > MAX_BYTES:
                    break
                digest.update(chunk)
                if len(head) < 65536:
                    head += chunk[: 65536 - len(head)]
            match = TITLE.search(head)
            title = (
                html.unescape(" ".join(match.group(1).decode("utf-8", "replace").split()))[:500]
                if match
                else None
            )
            return _Fetched(
                status=response.status_code,
                final_url=str(response.url),
                sha256=digest.hexdigest() if size <= MAX_BYTES else None,
                title=title or None,
            )
    return _Fetched(status=None, final_url=current, sha256=None, title=None)


def check_links(
    session: Session,
    client: httpx.Client,
    older_than: timedelta | None = None,
    limit: int = 500,
    archive: bool = False,
) -> LinkCheckReport:
    """Check links never checked (or checked before ``older_than`` ago); commit per link so a
    long run keeps its progress."""
    started = time.perf_counter()
    stmt = select(ClaimLink).where(col(ClaimLink.kind) != "archive")
    if older_than is None:
        stmt = stmt.where(col(ClaimLink.checked_at).is_(None))
    else:
        cutoff = utcnow() - older_than
        stmt = stmt.where(
            or_(col(ClaimLink.checked_at).is_(None), col(ClaimLink.checked_at) < cutoff)
        )
    links = list(session.execute(stmt.order_by(col(ClaimLink.id)).limit(limit)).scalars())
    counts = {"ok": 0, "broken": 0, "refused": 0, "archived": 0}
    for link in links:
        try:
            got = fetch(client, link.url)
        except UnsafeURL:
            counts["refused"] += 1
            got = _Fetched(status=None, final_url=None, sha256=None, title=None)
        except httpx.HTTPError:
            got = _Fetched(status=None, final_url=None, sha256=None, title=None)
        link.http_status = got.status
        link.final_url = got.final_url
        link.sha256 = got.sha256
        link.checked_at = utcnow()
        if link.title is None and got.title:
            link.title = got.title
        if got.status is not None and 200 <= got.status < 400:
            counts["ok"] += 1
        elif got.final_url is not None or got.status is not None:
            counts["broken"] += 1
        if archive and got.status is not None and got.status < 400:
            snapshot = request_snapshot(client, link.url)
            if snapshot is not None:
                _add_archive_link(session, link, snapshot)
                counts["archived"] += 1
        session.commit()
    return LinkCheckReport(
        checked=len(links), seconds=round(time.perf_counter() - started, 3), **counts
    )


def request_snapshot(client: httpx.Client, url: str) -> str | None:
    """Ask the archive (CLAIMDESK_ARCHIVE_URL, e.g. https://web.archive.org/save/) for a
    snapshot; the snapshot's address comes back in Content-Location or Location."""
    base = get_settings().archive_url
    if not base:
        return None
    try:
        response = client.get(base + url)
    except httpx.HTTPError:
        return None
    where = response.headers.get("content-location") or response.headers.get("location")
    if not where or response.status_code >= 400:
        return None
    return str(response.url.join(where))


def _add_archive_link(session: Session, link: ClaimLink, snapshot: str) -> None:
    last: Any = session.execute(
        select(col(ClaimLink.position))
        .where(col(ClaimLink.claim_id) == link.claim_id)
        .order_by(col(ClaimLink.position).desc())
        .limit(1)
    ).scalar_one_or_none()
    session.add(
        ClaimLink(
            id=new_id(),
            claim_id=link.claim_id,
            position=(last or 0) + 1,
            url=snapshot,
            kind="archive",
            title=f"Archive of {link.url}"[:500],
            accessed_at=utcnow(),
        )
    )


def parse_age(text: str | None) -> timedelta | None:
    """'7d', '12h', '30m' → timedelta; None → only links never checked."""
    if not text:
        return None
    match = re.fullmatch(r"(\d+)([dhm])", text.strip())
    if not match:
        raise ValueError("use a number of days, hours or minutes: 7d, 12h, 30m")
    n, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]
