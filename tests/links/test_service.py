"""Link checking as an operator runs it: unreachable links are broken, DNS failures are named,
each distinct URL is fetched once, at most PARALLEL at a time, with a User-Agent; --archive
needs an archive; a progress bar only on a terminal."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.links.service import PARALLEL, USER_AGENT
from tests.browser import free_port
from tests.factories import Api, new_claim, new_incident, new_source

runner = CliRunner()


class Site:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.agents: set[str] = set()
        self.active = 0
        self.max_active = 0
        self.lock = threading.Lock()
        self.base = ""


@pytest.fixture
def slow_site(settings_env: pytest.MonkeyPatch) -> Iterator[Site]:
    site = Site()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with site.lock:
                site.hits[self.path] = site.hits.get(self.path, 0) + 1
                site.agents.add(self.headers.get("User-Agent", ""))
                site.active += 1
                site.max_active = max(site.max_active, site.active)
            time.sleep(0.2)  # long enough for fetches to overlap
            with site.lock:
                site.active -= 1
            self.send_response(404 if self.path.startswith("/gone") else 200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<title>ok</title>")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    settings_env.setenv("CLAIMDESK_ALLOW_PRIVATE_URLS", "true")
    settings_env.delenv("CLAIMDESK_ARCHIVE_URL", raising=False)
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names under .invalid never resolve (without asking any real resolver)."""
    real = socket.getaddrinfo

    def fake(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_distinct_urls_once_in_parallel_with_user_agent_and_failures_counted(
    editor: Api, slow_site: Site, no_dns: None
) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    pages = [f"{slow_site.base}/page{i}" for i in range(12)]
    closed = f"http://127.0.0.1:{free_port()}/nothing-listens"
    for i in range(3):  # the same URLs on several claims: fetched once each
        new_claim(
            editor,
            inc["id"],
            src["id"],
            external_id=f"c{i}",
            links=[{"url": u} for u in pages[:4]]
            + [{"url": f"{slow_site.base}/gone"}, {"url": closed}, {"url": "https://x.invalid/a"}],
        )
    for i in range(4, 12):
        new_claim(editor, inc["id"], src["id"], external_id=f"d{i}", links=[{"url": pages[i]}])
    result = runner.invoke(cli, ["links", "check", "--json"])
    assert result.exit_code == 0, result.output
    import json

    report = json.loads(result.stdout)
    assert report["checked"] == 3 * 7 + 8
    assert report["urls"] == 12 + 3
    assert all(n == 1 for n in slow_site.hits.values()), slow_site.hits
    assert slow_site.agents == {USER_AGENT}
    assert 1 < slow_site.max_active <= PARALLEL
    # 3 links to /gone (404), 3 to the closed port, 3 to the unresolvable host
    assert report["broken"] == 9 and report["unreachable"] == 6 and report["dns_failures"] == 3
    assert report["ok"] == 3 * 4 + 8
    reasons = {f["url"]: f["reason"] for f in report["failures"]}
    assert reasons["https://x.invalid/a"].startswith("DNS:")
    assert reasons[f"{slow_site.base}/gone"] == "HTTP 404"
    assert "DNS" not in reasons[closed]
    link = editor.get("/v1/claims", params={"limit": 1}).json()["items"][0]["links"]
    assert all(x["checked_at"] is not None for x in link)


def test_dns_failure_is_named_when_private_urls_are_not_allowed(
    editor: Api, settings_env: pytest.MonkeyPatch, no_dns: None
) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    new_claim(editor, inc["id"], src["id"], links=[{"url": "https://nowhere.invalid/x"}])
    result = runner.invoke(cli, ["links", "check"])
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip().splitlines()[-1]
    assert "1 broken (1 unreachable, 1 DNS failure)" in summary, summary
    assert "nowhere.invalid" in result.stderr and "DNS" in result.stderr


def test_archive_without_an_archive_url_is_an_error(
    editor: Api, admin: Api, slow_site: Site
) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    new_claim(editor, inc["id"], src["id"], links=[{"url": f"{slow_site.base}/page"}])
    result = runner.invoke(cli, ["links", "check", "--archive"])
    assert result.exit_code == 2 and "CLAIMDESK_ARCHIVE_URL" in result.output
    r = admin.post("/v1/links/check", params={"archive": "true"})
    assert r.status_code == 422 and r.json()["errors"][0]["parameter"] == "archive"
    assert slow_site.hits == {}  # nothing was fetched
