"""The lab's web server: the page's files and a JSON API, on Starlette and uvicorn.

Routes (the README documents the fields):

- ``GET /``: the page; ``/static/...`` its script and style sheet;
- ``GET /api/optimizers``: every optimizer with its settings, defaults and ranges;
- ``GET /api/surfaces``: every surface with its start, extent and tuned rates;
- ``GET /api/surface?name=...&condition=...``: one surface's grid and contours;
- ``POST /api/run``: run optimizers on a surface, return paths, losses, internals.

A request the lab cannot answer gets a 4xx and ``{"error": ..., "field": ...}``
naming the part at fault: 400 malformed JSON, 404 an unknown path, 405 a wrong
method, 413 a body over :data:`MAX_BODY` bytes, 422 a field with a bad value.
The computing runs in a thread pool, so the server keeps answering while a
long run is computed, and requests do not share state.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import webbrowser
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .compute import MAX_OPTIMIZERS, MAX_STEPS, Lab, RequestError
from .specs import optimizer_specs

__all__ = ["MAX_BODY", "PORT", "STATIC", "create_app", "serve"]

#: the largest request body accepted, in bytes
MAX_BODY = 64 * 1024
#: the default port of ``descend lab``
PORT = 8765
STATIC = Path(__file__).parent / "static"
_LOOPBACK = ("127.0.0.1", "localhost")


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status)


class _HostCheck:
    """ASGI middleware: answer 400 to a request whose ``Host`` is not one of ``allowed``."""

    def __init__(self, app: Any, allowed: list[str]) -> None:
        self.app = app
        self.allowed = set(allowed)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = Headers(scope=scope).get("host", "")
            name = host.split("]")[0] + "]" if host.startswith("[") else host.split(":")[0]
            if name not in self.allowed:
                message = f"this server answers only to {', '.join(sorted(self.allowed))}"
                await _error(400, message, "host")(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _read_json(request: Request) -> Any:
    """The body as JSON, refused past :data:`MAX_BODY` bytes whatever Content-Length says."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise RequestError("body", f"the request body is over {MAX_BODY} bytes", 413)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise RequestError("body", f"the request body is over {MAX_BODY} bytes", 413)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as err:
        raise RequestError("body", f"the body is not valid JSON: {err}", 400) from None


def create_app(objective: Any = None, *, allowed_hosts: list[str] | None = None) -> Starlette:
    """The lab as a Starlette application (for uvicorn, or Starlette's ``TestClient``).

    ``objective`` as in :func:`descend.lab.serve`. ``allowed_hosts``, when
    given, refuses requests whose ``Host`` header is not one of them (the
    server started on 127.0.0.1 accepts only 127.0.0.1 and localhost, so a
    web page elsewhere cannot reach it through DNS rebinding).
    """
    lab = Lab(objective)

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def optimizers(request: Request) -> Response:
        limits = {"max_steps": MAX_STEPS, "max_optimizers": MAX_OPTIMIZERS, "max_body": MAX_BODY}
        return JSONResponse({"optimizers": list(optimizer_specs()), "limits": limits})

    async def surfaces(request: Request) -> Response:
        return JSONResponse({"surfaces": lab.surfaces()})

    async def surface(request: Request) -> Response:
        return JSONResponse(await run_in_threadpool(lab.surface, dict(request.query_params)))

    async def run(request: Request) -> Response:
        body = await _read_json(request)
        return JSONResponse(await run_in_threadpool(lab.run, body))

    async def request_error(request: Request, err: RequestError) -> Response:
        return _error(err.status, str(err), err.field)

    async def http_error(request: Request, err: HTTPException) -> Response:
        return _error(err.status_code, str(err.detail), None)

    async def server_error(request: Request, err: Exception) -> Response:
        return _error(500, f"the lab failed: {type(err).__name__}: {err}", None)

    middleware = []
    if allowed_hosts is not None:
        middleware.append(Middleware(_HostCheck, allowed=allowed_hosts))
    return Starlette(
        routes=[
            Route("/", index),
            Route("/api/optimizers", optimizers),
            Route("/api/surfaces", surfaces),
            Route("/api/surface", surface),
            Route("/api/run", run, methods=["POST"]),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=middleware,
        exception_handlers={
            RequestError: request_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: a free one), with a clear error if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as err:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {err.strerror or err} (--port 0 picks a free port)"
        ) from None
    sock.listen(128)  # connections wait in the backlog until uvicorn accepts them
    return sock


def serve(
    objective: Any = None,
    *,
    host: str = "127.0.0.1",
    port: int = PORT,
    open_browser: bool = True,
) -> None:
    """Serve the lab on ``host:port`` until Ctrl-C, and open it in a browser.

    Prints ``descend lab: http://HOST:PORT/`` on stdout once listening (with
    ``port=0`` the port is a free one, chosen here). Binds to 127.0.0.1 unless
    told otherwise; any other host exposes the lab to the network.
    """
    import uvicorn

    allowed = list(_LOOPBACK) if host in _LOOPBACK else None
    app = create_app(objective, allowed_hosts=allowed)
    sock = listen(host, port)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{bound}/"
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    print(f"descend lab: {url}  (Ctrl-C stops it)", flush=True)
    if host not in _LOOPBACK:
        print(f"descend lab: note: listening on {host}, not only this machine", file=sys.stderr)
    if open_browser:
        threading.Timer(0.5, webbrowser.open, args=[url]).start()
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # newer uvicorn re-raises the signal once it has shut down
        pass
    print("descend lab: stopped", flush=True)
