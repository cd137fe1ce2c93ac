"""What keeps the review server to the person at this machine and to the results
folder.

- The server listens on 127.0.0.1 only, and answers only requests addressed to it
  by that name (a ``Host`` of ``127.0.0.1:PORT`` or ``localhost:PORT``), so a web
  page cannot reach it through a name of its own that points here.
- A random token, made at each start, is asked of every request: in the address
  the server prints (first page only; the server then sets it as a cookie and
  sends the browser to the same page without it), then as that cookie or as a
  header. It is kept in memory only: never logged, never written to a file.
- A request that changes something (a POST) needs the token in a header, which a
  page of another site cannot set, and an ``Origin`` of this server.
- Files are served only from inside the results folder: see :func:`inside`.
"""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

HEADER = "x-reelmake-token"
# Pages a person opens from the printed address: the token may come in the query.
PAGES = re.compile(r"^/(v/[0-9a-f]{16})?$")
SAFE_METHODS = ("GET", "HEAD")
REFUSED = (
    "reelmake review: this page needs the address with the token that "
    "`reelmake review` printed"
)


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Guard:
    """ASGI middleware: every request is checked before the app sees it."""

    def __init__(self, app: ASGIApp, token: str, port: int) -> None:
        self.app = app
        self.token = token
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{h}" for h in self.hosts}
        # One cookie per server: two servers on this machine keep their own.
        self.cookie = f"reelmake_review_{port}"

    def _same(self, given: str | None) -> bool:
        return given is not None and hmac.compare_digest(
            given.encode(), self.token.encode()
        )

    def refusal(self, request: Request) -> str | None:
        """Why a request is refused (None: it is not)."""
        if request.headers.get("host") not in self.hosts:
            return "reelmake review answers only at the address it printed"
        origin = request.headers.get("origin")
        if origin is not None and origin not in self.origins:
            return "reelmake review refuses requests from other sites"
        if request.headers.get("sec-fetch-site") == "cross-site":
            return "reelmake review refuses requests from other sites"
        if request.method not in SAFE_METHODS:
            if origin is None:
                return "a change needs the Origin of this page"
            if not self._same(request.headers.get(HEADER)):
                return "a change needs the page's token in its header"
            return None
        if self._same(request.headers.get(HEADER)) or self._same(
            request.cookies.get(self.cookie)
        ):
            return None
        if PAGES.match(request.url.path) and self._same(
            request.query_params.get("token")
        ):
            return None
        return REFUSED

    def _cookie_redirect(self, request: Request) -> Response | None:
        """The first page, opened with the token in its address: the token becomes
        a cookie and the address loses it (no token in history or bookmarks)."""
        if "token" not in request.query_params:
            return None
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        target = URL(path=request.url.path, query=urlencode(rest))
        response = RedirectResponse(str(target), status_code=303)
        response.set_cookie(
            self.cookie, self.token, httponly=True, samesite="strict", path="/"
        )
        return response

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        why = self.refusal(request)
        if why is not None:
            await PlainTextResponse(why, status_code=403)(scope, receive, send)
            return
        redirect = self._cookie_redirect(request)
        if redirect is not None:
            await redirect(scope, receive, send)
            return
        await self.app(scope, receive, send)


def inside(results: Path, video_hash: str, relative: str) -> Path | None:
    """The file ``relative`` of a video's folder, when it really lies inside the
    results folder: no absolute path, no ``..``, no hidden file, and no link that
    leads out (a link inside, such as ``ranked/``'s, is followed). None otherwise."""
    if not re.fullmatch(r"[0-9a-f]{16}", video_hash) or "\\" in relative:
        return None
    # Each part as it was sent: an empty one ("/a", "a//b") or a hidden one is
    # refused before anything is resolved.
    parts = relative.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") for p in parts):
        return None
    root = results.resolve()
    try:
        real = (root / video_hash).joinpath(*parts).resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root / video_hash) or not real.is_file():
        return None
    return real
