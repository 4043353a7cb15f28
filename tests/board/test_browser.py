"""The incident board at /board, driven in headless Chromium against a live server with the
Camp Taji demo loaded (see tests/browser.py for the browser and the server)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.browser import browser_page, live_server  # noqa: F401
from tests.factories import make_key

AXE = Path(__file__).parents[1] / "vendor" / "axe.min.js"  # axe-core 4.14 from npm, tests only


@dataclass
class Board:
    url: str
    taji: str
    viewer: str
    editor: str


@pytest.fixture
def board(live_server: str) -> Iterator[Board]:  # noqa: F811
    from app.db import session_scope
    from app.demo.service import camp_taji_id, load_demo

    with session_scope() as session:
        load_demo(session)
        taji = camp_taji_id(session)
    assert taji is not None
    yield Board(live_server, taji, make_key("viewer", "desk viewer"), make_key("editor", "desk"))


@pytest.fixture
def page(board: Board, browser_page: Any) -> Any:  # noqa: F811
    """The browser tab of a test about the board (with the demo loaded behind ``board``)."""
    return browser_page


def sign_in(page: Any, board: Board, key: str, hash_: str = "#/") -> None:
    page.goto(f"{board.url}/board/{hash_}")
    page.locator("#account").get_by_role("button", name="Sign in").click()
    page.get_by_role("textbox", name="API key").fill(key)
    page.get_by_role("dialog").get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def topic_card(page: Any, topic: str, qualifiers: dict[str, str] | None = None) -> Any:
    quals = json.dumps(qualifiers or {}, separators=(",", ":"))
    return page.locator(f"article.topic-card[data-topic='{topic}'][data-qualifiers='{quals}']")


def probabilities(card: Any) -> list[float]:
    values = card.locator(".candidate[data-probability]").evaluate_all(
        "els => els.map(e => e.dataset.probability)"
    )
    return [float(v) for v in values]


def shown_percentages(card: Any) -> list[int]:
    texts = card.locator(".candidate .pct").all_inner_texts()
    return [int(re.match(r"\s*(\d+)\s*%", t).group(1)) for t in texts]  # type: ignore[union-attr]


def test_board_is_served_from_the_package(app_client: TestClient) -> None:
    r = app_client.get("/board", follow_redirects=False)
    assert r.status_code == 308 and r.headers["location"] == "/board/"
    page = app_client.get("/board/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert '<script type="module" src="app.js">' in page.text
    for asset in ("app.js", "api.js", "incident.js", "list.js", "claimform.js", "board.css"):
        r = app_client.get(f"/board/{asset}")
        assert r.status_code == 200, asset
        outside = re.search(r"""(from|import\(|src=|href=|url\()\s*["']?(https?:)?//""", r.text)
        assert outside is None, f"{asset} loads something from elsewhere: {outside}"
    assert app_client.get("/board/nothing.js").status_code == 404
    assert not any(p.startswith("/board") for p in app_client.get("/openapi.json").json()["paths"])


def test_whoami_tells_the_board_the_role(app_client: TestClient) -> None:
    key = make_key("viewer", "reader")
    r = app_client.get("/v1/keys/me", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200
    assert r.json()["role"] == "viewer" and r.json()["name"] == "reader"
    assert app_client.get("/v1/keys/me").status_code == 401


def test_list_shows_incidents_with_contested_badge_filters_and_paging(
    board: Board, page: Any
) -> None:
    page.goto(f"{board.url}/board/")
    page.get_by_role("heading", name="Sign in to read the board").wait_for()
    sign_in(page, board, board.viewer)
    taji = page.locator("li.incident-card", has_text="Camp Taji rocket attack")
    taji.wait_for()
    assert taji.locator(".badge.contested").is_visible()
    assert "Leading attribution: Iran" in taji.inner_text()
    incidents = api_get(board, "/incidents", include_total="true")["total"]
    assert page.locator("li.incident-card").count() == incidents

    page.get_by_label("Contested", exact=True).select_option("true")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_function("location.hash.includes('contested=true')")
    page.locator("li.incident-card").first.wait_for()
    cards = page.locator("li.incident-card")
    assert 1 <= cards.count() < incidents
    for i in range(cards.count()):
        assert cards.nth(i).locator(".badge.contested").count() == 1

    page.get_by_role("button", name="Clear").click()
    page.wait_for_function(f"document.querySelectorAll('li.incident-card').length === {incidents}")
    page.get_by_label("Search").fill("katyusha")
    page.get_by_label("Search").press("Enter")
    page.wait_for_function("document.querySelectorAll('li.incident-card').length === 1")
    assert "Camp Taji" in page.locator("li.incident-card").inner_text()

    page.goto(f"{board.url}/board/#/?limit=4")
    page.wait_for_function("document.querySelectorAll('li.incident-card').length === 4")
    first = page.locator("li.incident-card h2").all_inner_texts()
    page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="Previous page").wait_for()
    second = page.locator("li.incident-card h2").all_inner_texts()
    assert len(second) == 4 and not set(first) & set(second)
    page.get_by_role("link", name="Previous page").click()
    page.wait_for_function("!location.hash.includes('cursor')")
    page.wait_for_function(
        "first => JSON.stringify([...document.querySelectorAll('li.incident-card h2')]"
        ".map(e => e.innerText)) === JSON.stringify(first)",
        arg=first,
    )
    assert page.script_errors == [] and page.outside_requests == []


def api_get(board: Board, path: str, **params: Any) -> Any:
    r = httpx.get(
        f"{board.url}/v1{path}", params=params, headers={"Authorization": f"Bearer {board.viewer}"}
    )
    assert r.status_code == 200, r.text
    return r.json()


def stars_and_stripes_said_at(board: Board) -> datetime:
    """When the Stars and Stripes report reached the desk (the demo data decides, not the test)."""
    outlet = api_get(board, "/sources", name_prefix="Stars and Stripes")["items"][0]
    claims = api_get(board, f"/incidents/{board.taji}/claims", source_id=outlet["id"])["items"]
    return min(datetime.fromisoformat(c["said_at"]) for c in claims)


CASUALTY_CARDS = "article.topic-card[data-topic^='casualties']"


def test_camp_taji_shows_the_competing_death_tolls_and_the_slider_travels_in_time(
    board: Board, page: Any
) -> None:
    sign_in(page, board, board.viewer, f"#/incidents/{board.taji}")
    page.get_by_role("heading", name="Camp Taji rocket attack").wait_for()
    page.locator("main:not([aria-busy]) li.claim").first.wait_for()
    # the death toll is contested: Press TV's "none" against a toll (on whichever casualty
    # topic the views put the conflict)
    contested = page.locator(f"{CASUALTY_CARDS}[data-contested='true']")
    assert contested.count() >= 1
    toll = contested.filter(has=page.locator(".candidate", has_text="Press TV")).first
    versions = toll.locator(".candidate:not(.none)")
    assert versions.count() >= 2
    texts = versions.all_inner_texts()
    assert any("Press TV" in t and "none reported" in t for t in texts), texts
    assert any("Stars and Stripes" in t and re.search(r"\b[1-9]", t) for t in texts), texts
    probs = probabilities(toll)
    assert len(probs) == versions.count() + 1  # the versions and "none of these"
    assert all(0 < p < 1 for p in probs)
    assert abs(sum(probs) - 1) < 1e-6
    assert sum(shown_percentages(toll)) == 100
    assert toll.locator(".candidate.none").inner_text().startswith("None of these")
    assert "independent source" in toll.inner_text()

    # each claim's contribution is one click away
    toll.locator(".candidate:not(.none)").first.get_by_text(re.compile("^Why")).click()
    claim = toll.locator("details.why li details").first
    claim.locator("summary").click()
    for word in ("Reliability", "Firmness", "Independence", "Weight"):
        assert word in claim.inner_text()

    # a cross-topic conflict says which rule brought the other topic's claim here, and why
    assert toll.locator(".implied-rule code").count() >= 1
    sas = toll.locator(".candidate", has_text="Stars and Stripes")
    sas.locator("details.why").evaluate("d => { d.open = true; }")
    implied = sas.locator("details.why li details").filter(has_text="Stars and Stripes").first
    implied.evaluate("d => { d.open = true; }")
    assert "Implied:" in implied.inner_text()

    # attributions: Iran contains the Iran-backed groups (not competitors)
    attributions = page.locator("section.attributions")
    assert re.search(r"Iran ⊃ Iran-backed", attributions.inner_text())
    assert "Compatible, not competing" in attributions.inner_text()

    # the timeline has the verbatim quote, its speaker, precision and link
    press_tv = page.locator("li.claim").filter(
        has=page.locator("blockquote", has_text="Nearly a dozen Katyusha rockets")
    )
    press_tv = press_tv.filter(has=page.locator(".value", has_text="katyusha")).first
    assert "Press TV" in press_tv.inner_text()
    assert re.search(
        r"· (to the (minute|hour)|(time of day|day|week|month|year) only) ·", press_tv.inner_text()
    )
    assert press_tv.locator("ul.links a").count() >= 1

    # an hour before the Stars and Stripes report the death toll was not contested; the
    # munitions already were
    before = stars_and_stripes_said_at(board) - timedelta(hours=1)
    slider = page.get_by_role("slider", name="What was known")
    slider.fill(str(int(before.timestamp()) // 60))
    stamp = before.strftime("%Y-%m-%dT%H:%M:%SZ")
    page.wait_for_function(f"decodeURIComponent(location.hash).includes('as_of={stamp}')")
    page.wait_for_function(
        f"!document.querySelector(\"{CASUALTY_CARDS}[data-contested='true']\")"
        " && !document.querySelector('main[aria-busy]')"
    )
    assert page.locator("#no-contest").count() == 0  # other topics still are
    assert topic_card(page, "munitions.count").get_attribute("data-contested") == "true"
    assert page.locator("li.claim .who", has_text="Stars and Stripes").count() == 0
    assert before.strftime("%H:%M UTC") in page.locator("output.asof-value").inner_text()

    slider.press("End")
    page.wait_for_function("!location.hash.includes('as_of')")
    page.locator(f"{CASUALTY_CARDS}[data-contested='true']").first.wait_for()
    assert page.script_errors == [] and page.outside_requests == []


def best_load_ms(page: Any, url: str, ready: str, attribute: str) -> float:
    """The best of five loads, from navigation start to ``attribute`` set on <main>, as the
    browser measures it."""
    page.goto(url)
    timings = []
    for _ in range(5):
        page.reload()
        page.wait_for_selector(ready)
        timings.append(float(page.locator("main").get_attribute(attribute) or "inf"))
    return min(timings)


def test_camp_taji_page_loads_in_under_a_second(board: Board, page: Any) -> None:
    """From navigation start to the page fully drawn (versions, attributions, timeline), as the
    browser measures it, best of five. The budget is 1 s; on a shared machine so loaded that
    the board's bare shell (the same modules and one API call) is itself slow, the budget
    grows with it (4 x the shell), so the test measures the page, not the neighbours."""
    sign_in(page, board, board.viewer)
    shell = best_load_ms(
        page, f"{board.url}/board/#/nowhere", "main[data-routed-at] h1", "data-routed-at"
    )
    taji = best_load_ms(
        page,
        f"{board.url}/board/#/incidents/{board.taji}",
        "main[data-loaded-at]:not([aria-busy]) ol.claims li.claim",
        "data-loaded-at",
    )
    print(f"Camp Taji page {taji:.0f} ms, bare shell {shell:.0f} ms, ratio {taji / shell:.1f}")
    assert taji < max(1000.0, 4 * shell), (taji, shell)


def test_viewer_sees_no_edit_controls(board: Board, page: Any) -> None:
    sign_in(page, board, board.viewer, f"#/incidents/{board.taji}")
    page.locator("li.claim").first.wait_for()
    assert "viewer" in page.locator("#account").inner_text()
    assert page.get_by_role("link", name="Add a claim").count() == 0
    for name in ("Edit", "Supersede", "Retract"):
        assert page.get_by_role("link", name=name, exact=True).count() == 0
        assert page.get_by_role("button", name=name, exact=True).count() == 0
    assert page.locator(".editor-only").count() == 0
    assert page.get_by_role("link", name="History").count() > 0  # reading history is fine
    page.goto(f"{board.url}/board/#/incidents/{board.taji}/new")
    page.get_by_role("heading", name="Editors only").wait_for()
    assert page.locator("form.claim-form").count() == 0


def _axe(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [v for v in result if v["impact"] in ("serious", "critical")]


def test_accessibility_and_small_screens(board: Board, page: Any) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, board, board.editor)
    page.locator("li.incident-card").first.wait_for()
    assert _axe(page) == []
    page.goto(f"{board.url}/board/#/incidents/{board.taji}")
    page.locator("main:not([aria-busy]) li.claim").first.wait_for()
    for summary in page.locator("details > summary").all()[:6]:
        summary.click()
    assert _axe(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways at 360 px ({width} px wide)"
    # keyboard: the slider is reachable and moves with the arrow keys
    slider = page.get_by_role("slider", name="What was known")
    slider.focus()
    before = slider.input_value()
    page.keyboard.press("ArrowLeft")
    assert slider.input_value() != before
    page.wait_for_function("location.hash.includes('as_of=')")
    # the claim form too
    page.goto(f"{board.url}/board/#/incidents/{board.taji}/new")
    page.get_by_role("heading", name="Record a claim").wait_for()
    assert _axe(page) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # the check itself can fail: an unlabelled field is reported
    page.evaluate("document.querySelector('main').append(document.createElement('input'))")
    assert any(v["id"] == "label" for v in _axe(page))


def test_screenshots_for_the_docs(board: Board, page: Any, tmp_path: Path) -> None:
    """``CLAIMDESK_SCREENSHOT_DIR=docs pytest tests/board/test_browser.py -k screenshots`` refreshes
    the pictures in docs/board.md."""
    out = Path(os.environ.get("CLAIMDESK_SCREENSHOT_DIR") or tmp_path)
    page.set_viewport_size({"width": 1200, "height": 820})
    sign_in(page, board, board.editor)
    page.locator("li.incident-card").first.wait_for()
    page.screenshot(path=str(out / "board-list.png"))
    page.goto(f"{board.url}/board/#/incidents/{board.taji}")
    page.locator("main:not([aria-busy]) li.claim").first.wait_for()
    page.evaluate("window.scrollTo(0, 0); document.activeElement.blur()")
    page.screenshot(
        path=str(out / "board-camp-taji.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1200, "height": 1500},
    )
    page.set_viewport_size({"width": 360, "height": 740})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(out / "board-360px.png"))
    for name in ("board-list.png", "board-camp-taji.png", "board-360px.png"):
        assert (out / name).stat().st_size > 20_000, name  # a rendered page, not a blank one


def test_editor_records_a_claim_with_the_phrase_parser_and_pickers(board: Board, page: Any) -> None:
    sign_in(page, board, board.editor, f"#/incidents/{board.taji}")
    page.get_by_role("link", name="Add a claim").click()
    page.get_by_role("heading", name="Record a claim").wait_for()
    page.get_by_label("Topic").select_option("munitions.count")
    page.get_by_role("searchbox", name="Source (who said it)").fill("Press")
    page.get_by_role("button", name=re.compile("^Press TV")).first.click()
    assert "Chosen: Press TV" in page.locator(".picked").first.inner_text()
    page.get_by_label("Said at (UTC)").fill("2020-03-12T08:00")
    page.get_by_label("Precision").select_option("hour")
    page.get_by_label("Quote (verbatim)").fill("Nearly a dozen rockets, a board test says.")
    page.get_by_label("Say it in words").fill("nearly a dozen")
    page.locator("output.parsed", has_text="9\u201312").wait_for()  # read as it is typed
    assert page.get_by_label("Bound").input_value() == "approximately"
    page.get_by_label("Link URL").fill("https://www.presstv.ir/Detail/2020/03/11/test")
    page.get_by_role("button", name="Record the claim").click()
    page.wait_for_function(f"location.hash === '#/incidents/{board.taji}'")
    claim = page.locator("li.claim", has_text="a board test says")
    claim.wait_for()
    assert "Press TV" in claim.inner_text() and "about 11 (9\u201312)" in claim.inner_text()
    stored = api_get(board, "/claims", q="board test")["items"]
    assert len(stored) == 1 and stored[0]["value"]["bound"] == "approximately"
    assert stored[0]["links"][0]["url"].startswith("https://www.presstv.ir/")
    assert page.script_errors == []


def test_a_concurrent_edit_is_a_412_that_the_editor_resolves(board: Board, page: Any) -> None:
    auth = {"Authorization": f"Bearer {board.editor}"}
    claim = api_get(board, f"/incidents/{board.taji}/claims", topic="munitions.type")["items"][0]
    sign_in(page, board, board.editor, f"#/claims/{claim['id']}/edit")
    page.get_by_role("heading", name="Correct a claim").wait_for()
    page.get_by_label(re.compile("^Firmness")).fill("0.35")
    # meanwhile a colleague corrects the notes
    r = httpx.patch(
        f"{board.url}/v1/claims/{claim['id']}",
        json={"notes": "checked against the original broadcast"},
        headers=auth | {"If-Match": f'"{claim["version"]}"'},
    )
    assert r.status_code == 200, r.text
    page.get_by_role("button", name="Save the correction").click()
    box = page.locator(".conflict-box")
    box.wait_for()
    assert "Someone else changed this claim" in box.inner_text()
    assert "checked against the original broadcast" in box.inner_text()  # their edit
    assert "0.35" in box.inner_text()  # mine
    box.get_by_role("button", name="Reapply my changes").click()
    page.wait_for_function(f"location.hash === '#/incidents/{board.taji}'")
    final = httpx.get(f"{board.url}/v1/claims/{claim['id']}", headers=auth).json()
    assert final["confidence"] == 0.35
    assert final["notes"] == "checked against the original broadcast"
    assert final["version"] == claim["version"] + 2
    assert page.script_errors == []


def test_paste_an_article_fills_the_form_from_a_suggestion(board: Board, page: Any) -> None:
    sign_in(page, board, board.editor, f"#/incidents/{board.taji}/new")
    page.get_by_text("Paste an article to get suggested claims").click()
    page.get_by_label("Article text").fill(
        "Press TV said nearly a dozen Katyusha rockets hit a military base housing American "
        "troops near Baghdad."
    )
    page.get_by_role("button", name="Suggest claims").click()
    suggestion = page.locator("li.suggestion").first
    suggestion.wait_for()
    suggestion.get_by_role("button", name="Use this").click()
    assert page.get_by_label("Quote (verbatim)").input_value() != ""
    assert (
        page.get_by_label("Quote (verbatim)").input_value()
        in page.get_by_label("Article text").input_value()
    )
    assert page.script_errors == []
