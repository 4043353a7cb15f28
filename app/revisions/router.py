from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends
from sqlmodel import Session

from app.auth import viewer
from app.db import get_session
from app.errors import problem_responses
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.revisions import service
from app.revisions.schemas import EntityType, RevisionPublic, TombstonePublic

router = APIRouter(tags=["history"])
READ = problem_responses(400, 401, 403, 404, 422, 500)


def _history_endpoint(entity_type: str) -> Callable[..., Page[RevisionPublic]]:
    def endpoint(
        entity_id: str,
        principal: Annotated[Principal, Depends(viewer)],
        session: Annotated[Session, Depends(get_session)],
        page: Annotated[PageParams, Depends(page_params)],
    ) -> Page[RevisionPublic]:
        items, next_cursor, total = service.history(session, entity_type, entity_id, page)
        return Page[RevisionPublic](
            items=[RevisionPublic.model_validate(r) for r in items],
            next_cursor=next_cursor,
            total=total,
        )

    return endpoint


for _entity in get_args(EntityType):  # source, actor, incident, claim
    router.add_api_route(
        f"/v1/{_entity}s/{{entity_id}}/revisions",
        _history_endpoint(_entity),
        methods=["GET"],
        name=f"list_{_entity}_revisions",
        summary=f"History of a {_entity}",
        description=f"Every change to the {_entity}: who (API key), when, and the before/after "
        "of each changed field, oldest first. Still readable after a hard delete (content "
        "redacted).",
        responses=READ,
    )


@router.get("/v1/tombstones", responses=READ)
def list_tombstones(
    principal: Annotated[Principal, Depends(viewer)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    entity_type: EntityType | None = None,
    incident_id: str | None = None,
) -> Page[TombstonePublic]:
    """What admins hard-deleted (legal takedown): id, type, time and reason, never content."""
    items, next_cursor, total = service.list_tombstones(session, entity_type, incident_id, page)
    return Page[TombstonePublic](
        items=[TombstonePublic.model_validate(t) for t in items],
        next_cursor=next_cursor,
        total=total,
    )


__all__: list[Any] = ["router"]
