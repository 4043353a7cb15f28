from __future__ import annotations

from typing import get_args

import pytest

from app.db import session_scope
from app.errors import NotFound
from app.pagination import PageParams
from app.revisions import service
from app.revisions.schemas import EntityType
from tests.factories import stored_source

PAGE = PageParams(limit=10, cursor=None, include_total=False)


def test_every_audited_entity_type_is_found_by_its_table_name() -> None:
    """The trail finds an entity by its type alone (no domain's model imported): each type
    must be the name of its table."""
    import app.main  # noqa: F401  (every table registered)

    source_id = stored_source()
    with session_scope(write=False) as session:
        for entity_type in get_args(EntityType):
            assert service.entity_exists(session, entity_type, "0" * 26) is False
        assert service.entity_exists(session, "source", source_id)
        items, _, _ = service.history(session, "source", source_id, PAGE)
        assert [r.action for r in items] == ["create"]
        with pytest.raises(NotFound, match="no actor with id"):
            service.history(session, "actor", source_id, PAGE)
