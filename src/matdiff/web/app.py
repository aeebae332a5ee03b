"""The FastAPI application: the JSON API and the static page.

Contract (`create_app(settings)`):

- `POST /api/derivative` {expression, wrt, variables: {name: decl}, order, layout,
  structured} → {result, latex, unicode, form, layout, variables, report, differential,
  ...}; `POST /api/variables` {expression, variables}; `POST /api/steps`;
  `POST /api/code` (+ backend); `POST /api/check` (+ seed); `POST /api/check-answer`
  (+ answer); `GET /api/examples`, `GET /api/health`. OpenAPI at /openapi.json, read
  by the API page at /docs (served from static/, no CDN: it works offline).
- Every error is JSON `{"error": {"message", "hint", "column", "span", "text", ...}}`
  with the message and caret column the command line shows: 422 for input matdiff
  rejects, 413 for a body over `max_body` bytes, 503 when every worker stays busy, 504
  for a derivation over the time limit, 500 (no traceback) for a bug.
- User text is only ever parsed by matdiff's parser; each job runs in a worker process
  with a hard time limit (pool.py), so a runaway derivation is killed, not waited for.
- Results are cached (LRU) by request, since derivations are deterministic.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .pool import Busy, JobTimeout, WorkerPool
from .service import EXAMPLES, MAX_DECLARATION, MAX_EXPRESSION, MAX_ORDER, MAX_VARIABLES

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("matdiff.web")


@dataclass
class Settings:
    workers: int = 2
    time_limit: float = 10.0
    queue_limit: float = 30.0
    max_body: int = 10_000
    max_expression: int = MAX_EXPRESSION
    memory_limit_mb: int | None = 2048
    cache_size: int = 512


# ------------------------------------------------------------------- request models


class VariablesRequest(BaseModel):
    expression: str = Field(description="the function, e.g. x'*A*x")
    variables: dict[str, str] = Field(
        default_factory=dict, description='declarations, e.g. {"A": "matrix n n symmetric"}'
    )


class DerivativeRequest(VariablesRequest):
    wrt: str = Field("", description="the variable, or a comma list of scalars")
    order: int = Field(1, description=f"1 for the first derivative, up to {MAX_ORDER}")
    layout: Literal["numerator", "denominator", "strict"] = Field(
        "numerator", description="numerator (gradients have the variable's shape), "
        "denominator, or strict (strict numerator layout: a gradient is a row)"
    )
    structured: bool = Field(
        False, description="derivative on the space of symmetric/diagonal matrices"
    )


class CodeRequest(DerivativeRequest):
    backend: Literal["numpy", "jax", "torch"] = "numpy"


class CheckRequest(DerivativeRequest):
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the random inputs")


class CheckAnswerRequest(DerivativeRequest):
    answer: str = Field(description="the derivative you worked out, e.g. 2*A*x")


# ------------------------------------------------------------------------- errors


def error_body(message: str, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    err: dict[str, Any] = {"message": message, "hint": hint, "column": None, "span": None,
                           "text": None}
    err.update(extra)
    return {"error": err}


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body


def _limit_error(what: str, text: str, limit: int) -> ApiError:
    return ApiError(
        422,
        error_body(
            f"the {what} is {len(text)} characters long; the limit is {limit}",
            hint="split it into smaller pieces",
            kind="LimitError",
            field=what,
        ),
    )


def _check_limits(req: VariablesRequest, settings: Settings) -> None:
    if len(req.expression) > settings.max_expression:
        raise _limit_error("expression", req.expression, settings.max_expression)
    if not req.expression.strip():
        raise ApiError(422, error_body("the expression is empty", hint="type e.g. x'*A*x",
                                       kind="ParseError", field="expression", column=0))
    if len(req.variables) > MAX_VARIABLES:
        raise ApiError(422, error_body(f"at most {MAX_VARIABLES} variable declarations"))
    for name, decl in req.variables.items():
        if len(name) > 100 or len(decl) > MAX_DECLARATION:
            raise ApiError(
                422, error_body(f"the declaration of {name[:20]!r} is too long", field="variables")
            )
    if isinstance(req, DerivativeRequest):
        if len(req.wrt) > 200:
            raise _limit_error("wrt", req.wrt, 200)
        if not 1 <= req.order <= MAX_ORDER:
            raise ApiError(
                422,
                error_body(f"order must be between 1 and {MAX_ORDER}, got {req.order}",
                           field="order"),
            )
    if isinstance(req, CheckAnswerRequest) and len(req.answer) > settings.max_expression:
        raise _limit_error("answer", req.answer, settings.max_expression)


# ----------------------------------------------------------------------- middleware


class BodyLimit:
    """Reject bodies over `limit` bytes with 413, by Content-Length or while reading."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    too_big = int(value) > self.limit
                except ValueError:
                    too_big = True
                if too_big:
                    await self._reject(send)
                    return
        # No (trusted) length: read the body here, at most `limit` bytes, then replay it.
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await self._reject(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, send: Any) -> None:
        body = json.dumps(
            error_body(
                f"the request body is larger than {self.limit} bytes",
                hint="send a shorter expression and fewer declarations",
                kind="LimitError",
            )
        ).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # KaTeX sets inline style attributes; scripts come only from this server.
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; frame-ancestors 'none'",
}


