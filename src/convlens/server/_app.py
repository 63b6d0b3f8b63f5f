"""``create_app``: the FastAPI application for one runs folder (no module-level state)."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.routing import BaseRoute

from convlens.core import (
    ConvLensError,
    MissingExtraError,
    NotFoundError,
    RunFormatError,
    UnavailableError,
    UserInputError,
)
from convlens.views import Inspector, NotAnImageError, UploadTooLargeError

from . import (
    _attributions,
    _classgrads,
    _compute,
    _explorer,
    _graph,
    _jobs_api,
    _openapi_run,
    _projection,
    _runs,
    _story,
    _timeline,
)
from ._jobs import JobRegistry
from ._security import COOKIE, FOREIGN_ORIGIN, allowed, needs_origin_check, origin_allowed

STATIC = Path(__file__).parent / "static"

_STATUS: tuple[tuple[type[Exception], int], ...] = (
    (NotFoundError, 404),
    (UploadTooLargeError, 413),
    (NotAnImageError, 415),
    (UnavailableError, 409),
    (MissingExtraError, 409),
    (RunFormatError, 409),
    (UserInputError, 400),
    (ConvLensError, 400),
)

_NO_UI = """<!doctype html><meta charset="utf-8"><title>ConvLens</title>
<body style="font-family:system-ui;max-width:40em;margin:3em auto">
<h1>ConvLens</h1><p>The web UI is not built in this install. Build it with
<code>bash scripts/install</code>
(or <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code>).
The API works: see <a href="/docs">/docs</a>.</p></body>"""


@dataclass(frozen=True)
class Settings:
    """How the server is exposed.

    Attributes:
        token: Required from every request when not ``None`` (set for any non-loopback host).
        live_interval: Seconds between checks of the runs folder for the live WebSocket.
        static_dir: The built UI (default: the package's ``static`` folder).
        allowed_origins: Origins (``https://host:port``) besides the server's own whose pages
            may POST, DELETE or open the live WebSocket.
        job_workers: Background jobs (graph, projection) run at once.
    """

    token: str | None = None
    live_interval: float = 0.5
    static_dir: Path | None = None
    allowed_origins: tuple[str, ...] = ()
    job_workers: int = 2


def status_of(exc: BaseException) -> int:
    """The HTTP status of an exception a view raises (500 for anything unexpected)."""
    return next((status for t, status in _STATUS if isinstance(exc, t)), 500)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, as one line that names the parameter and what it accepts."""
    problems = exc.errors() if isinstance(exc, RequestValidationError) else []
    if not problems:
        return JSONResponse({"detail": "the request is not valid"}, status_code=422)
    first = problems[0]
    name = str(first.get("loc", ("", "?"))[-1])
    msg = first.get("msg", "not valid")
    if first.get("type") == "string_pattern_mismatch":
        msg = f"'{str(first.get('input'))[:60]}' is not in the accepted form"
    hint = ""
    for param in getattr(
        getattr(request.scope.get("route"), "dependant", None), "query_params", []
    ):
        if param.name == name and param.field_info.description:
            hint = f" ({param.field_info.description})"
    more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
    return JSONResponse({"detail": f"{name}: {msg}{hint}{more}"}, status_code=422)


def _allow_header(routes: Sequence[BaseRoute], path: str) -> str:
    """Every method the API answers at ``path`` (for ``Allow``), or "" where no route is.

    Starlette's 405 names only the first route whose path matched (``POST /api/uploads``
    answered ``Allow: GET, HEAD``), and there is no ``OPTIONS`` answer without CORS.
    """
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute) and route.methods and route.path_regex.match(path):
            methods |= route.methods
    return ", ".join(sorted(methods | {"OPTIONS"})) if methods else ""


def create_app(
    runs_dir: str | os.PathLike[str] | Inspector, settings: Settings | None = None
) -> FastAPI:
    """Build the ConvLens web app over the runs in ``runs_dir``.

    Example:
        >>> app = create_app("runs")
        >>> # uvicorn.run(app, host="127.0.0.1", port=0)
    """
    settings = settings or Settings()
    insp = runs_dir if isinstance(runs_dir, Inspector) else Inspector(runs_dir)
    app = FastAPI(
        title="ConvLens",
        version="1",
        summary="See how a CNN learns and decides: runs, timelines, feature maps, attributions.",
    )
    app.state.inspector = insp
    app.state.settings = settings
    app.state.run_documents = {}  # run id -> (manifest stamp, its OpenAPI document)
    app.state.jobs = JobRegistry(workers=settings.job_workers, status_of=status_of)
    app.router.add_event_handler("startup", app.state.jobs.warm_up)
    app.router.add_event_handler("shutdown", app.state.jobs.shutdown)

    def _error(status: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
        async def handler(request: Request, exc: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(exc)}, status_code=status)

        return handler

    for exc_type, status in _STATUS:
        app.add_exception_handler(exc_type, _error(status))
    app.add_exception_handler(RequestValidationError, _invalid)

    @app.middleware("http")
    async def guard(request: Request, call_next):  # type: ignore[no-untyped-def]
        if not allowed(request):
            msg = (
                "this ConvLens server needs its token: open the address it printed "
                "(with ?token=...)"
                if settings.token
                else "ConvLens answers only requests to 127.0.0.1 or localhost"
            )
            return JSONResponse({"detail": msg}, status_code=403)
        if needs_origin_check(request.method) and not origin_allowed(request):
            return JSONResponse({"detail": FOREIGN_ORIGIN}, status_code=403)
        methods = _allow_header(api_routes, request.url.path)
        if methods and request.method == "OPTIONS":
            return Response(status_code=204, headers={"Allow": methods})
        if methods and request.method not in methods.split(", "):
            # without this, the UI's catch-all mount would answer 404 (or 405 naming GET, HEAD)
            return JSONResponse(
                {"detail": f"{request.method} is not answered here; use {methods}"},
                status_code=405,
                headers={"Allow": methods},
            )
        response: Response = await call_next(request)
        if settings.token and request.query_params.get("token") == settings.token:
            response.set_cookie(COOKIE, settings.token, httponly=True, samesite="strict")
        return response

    modules = (
        _runs,
        _timeline,
        _story,
        _explorer,
        _compute,
        _attributions,
        _classgrads,
        _projection,
        _graph,
        _jobs_api,
        _openapi_run,
    )
    routers = [module.router for module in modules] + [_projection.tour_router]
    for router in routers:
        app.include_router(router)
    api_routes = [route for router in routers for route in router.routes]

    static = settings.static_dir or STATIC
    if (static / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static, html=True), name="ui")
    else:

        @app.get("/", response_class=HTMLResponse, include_in_schema=False)
        def no_ui() -> str:
            return _NO_UI

    return app
