"""Serves the board's static files at ``/board/`` (``/board`` redirects there)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
PATH = "/board"

router = APIRouter(include_in_schema=False)


@router.api_route(PATH, methods=["GET", "HEAD"])
def board_root() -> RedirectResponse:
    """The board lives at /board/ so that its relative module URLs resolve."""
    return RedirectResponse(f"{PATH}/", status_code=308)


def mount_board(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(PATH, StaticFiles(directory=STATIC, html=True), name="board")
