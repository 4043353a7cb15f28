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
from app.limits import LIMITER, check_failed_auth, record_failed_auth, spend_request
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
        spend_request(principal.key_id or "anonymous:" + client)
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


def quick_principal(authorization: str | None, client: str) -> Principal | None:
    """The principal :data:`viewer` would admit, for the fast lane (:mod:`app.fastlane`), or
    None whenever the dependency would refuse or would have to record something (no key, a
    malformed or unknown or revoked key, an address or key over its rate limit): the route
    then answers. Spends nothing (:func:`spend_quick` does, once the read is answered)."""
    settings = get_settings()
    limited = settings.rate_limit
    if authorization is None:
        if not settings.anonymous_read:
            return None
        principal = ANONYMOUS
    else:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() != "bearer" or not credential or " " in credential:
            return None
        failures = settings.rate_limit_failed_auth
        if limited and failures and LIMITER.check("fail:" + client, failures) is not None:
            return None
        try:
            principal = authenticate(credential)
        except Unauthorized:
            return None
    if limited and settings.rate_limit_per_key:
        bucket = "key:" + (principal.key_id or "anonymous:" + client)
        if LIMITER.check(bucket, settings.rate_limit_per_key) is not None:
            return None
    return principal


def spend_quick(principal: Principal, client: str) -> None:
    """One request from the principal's budget, as :func:`spend_request` spends it."""
    settings = get_settings()
    if settings.rate_limit and settings.rate_limit_per_key:
        bucket = "key:" + (principal.key_id or "anonymous:" + client)
        LIMITER.spend(bucket, settings.rate_limit_per_key)
