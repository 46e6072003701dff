"""One JSON error shape for every failure the API returns (house rule 8):

``{"error": {"status": 403, "code": "forbidden", "message": "...", "detail": {...} | null}}``

Critmin's typed errors keep their ``to_dict()`` fields under ``detail`` (file, record, field, expected, got);
framework errors (unknown route, bad parameter, wrong method) and unexpected exceptions are mapped to the same
shape, the latter without internals.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error the API raises on purpose: status, short machine code, message, optional detail."""

    def __init__(self, status: int, code: str, message: str, detail: dict[str, Any] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail


def unauthorized(msg: str = "a valid token is required (Authorization: Bearer <token>)") -> ApiError:
    return ApiError(401, "unauthorized", msg)


def forbidden(msg: str) -> ApiError:
    return ApiError(403, "forbidden", msg)


def not_found(msg: str) -> ApiError:
    return ApiError(404, "not_found", msg)


def body(status: int, code: str, message: str, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"status": status, "code": code, "message": message, "detail": detail}}


_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
          409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid_input",
          429: "too_many_requests", 500: "internal", 503: "unavailable"}


def code_for(status: int) -> str:
    return _CODES.get(status, "error")


def from_critmin(exc) -> tuple[int, dict[str, Any]]:
    """Status and body of a :class:`critmin.errors.CritminError`: bad input 422, a request that cannot be
    answered 400, a busy or missing warehouse 503."""
    from critmin.errors import InputError, UsageError, WarehouseMissing
    from critmin.warehouse.lock import WarehouseBusy

    d = exc.to_dict()
    if isinstance(exc, InputError):
        status = 422
    elif isinstance(exc, (WarehouseBusy, WarehouseMissing)):
        status = 503
    elif isinstance(exc, UsageError):
        status = 400
    else:
        status = 400
    detail = {k: v for k, v in d.items() if k not in ("message",)}
    detail["type"] = detail.pop("error", type(exc).__name__)
    return status, body(status, code_for(status), d.get("message", str(exc)), detail)


def _unsnapshot(b: dict[str, Any], request) -> dict[str, Any]:
    """Messages from the core name the file they read; for reads that is the server's private snapshot copy.
    Say the warehouse the user knows instead (and keep the server's folders out of answers)."""
    import json
    import re

    cfg = request.app.state.workspace.config
    pattern = re.escape(str(cfg.snapshots)) + r"/pid-\d+/snap-\d+\.duckdb"
    text = json.dumps(b, ensure_ascii=False)
    if not re.search(pattern, text):
        return b
    return json.loads(re.sub(pattern, cfg.warehouse.name.replace("\\", "/"), text))


def install(app) -> None:
    """Register the handlers that turn every failure into the one shape."""
    import logging

    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException

    from critmin.errors import CritminError

    log = logging.getLogger("critmin.serve")

    @app.exception_handler(ApiError)
    async def _api(request, exc: ApiError):
        return JSONResponse(_unsnapshot(body(exc.status, exc.code, exc.message, exc.detail), request),
                            status_code=exc.status)

    @app.exception_handler(CritminError)
    async def _critmin(request, exc: CritminError):
        status, b = from_critmin(exc)
        return JSONResponse(_unsnapshot(b, request), status_code=status)

    @app.exception_handler(HTTPException)
    async def _http(request, exc: HTTPException):
        msg = exc.detail if isinstance(exc.detail, str) else code_for(exc.status_code)
        if exc.status_code == 404 and msg == "Not Found":
            msg = f"no route {request.url.path}"
        return JSONResponse(body(exc.status_code, code_for(exc.status_code), msg), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request, exc: RequestValidationError):
        errs = [{"field": ".".join(str(p) for p in e.get("loc", ()) if p not in ("query", "body", "path")),
                 "where": (e.get("loc") or ["?"])[0], "expected": e.get("msg", "")} for e in exc.errors()]
        first = errs[0] if errs else {"field": "?", "expected": "?"}
        return JSONResponse(body(422, "invalid_input", f"{first['where']} parameter '{first['field']}': "
                                 f"{first['expected']}", {"errors": errs}), status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(request, exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(body(500, "internal", "internal error; the server log has the details"), status_code=500)
