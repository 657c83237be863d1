"""A Datasette plugin (a module, as Datasette registers them): the front page is the
curators' dashboard, and a visitor who has not logged in is sent to the login form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from datasette import hookimpl
from datasette.app import Datasette
from datasette.utils.asgi import Response

DASHBOARD_PATH = "/-/dashboards/curators"


async def front(datasette: Datasette) -> Response:
    return Response.redirect(datasette.urls.path(DASHBOARD_PATH))


@hookimpl
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [(r"^/$", front)]


@hookimpl
def forbidden(datasette: Datasette, request: Any, message: str) -> Any:
    async def to_login() -> Response:
        if request.actor:
            return Response.text(message, status=403)
        return Response.redirect(datasette.urls.path("/-/login"))

    return to_login
