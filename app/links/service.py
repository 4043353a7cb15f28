"""Link checking: fetch each claim link (status, final URL, page title, SHA-256 of the body)
and optionally ask an archive to take a snapshot, recorded as an `archive` link. Each URL's
results bump the state of the incidents whose claims hold the links (their timelines show
the links: a copy kept by that version must not outlive them)."""

from __future__ import annotations

import hashlib
import html
import re
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlmodel import Session, col

from app import __version__
from app.claims.models import Claim, ClaimLink
from app.config import get_settings
from app.links.schemas import MAX_REPORTED, LinkCheckReport, LinkFailure
from app.types import new_id, utcnow
from app.urls import UnsafeURL, check_url, safe_client
from app.views.invalidate import bump_incidents

MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
TIMEOUT_SECONDS = 15.0
TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


PARALLEL = 8  # at most this many fetches at once
USER_AGENT = f"Claimdesk-LinkCheck/{__version__} (+https://claimdesk.dev/link-checker)"


def client() -> httpx.Client:
    """The HTTP client for link checks: connections only to checked addresses
    (``safe_client``), redirects followed by hand (each hop checked), a timeout and the
    User-Agent."""
    http = safe_client(TIMEOUT_SECONDS, get_settings().allow_private_urls)
    http.headers["User-Agent"] = USER_AGENT
    return http


class _Fetched(BaseModel):
    status: int | None
    final_url: str | None
    sha256: str | None
    title: str | None
    failure: str | None = None  # why there is no HTTP answer
    dns: bool = False
    refused: bool = False


def is_dns_failure(exc: BaseException) -> bool:
    """True when ``exc`` (or what caused it) is a failed host name lookup."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            return True
        text = str(seen).lower()
        if any(m in text for m in DNS_MESSAGES):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


DNS_MESSAGES = (
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "cannot be resolved",
    "getaddrinfo failed",
)


def fetch(client: httpx.Client, url: str) -> _Fetched:
    """GET with manual redirects so every hop is checked against private addresses."""
    allow_private = get_settings().allow_private_urls
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        check_url(current, allow_private)
        with client.stream("GET", current, headers={"User-Agent": USER_AGENT}) as response:
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
    return _Fetched(
        status=None, final_url=current, sha256=None, title=None, failure="too many redirects"
    )


def safe_fetch(client: httpx.Client, url: str) -> _Fetched:
    """``fetch`` that never raises: a refusal or a network failure is part of the result."""
    empty: dict[str, Any] = {"status": None, "final_url": None, "sha256": None, "title": None}
    try:
        return fetch(client, url)
    except UnsafeURL as exc:
        if is_dns_failure(exc):
            return _Fetched(**empty, failure=f"DNS: {exc}", dns=True)
        return _Fetched(**empty, failure=f"refused: {exc}", refused=True)
    except httpx.HTTPError as exc:
        if is_dns_failure(exc):
            host = httpx.URL(url).host
            return _Fetched(**empty, failure=f"DNS: host {host!r} cannot be resolved", dns=True)
        reason = str(exc) or type(exc).__name__
        if reason.startswith("refused: "):  # the pinned connection refused the address
            return _Fetched(**empty, failure=reason, refused=True)
        return _Fetched(**empty, failure=f"{type(exc).__name__}: {reason}"[:300])


UnitOfWork = Callable[[], AbstractContextManager[Session]]
"""Opens one unit of work: ``app.db.session_scope`` (commits when the block ends), or a
request's own session wrapped in ``contextlib.nullcontext`` (the request commits)."""


