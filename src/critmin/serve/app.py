"""The ASGI application: API under ``/api/v1``, the dashboard under ``/ui``, an offline ``/docs`` page rendered
from the OpenAPI document (``/openapi.json``), static assets served locally (no CDN)."""

from __future__ import annotations

from pathlib import Path

from critmin.serve.config import ServeConfig

API = "/api/v1"
STATIC = Path(__file__).parent / "static"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def create_app(config: ServeConfig, warm: bool = True):
    """Build the app for ``config``; ``warm`` takes the first warehouse snapshot now (a missing warehouse
    fails here, not at the first request)."""
    from contextlib import asynccontextmanager

    from fastapi import FastAPI
    from fastapi.responses import FileResponse
    from fastapi.staticfiles import StaticFiles

    from critmin import __version__
    from critmin.serve import api_admin, api_indicators, api_runs, api_wings, api_work, errors, pages
    from critmin.serve.context import Workspace

    ws = Workspace(config)
    if warm:
        with ws.store.read():
            pass

    @asynccontextmanager
    async def lifespan(app):
        yield
        ws.close()

    app = FastAPI(title="critmin", version=__version__, docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json", lifespan=lifespan,
                  description="Critical-minerals supply-chain intelligence: the shared workspace API. "
                              "Authenticate with `Authorization: Bearer <token>` (tokens: `critmin serve token add`).")
    app.state.workspace = ws
    errors.install(app)

    app.add_middleware(CachedIndicators, workspace=ws)
    app.add_middleware(AuditAndHeaders, workspace=ws)  # outermost: sees the fast path's answers too

    for mod in (api_admin, api_indicators, api_work, api_runs, api_wings):
        app.include_router(mod.router, prefix=API)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js():
        import plotly

        return FileResponse(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                            media_type="text/javascript", headers={"cache-control": "max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs():
        from fastapi.responses import HTMLResponse

        return HTMLResponse(pages.render("docs.html", request=None, lang="en", spec=app.openapi(), roles=roles))

    roles = _route_roles([m.router for m in (api_admin, api_indicators, api_work, api_runs, api_wings)])

    app.include_router(pages.router)
    return app


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                 b"script-src 'self' 'unsafe-eval'; frame-ancestors 'none'"),
]


class AuditAndHeaders:
    """Pure ASGI middleware (no per-request task group): adds the security headers, and after each write and
    each partner request appends one audit record with the response status."""

    def __init__(self, app, workspace):
        self.app, self.ws = app, workspace

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = {}

        async def send_wrapped(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in SECURITY_HEADERS if k not in present]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapped)
        finally:
            state = scope.get("state") or {}
            p = state.get("principal")
            if scope["method"] in WRITES or (p is not None and p.is_partner):
                from starlette.concurrency import run_in_threadpool

                await run_in_threadpool(
                    self.ws.audit.append, token_id=getattr(p, "token_id", None), role=getattr(p, "role", None),
                    party=getattr(p, "party", None), method=scope["method"], path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1")[:500], dataset=state.get("dataset"),
                    status=status.get("code", 500))


class CachedIndicators:
    """A fast path for indicator queries already answered on the current snapshot: the same authorization
    checks as the routes (token, role or agreement, a partner's importers), then the cached answer, without
    routing and parameter parsing. Anything else (a miss, a refusal, a stale snapshot) goes the normal way, so
    errors keep their one shape. A key enters the cache only after the full route validated that exact query."""

    PREFIX = API + "/indicators/"

    def __init__(self, app, workspace):
        self.app, self.ws = app, workspace

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"].startswith(self.PREFIX):
            answer = self._hit(scope)
            if answer is not None:
                return await answer(scope, receive, send)
        return await self.app(scope, receive, send)

    def _hit(self, scope):
        from starlette.requests import Request

        from critmin.errors import CritminError
        from critmin.serve import formats
        from critmin.serve.context import can_read, importer_allowed, principal
        from critmin.serve.errors import ApiError

        gen = self.ws.store.current()
        if gen is None:
            return None
        request = Request(scope)
        try:
            fmt = formats.pick(request, request.query_params.get("format"))
            key = (gen, scope["path"], tuple(sorted(request.query_params.multi_items())), fmt)
            if not self.ws.cache.has(key):
                return None
            p = principal(request)
            dataset = scope["path"][len(self.PREFIX):]
            if not can_read(self.ws, p, dataset):
                return None
            if dataset != "production":  # the one indicator without an importer
                importer_allowed(self.ws, p, request.query_params.get("importer", "EU27" if dataset == "crma" else None))
        except (ApiError, CritminError):
            return None  # the normal path answers with the error
        request.state.dataset = dataset
        return self.ws.cache.get(key)


def _route_roles(routers) -> dict[str, str]:
    """Which role each API route needs, read from its dependencies (shown on /docs)."""
    out = {}
    for router in routers:
        for r in router.routes:
            names = {getattr(d.call, "__qualname__", "") for d in r.dependant.dependencies}
            if "admin" in names:
                need = "admin"
            elif any(n.startswith("runs.") for n in names):
                need = "analyst, admin"
            elif any(n.startswith("reads.") for n in names):
                need = "viewer, analyst, admin; partner if shared"
            else:
                need = "any token"
            for m in r.methods:
                out[f"{m} {API}{r.path}"] = need
    return out
