from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from sqlmodel import Session

from app.auth import admin, viewer
from app.db import WriteSession, get_session
from app.errors import problem_responses
from app.keys import service
from app.keys.models import ApiKey
from app.keys.schemas import KeyCreate, KeyPublic, KeyWithSecret, Whoami
from app.pagination import Page, PageParams, page_params
from app.principal import Principal

router = APIRouter(prefix="/v1/keys", tags=["keys"])

READ = problem_responses(400, 401, 403, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 422, 500)


def _with_secret(request: Request, key: ApiKey, secret: str) -> KeyWithSecret:
    # An Idempotency-Key replay must not be able to show the secret: it is never stored.
    request.state.idempotency_redact = ("key",)
    return KeyWithSecret.model_validate(
        KeyPublic.model_validate(key).model_dump() | {"key": secret}
    )


@router.post("", status_code=201, responses=WRITE)
def create_key(
    request: Request,
    data: KeyCreate,
    response: Response,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> KeyWithSecret:
    """Create an API key. The secret is in the response once and never again."""
    key, secret = service.create_key(session, data.name, data.role)
    response.headers["Location"] = f"/v1/keys/{key.id}"
    return _with_secret(request, key, secret)


@router.get("", responses=READ)
def list_keys(
    principal: Annotated[Principal, Depends(admin)],
    session: Annotated[Session, Depends(get_session)],
    page: Annotated[PageParams, Depends(page_params)],
    include_revoked: bool = False,
) -> Page[KeyPublic]:
    """API keys (never their secrets), oldest first."""
    items, next_cursor, total = service.list_keys(session, include_revoked, page)
    return Page[KeyPublic](
        items=[KeyPublic.model_validate(k) for k in items], next_cursor=next_cursor, total=total
    )


@router.get("/me", responses=problem_responses(401, 403, 500))
def get_own_key(principal: Annotated[Principal, Depends(viewer)]) -> Whoami:
    """Who the presented key is and its role (any role): a client shows edit controls only to
    editors and admins."""
    return Whoami(key_id=principal.key_id, name=principal.name, role=principal.role)


@router.get("/{key_id}", responses=READ)
def get_key(
    key_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: Annotated[Session, Depends(get_session)],
) -> KeyPublic:
    """One API key, with when it was last used."""
    return KeyPublic.model_validate(service.get_key(session, key_id))


@router.post("/{key_id}/revoke", responses=WRITE)
def revoke_key(
    key_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> KeyPublic:
    """Revoke a key: it stops working immediately. The last admin key cannot be revoked."""
    key = service.revoke_key(session, service.get_key(session, key_id, lock=True))
    return KeyPublic.model_validate(key)


@router.post("/{key_id}/rotate", responses=WRITE)
def rotate_key(
    request: Request,
    key_id: str,
    principal: Annotated[Principal, Depends(admin)],
    session: WriteSession,
) -> KeyWithSecret:
    """Give a key a new secret (same id and role); the old secret stops working at once."""
    key, secret = service.rotate_key(session, service.get_key(session, key_id, lock=True))
    return _with_secret(request, key, secret)
