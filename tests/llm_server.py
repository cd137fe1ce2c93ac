"""A small OpenAI-compatible chat server for tests, run in its own process.

It answers batches of passages with scores derived from each passage's text, counts
requests and logs every passage text it was asked about (one JSON line each), and can
be told to misbehave:

    normal      valid answers
    429         429 with Retry-After for the first --bad requests, then normal
    500         500 for the first --bad requests, then normal
    slow        sleeps --delay seconds before answering the first --bad requests
    malformed   text that is not JSON for the first --bad requests
    truncated   a cut-off answer (finish_reason "length") for the first --bad requests
    invalid     items out of range or missing for the first --bad requests
    broken      always 500

    python -m tests.llm_server --port 0 --mode 429 --bad 2 --log requests.jsonl
It prints "listening on PORT" once ready.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def expected_score(text: str) -> int:
    """The score this server gives a passage: a stable function of its text."""
    return int(hashlib.sha256(text.encode()).hexdigest(), 16) % 11


def _passages(user: str) -> list[dict[str, Any]]:
    match = re.search(r"\[.*\]", user, re.S)
    return json.loads(match.group(0)) if match else []


class State:
    def __init__(self, mode: str, bad: int, delay: float, log: str | None) -> None:
        self.mode, self.bad, self.delay, self.log = mode, bad, delay, log
        self.count = 0
        self.lock = threading.Lock()


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: Any, headers: dict[str, str] | None = None):
            data = json.dumps(body).encode()
            # The client may be gone (killed, timed out): nothing to answer then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.endswith("/models"):
                self._send(
                    200,
                    {
                        "object": "list",
                        "data": [{"id": "test-model", "object": "model"}],
                    },
                )
            else:
                self._send(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                state.count += 1
                number = state.count
            user = request["messages"][-1]["content"]
            passages = _passages(user) if user.startswith("Passages:") else []
            if state.log:
                with state.lock, open(state.log, "a") as fh:
                    entry = {
                        "n": number,
                        "event": "asked",
                        "auth": self.headers.get("Authorization", ""),
                        "texts": [p["text"] for p in passages],
                    }
                    fh.write(json.dumps(entry) + "\n")
            misbehave = state.mode == "broken" or number <= state.bad
            mode = state.mode if misbehave else "normal"
            if mode == "429":
                self._send(
                    429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}
                )
                return
            if mode in ("500", "broken"):
                self._send(500, {"error": {"message": "server error"}})
                return
            if mode == "slow":
                time.sleep(state.delay)
            if passages:
                items = [self._item(p) for p in passages]
                if mode == "invalid":
                    items = items[1:]
                    if items:
                        items[0]["overall"] = 42
                content = json.dumps({"items": items})
            else:
                content = json.dumps(
                    {
                        "title": "A clip title",
                        "description": "What the clip is about.",
                        "hashtags": ["#one", "#two", "#three"],
                    }
                )
            finish = "stop"
            if mode == "malformed":
                content = "Sure! Here are the scores: items are good"
            elif mode == "truncated":
                content, finish = content[: len(content) // 2], "length"
            self._send(200, {
                "id": f"chatcmpl-{number}", "object": "chat.completion", "created": 0,
                "model": request.get("model", "test-model"),
                "choices": [{"index": 0, "finish_reason": finish,
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": len(user) // 4,
                          "completion_tokens": len(content) // 4,
                          "total_tokens": (len(user) + len(content)) // 4},
            })  # fmt: skip
            if state.log and mode in ("normal", "slow"):
                with state.lock, open(state.log, "a") as fh:
                    entry = {
                        "n": number,
                        "event": "answered",
                        "texts": [p["text"] for p in passages],
                    }
                    fh.write(json.dumps(entry) + "\n")

        @staticmethod
        def _item(p: dict[str, Any]) -> dict[str, Any]:
            score = expected_score(p["text"])
            return {"id": p["id"], "hook": score, "emotion": score,
                    "self_contained": score, "payoff": score, "overall": score,
                    "reason": "test server", "title": p["text"][:40] or "untitled",
                    "hook_line": p["text"][:60]}  # fmt: skip

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", default="normal")
    parser.add_argument("--bad", type=int, default=0)
    parser.add_argument("--delay", type=float, default=5.0)
    parser.add_argument("--log")
    args = parser.parse_args()
    state = State(args.mode, args.bad, args.delay, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    print(f"listening on {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
