from __future__ import annotations

from app.claims.models import Claim
from app.repository.base import Repository


class ClaimRepository(Repository[Claim]):
    model = Claim
    noun = "claim"
    duplicate = "a claim with this external_id already exists"
