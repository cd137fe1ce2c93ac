"""A static file server on 127.0.0.1 inside the test process, counting requests."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]


class FileServer:
    """What the server was asked for, and the URL of a file in its folder."""

    def __init__(self, server: http.server.ThreadingHTTPServer) -> None:
        self.server = server
        self.requests: list[str] = []
        server.requests = self.requests  # type: ignore[attr-defined]

    def url(self, name: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/{name}"


@contextmanager
def serve(folder: Path) -> Iterator[FileServer]:
    """Serve ``folder`` on 127.0.0.1 (a free port) until the block ends."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FileServer(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
