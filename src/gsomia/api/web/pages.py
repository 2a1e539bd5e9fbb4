"""Rendering a page for an officer: the templates, the officer's language, the headers every
page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from gsomia import __version__
from gsomia.api.web import i18n
from gsomia.core.roles import ALLOWED, Action
from gsomia.node.commands.users import Officer

TEMPLATES = Path(__file__).with_name("templates")
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def language_of(request: Request, officer: Officer | None) -> str:
    """The officer's own language; before login, the browser's first offered one."""
    if officer is not None:
        return officer.language
    for part in request.headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in i18n.LANGUAGES:
            return code
    return "en"


def render(
    request: Request,
    template: str,
    officer: Officer | None,
    *,
    csrf: str = "",
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    lang = language_of(request, officer)
    words = i18n.translations(lang)
    html = _env.get_template(template).render(
        request=request,
        officer=officer,
        may=lambda action: officer is not None and action in ALLOWED[officer.role],
        Action=Action,
        csrf=csrf,
        lang=lang,
        languages=i18n.LANGUAGES,
        version=__version__,
        _=words.gettext,
        ngettext=words.ngettext,
        **values,
    )
    return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)
