"""The pure extractor and value reader, on plain strings: frames, speakers, firmness, values,
and the laws every suggestion obeys whatever the text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.extract.extractor import (
    CUE_FIRMNESS,
    DEFAULT_FIRMNESS,
    HEDGES,
    Suggestion,
    byline,
    extract,
    firmness_of,
    sentences,
)
from app.extract.values import read_values


def _one(text: str, needle: str) -> Suggestion:
    found = [s for s in extract(text) if needle in s.quote]
    assert len(found) == 1, [s.quote for s in extract(text)]
    return found[0]


def test_reported_speech_after_the_cue() -> None:
    text = "Coalition officials said that more than 15 small rockets hit the base on Wednesday."
    s = _one(text, "rockets")
    assert s.quote == "more than 15 small rockets hit the base on Wednesday"
    assert s.cue == "said" and s.speaker == "Coalition officials"
    assert s.direct is False


def test_quotation_before_an_inverted_frame() -> None:
    text = "“The base was hit by at least ten rockets,” said Col. Myles Caggins, a spokesman."
    s = _one(text, "rockets")
    assert s.quote == "“The base was hit by at least ten rockets,”"
    assert s.speaker == "Col. Myles Caggins" and s.direct is True


def test_according_to_names_the_source_after_the_cue() -> None:
    text = "According to Reuters, the militia fired nearly a dozen rockets at the base overnight."
    s = _one(text, "militia")
    assert s.cue == "According to" and s.speaker == "Reuters"
    assert s.quote.startswith("the militia fired")


def test_a_quotation_interrupted_by_its_frame_is_one_suggestion() -> None:
    text = (
        "Brett McGurk reacted late on Wednesday.\n\n"
        "“We are assessing the damage at the base,” he said. “Our thoughts are with them.”"
    )
    found = [s for s in extract(text) if "damage" in s.quote]
    assert len(found) == 1
    s = found[0]
    assert s.quote.endswith("“Our thoughts are with them.”")
    assert s.speaker_mention == "he"
    assert s.speaker == "Brett McGurk"  # the pronoun resolves to the name used before
    a, b = s.speaker_span or (0, 0)
    assert text[a:b] == "he"


def test_a_surname_resolves_to_the_full_name_used_earlier() -> None:
    text = (
        "Secretary of State Mike Pompeo spoke in Washington on Tuesday about the strikes.\n\n"
        "Pompeo said the attack was orchestrated by Iranian proxies in Iraq."
    )
    s = _one(text, "orchestrated")
    assert s.speaker_mention == "Pompeo"
    assert s.speaker == "Mike Pompeo"


def test_sentences_do_not_end_inside_a_quotation() -> None:
    text = "He said: “It was bad. Very bad. We will respond.” Then he left the room."
    spans = [(s.start, s.end) for s in sentences(text)]
    assert len(spans) == 2
    assert text[spans[0][0] : spans[0][1]].endswith("respond.”")


def test_author_statements_come_from_the_byline() -> None:
    text = (
        "Rockets hit the base\n\nBy SETH J. FRANTZMAN\n\nTwo US soldiers were killed in the attack."
    )
    assert byline(text) == ("Seth J. Frantzman", (text.index("SETH"), text.index("\n\nTwo")))
    assert not any(s.by_author for s in extract(text))
    mine = [s for s in extract(text, author_statements=True) if s.by_author]
    assert [s.quote for s in mine] == ["Two US soldiers were killed in the attack."]
    assert mine[0].speaker == "Seth J. Frantzman"


def test_firmness_table() -> None:
    assert firmness_of("confirmed", "rockets hit the base") == (0.9, ())
    assert firmness_of("said", "rockets hit the base") == (0.8, ())
    assert firmness_of(None, "rockets hit the base") == (DEFAULT_FIRMNESS, ())
    assert firmness_of("told", "there's a good chance that Iran was behind it") == (
        0.56,
        ("a good chance",),
    )
    assert firmness_of("claimed", "it reportedly could have been Iran") == (
        round(CUE_FIRMNESS["claimed"] * HEDGES["reportedly"] * HEDGES["could"], 2),
        ("reportedly", "could"),
    )


@pytest.mark.parametrize(
    ("content", "topic", "value"),
    [
        (
            "more than 15 small rockets hit the base",
            "munitions.count",
            {"kind": "quantity", "bound": "more_than", "low": 15, "best": None, "high": None},
        ),
        (
            "Two Americans and one Briton were killed in the barrage",
            "casualties.killed",
            {"kind": "quantity", "bound": "exact", "low": None, "best": 3, "high": None},
        ),
        (
            "there were no immediate reports about anyone wounded",
            "casualties.wounded",
            {"kind": "quantity", "bound": "none_reported", "low": None, "best": None, "high": None},
        ),
        ("a good chance that Iran was behind it", "responsibility", {"kind": "actor"}),
    ],
)
def test_values_read_through_the_phrase_parser(
    content: str, topic: str, value: dict[str, object]
) -> None:
    found = {v.topic: v for v in read_values(content)}
    assert found[topic].value == value


def test_responsibility_names_who_is_held_responsible() -> None:
    (v,) = read_values("the attack was orchestrated by terrorists – Qays al-Khazali")
    assert v.topic == "responsibility" and "Qays al-Khazali" in v.names
    assert read_values("the weather was fine") == []


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *"abc XYZ.,:;“”\"'’\n-—",
                *("said ", "He ", "according to ", "Smith ", "told ", "By JOHN DOE\n", "<b>"),
            ]
        ),
        max_size=120,
    ).map("".join),
    st.booleans(),
)
def test_every_suggestion_points_into_the_text(text: str, author: bool) -> None:
    for s in extract(text, author_statements=author):
        a, b = s.quote_span
        assert 0 <= a < b <= len(text)
        assert text[a:b] == s.quote
        for span in (s.cue_span, s.speaker_span):
            if span is not None:
                assert 0 <= span[0] < span[1] <= len(text)
        assert 0 < s.firmness <= 1
        assert 0 <= s.score <= 1
