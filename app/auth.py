"""The FastAPI side of API keys: ``Authorization: Bearer <key>`` checked by
:func:`app.keys.service.authenticate`, roles viewer < editor < admin enforced per route."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.config import get_settings
from app.enums import Role
from app.errors import Forbidden, Unauthorized
from app.keys.service import authenticate, unauthorized
from app.limits import (
    check_failed_auth,
    failed_auth_exhausted,
    record_failed_auth,
    record_request,
    request_budget_exhausted,
    spend_request,
)
from app.principal import ANONYMOUS, Principal

bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer cdk_…`")


def require(role: Role) -> Callable[..., Principal]:
    """A dependency that admits keys of ``role`` or higher."""

    def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),
    ) -> Principal:
        client = request.client.host if request.client else "unknown"
        if credentials is None:
            if request.headers.get("authorization"):
                check_failed_auth(client)
                record_failed_auth(client)
                raise unauthorized("Authorization must be 'Bearer <key>'")
            if role is Role.viewer and get_settings().anonymous_read:
                principal = ANONYMOUS
            else:
                raise unauthorized("an API key is required: Authorization: Bearer <key>")
        else:
            check_failed_auth(client)
            try:
                principal = authenticate(credentials.credentials)
            except Unauthorized:
                record_failed_auth(client)
                raise
        spend_request(_rate_key(principal, client))
        if principal.role.rank < role.rank:
            raise Forbidden(
                f"this route needs the {role.value} role; the key has {principal.role.value}"
            )
        request.state.principal = principal
        return principal

    return dependency


viewer = require(Role.viewer)
editor = require(Role.editor)
admin = require(Role.admin)


def _rate_key(principal: Principal, client: str) -> str:
    """Whose request budget a request spends: its key's, or its address's when anonymous."""
    return principal.key_id or "anonymous:" + client


def quick_principal(authorization: str | None, client: str) -> Principal | None:
    """The principal :data:`viewer` would admit, for the fast lane (:mod:`app.fastlane`), or
    None whenever the dependency would refuse or would have to record something (no key, a
    malformed or unknown or revoked key, an address or key over its rate limit): the route
    then answers. Spends nothing (:func:`spend_quick` does, once the read is answered)."""
    if authorization is None:
        if not get_settings().anonymous_read:
            return None
        principal = ANONYMOUS
    else:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential or " " in credential:
            return None
        if failed_auth_exhausted(client):
            return None
        try:
            principal = authenticate(credential)
        except Unauthorized:
            return None
    if request_budget_exhausted(_rate_key(principal, client)):
        return None
    return principal


def spend_quick(principal: Principal, client: str) -> None:
    """One request from the principal's budget, as :func:`spend_request` spends it."""
    record_request(_rate_key(principal, client))
