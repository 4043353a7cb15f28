"""What the routers of audited entities share, Dispatch-style: dependencies that find the entity
a path names (a 404 problem if there is none) or hand a write route the entity to change
(locked, its ETag checked against ``If-Match``: 412, or 428 where it is required), the one
helper for the ``ETag``/``Location`` response headers, and the routes every entity has (read
one, PATCH, DELETE; create and list for the named registries), built once for sources, actors,
incidents and claims.

A write route's ``If-Match`` is checked when the route *calls* its :class:`Writable`, not while
FastAPI resolves dependencies: dependencies run before the body is validated, and a PATCH with
an invalid body must be a 422 whatever its ``If-Match`` (``tests/system/test_contract.py``).

The parameters whose types vary by entity (a request body, a kind enum) are declared when the
route is made (:func:`_declare`); the path parameter's name is an alias (``source_id``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel
from sqlmodel import Session

from app import http
from app.auth import admin, editor, viewer
from app.db import WriteSession, get_session
from app.errors import problem_responses
from app.fuzzy import FuzzyName
from app.http import IfMatch, etag_of, not_modified
from app.pagination import Page, PageParams, page_params
from app.principal import Principal
from app.repository.named import NamedFilters
from app.validation import CountryCode, QueryInstant

M = TypeVar("M")
M_co = TypeVar("M_co", covariant=True)

ReadSession = Annotated[Session, Depends(get_session)]
Viewer = Annotated[Principal, Depends(viewer)]
Editor = Annotated[Principal, Depends(editor)]
Admin = Annotated[Principal, Depends(admin)]

READ = problem_responses(400, 401, 403, 404, 422, 500)
WRITE = problem_responses(400, 401, 403, 404, 409, 412, 422, 428, 500)
READ_ONE = {304: {"description": "Not modified"}, **READ}


def entity_headers(response: Response, obj: Any, *, location: str | None = None) -> None:
    """The entity's ``ETag`` and, for one just created, its ``Location``."""
    response.headers["ETag"] = etag_of(obj)
    if location is not None:
        response.headers["Location"] = location


def conditional(request: Request, response: Response, obj: Any, present: Callable[[], Any]) -> Any:
    """A GET of one entity: 304 when ``If-None-Match`` names its version, else the ETag and
    ``present()``."""
    if (cached := not_modified(request, obj)) is not None:
        return cached
    entity_headers(response, obj)
    return present()


def full_text(description: str) -> Any:
    """A list's ``q=``: words that must all appear (``description`` says where)."""
    return Query(min_length=1, max_length=200, description=description)


# --- dependencies ---------------------------------------------------------------------------


class Lookup(Protocol[M_co]):
    """``service.get``: the entity or a 404 problem; ``lock`` for read-modify-write."""

    def __call__(self, session: Session, ident: str, lock: bool = False) -> M_co: ...


def _path(param: str) -> Any:
    """The path parameter ``param`` as if the route had declared it (``source_id: str``)."""
    return Path(alias=param, title=param.replace("_", " ").title())


def valid(get: Lookup[M], param: str) -> Callable[..., M]:
    """A dependency: the entity the path parameter ``param`` names, or a 404 problem. Declare
    it after the route's principal (a missing key is a 401, not a 404)."""

    def dependency(session: ReadSession, ident: str = _path(param)) -> M:
        return get(session, ident)

    return dependency


class Writable(Generic[M]):
    """The entity a write route changes, fetched when the route calls it: after FastAPI
    validated the body, locked for the rest of the transaction (FOR UPDATE), and its ETag
    checked against ``If-Match``."""

    def __init__(self, get: Lookup[M], session: Session, ident: str, if_match: str | None):
        self._get, self.session, self.ident, self.if_match = get, session, ident, if_match

    def __call__(self) -> M:
        obj = self._get(self.session, self.ident, lock=True)
        http.check_if_match(self.if_match, obj)  # looked up now: a test may slow it down
        return obj


def writable(get: Lookup[M], param: str) -> Callable[..., Writable[M]]:
    """A dependency: the :class:`Writable` entity the path parameter ``param`` names, in the
    request's unit of work, with the request's ``If-Match``."""

    def dependency(
        session: WriteSession, if_match: IfMatch = None, ident: str = _path(param)
    ) -> Writable[M]:
        return Writable(get, session, ident, if_match)

    return dependency


# --- the routes every audited entity has ----------------------------------------------------

REQUIRED = inspect.Parameter.empty


