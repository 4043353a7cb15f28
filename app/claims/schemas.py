from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Strict,
    StringConstraints,
    Tag,
    model_validator,
)
from pydantic.config import JsonDict

from app.enums import Bound, ClaimStatus, LinkKind, Stance, TimePrecision
from app.validation import (
    ExternalId,
    Fraction,
    HttpUrlStr,
    Identifier,
    Instant,
    LanguageTag,
    NotNull,
    Patch,
    Tags,
    Text300,
)

Number = Annotated[float, Strict(), Field(ge=0, allow_inf_nan=False)]

# Which numbers each bound needs ("required") and admits ("allowed").
BOUND_FIELDS: dict[Bound, tuple[set[str], set[str]]] = {
    Bound.exact: ({"best"}, {"best"}),
    Bound.at_least: ({"low"}, {"low"}),
    Bound.more_than: ({"low"}, {"low"}),
    Bound.at_most: ({"high"}, {"high"}),
    Bound.fewer_than: ({"high"}, {"high"}),
    Bound.approximately: ({"best"}, {"low", "best", "high"}),
    Bound.range: ({"low", "high"}, {"low", "best", "high"}),
    Bound.none_reported: (set(), set()),
    Bound.unknown: (set(), set()),
}


class QuantityValue(BaseModel):
    """A count with its bound: "more than 15" is ``{"bound": "more_than", "low": 15}``."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"kind": "quantity", "bound": "more_than", "low": 15}]},
    )

    kind: Literal["quantity"] = "quantity"
    bound: Bound
    low: Number | None = None
    best: Number | None = None
    high: Number | None = None

    @model_validator(mode="after")
    def _numbers(self) -> QuantityValue:
        required, allowed = BOUND_FIELDS[self.bound]
        given = {f for f in ("low", "best", "high") if getattr(self, f) is not None}
        if missing := sorted(required - given):
            raise ValueError(f"bound {self.bound.value!r} needs {', '.join(missing)}")
        if extra := sorted(given - allowed):
            raise ValueError(f"bound {self.bound.value!r} takes no {', '.join(extra)}")
        lo, best, hi = self.low, self.best, self.high
        if (
            (lo is not None and best is not None and lo > best)
            or (best is not None and hi is not None and best > hi)
            or (lo is not None and hi is not None and lo > hi)
        ):
            raise ValueError("low <= best <= high must hold")
        return self


class CategoryValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["category"] = "category"
    category: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class ActorValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["actor"] = "actor"
    actor_id: Identifier = Field(description="The actor held responsible")


class StatementValue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["statement"] = "statement"
    text: str | None = Field(default=None, max_length=2000, description="What is stated")


def value_kind(value: Any) -> str | None:
    """The value's ``kind``; when absent, the kind its members imply (``bound``/``low``/
    ``best``/``high``: quantity, ``category``, ``actor_id``, else statement). The service
    then checks it against the topic's kind, and re-reads a value whose kind was left out
    as the topic's kind."""
    if not isinstance(value, dict):
        return getattr(value, "kind", None)
    kind = value.get("kind")
    if kind is not None:
        return str(kind)
    members = set(value)
    if members & {"bound", "low", "best", "high"}:
        return "quantity"
    if "category" in members:
        return "category"
    if "actor_id" in members:
        return "actor"
    return "statement"


ClaimValueIn = Annotated[
    Annotated[QuantityValue, Tag("quantity")]
    | Annotated[CategoryValue, Tag("category")]
    | Annotated[ActorValue, Tag("actor")]
    | Annotated[StatementValue, Tag("statement")],
    Discriminator(value_kind),
    Field(
        description="What the claim says, by the topic's kind. `kind` may be left out: it is "
        "then the topic's kind (GET /v1/topics/{key})"
    ),
]

QualifierKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,49}$")]
QualifierValue = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
Qualifiers = Annotated[dict[QualifierKey, QualifierValue], Field(max_length=10)]


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: HttpUrlStr
    kind: LinkKind = LinkKind.original
    title: str | None = Field(default=None, max_length=500)
    accessed_at: Instant | None = None


class LinkPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    url: str
    kind: LinkKind
    title: str | None
    accessed_at: datetime | None
    http_status: int | None = Field(description="Read-only: set by the link checker")
    final_url: str | None
    checked_at: datetime | None
    sha256: str | None


_EXAMPLE: JsonDict = {
    "incident_id": "01J0000000000000000000000A",
    "source_id": "01J0000000000000000000000B",
    "speaker": "Col. Myles Caggins",
    "said_at": "2020-03-11T17:00:00Z",
    "said_at_precision": "hour",
    "quote": "The Coalition confirms more than 15 small rockets impacted Iraq's Camp Taji base",
    "language": "en",
    "topic": "munitions.count",
    "value": {"kind": "quantity", "bound": "more_than", "low": 15},
    "stance": "asserts",
    "confidence": 0.95,
    "links": [{"url": "https://example.org/report", "kind": "original"}],
}


class ClaimCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    incident_id: Identifier
    source_id: Identifier = Field(description="Who said it")
    via_source_id: Identifier | None = Field(
        default=None, description="The outlet that carried it, when different from the speaker"
    )
    speaker: Text300 | None = Field(
        default=None, description='Free text when the speaker has no Source: "a security official"'
    )
    said_at: Instant
    said_at_precision: TimePrecision = TimePrecision.minute
    quote: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] = Field(
        description="Verbatim, in the original language"
    )
    language: LanguageTag = "en"
    translation: str | None = Field(default=None, max_length=20_000)
    topic: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    qualifiers: Qualifiers = Field(default_factory=dict, examples=[{"nationality": "US"}])
    value: ClaimValueIn
    stance: Stance = Stance.asserts
    confidence: Fraction = Field(
        default=0.8, description="How firmly the source asserts it (analyst's call)"
    )
    status: ClaimStatus = ClaimStatus.active
    cites_claim_id: Identifier | None = Field(
        default=None, description="This claim repeats another"
    )
    links: Annotated[list[LinkIn], Field(max_length=20)] = Field(default_factory=list)
    external_id: ExternalId | None = None
    tags: Tags = Field(default_factory=list)
    notes: str | None = Field(default=None, max_length=20_000)


class ClaimUpdate(Patch):
    source_id: Annotated[Identifier | None, NotNull()] = None
    via_source_id: Identifier | None = None
    speaker: Text300 | None = None
    said_at: Annotated[Instant | None, NotNull()] = None
    said_at_precision: Annotated[TimePrecision | None, NotNull()] = None
    quote: Annotated[
        Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None, NotNull()
    ] = None
    language: Annotated[LanguageTag | None, NotNull()] = None
    translation: str | None = Field(default=None, max_length=20_000)
    topic: Annotated[
        Annotated[str, StringConstraints(min_length=1, max_length=100)] | None, NotNull()
    ] = None
    qualifiers: Annotated[Qualifiers | None, NotNull()] = None
    value: Annotated[ClaimValueIn | None, NotNull()] = None
    stance: Annotated[Stance | None, NotNull()] = None
    confidence: Annotated[Fraction | None, NotNull()] = None
    cites_claim_id: Identifier | None = None
    links: Annotated[
        Annotated[list[LinkIn], Field(max_length=20)] | None,
        NotNull("send [] to remove all links"),
    ] = None
    external_id: ExternalId | None = None
    tags: Annotated[Tags | None, NotNull()] = None
    notes: str | None = Field(default=None, max_length=20_000)


class QuantityOut(BaseModel):
    kind: Literal["quantity"] = "quantity"
    bound: Bound
    low: int | float | None
    best: int | float | None
    high: int | float | None


class CategoryOut(BaseModel):
    kind: Literal["category"] = "category"
    category: str


class ActorOut(BaseModel):
    kind: Literal["actor"] = "actor"
    actor_id: str


class StatementOut(BaseModel):
    kind: Literal["statement"] = "statement"
    text: str | None


ClaimValueOut = Annotated[
    QuantityOut | CategoryOut | ActorOut | StatementOut, Field(discriminator="kind")
]


class NamedRef(BaseModel):
    """A source or actor embedded in a claim list (``expand=source,actor``)."""

    id: str
    name: str
    kind: str


class ClaimPublic(BaseModel):
    id: str
    incident_id: str
    source_id: str
    via_source_id: str | None
    speaker: str | None
    said_at: datetime
    said_at_precision: TimePrecision
    quote: str
    language: str
    translation: str | None
    topic: str
    qualifiers: dict[str, str]
    value: ClaimValueOut
    stance: Stance
    confidence: float
    status: ClaimStatus
    supersedes_id: str | None
    cites_claim_id: str | None
    links: list[LinkPublic]
    external_id: str | None
    tags: list[str]
    notes: str | None
    recorded_at: datetime
    updated_at: datetime
    version: int
    source: NamedRef | None = Field(
        default=None, description="The source (and its name), with `expand=source`"
    )
    via_source: NamedRef | None = Field(
        default=None, description="The source it was carried via, with `expand=source`"
    )
    actor: NamedRef | None = Field(
        default=None,
        description="The actor an attribution claim holds responsible, with `expand=actor`",
    )


class RetractRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Press TV withdrew the report"}]},
    )

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class ClaimReplacement(ClaimCreate):
    """The corrected claim; ``incident_id`` defaults to the superseded claim's."""

    incident_id: Identifier | None = None  # type: ignore[assignment]
