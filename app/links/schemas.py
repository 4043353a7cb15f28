"""What a link check reports."""

from __future__ import annotations

from pydantic import BaseModel, Field

#: How many failed URLs a report names.
MAX_REPORTED = 50


class LinkFailure(BaseModel):
    url: str
    reason: str


class LinkCheckReport(BaseModel):
    checked: int = Field(description="Links checked (rows updated)")
    urls: int = Field(description="Distinct URLs fetched (each once, however many links share it)")
    ok: int = Field(description="Links answering 2xx or 3xx")
    broken: int = Field(description="Links answering 4xx/5xx, or not reachable at all")
    unreachable: int = Field(description="Of the broken: no HTTP answer (DNS, refused, timeout)")
    dns_failures: int = Field(description="Of the unreachable: the host name does not resolve")
    refused: int = Field(description="Links not fetched: private or non-https addresses")
    archived: int
    seconds: float
    failures: list[LinkFailure] = Field(
        default_factory=list, description=f"The first {MAX_REPORTED} URLs that failed, and why"
    )