def _declare(endpoint: Callable[..., Any], **params: tuple[Any, Any]) -> None:
    """Give ``endpoint``'s parameters the (annotation, default) FastAPI reads: the types that
    vary by entity (a request body, an enum) are only known when the route is made."""
    signature = inspect.signature(endpoint)
    declared = [
        p.replace(annotation=params[p.name][0], default=params[p.name][1])
        if p.name in params
        else p
        for p in signature.parameters.values()
    ]
    endpoint.__signature__ = signature.replace(parameters=declared)  # type: ignore[attr-defined]


class EntityService(Protocol[M]):
    """What the entity routes call (:class:`app.audit.AuditedService` is one)."""

    def create(self, session: Session, data: Any, principal: Principal) -> M: ...

    def get(self, session: Session, ident: str, lock: bool = False) -> M: ...

    def update(self, session: Session, obj: M, data: Any, principal: Principal) -> M: ...

    def delete(self, session: Session, obj: M, principal: Principal, reason: str) -> None: ...


def _an(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


#: ``?reason=`` of an entity's DELETE (optional: an admin may leave it out).
DeleteReason = Annotated[
    str, Query(min_length=1, max_length=2000, description="Why (kept in the tombstone)")
]


@dataclass(frozen=True)
class EntityRoutes(Generic[M]):
    """Adds an entity's routes to its router (prefix ``/v1/<plural>``), named and documented
    as if written out (``get_source``, ``update_source`` …: /openapi.json does not change).
    ``present`` turns the entity into its response (by default ``public`` validated)."""

    router: APIRouter
    noun: str
    param: str
    service: EntityService[M]
    public: type[BaseModel]
    present: Callable[[Session, M], Any] | None = None
    #: The collection's path under the router's prefix (claims' router has no prefix).
    at: str = ""

    def _present(self, session: Session, obj: M) -> Any:
        if self.present is not None:
            return self.present(session, obj)
        return self.public.model_validate(obj)

    def _add(self, endpoint: Callable[..., Any], name: str, doc: str, **route: Any) -> None:
        endpoint.__name__ = endpoint.__qualname__ = f"{name}_{self.noun}"
        endpoint.__doc__ = doc
        path = f"{self.at}/{{{self.param}}}" if name != "create" else self.at
        self.router.add_api_route(path, endpoint, **route)

    def create(self, body: type[BaseModel], doc: str) -> None:
        """``POST``: the new entity (201) with its ``Location`` and ``ETag``."""

        def endpoint(
            data: Any, response: Response, principal: Editor, session: WriteSession
        ) -> Any:
            obj: Any = self.service.create(session, data, principal)
            location = f"{self.router.prefix}{self.at}/{obj.id}"
            entity_headers(response, obj, location=location)
            return self._present(session, obj)

        _declare(endpoint, data=(body, REQUIRED))
        route: dict[str, Any] = {
            "status_code": 201,
            "response_model": self.public,
            "responses": WRITE,
        }
        self._add(endpoint, "create", doc, methods=["POST"], **route)

    def read(self, valid_dependency: Callable[..., M], doc: str) -> None:
        """``GET /{id}``: the entity with its ETag, or 304 for ``If-None-Match``."""

        def endpoint(
            principal: Viewer,
            request: Request,
            response: Response,
            session: ReadSession,
            obj: Any = Depends(valid_dependency),
        ) -> Any:
            return conditional(request, response, obj, lambda: self._present(session, obj))

        self._add(endpoint, "get", doc, response_model=self.public, responses=READ_ONE)

    def update(
        self,
        writable_dependency: Callable[..., Writable[M]],
        body: type[BaseModel],
        doc: str | None = None,
    ) -> None:
        """``PATCH /{id}`` with ``body``: only the fields sent change. Honours If-Match."""

        def endpoint(
            data: Any,
            response: Response,
            principal: Editor,
            session: WriteSession,
            obj: Writable[M] = Depends(writable_dependency),
        ) -> Any:
            changed = self.service.update(session, obj(), data, principal)
            entity_headers(response, changed)
            return self._present(session, changed)

        _declare(endpoint, data=(body, REQUIRED))
        doc = doc or f"Change some fields of {_an(self.noun)} (only those sent). Honours If-Match."
        route: dict[str, Any] = {"response_model": self.public, "responses": WRITE}
        self._add(endpoint, "update", doc, methods=["PATCH"], **route)

    def delete(
        self,
        writable_dependency: Callable[..., Writable[M]],
        doc: str,
        reason: Any = DeleteReason,
        default: Any = "deleted by an admin",
    ) -> None:
        """``DELETE /{id}?reason=…`` (admin; ``reason``, kept in the tombstone, is required
        when ``default`` is ``REQUIRED``). Honours If-Match."""

        def endpoint(
            principal: Admin,
            session: WriteSession,
            reason: Any,
            obj: Writable[M] = Depends(writable_dependency),
        ) -> None:
            self.service.delete(session, obj(), principal, reason)

        _declare(endpoint, reason=(reason, default))
        self._add(endpoint, "delete", doc, methods=["DELETE"], status_code=204, responses=WRITE)


# --- the named registries (sources, actors): create with likely duplicates, list by name ----


class Registry(EntityService[Any], Protocol):
    """A named registry's service (:class:`app.audit.NamedService`)."""

    def similar(self, session: Session, name: str, aliases: list[str]) -> list[Any]: ...

    def search(self, session: Session, name: str, limit: int) -> list[Any]: ...

    def list(self, session: Session, filters: Any, page: PageParams) -> Any: ...


@dataclass(frozen=True)
class RegistryRoutes:
    """Every route of a named registry (sources, actors): ``POST`` (answering the new entry
    with the registered ones it closely matches), ``GET`` (name order with filters, or a
    fuzzy ``name=`` search), and the :class:`EntityRoutes` of one entry; :meth:`add` returns
    the entry's dependencies (``valid_source, writable_source = ….add(…)``)."""

    router: APIRouter
    noun: str
    service: Registry
    kinds: type
    models: tuple[type[BaseModel], type[BaseModel], type[BaseModel], type[BaseModel]]

    def add(self, *, create: str, read: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
        """Adds the routes (``create``, ``read``: the descriptions of the POST and of the GET of
        one entry; the others say the same of any registry); returns the dependencies."""
        body, created, update, public = self.models
        self._create(body, created, public, create)
        self._list(public)
        param = f"{self.noun}_id"
        valid_entry, writable_entry = (
            valid(self.service.get, param),
            writable(self.service.get, param),
        )
        one = EntityRoutes(self.router, self.noun, param, self.service, public)
        one.read(valid_entry, read)
        one.update(writable_entry, update)
        one.delete(
            writable_entry,
            f"Delete {_an(self.noun)} that nothing references (409 otherwise). Admin only.",
        )
        return valid_entry, writable_entry

    def _create(
        self, body: type[BaseModel], created: type[BaseModel], public: type[BaseModel], doc: str
    ) -> None:
        def endpoint(
            data: Any, response: Response, principal: Editor, session: WriteSession
        ) -> Any:
            similar = self.service.similar(session, data.name, data.aliases)
            obj = self.service.create(session, data, principal)
            entity_headers(response, obj, location=f"{self.router.prefix}/{obj.id}")
            answer = public.model_validate(obj).model_dump()
            return created.model_validate({**answer, "possible_duplicates": similar})

        _declare(endpoint, data=(body, REQUIRED))
        endpoint.__name__ = endpoint.__qualname__ = f"create_{self.noun}"
        endpoint.__doc__ = doc
        route: dict[str, Any] = {"status_code": 201, "response_model": created, "responses": WRITE}
        self.router.add_api_route("", endpoint, methods=["POST"], **route)

    def _list(self, public: type[BaseModel]) -> None:
        page_of: Any = Page[public]  # type: ignore[valid-type]

        def endpoint(
            principal: Viewer,
            session: ReadSession,
            page: Annotated[PageParams, Depends(page_params)],
            kind: Any = None,
            country: CountryCode | None = None,
            name_prefix: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
            name: FuzzyName = None,
            parent_id: str | None = None,
            updated_since: QueryInstant | None = None,
            external_id: Annotated[str | None, Query(max_length=200)] = None,
        ) -> Any:
            if name is not None:
                found = [
                    public.model_validate(r) for r in self.service.search(session, name, page.limit)
                ]
                return page_of(items=found, next_cursor=None, total=len(found))
            named = {"kind": kind, "country": country, "parent_id": parent_id}
            filters = NamedFilters(
                **named,
                name_prefix=name_prefix,
                updated_since=updated_since,
                external_id=external_id,
            )
            items, next_cursor, total = self.service.list(session, filters, page)
            found = [public.model_validate(r) for r in items]
            return page_of(items=found, next_cursor=next_cursor, total=total)

        _declare(endpoint, kind=(self.kinds | None, None))
        plural = f"{self.noun}s"
        endpoint.__name__ = endpoint.__qualname__ = f"list_{plural}"
        endpoint.__doc__ = (
            f"{plural.title()} in name order, filtered by kind, country, name prefix, "
            "parent or update time."
        )
        self.router.add_api_route(
            "", endpoint, methods=["GET"], response_model=page_of, responses=READ
        )
