"""The Camp Taji demo says only what its seed article says.

The article (``../shared/seed/camp-taji-article.txt``; a copy is kept in ``tests/data`` so the
test runs on a fresh checkout too) is read and every demo claim is checked against it: the quote
is verbatim, and ``said_at`` falls on the local date (Iraq, UTC+3) the article gives for the
statement. The table below says, for every claim, which words of the article date it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.demo.service import demo_lines
from tests.shared_data import shared_path

HERE = Path(__file__).resolve().parents[1]  # tests/
VENDORED = HERE / "data" / "camp-taji-article.txt"
IRAQ = ZoneInfo("Asia/Baghdad")
ARTICLE_DAY = date(2020, 3, 11)  # "March 11, 2020" in the title; "said Wednesday"

# claim external id -> (earliest, latest local date in Iraq, the article's words that date it).
# ``None`` words: the date is not in the article (said elsewhere, reported by it later).
D = date
ON_11_MARCH = (ARTICLE_DAY, ARTICLE_DAY, "March 11, 2020")
SAID_WEDNESDAY = (ARTICLE_DAY, ARTICLE_DAY, "a security official said Wednesday")
EXPECTED: dict[str, tuple[date, date, str | None]] = {
    "clm-series-schenker-iran": (
        D(2019, 12, 1),
        D(2019, 12, 10),
        "In early December David Schenker",
    ),
    "clm-series-mcgurk-occurred": ON_11_MARCH,
    "clm-k1-author-killed-us": ON_11_MARCH,
    "clm-k1-author-resp-kh": ON_11_MARCH,
    "clm-emb-pompeo-occurred": (D(2020, 1, 1), D(2020, 1, 1), "On January 1 US Secretary of State"),
    "clm-emb-pompeo-resp-kh": (D(2020, 1, 1), D(2020, 1, 1), "On January 1 US Secretary of State"),
    "clm-emb-pompeo-resp-aah": (D(2020, 1, 1), D(2020, 1, 1), "On January 1 US Secretary of State"),
    "clm-emb-pompeo-resp-proxies": (D(2020, 1, 1), D(2020, 1, 1), "On January 1 US Secretary"),
    "clm-emb-author-resp-proiranian": ON_11_MARCH,
    "clm-air-author-killed": ON_11_MARCH,
    "clm-air-author-resp-us": ON_11_MARCH,
    "clm-ayn-npr-damage": (D(2020, 1, 8), D(2020, 1, 8), "Satellite photos taken Wednesday"),
    "clm-ayn-npr-resp-iran": (D(2020, 1, 8), D(2020, 1, 8), "Satellite photos taken Wednesday"),
    "clm-ayn-author-resp-iran": ON_11_MARCH,
    "clm-ayn-author-munitions-type": ON_11_MARCH,
    # said at a House Armed Services Committee hearing on Tuesday 10 March; the article
    # reports it the next day ("On March 11 reports emerged")
    "clm-ayn-mckenzie-resp-iran": (D(2020, 3, 10), D(2020, 3, 10), None),
    "clm-qom-nujaba-occurred": (D(2020, 1, 13), D(2020, 1, 13), "noted Lawk Ghafuri on January 13"),
    "clm-qom-author-occurred": ON_11_MARCH,
    "clm-union3-kohnavard-occurred": (D(2020, 1, 20), D(2020, 1, 20), "Kohnavard on January 20"),
    "clm-raid-author-killed-us": ON_11_MARCH,
    "clm-raid-author-resp-isis": ON_11_MARCH,
    "clm-sham-irna-occurred": (D(2020, 3, 8), D(2020, 3, 9), "During his two-day visit to Iraq"),
    "clm-sham-author-occurred": ON_11_MARCH,
    "clm-taji-caggins-munitions-count": (ARTICLE_DAY, ARTICLE_DAY, "March 11 at 7:35 p.m."),
    "clm-taji-caggins-munitions-type": (ARTICLE_DAY, ARTICLE_DAY, "March 11 at 7:35 p.m."),
    "clm-taji-caggins-occurred": (ARTICLE_DAY, ARTICLE_DAY, "March 11 at 7:35 p.m."),
    "clm-taji-presstv-munitions-count": (ARTICLE_DAY, ARTICLE_DAY, "no immediate reports"),
    "clm-taji-presstv-munitions-type": (ARTICLE_DAY, ARTICLE_DAY, "no immediate reports"),
    "clm-taji-presstv-occurred": (ARTICLE_DAY, ARTICLE_DAY, "no immediate reports"),
    "clm-taji-presstv-wounded": (ARTICLE_DAY, ARTICLE_DAY, "no immediate reports"),
    "clm-taji-presstv-casualties": (ARTICLE_DAY, ARTICLE_DAY, "no immediate reports"),
    "clm-taji-presstv-damage": (ARTICLE_DAY, ARTICLE_DAY, "no immediate reports"),
    "clm-taji-sns-killed-total": SAID_WEDNESDAY,
    "clm-taji-sns-killed-us": SAID_WEDNESDAY,
    "clm-taji-sns-killed-gb": SAID_WEDNESDAY,
    "clm-taji-sns-munitions-count": SAID_WEDNESDAY,
    "clm-taji-sns-munitions-type": SAID_WEDNESDAY,
    "clm-taji-sns-occurred": SAID_WEDNESDAY,
    "clm-taji-mcgurk-casualties": ON_11_MARCH,
    "clm-taji-author-killed-us": ON_11_MARCH,
    "clm-taji-author-resp-iran": ON_11_MARCH,
    "clm-taji-author-resp-iran-backed": ON_11_MARCH,
    "clm-taji-author-launchers": ON_11_MARCH,
    "clm-albukamal-author-occurred": ON_11_MARCH,
    "clm-series2020-author-occurred": ON_11_MARCH,
    "clm-series2020-author-count": ON_11_MARCH,
    "clm-series-author-count": ON_11_MARCH,
}


def article() -> str:
    return VENDORED.read_text("utf-8")


def records(kind: str) -> list[dict[str, Any]]:
    return [r for r in map(json.loads, demo_lines()) if r["type"] == kind]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def local_day(text: str) -> date:
    return instant(text).astimezone(IRAQ).date()


def test_the_vendored_article_is_the_seed_article() -> None:
    assert VENDORED.read_bytes() == shared_path("seed", "camp-taji-article.txt").read_bytes()


def test_every_quote_is_verbatim() -> None:
    text = article()
    claims = records("claim")
    assert len(claims) == len(EXPECTED)
    missing = [c["external_id"] for c in claims if c["quote"] not in text]
    assert missing == []


def test_every_said_at_falls_on_the_local_date_the_article_gives() -> None:
    text = article()
    claims = {c["external_id"]: c for c in records("claim")}
    assert set(claims) == set(EXPECTED), "every demo claim needs its date basis in EXPECTED"
    wrong = []
    for ext, (earliest, latest, words) in EXPECTED.items():
        if words is not None:
            assert words in text, f"{ext}: {words!r} is not in the article"
        day = local_day(claims[ext]["said_at"])
        if not earliest <= day <= latest:
            wrong.append((ext, claims[ext]["said_at"], str(day)))
        if words is not None and "Wednesday" in words:
            assert day.strftime("%A") == "Wednesday", ext
    assert wrong == []


def test_recorded_at_is_when_the_desk_learnt_it() -> None:
    """Nothing was recorded before it was said, nor before the article's day: the desk learnt
    everything on Wednesday 11 March (the evening's statements as they came, the rest from the
    article), so an ``as_of`` view before then shows nothing from December 2019."""
    for c in records("claim"):
        said, recorded = instant(c["said_at"]), instant(c["recorded_at"])
        assert recorded >= said, c["external_id"]
        assert recorded.astimezone(IRAQ).date() == ARTICLE_DAY, c["external_id"]


def test_incident_bounds_follow_the_demo_conventions() -> None:
    incidents = {i["external_id"]: i for i in records("incident")}
    taji = incidents["inc-camp-taji-2020-03-11"]
    # "7:35 p.m. (Iraq Time)", minute precision: the whole minute
    assert (taji["occurred_earliest"], taji["occurred_latest"]) == (
        "2020-03-11T16:35:00Z",
        "2020-03-11T16:35:59Z",
    )
    assert "7:35 p.m." in article()
    # a Baghdad-time day, month or series starts at 21:00Z the day before
    for inc in incidents.values():
        if inc["timezone"] == "Asia/Baghdad" and inc["time_precision"] != "minute":
            start = instant(inc["occurred_earliest"]).astimezone(IRAQ)
            end = instant(inc["occurred_latest"]).astimezone(IRAQ)
            assert (start.hour, start.minute) == (0, 0), inc["external_id"]
            assert (end.hour, end.minute, end.second) == (23, 59, 59), inc["external_id"]
    assert "Since January 8 another series of attacks" in article()
    assert local_day(incidents["inc-rocket-attacks-2020"]["occurred_earliest"]) == date(2020, 1, 8)


def test_the_article_attributes_what_the_demo_attributes() -> None:
    claims = {c["external_id"]: c for c in records("claim")}
    # Schenker's December words are background: no Camp Taji claim in his (or MECRA's) name
    taji = [c for c in claims.values() if c["incident_external_id"] == "inc-camp-taji-2020-03-11"]
    assert {c["source_external_id"] for c in taji}.isdisjoint({"src-schenker", "src-mecra"})
    # no Defence Department statement is in the article
    assert all(c["source_external_id"] != "src-us-dod" for c in claims.values())
    assert claims["clm-k1-author-resp-kh"]["source_external_id"] == "src-frantzman"
    assert "implied" in claims["clm-k1-author-resp-kh"]["tags"]
    assert "implied" in claims["clm-taji-author-resp-iran"]["tags"]
    # "... a security official said Wednesday": the official speaks, Stars and Stripes carries
    for ext in [e for e in claims if e.startswith("clm-taji-sns-")]:
        c = claims[ext]
        assert (c["source_external_id"], c["via_source_external_id"], c["speaker"]) == (
            "src-stripes-security-official",
            "src-stripes",
            "a security official",
        )
    # Press TV says nothing about deaths, McGurk's "casualties" is not a death count
    for c in claims.values():
        if c["source_external_id"] in ("src-presstv", "src-mcgurk"):
            assert c["topic"] != "casualties.killed", c["external_id"]
    assert claims["clm-taji-presstv-casualties"]["topic"] == "casualties"
    assert claims["clm-taji-presstv-casualties"]["value"]["bound"] == "none_reported"
    # author claims speak in the author's voice
    author = [c for c in claims.values() if c["source_external_id"] == "src-frantzman"]
    assert all(c["speaker"] is None and c["via_source_external_id"] is None for c in author)
    assert "unattributed-reports" in claims["clm-albukamal-author-occurred"]["tags"]
