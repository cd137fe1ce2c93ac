"""The review web app (Starlette) and its server (uvicorn, on 127.0.0.1 only).

Pages: ``/`` the batch, ``/v/<hash>`` a video's clips. The video page is drawn by
``static/review.js`` from ``/api/v/<hash>``, and every control posts one decision
to ``/api/v/<hash>/...``, which answers with the video's new state (or, for a
decision that does not hold, its one line). ``/media/<hash>/<file>`` serves a
video's files from inside the results folder, with range requests (a player seeks
with them).
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from reelmake.batch.review import guard, model
from reelmake.batch.review.renders import Renders
from reelmake.core import config, fileio
from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import registry

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
HOST = "127.0.0.1"


@dataclass
class Session:
    """What one ``reelmake review`` serves: a working folder's results and the
    videos of the batch."""

    workdir: Path
    videos: list[model.Video]
    configfile: str | None = None
    cores: int = 1
    renders: Renders = field(init=False)
    # Decisions of one file are written one at a time (two quick keys are two
    # edits of the same file).
    writing: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.workdir = self.workdir.resolve()
        self.renders = Renders(self.workdir, self.configfile, self.cores)

    @property
    def results(self) -> Path:
        return self.workdir / "results"

    def video(self, video_hash: str) -> model.Video:
        found = next((v for v in self.videos if v.hash == video_hash), None)
        if found is None:
            raise LookupError(video_hash)
        return found

    def settings(self) -> tuple[dict[str, Any] | None, str]:
        """The run's config as a render would read it now (or why it does not
        load)."""
        try:
            return config.load_user(self.workdir, self.configfile).settings, ""
        except ReelmakeError as exc:
            return None, str(exc)

    def state(self, video_hash: str) -> dict[str, Any]:
        settings, problem = self.settings()
        video = self.video(video_hash)
        state = model.video_state(self.results, video, settings, problem)
        state["render"] = self.renders.report(video_hash)
        return state


def _templates() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _batch_row(session: Session, video: model.Video) -> dict[str, Any]:
    """A video on the batch page, from its last run (cheap: no selection)."""
    folder = session.results / video.hash
    try:
        chosen = fileio.read_json(registry.path("highlights", "highlights", folder))
        clips = chosen["highlights"]
    except (OSError, ValueError, KeyError):
        clips = None
    decided = model.decisions_file(folder)
    return {
        "hash": video.hash,
        "name": video.name,
        "clips": None if clips is None else len(clips),
        "best": max((c["overall"] for c in clips), default=None) if clips else None,
        "decided": decided.is_file(),
    }


def _json_body(raw: bytes) -> Mapping[str, Any]:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        raise ReelmakeError("the request is not JSON") from None
    if not isinstance(body, dict):
        raise ReelmakeError("the request is not a JSON object")
    return body


def build_app(session: Session, token: str, port: int) -> Starlette:
    templates = _templates()

    def page(template: str, **values: Any) -> HTMLResponse:
        html = templates.get_template(template).render(token=token, **values)
        return HTMLResponse(html, headers=_PAGE_HEADERS)

    def batch(request: Request) -> Response:
        rows = [_batch_row(session, v) for v in session.videos]
        return page("batch.html.j2", rows=rows, workdir=str(session.workdir))

    def video_page(request: Request) -> Response:
        video_hash = request.path_params["video_hash"]
        try:
            video = session.video(video_hash)
        except LookupError:
            return Response("no such video in this batch", status_code=404)
        return page("video.html.j2", video=video)

    def api_state(request: Request) -> Response:
        return _answer(lambda: session.state(request.path_params["video_hash"]))

    def action(
        change: Callable[[Path, Mapping[str, Any]], None],
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            video_hash = request.path_params["video_hash"]

            def run() -> dict[str, Any]:
                body = _json_body(raw)
                session.video(video_hash)  # an unknown video stops here
                with session.writing:
                    change(session.results / video_hash, body)
                return session.state(video_hash)

            return await run_in_threadpool(_answer, run)

        return endpoint

    def reorder(folder: Path, body: Mapping[str, Any]) -> None:
        settings, problem = session.settings()
        if settings is None:
            raise ReelmakeError(problem)
        model.move(folder, settings, body)

    def render_start(request: Request) -> Response:
        video_hash = request.path_params["video_hash"]
        return _answer(lambda: session.renders.start(session.video(video_hash)))

    def render_report(request: Request) -> Response:
        video_hash = request.path_params["video_hash"]
        return _answer(lambda: session.renders.report(video_hash) or {"state": "idle"})

    def media(request: Request) -> Response:
        found = guard.inside(
            session.results,
            request.path_params["video_hash"],
            request.path_params["path"],
        )
        if found is None:
            return Response("not found", status_code=404)
        return FileResponse(found, headers={"Cache-Control": "no-cache"})

    video = "/api/v/{video_hash}"
    routes = [
        Route("/", batch),
        Route("/v/{video_hash}", video_page),
        Route(video, api_state),
        Route(f"{video}/decide", action(model.decide), methods=["POST"]),
        Route(f"{video}/word", action(model.correct), methods=["POST"]),
        Route(f"{video}/add", action(model.add), methods=["POST"]),
        Route(f"{video}/move", action(reorder), methods=["POST"]),
        Route(f"{video}/render", render_start, methods=["POST"]),
        Route(f"{video}/render", render_report, methods=["GET"]),
        Route("/media/{video_hash}/{path:path}", media),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes, middleware=[Middleware(guard.Guard, token=token, port=port)]
    )


# The pages load nothing from elsewhere and are never framed by another site.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; media-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _answer(make: Callable[[], Any]) -> Response:
    """``make``'s value as JSON; a decision that does not hold is its one line."""
    try:
        return JSONResponse(make(), headers={"Cache-Control": "no-store"})
    except LookupError:
        return JSONResponse({"error": "no such video in this batch"}, status_code=404)
    except ReelmakeError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)


class _Stopped(Exception):
    """SIGTERM: stop as after Ctrl-C."""


def _stop(signum: int, frame: FrameType | None) -> None:
    raise _Stopped


def listen(port: int) -> socket.socket:
    """A socket on 127.0.0.1 only (``port`` 0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise ReelmakeError(
            f"{HOST}:{port} cannot be used ({exc.strerror}); "
            "choose another --port, or 0 for any free one"
        ) from None
    sock.listen(64)
    return sock


def serve(session: Session, port: int, say: Callable[[str], None]) -> None:
    """Serve until Ctrl-C or SIGTERM, then stop any render in order. ``say`` hears
    the address to open (it holds the token: it goes to the console only)."""
    import uvicorn

    sock = listen(port)
    port = sock.getsockname()[1]
    token = guard.new_token()
    app = build_app(session, token, port)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            # The first page's address holds the token: no access log.
            access_log=False,
            proxy_headers=False,
            server_header=False,
            lifespan="off",
            timeout_graceful_shutdown=3,
        )
    )
    previous = signal.signal(signal.SIGTERM, _stop)
    say(f"http://{HOST}:{port}/?token={token}")
    try:
        # uvicorn stops on the signal, then raises it again for the caller.
        server.run(sockets=[sock])
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        session.renders.stop()
        sock.close()
