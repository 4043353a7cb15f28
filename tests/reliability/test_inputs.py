"""``reliability recompute`` streams the claims into engine inputs that share every repeated
part (item, source, value, status, firmness): a million claims name a few thousand of each,
so the inputs' memory is about the claims' ids and instants, not their copies."""

from __future__ import annotations

from app.db import session_scope
from app.reliability.service import _inputs
from tests.factories import stored_claim, stored_incident, stored_source

KILLED = "casualties.killed"


def test_repeated_parts_are_one_object() -> None:
    a, b = stored_source(name="a"), stored_source(name="b")
    inc = stored_incident(title="attack")
    value = {"kind": "quantity", "bound": "exact", "best": 3}
    for source in (a, b, a):
        stored_claim(inc, source, topic=KILLED, value=value, confidence=0.8)
    stored_claim(inc, b, topic=KILLED, value={"kind": "quantity", "bound": "exact", "best": 4})
    with session_scope() as session:
        inputs = _inputs(session)
    assert len(inputs) == 4
    first, second, third, other = sorted(inputs, key=lambda i: i.claim_id)
    assert first.item is second.item is third.item is other.item
    assert first.value is second.value is third.value
    assert other.value is not first.value and other.value != first.value
    assert first.source_id is third.source_id
    assert first.status is second.status is other.status
    assert first.firmness is second.firmness
    assert len({i.claim_id for i in inputs}) == 4
