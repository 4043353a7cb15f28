from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.claims.schemas import ClaimValueOut, QuantityOut


class SourceRef(BaseModel):
    id: str
    name: str


class ActorRef(BaseModel):
    id: str
    name: str
    kind: str
    parent_id: str | None


class ImpliedBy(BaseModel):
    """Why a claim made on one topic counts on another: a topic implication."""

    rule: str = Field(examples=["casualties >= casualties.killed + casualties.wounded"])
    from_claim_ids: list[str] = Field(description="The claims the implied value comes from")
    from_topics: list[str]
    value: QuantityOut = Field(description="What they imply on this topic")
    why: str = Field(
        examples=[
            "a security official (via Stars and Stripes) says casualties.killed 3; since "
            "casualties >= casualties.killed + casualties.wounded, that means casualties is "
            "at least 3"
        ]
    )


class ClaimRef(BaseModel):
    """A claim as the views show it: who said what, when, and how firmly. On a topic it was
    not made on, ``implied`` says which rule brought it there (its ``value`` and ``quote``
    stay what was said)."""

    claim_id: str
    source: SourceRef = Field(description="Who said it")
    via_source: SourceRef | None = Field(description="The outlet that carried it")
    speaker: str | None
    said_at: datetime
    stance: Literal["asserts", "denies"]
    confidence: float = Field(description="How firmly the source asserts it (0-1)")
    status: Literal["active", "retracted", "superseded"]
    value: ClaimValueOut
    quote: str
    implied: ImpliedBy | None = None


class CandidateValue(BaseModel):
    """A competing version: for quantities the interval every claim of the group allows."""

    kind: Literal["quantity", "category", "actor", "statement"]
    label: str = Field(examples=["[16, inf]", "katyusha rocket", "0"])
    low: float | None = None
    high: float | None = Field(default=None, description="null means unbounded")
    category: str | None = None
    actor: ActorRef | None = None
    stance: Literal["asserts", "denies"] = "asserts"
    denied_actor_ids: list[str] = Field(default_factory=list)
    denied_categories: list[str] = Field(default_factory=list)


class ConflictGroup(BaseModel):
    value: CandidateValue
    claims: list[ClaimRef]
    sources: list[SourceRef]


class TopicConflicts(BaseModel):
    topic: str
    qualifiers: dict[str, str]
    contested: bool = Field(description="Two or more groups have asserting claims")
    implied_by: list[str] = Field(
        default_factory=list,
        description="Topic implications that brought claims on other topics here (a "
        "cross-topic conflict); each such claim says why in `implied`",
    )
    groups: list[ConflictGroup]
    more_groups: int = Field(
        default=0, description="Groups left out by `limit` (the least probable ones)"
    )
    excluded: list[ClaimRef] = Field(
        description="Retracted or superseded claims, or values that constrain nothing"
    )


class ConflictsView(BaseModel):
    incident_id: str
    as_of: datetime | None
    contested: bool
    topics: list[TopicConflicts]


class Contribution(BaseModel):
    """What one claim did to the assessment, and why."""

    claim_id: str
    source: SourceRef
    voice: str = Field(
        description="Claims of one voice count once (same source or "
        "organisation, carried via it, or citing it)"
    )
    reliability: float = Field(description="The source's reliability used (learned, else prior)")
    firmness: float = Field(description="The claim's confidence: how firmly it was asserted")
    independence_discount: float = Field(
        description="1 for an independent voice; 1/m for a voice split over m candidates; "
        "0 for a repeat"
    )
    weight: float = Field(description="Log-odds evidence added to its candidate")
    candidate: int | None = Field(description="Index of the candidate it supports")
    counted: bool
    excluded_reason: str | None
    implied: ImpliedBy | None = Field(
        default=None, description="Set when the claim was made on another topic and counts here"
    )


class Candidate(BaseModel):
    value: CandidateValue
    probability: float
    independent_sources: int
    claim_ids: list[str]
    sources: list[SourceRef]


class TopicAssessment(BaseModel):
    topic: str
    qualifiers: dict[str, str]
    contested: bool
    implied_by: list[str] = Field(
        default_factory=list,
        description="Topic implications that brought claims on other topics here",
    )
    independent_sources: int = Field(description="Distinct independent voices on this topic")
    candidates: list[Candidate] = Field(description="Most probable first")
    more_candidates: int = Field(
        default=0,
        description="Candidates left out by `limit` (the least probable ones; their "
        "contributions are left out of `explanation` too)",
    )
    none_of_these: float = Field(description="1 - the candidates' probabilities")
    explanation: list[Contribution]


class AssessmentView(BaseModel):
    incident_id: str
    as_of: datetime | None
    method: str = Field(description="How the probabilities are computed (docs/confidence.md)")
    topics: list[TopicAssessment]


class Attribution(BaseModel):
    actor: ActorRef
    probability: float = Field(
        description="P(the responsible party is this actor or one of its sub-groups)"
    )
    compatible_with: list[ActorRef] = Field(
        description="Named actors in the same line (parent or sub-group): not competitors"
    )
    supporting: list[ClaimRef]
    denying: list[ClaimRef]
    said_by: list[SourceRef] = Field(description="Who attributed it (never who is responsible)")


class AttributionsView(BaseModel):
    incident_id: str
    as_of: datetime | None
    topic: str
    contested: bool
    none_of_these: float
    attributions: list[Attribution] = Field(description="Most probable first")
    more_attributions: int = Field(
        default=0, description="Attributions left out by `limit` (the least probable ones)"
    )


# ---- schema.org ClaimReview JSON-LD (documented so generated clients get typed objects) ----


class _JsonLd(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class LdThing(_JsonLd):
    type: str = Field(alias="@type", examples=["Organization"])
    name: str | None = None
    url: str | None = None


class LdRating(_JsonLd):
    type: Literal["Rating"] = Field(alias="@type")
    rating_value: int = Field(alias="ratingValue", ge=1, le=5)
    best_rating: int = Field(alias="bestRating")
    worst_rating: int = Field(alias="worstRating")
    alternate_name: str = Field(alias="alternateName", examples=["Likely"])
    rating_explanation: str = Field(alias="ratingExplanation")


class LdClaim(_JsonLd):
    type: Literal["Claim"] = Field(alias="@type")
    author: LdThing
    date_published: str = Field(alias="datePublished")
    appearance: list[LdThing]
    in_language: str | None = Field(default=None, alias="inLanguage")


class LdClaimReview(_JsonLd):
    type: Literal["ClaimReview"] = Field(alias="@type")
    url: str
    date_published: str = Field(alias="datePublished")
    author: LdThing
    claim_reviewed: str = Field(alias="claimReviewed")
    item_reviewed: LdClaim = Field(alias="itemReviewed")
    review_rating: LdRating = Field(alias="reviewRating")


class ClaimReviewDocument(_JsonLd):
    """schema.org JSON-LD: a ``@graph`` of ClaimReview, one per claim of the incident."""

    context: Literal["https://schema.org"] = Field(alias="@context")
    graph: list[LdClaimReview] = Field(alias="@graph")
