"""schema.org ClaimReview JSON-LD for an incident's claims (``/claimreview``)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from app.assessment.corpus import Corpus
from app.claims.service import links_of
from app.confidence import engine


def claim_review(session: Session, corpus: Corpus, base_url: str) -> dict[str, Any]:
    """schema.org ClaimReview JSON-LD: each claim with the assessed probability of the version
    it supports as a 1-5 rating (retracted and superseded claims are rated 1, "Retracted")."""
    from datetime import UTC, datetime

    probability: dict[str, float] = {}
    for item in engine.assess(
        corpus.inputs, corpus.source_info, corpus.actor_parents, model=corpus.model
    ):
        for cand in item.candidates:
            for cid in cand.claim_ids:
                probability[cid] = cand.probability
    status = {i.claim_id: i.status for i in corpus.inputs}
    links = links_of(session, [c.id for c in corpus.claims])
    reviews = []
    for claim in corpus.claims:
        source = corpus.sources.get(claim.source_id)
        p = probability.get(claim.id)
        if status[claim.id] != "active":
            rating, name = 1, status[claim.id].capitalize()
        elif p is None:
            rating, name = 3, "Unassessed"
        else:
            rating = 1 + round(4 * p)
            name = "Likely" if p >= 0.7 else "Unlikely" if p < 0.3 else "Uncertain"
        author_type = (
            "Person"
            if source is not None and source.kind in ("person", "official")
            else "Organization"
        )
        reviews.append(
            {
                "@type": "ClaimReview",
                "url": f"{base_url}/v1/claims/{claim.id}",
                "datePublished": datetime.now(UTC).date().isoformat(),
                "author": {"@type": "Organization", "name": "Claimdesk"},
                "claimReviewed": claim.quote,
                "itemReviewed": {
                    "@type": "Claim",
                    "author": {
                        "@type": author_type,
                        "name": source.name if source else (claim.speaker or "unknown"),
                    },
                    "datePublished": claim.said_at.isoformat(),
                    "appearance": [
                        {"@type": "CreativeWork", "url": link.url}
                        for link in links.get(claim.id, [])
                    ],
                    "inLanguage": claim.language,
                },
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": rating,
                    "bestRating": 5,
                    "worstRating": 1,
                    "alternateName": name,
                    "ratingExplanation": (
                        f"Assessed probability {p:.2f} for this version of {claim.topic}"
                        if p is not None and status[claim.id] == "active"
                        else f"The claim is {status[claim.id]}"
                        if status[claim.id] != "active"
                        else "No assessment"
                    ),
                },
            }
        )
    return {"@context": "https://schema.org", "@graph": reviews}
