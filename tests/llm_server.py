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
                (transcript chunks: a pick beyond the last sentence, one reversed)
    long        transcript chunks: one pick of the whole chunk, always
    noshape     valid JSON of the wrong shape (no list of picks, items or clips) for
                the first --bad requests
    broken      always 500

A request is a batch of passages (JSON after "Passages:"), a transcript chunk
(numbered lines after "Transcript:"), a batch of clips for copy (JSON after "Clips:")
or one clip's text for copy.

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


def _sentences(user: str) -> list[str]:
    """The numbered lines of a transcript chunk, in order."""
    return [m.group(1) for m in re.finditer(r"^\d+\. (.*)$", user, re.M)]


def picks_for(lines: list[str], most: int) -> list[dict[str, Any]]:
    """What this server picks in a transcript chunk: every run of lines that say
    "golden" (9, or 5 when the run reaches the chunk's last line: half a story), then
    a run of three lines from every line whose stable score is 9 or 10."""
    picks: list[tuple[int, int, int]] = []
    i = 0
    while i < len(lines):
        if "golden" in lines[i].lower():
            j = i
            while j + 1 < len(lines) and "golden" in lines[j + 1].lower():
                j += 1
            picks.append((i + 1, j + 1, 5 if j == len(lines) - 1 else 9))
            i = j + 1
            continue
        i += 1
    for i, line in enumerate(lines):
        if expected_score(line) >= 9 and "golden" not in line.lower():
            picks.append((i + 1, min(i + 3, len(lines)), 7))
    return [_pick(a, b, s, lines[a - 1]) for a, b, s in picks[:most]]


def _pick(first: int, last: int, score: int, line: str = "") -> dict[str, Any]:
    return {"first": first, "last": last, "hook": score, "emotion": score,
            "self_contained": score, "payoff": score, "overall": score,
            "reason": "test server", "title": line[:40] or "untitled",
            "hook_line": line[:60]}  # fmt: skip


def _max_picks(request: dict[str, Any]) -> int:
    """The most picks the request's schema allows (8 without one)."""
    form = request.get("response_format") or {}
    schema = form.get("json_schema", {}).get("schema") or form.get("schema") or {}
    return int(schema.get("properties", {}).get("picks", {}).get("maxItems", 8))


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
            lines = _sentences(user) if user.startswith("Transcript:") else []
            clips = _passages(user) if user.startswith("Clips:") else []
            if state.log:
                with state.lock, open(state.log, "a") as fh:
                    entry = {
                        "n": number,
                        "event": "asked",
                        "auth": self.headers.get("Authorization", ""),
                        "texts": [p["text"] for p in passages] or lines,
                        "kind": "transcript" if lines else "clips" if clips
                        else "passages" if passages else "copy",
                    }  # fmt: skip
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
            if lines:
                most = _max_picks(request)
                picks = picks_for(lines, most)
                if state.mode == "long":
                    picks = [_pick(1, len(lines), 8, lines[0])]
                if mode == "invalid":
                    picks = [*picks[: max(most - 2, 0)],
                             _pick(len(lines), len(lines) + 3, 9),
                             _pick(3, 1, 9)]  # fmt: skip
                content = json.dumps({"picks": picks})
            elif clips:
                content = json.dumps({"clips": [
                    {"id": c["id"], "title": f"Title of {c['id']}",
                     "description": "What the clip is about.",
                     "hashtags": ["#one", "#two", "#three"]} for c in clips
                ]})  # fmt: skip
            elif passages:
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
            if mode == "noshape":
                content = json.dumps({"answer": "Here are my picks.", "count": 2})
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
                        "texts": [p["text"] for p in passages] or lines,
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
