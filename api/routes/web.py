"""The chat page (/) and the embeddable widget (/widget.js, /widget.css)."""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, HTMLResponse

from api.deps import get_settings
from api.settings import ApiSettings

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
router = APIRouter(include_in_schema=False)


@router.get("/")
def index(settings: ApiSettings = Depends(get_settings)) -> HTMLResponse:
    page = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    return HTMLResponse(page.replace("__FINBOT_DEMO_MODE__", "true" if settings.demo_mode else "false"))


@router.get("/widget.js")
def widget_js() -> FileResponse:
    return FileResponse(WEB_DIR / "widget.js", media_type="application/javascript; charset=utf-8")


@router.get("/widget.css")
def widget_css() -> FileResponse:
    return FileResponse(WEB_DIR / "widget.css", media_type="text/css; charset=utf-8")
