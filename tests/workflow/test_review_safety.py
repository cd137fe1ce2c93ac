"""What keeps ``reelmake review`` to this machine and to the results folder: it
listens on 127.0.0.1 only, refuses requests without its token, from other sites or
for files outside the results folder, and writes its token nowhere."""

from __future__ import annotations

import http.client
import json
import os
import socket
from pathlib import Path

import pytest

from tests.review_helper import ReviewServer

pytestmark = pytest.mark.workflow

HASH = "0123456789abcdef"
MEDIA = bytes(range(256)) * 40


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    """A working folder with one video's results and files beside them that must
    never be served: the video itself (``source.mp4`` links to it), a secret, and
    a link inside the results that leads out."""
    workdir = tmp_path / "work"
    video = workdir / "talk.mp4"
    clips = workdir / "results" / HASH / "clips"
    clips.mkdir(parents=True)
    video.write_bytes(b"the source video")
    (workdir / "secret.txt").write_text("SECRET-OUTSIDE")
    (workdir / "results" / HASH / "source.mp4").symlink_to(video)
    (clips / "clip.mp4").write_bytes(MEDIA)
    (clips / "out.mp4").symlink_to(workdir / "secret.txt")
    (clips / ".hidden.mp4").write_bytes(b"hidden")
    return workdir


def _request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: dict | None = None,
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    data = json.dumps(body).encode() if body is not None else None
    # The path goes as it is (no client-side clean-up of "..").
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    if data is not None:
        sent.update({"Content-Type": "application/json",
                     "Content-Length": str(len(data))})  # fmt: skip
    for key, value in sent.items():
        connection.putheader(key, value)
    connection.endheaders(data)
    response = connection.getresponse()
    out = (
        response.status,
        {k.lower(): v for k, v in response.getheaders()},
        (response.read()),
    )
    connection.close()
    return out


def _listening(pid: int) -> list[str]:
    """The local addresses (hex, as /proc writes them) the process listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # LISTEN
                found.append(fields[1].split(":")[0])
    return found


def test_only_this_machine_with_the_token_gets_in(folder: Path) -> None:
    server = ReviewServer(folder)
    try:
        port, token = server.port, server.token
        # Listening on 127.0.0.1 only, and nowhere else.
        assert _listening(server.proc.pid) == ["0100007F"]
        others = {
            info[4][0]
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        } - {"127.0.0.1", "127.0.1.1"}
        for address in others:
            with (
                pytest.raises(OSError),
                socket.create_connection((address, port), timeout=2),
            ):
                pass

        # No token, a wrong one, or the token in an API's address: refused.
        assert _request(port, "GET", "/")[0] == 403
        assert _request(port, "GET", "/?token=guess")[0] == 403
        assert _request(port, "GET", f"/api/v/{HASH}?token={token}")[0] == 403
        assert _request(port, "GET", f"/api/v/{HASH}")[0] == 403
        # The printed address: a cookie, and the same page without the token.
        status, headers, _ = _request(port, "GET", f"/?token={token}")
        assert status == 303 and headers["location"] == "/"
        cookie = headers["set-cookie"].split(";")[0]
        assert "HttpOnly" in headers["set-cookie"]
        assert "samesite=strict" in headers["set-cookie"].lower()
        status, _, page = _request(port, "GET", "/", {"Cookie": cookie})
        assert status == 200 and b"talk.mp4" in page
        status, _, body = _request(port, "GET", f"/api/v/{HASH}", {"Cookie": cookie})
        assert status == 200 and json.loads(body)["hash"] == HASH
        # Another name for this machine (a site's DNS pointing here): refused.
        assert (
            _request(
                port, "GET", "/", {"Cookie": cookie, "Host": f"evil.example:{port}"}
            )[0]
            == 403
        )

        # A change needs the token in a header and this page's Origin.
        ours = f"http://127.0.0.1:{port}"
        decide = f"/api/v/{HASH}/decide"
        change = {"at": [1.0, 20.0], "decision": "reject"}
        refused = [
            {"Cookie": cookie, "Origin": ours},  # a cookie alone: a form could
            {"X-Reelmake-Token": token},  # no Origin
            {"X-Reelmake-Token": token, "Origin": "http://evil.example"},
            {"X-Reelmake-Token": token, "Origin": "null"},
            {"X-Reelmake-Token": token, "Origin": ours, "Sec-Fetch-Site": "cross-site"},
            {"X-Reelmake-Token": "guess", "Origin": ours},
        ]
        for headers in refused:
            assert _request(port, "POST", decide, headers, change)[0] == 403, headers
        assert not (folder / "results" / HASH / "decisions.yaml").exists()
        status, _, body = _request(
            port, "POST", decide, {"X-Reelmake-Token": token, "Origin": ours}, change
        )
        assert status == 200, body
        assert "reject" in (folder / "results" / HASH / "decisions.yaml").read_text()
        # A decision that does not hold: one line, nothing written.
        status, _, body = _request(
            port, "POST", decide, {"X-Reelmake-Token": token, "Origin": ours},
            {"at": [1.0, 20.0], "decision": "maybe"},
        )  # fmt: skip
        assert status == 400 and "\n" not in json.loads(body)["error"]

        # Clip files, with ranges (a player seeks with them).
        auth = {"X-Reelmake-Token": token}
        ranged = {**auth, "Range": "bytes=10-19"}
        status, headers, body = _request(
            port, "GET", f"/media/{HASH}/clips/clip.mp4", ranged
        )
        assert status == 206 and body == MEDIA[10:20]
        assert headers["content-range"] == f"bytes 10-19/{len(MEDIA)}"
        assert headers["accept-ranges"] == "bytes"
        # Nothing outside the results folder, however asked for.
        outside = [
            f"/media/{HASH}/../../secret.txt",
            f"/media/{HASH}/%2e%2e/%2e%2e/secret.txt",
            f"/media/{HASH}/..%2f..%2fsecret.txt",
            f"/media/{HASH}/clips/out.mp4",  # a link that leads out
            f"/media/{HASH}/source.mp4",  # the source video, outside
            f"/media/{HASH}/clips/.hidden.mp4",
            f"/media/{HASH}/%2fetc%2fhostname",
            f"/media/{HASH}//etc/hostname",
            "/media/..%2f..%2fsecret.txt/x",
            "/static/../../secret.txt",
            "/static/%2e%2e/%2e%2e/secret.txt",
        ]
        for path in outside:
            status, _, body = _request(port, "GET", path, auth)
            assert status in (404, 400), (path, status)
            assert b"SECRET" not in body and b"source video" not in body, path
    finally:
        assert server.stop() == 0
    assert "reelmake review: stopped" in "".join(server.output)
    # The token is in no file: not in results, logs or the decisions.
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            assert token.encode() not in path.read_bytes(), path