# -------------------------------------------------------------------------- the app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    pool = WorkerPool(
        size=settings.workers,
        time_limit=settings.time_limit,
        queue_limit=settings.queue_limit,
        memory_limit_mb=settings.memory_limit_mb,
    )
    jobs = _Jobs(settings, pool)
    app = FastAPI(
        title="matdiff",
        summary="Symbolic matrix calculus: derivatives of matrix expressions",
        version=_version(),
        lifespan=_lifespan(pool),
        # Swagger UI and ReDoc load from a CDN and show a blank page offline: /docs is
        # the page's own API page (static/docs.html), reading /openapi.json.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.pool = pool
    app.state.cache = jobs.cache
    _add_middleware(app, settings)
    _add_error_handlers(app)
    _add_api_routes(app, jobs, pool)
    _add_page_routes(app)
    return app


def _lifespan(pool: WorkerPool) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The workers start with the app and are closed with it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await pool.start()
        try:
            yield
        finally:
            pool.close()

    return lifespan


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """The security headers on every response, and the body limit (added last, so it
    runs first: a body over the limit is refused before anything reads it)."""

    @app.middleware("http")
    async def headers(request: Request, call_next: Any):
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    app.add_middleware(BodyLimit, limit=settings.max_body)


def _add_error_handlers(app: FastAPI) -> None:
    """Every error as JSON `{"error": ...}` (see the module docstring)."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors():
            loc = ".".join(str(p) for p in e.get("loc", ()) if p != "body")
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        message = "invalid request: " + "; ".join(parts) if parts else "invalid request"
        return JSONResponse(
            error_body(message, hint="see /docs for the request format", kind="RequestError"),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def anything(request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error on %s: %s: %s", request.url.path, type(exc).__name__, exc)
        return JSONResponse(
            error_body(f"internal error ({type(exc).__name__}); this is a bug in matdiff",
                       kind="InternalError"),
            status_code=500,
        )


class _Jobs:
    """Runs a request's job in the worker pool, through an LRU cache of outcomes
    (derivations are deterministic; only successes and user errors are kept)."""

    def __init__(self, settings: Settings, pool: WorkerPool) -> None:
        self.settings = settings
        self.pool = pool
        self.cache: OrderedDict[str, tuple] = OrderedDict()

    async def run(self, job: str, req: BaseModel) -> JSONResponse:
        if isinstance(req, VariablesRequest):
            _check_limits(req, self.settings)
        data = req.model_dump()
        key = job + "\0" + json.dumps(data, sort_keys=True)
        outcome = self.cache.get(key)
        if outcome is not None:
            self.cache.move_to_end(key)
        else:
            outcome = await self._in_pool(job, data)
            if outcome[0] in ("ok", "user"):
                self.cache[key] = outcome
                while len(self.cache) > self.settings.cache_size:
                    self.cache.popitem(last=False)
        return _response(outcome)

    async def _in_pool(self, job: str, data: dict[str, Any]) -> tuple:
        try:
            return await self.pool.run(job, data)
        except JobTimeout:
            raise ApiError(
                504,
                error_body(
                    f"the derivation took longer than {self.settings.time_limit:g} s "
                    "and was stopped",
                    hint="try a lower order, a smaller expression or fewer variables",
                    kind="LimitError",
                ),
            ) from None
        except Busy:
            raise ApiError(
                503, error_body("the server is busy; try again in a moment")
            ) from None


def _response(outcome: tuple) -> JSONResponse:
    """A worker's outcome ("ok" | "user" | "limit" | anything else, then its data) as
    the HTTP response."""
    status, *rest = outcome
    if status == "ok":
        return JSONResponse(rest[0])
    if status == "user":
        return JSONResponse(rest[0], status_code=422)
    if status == "limit":
        return JSONResponse(error_body(rest[0], kind="LimitError"), status_code=422)
    return JSONResponse(
        error_body(f"internal error ({rest[0]}); this is a bug in matdiff",
                   kind="InternalError"),
        status_code=500,
    )


def _add_api_routes(app: FastAPI, jobs: _Jobs, pool: WorkerPool) -> None:
    """The JSON API (the function names are the OpenAPI operation ids' stems)."""

    @app.post("/api/derivative", summary="The derivative, typeset and as text")
    async def derivative(req: DerivativeRequest) -> JSONResponse:
        return await jobs.run("derivative", req)

    @app.post("/api/variables", summary="The variables with inferred kinds and sizes")
    async def variables(req: VariablesRequest) -> JSONResponse:
        return await jobs.run("variables", req)

    @app.post("/api/steps", summary="The derivation step by step")
    async def steps(req: DerivativeRequest) -> JSONResponse:
        return await jobs.run("steps", req)

    @app.post("/api/code", summary="A Python function computing the value and derivative")
    async def code(req: CodeRequest) -> JSONResponse:
        return await jobs.run("code", req)

    @app.post("/api/check", summary="Numerical check against finite differences")
    async def check(req: CheckRequest) -> JSONResponse:
        return await jobs.run("check", req)

    @app.post("/api/check-answer", summary="Check your own derivative")
    async def check_answer(req: CheckAnswerRequest) -> JSONResponse:
        return await jobs.run("check-answer", req)

    @app.get("/api/examples", summary="The lesson's examples")
    async def examples() -> dict:
        return {"examples": EXAMPLES}

    @app.get("/api/health", summary="The server's version and its workers")
    async def health() -> dict:
        return {"ok": True, "version": _version(), "workers": pool.size,
                "timeouts": pool.timeouts, "restarts": pool.restarts}


def _add_page_routes(app: FastAPI) -> None:
    """The page, the API page and their static files (no CDN: they work offline)."""

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> FileResponse:
        return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")


def _version() -> str:
    try:
        return version("matdiff")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"
