from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.claims.schemas import ClaimPublic, ClaimValueIn, Qualifiers
from app.enums import TimePrecision
from app.validation import (
    ExternalId,
    Flag,
    Fraction,
    HttpUrlStr,
    Identifier,
    Instant,
    LanguageTag,
    Tags,
    Text300,
)

#: the longest text accepted (characters): a long article is 50,000
MAX_TEXT = 200_000


class ExtractRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Coalition officials said more than 15 small rockets hit the base. "
                    "“We are assessing the damage,” said Col. Myles Caggins.",
                    "language": "en",
                },
                {"url": "https://www.example.org/news/rocket-attack"},
            ]
        },
    )

    text: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="The article's text (plain). Give text or url, not both.",
    )
    url: HttpUrlStr | None = Field(
        default=None,
        description="An https URL to fetch; the page's main text is extracted (trafilatura)",
    )
    incident_id: Identifier | None = Field(
        default=None, description="The incident the suggestions are for (echoed, not written)"
    )
    said_at: Instant | None = Field(
        default=None, description="When the article was published (echoed for accept)"
    )
    language: LanguageTag = Field(default="en", description="Only English is read today")
    author_statements: Flag = Field(
        default=True,
        description="Also suggest the article's own statements (said by its byline's author)",
    )

    @model_validator(mode="after")
    def _one_input(self) -> ExtractRequest:
        if (self.text is None) == (self.url is None):
            raise ValueError("give either text or url")
        return self


class Candidate(BaseModel):
    id: str
    name: str
    matched: str = Field(description="The name or alias that matched")
    score: float = Field(description="1 for an exact name or alias, lower for a partial match")


class ValueSuggestion(BaseModel):
    topic: str = Field(examples=["munitions.count"])
    value: dict[str, Any] | None = Field(
        description="A claim value; for responsibility, null unless an actor matched"
    )
    matched: str = Field(description="The words the value was read from")
    actor_candidates: list[Candidate] = Field(default_factory=list)


class SuggestionOut(BaseModel):
    id: str = Field(description="Stable for the same text and span")
    score: float = Field(
        description="How likely this is a real attribution (0-1): suggestions below 0.3 are "
        "not returned"
    )
    quote: str
    quote_span: tuple[int, int] = Field(description="[start, end) character offsets in text")
    direct: bool = Field(description="A verbatim quotation (true) or reported speech (false)")
    by_author: bool = Field(description="The article's own statement, not reported speech")
    cue: str | None = Field(examples=["said"])
    cue_span: tuple[int, int] | None
    speaker: str | None = Field(description="Resolved: a pronoun or description → the name")
    speaker_mention: str | None = Field(description="The words in the text at speaker_span")
    speaker_span: tuple[int, int] | None
    source_id: str | None = Field(description="The best registry match for the speaker")
    source_candidates: list[Candidate]
    actor_id: str | None = Field(description="The best actor held responsible, if any")
    firmness: float = Field(description="From the cue and hedges (docs/extraction.md)")
    hedges: list[str]
    topic: str | None = Field(description="The first value's topic, if the content states one")
    value: dict[str, Any] | None
    values: list[ValueSuggestion]


class ExtractResponse(BaseModel):
    text: str = Field(description="The text the spans point into (the page's main text for url)")
    url: str | None
    title: str | None
    incident_id: str | None
    said_at: str | None
    language: str
    suggestions: list[SuggestionOut]


class AcceptLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrlStr
    title: str | None = Field(default=None, max_length=500)


class AcceptItem(BaseModel):
    """One chosen suggestion, as the analyst corrected it."""

    model_config = ConfigDict(extra="forbid")

    quote: Annotated[str, Field(min_length=1, max_length=20_000)]
    source_id: Identifier
    via_source_id: Identifier | None = None
    speaker: Text300 | None = None
    topic: Annotated[str, Field(min_length=1, max_length=100)]
    value: ClaimValueIn
    qualifiers: Qualifiers = Field(default_factory=dict)
    confidence: Fraction = Field(default=0.8, description="The suggestion's firmness")
    said_at: Instant | None = Field(default=None, description="Overrides the request's said_at")
    said_at_precision: TimePrecision | None = None
    external_id: ExternalId | None = Field(
        default=None,
        description="Defaults to a hash of incident, source, topic, value and quote, so "
        "accepting the same suggestion twice returns the claim made the first time",
    )
    tags: Tags = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=20_000)


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    incident_id: Identifier
    said_at: Instant
    said_at_precision: TimePrecision = TimePrecision.day
    language: LanguageTag = "en"
    link: AcceptLink | None = Field(
        default=None, description="The article: attached to every claim as its original link"
    )
    items: Annotated[list[AcceptItem], Field(min_length=1, max_length=200)]


class AcceptResponse(BaseModel):
    created: int
    existing: int = Field(description="Accepted before: returned, not made again")
    claims: list[ClaimPublic]