def check_links(
    units: UnitOfWork,
    client: httpx.Client,
    older_than: timedelta | None = None,
    limit: int = 500,
    archive: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> LinkCheckReport:
    """Check links never checked (or checked before ``older_than`` ago). Each distinct URL is
    fetched once, at most PARALLEL at a time, with a User-Agent; a link with no HTTP answer
    (DNS failure, refused connection, timeout) counts as broken. ``progress(done, total)`` is
    called as URLs finish. Raises ArchiveNotConfigured for ``archive`` without
    CLAIMDESK_ARCHIVE_URL.

    The links are chosen in one unit of work and each URL's results are written in one more
    (``units()``): ``claimdesk links check`` passes ``session_scope``, so a long run keeps its
    progress URL by URL (an interruption loses only the URLs in flight) and never holds the
    write lock while it waits for the network; the API route passes its request's session,
    so the whole (bounded) run is the request's one transaction."""
    if archive and not get_settings().archive_url:
        raise ArchiveNotConfigured(
            "archive: set CLAIMDESK_ARCHIVE_URL (e.g. https://web.archive.org/save/) to request "
            "snapshots"
        )
    started = time.perf_counter()
    stmt = select(col(ClaimLink.id), col(ClaimLink.url)).where(col(ClaimLink.kind) != "archive")
    if older_than is None:
        stmt = stmt.where(col(ClaimLink.checked_at).is_(None))
    else:
        cutoff = utcnow() - older_than
        stmt = stmt.where(
            or_(col(ClaimLink.checked_at).is_(None), col(ClaimLink.checked_at) < cutoff)
        )
    with units() as session:
        links = session.execute(stmt.order_by(col(ClaimLink.id)).limit(limit)).all()
    by_url: dict[str, list[str]] = {}
    for link_id, url in links:
        by_url.setdefault(url, []).append(link_id)
    counts = dict.fromkeys(
        ("ok", "broken", "unreachable", "dns_failures", "refused", "archived"), 0
    )
    failures: list[LinkFailure] = []
    done = 0
    if progress is not None:
        progress(0, len(by_url))
    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="linkcheck") as pool:
        futures = {pool.submit(safe_fetch, client, url): url for url in by_url}
        for future in as_completed(futures):
            url = futures[future]
            got = future.result()
            snapshot = None
            if archive and got.status is not None and got.status < 400:
                snapshot = request_snapshot(client, url)
            now = utcnow()
            with units() as session:
                rows = session.scalars(
                    select(ClaimLink)
                    .where(col(ClaimLink.id).in_(by_url[url]))
                    .order_by(col(ClaimLink.id))
                )
                claim_ids = set()
                for link in rows:
                    _record(link, got, now, counts)
                    claim_ids.add(link.claim_id)
                    if snapshot is not None:
                        _add_archive_link(session, link, snapshot)
                        counts["archived"] += 1
                session.flush()
                _bump_timelines(session, claim_ids)
            failed = got.failure is not None or (got.status is not None and got.status >= 400)
            if failed and len(failures) < MAX_REPORTED:
                failures.append(LinkFailure(url=url, reason=got.failure or f"HTTP {got.status}"))
            done += 1
            if progress is not None:
                progress(done, len(by_url))
    return LinkCheckReport(
        checked=len(links),
        urls=len(by_url),
        seconds=round(time.perf_counter() - started, 3),
        failures=failures,
        **counts,
    )


class ArchiveNotConfigured(ValueError):
    pass


def _record(link: ClaimLink, got: _Fetched, now: datetime, counts: dict[str, int]) -> None:
    link.http_status = got.status
    link.final_url = got.final_url
    link.sha256 = got.sha256
    link.checked_at = now
    if link.title is None and got.title:
        link.title = got.title
    if got.refused:
        counts["refused"] += 1
    elif got.status is not None and 200 <= got.status < 400:
        counts["ok"] += 1
    else:
        counts["broken"] += 1
        if got.status is None:
            counts["unreachable"] += 1
            counts["dns_failures"] += int(got.dns)


def _bump_timelines(session: Session, claim_ids: set[str]) -> None:
    """The links of these claims changed: their incidents' state moves on."""
    if claim_ids:
        stmt = select(col(Claim.incident_id)).where(col(Claim.id).in_(claim_ids)).distinct()
        bump_incidents(session, session.scalars(stmt).all())


def request_snapshot(client: httpx.Client, url: str) -> str | None:
    """Ask the archive (CLAIMDESK_ARCHIVE_URL, e.g. https://web.archive.org/save/) for a
    snapshot; the snapshot's address comes back in Content-Location or Location."""
    base = get_settings().archive_url
    if not base:
        return None
    try:
        response = client.get(base + url, headers={"User-Agent": USER_AGENT})
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
