"""Link checking against a local site on 127.0.0.1 (the operator allows private URLs here)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.conftest import FakeDNS
from tests.factories import Api, new_claim, new_incident, new_source
from tests.servers import Reply, Route, loopback_site

PAGE = b"<html><head><title>Rockets hit  Camp Taji &amp; more</title></head><body>x</body></html>"


@pytest.fixture
def site(settings_env: pytest.MonkeyPatch) -> Iterator[str]:
    routes: dict[str, Route] = {
        "/article": Reply(200, {"Content-Type": "text/html"}, PAGE),
        "/moved": Reply(301, {"Location": "/article"}),
        "/save/*": lambda path: Reply(
            200, {"Content-Location": "/web/2020/" + path[len("/save/") :]}
        ),
    }
    with loopback_site(routes) as base:
        settings_env.setenv("CLAIMDESK_ALLOW_PRIVATE_URLS", "true")
        settings_env.setenv("CLAIMDESK_ARCHIVE_URL", base + "/save/")
        from app.config import get_settings

        get_settings.cache_clear()
        yield base


def test_link_check_records_status_title_hash_and_archive(
    editor: Api, admin: Api, site: str
) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    c = new_claim(
        editor,
        inc["id"],
        src["id"],
        links=[
            {"url": f"{site}/moved"},
            {"url": f"{site}/gone", "title": "kept"},
        ],
    )
    r = admin.post("/v1/links/check", params={"archive": "true"})
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["checked"], report["ok"], report["broken"], report["archived"]) == (2, 1, 1, 1)
    links = editor.get(f"/v1/claims/{c['id']}").json()["links"]
    moved, gone, archived = links
    assert moved["http_status"] == 200
    assert moved["final_url"] == f"{site}/article"
    assert moved["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert moved["title"] == "Rockets hit Camp Taji & more"
    assert moved["checked_at"] is not None
    assert gone["http_status"] == 404 and gone["title"] == "kept"
    assert archived["kind"] == "archive" and archived["url"] == f"{site}/web/2020/{site}/moved"
    # checked links are not checked again unless asked
    assert admin.post("/v1/links/check").json()["checked"] == 0
    assert admin.post("/v1/links/check", params={"older_than": "0m"}).json()["checked"] == 2
    assert admin.post("/v1/links/check", params={"older_than": "soon"}).status_code == 422
    assert editor.post("/v1/links/check").status_code == 403


def test_private_links_are_refused_without_permission(editor: Api, admin: Api) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    c = new_claim(editor, inc["id"], src["id"], links=[{"url": "https://10.1.2.3/internal"}])
    report = admin.post("/v1/links/check").json()
    assert (report["checked"], report["refused"], report["ok"]) == (1, 1, 0)
    link = editor.get(f"/v1/claims/{c['id']}").json()["links"][0]
    assert link["http_status"] is None and link["checked_at"] is not None


def test_links_check_command(editor: Api, site: str) -> None:
    inc = new_incident(editor)
    src = new_source(editor)
    new_claim(editor, inc["id"], src["id"], links=[{"url": f"{site}/article"}])
    result = CliRunner().invoke(cli, ["links", "check", "--older-than", "0m", "--json"])
    assert result.exit_code == 0, result.output
    assert '"checked":1' in result.stdout and '"ok":1' in result.stdout
    result = CliRunner().invoke(cli, ["links", "check", "--older-than", "0m"])
    assert result.exit_code == 0, result.output
    assert (
        result.stdout.strip().splitlines()[-1].startswith("checked 1 link (1 URL): 1 ok, 0 broken")
    )
    assert CliRunner().invoke(cli, ["links", "check", "--older-than", "x"]).exit_code == 1


def test_every_redirect_hop_is_checked_against_private_addresses(
    editor: Api, settings_env: pytest.MonkeyPatch
) -> None:
    """Break: only the first URL checked. A public page that redirects (directly, or after a
    public hop) into the private network is refused, and the private address is never
    requested; redirects between public hosts still work."""
    import httpx

    from app.db import session_scope
    from app.links.service import check_links

    settings_env.delenv("CLAIMDESK_ALLOW_PRIVATE_URLS", raising=False)
    dns = FakeDNS(settings_env)
    dns.table |= {"news.example.test": "93.184.216.34", "intranet.example.test": "10.0.0.7"}
    routes = {
        "https://news.example.test/a": "https://93.184.216.35/b",
        "https://93.184.216.35/b": "https://intranet.example.test/secret",
        "https://93.184.216.34/direct": "https://169.254.169.254/latest/meta-data",
        "https://news.example.test/ok": "https://93.184.216.35/final",
    }
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        requested.append(url)
        if url in routes:
            return httpx.Response(302, headers={"Location": routes[url]})
        return httpx.Response(200, content=PAGE, headers={"Content-Type": "text/html"})

    inc = new_incident(editor)
    src = new_source(editor)
    c = new_claim(
        editor,
        inc["id"],
        src["id"],
        links=[
            {"url": "https://news.example.test/a"},
            {"url": "https://93.184.216.34/direct"},
            {"url": "https://news.example.test/ok"},
        ],
    )
    with httpx.Client(transport=httpx.MockTransport(handler)) as client:
        report = check_links(session_scope, client)  # one unit of work per URL
    assert (report.checked, report.refused, report.ok) == (3, 2, 1)
    assert not any("intranet" in u or "169.254" in u for u in requested), requested
    # URLs are fetched in parallel: the public redirect chain is followed, in its order
    ok_url, final = "https://news.example.test/ok", "https://93.184.216.35/final"
    assert ok_url in requested and requested.index(final) > requested.index(ok_url)
    chained, direct, ok = editor.get(f"/v1/claims/{c['id']}").json()["links"]
    assert chained["http_status"] is None and direct["http_status"] is None
    assert ok["http_status"] == 200 and ok["final_url"] == "https://93.184.216.35/final"


def _states() -> dict[str, int]:
    """The incidents' state versions (what a copy of a timeline would be kept by)."""
    from sqlalchemy import text

    from app.db import session_scope

    with session_scope() as session:
        rows = session.execute(text("SELECT scope, n FROM view_version")).all()
    return {str(scope): int(n) for scope, n in rows}


@pytest.mark.parametrize("archive", [False, True])
def test_a_link_check_moves_the_state_of_its_claims_incidents(
    editor: Api, admin: Api, site: str, archive: bool
) -> None:
    """Break: ``_record`` / ``_add_archive_link`` write claim_link without a bump. The
    timeline shows each link's check (and an archive link): its incident's version moves on,
    the other incident's does not."""
    checked, other = new_incident(editor), new_incident(editor)
    src = new_source(editor)
    new_claim(editor, checked["id"], src["id"], links=[{"url": f"{site}/article"}])
    new_claim(editor, other["id"], src["id"])
    before = _states()
    r = admin.post("/v1/links/check", params={"archive": str(archive).lower()})
    assert r.status_code == 200 and r.json()["checked"] == 1, r.text
    after = _states()
    assert after[checked["id"]] > before[checked["id"]]
    assert after[other["id"]] == before[other["id"]]
    timeline = editor.get(f"/v1/incidents/{checked['id']}/claims").json()["items"]
    assert [link["kind"] for link in timeline[0]["links"]] == (
        ["original", "archive"] if archive else ["original"]
    )
    assert timeline[0]["links"][0]["checked_at"] is not None
