"""A Datasette plugin (a module, as Datasette registers them): the front page is the
curators' dashboard, a visitor who has not logged in is sent to the login form, and pages
set Chinese in Noto Sans SC served from the installed pylopdf-fonts-zh-cn package (a
curator's browser may have no CJK font; nothing is fetched from the internet)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.utils.asgi import Response

DASHBOARD_PATH = "/-/dashboards/curators"
FONT_PATH = "/-/policybot/noto-sans-sc.otf"
CSS_PATH = "/-/policybot/fonts.css"
CSS = """@font-face { font-family: "Noto Sans SC"; src: url("%s") format("opentype"); }
body, svg text, table { font-family: Helvetica, Arial, "Noto Sans SC", sans-serif !important; }
"""


async def front(datasette: Datasette) -> Response:
    return Response.redirect(datasette.urls.path(DASHBOARD_PATH))


async def font(datasette: Datasette) -> Response:
    from pylopdf_fonts_zh_cn import sans_path

    headers = {"cache-control": "max-age=86400"}
    return Response(sans_path().read_bytes(), content_type="font/otf", headers=headers)


async def fonts_css(datasette: Datasette) -> Response:
    return Response(CSS % datasette.urls.path(FONT_PATH), content_type="text/css")


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/$", front), (f"^{FONT_PATH}$", font), (f"^{CSS_PATH}$", fonts_css)]


@hookimpl
def extra_css_urls(datasette: Datasette) -> list[str]:
    return [datasette.urls.path(CSS_PATH)]


@hookimpl
def forbidden(datasette: Datasette, request: Any, message: str) -> Any:
    async def to_login() -> Response:
        if request.actor:
            return Response.text(message, status=403)
        return Response.redirect(datasette.urls.path("/-/login"))

    return to_login
