"""Interactive API documentation served entirely from installed packages (no CDN).

Swagger UI at ``/docs`` and ReDoc at ``/redoc`` load their JavaScript, CSS and favicon from
the assets that the ``fastapi-offline`` package ships, mounted at ``/docs-assets``: a desk
intranet without internet access still gets working docs."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"


def assets_dir() -> Path:
    """The packaged Swagger UI and ReDoc bundles."""
    return Path(str(files("fastapi_offline") / "static"))


def _url(request: Request, path: str) -> str:
    """``path`` as the browser must ask for it: behind a proxy that mounts the API under a
    prefix (``root_path``), the prefix comes first."""
    return f"{request.scope.get('root_path', '')}{path}"


def _asset(request: Request, name: str) -> str:
    return _url(request, f"{ASSETS_URL}/{name}")


def install_docs(app: FastAPI) -> None:
    """Mount the assets and add ``/docs`` and ``/redoc`` (the app is built with both off)."""
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=_url(request, openapi_url),
            title=f"{app.title} - API documentation",
            swagger_js_url=_asset(request, "swagger-ui-bundle.js"),
            swagger_css_url=_asset(request, "swagger-ui.css"),
            swagger_favicon_url=_asset(request, "favicon.png"),
            swagger_ui_parameters={"defaultModelsExpandDepth": 0},
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=_url(request, openapi_url),
            title=f"{app.title} - API reference",
            redoc_js_url=_asset(request, "redoc.standalone.js"),
            redoc_favicon_url=_asset(request, "favicon.png"),
            with_google_fonts=False,
        )
